package gate

import (
	"crypto/sha256"
	"encoding/base32"
	"strings"
	"time"
)

// Status is where a request is in its life. A request starts pending and
// reaches exactly one final status.
type Status string

// Request statuses (DESIGN.md: the names are the contract).
const (
	StatusPending   Status = "pending"
	StatusAllowed   Status = "allowed" // by policy or a remembered command
	StatusApproved  Status = "approved"
	StatusRejected  Status = "rejected"
	StatusExpired   Status = "expired"
	StatusCancelled Status = "cancelled"
)

// Final reports whether no further transition is possible.
func (s Status) Final() bool { return s != StatusPending && s != "" }

// Runnable reports whether the gate may run the command under this status.
func (s Status) Runnable() bool { return s == StatusAllowed || s == StatusApproved }

// Where a request comes from (Request.Source). An empty Source is a step.
const (
	SourceStep       = "step"       // the action or `stepgate run`
	SourceAgent      = "agent"      // `stepgate hook`: a shell command an AI agent wants to run
	SourceDeployment = "deployment" // a job-level gate: GitHub's deployment_protection_rule webhook
)

// RequestID derives a request's id from its idempotency key, so that a
// retried create lands on the same item with a single conditional write.
func RequestID(idempotencyKey string) string {
	sum := sha256.Sum256([]byte(idempotencyKey))
	return "sg_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// KeyParts is everything that tells one gate invocation from another and
// everything its decision depends on. Two creates share a request only if
// all of it is equal, so one matrix leg, reusable-workflow call, environment
// or tightening input never receives another's decision (DESIGN.md
// invariant 10).
type KeyParts struct {
	RepoID     int64
	RunID      int64
	RunAttempt int
	// From the token: the job's own check run (one per matrix leg and per
	// job of each reusable-workflow call, where GitHub sends it), the
	// reusable workflow the job runs, and the job's environment.
	CheckRunID     string
	JobWorkflowRef string
	JobWorkflowSHA string
	Environment    string
	// From the body: they can only separate requests further.
	Job, JobIndex, Matrix, Step string
	EnvironmentInput            string
	CommandSHA256               string
	// Decision holds any other body value the decision depends on
	// (approvers, timeout, reason, binding), in a fixed order.
	Decision []string
}

// IdempotencyKey identifies one gate invocation: the same run attempt, job
// (leg), step, context and command always map to the same request. Fields
// are length-prefixed, so no two different KeyParts share a key.
func IdempotencyKey(k KeyParts) string {
	var b strings.Builder
	b.WriteString("v2")
	for _, s := range append([]string{itoa(k.RepoID), itoa(k.RunID), itoa(int64(k.RunAttempt)),
		k.CheckRunID, k.JobWorkflowRef, k.JobWorkflowSHA, k.Environment,
		k.Job, k.JobIndex, k.Matrix, k.Step, k.EnvironmentInput, k.CommandSHA256}, k.Decision...) {
		b.WriteByte('\x1f')
		b.WriteString(itoa(int64(len(s))))
		b.WriteByte(':')
		b.WriteString(s)
	}
	return b.String()
}

// JobIdentity is what the verified token says about the job asking.
type JobIdentity struct {
	RepoID         int64
	RunID          int64
	RunAttempt     int
	CheckRunID     string // check_run_id claim
	JobWorkflowRef string // job_workflow_ref claim
	JobWorkflowSHA string // job_workflow_sha claim
	Environment    string // environment claim
}

// RequestKey is the idempotency key's parts of a create by job j: the job
// (leg) from the token, the body's separating fields, and every body value
// the decision depends on.
func RequestKey(j JobIdentity, b *CreateRequest) KeyParts {
	return KeyParts{
		RepoID: j.RepoID, RunID: j.RunID, RunAttempt: j.RunAttempt,
		CheckRunID: j.CheckRunID, JobWorkflowRef: j.JobWorkflowRef, JobWorkflowSHA: j.JobWorkflowSHA,
		Environment: j.Environment,
		Job:         b.Job, JobIndex: b.JobIndex, Matrix: b.Matrix, Step: b.Step,
		EnvironmentInput: b.Environment, CommandSHA256: b.CommandSHA256,
		Decision: []string{
			"approvers=" + strings.Join(b.Approvers, "\x1e"),
			"timeout=" + itoa(b.TimeoutSeconds),
			"reason=" + b.Reason,
		},
	}
}

// RememberEnvironment is the environment remembered commands of r are kept
// under. An environment that only came from the action input (the job
// declares none) is kept apart from the real one: an approval given under
// the stricter of both decisions is not reused where only one applied.
func (r *Request) RememberEnvironment() string {
	if r.EnvironmentSource == "input" && r.Environment != "" {
		return "input:" + r.Environment
	}
	return r.Environment
}

func itoa(n int64) string {
	var buf [20]byte
	i := len(buf)
	neg := n < 0
	if neg {
		n = -n
	}
	for {
		i--
		buf[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			break
		}
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

// Request is one gated command. Fields set at creation never change; the
// decision fields (Status, Votes, DecidedAt, …) change only through the
// store's conditional operations.
type Request struct {
	ID             string `json:"id"`
	IdempotencyKey string `json:"idempotency_key"`
	// Source is SourceStep (or ""), SourceAgent or SourceDeployment. A
	// deployment's request is answered to GitHub's deployment protection
	// rule review endpoint instead of a waiting gate.
	Source string `json:"source,omitempty"`

	// Who and where, taken from the verified OIDC token (never the client's word).
	Repo           string `json:"repo"` // owner/name
	RepoID         int64  `json:"repo_id"`
	InstallationID int64  `json:"installation_id,omitempty"`
	RunID          int64  `json:"run_id"`
	RunAttempt     int    `json:"run_attempt"`
	Workflow       string `json:"workflow,omitempty"`
	Job            string `json:"job"`
	Step           string `json:"step"`
	Actor          string `json:"actor"`
	Ref            string `json:"ref,omitempty"`
	EventName      string `json:"event_name,omitempty"`
	HeadSHA        string `json:"head_sha"`            // commit the check run goes on
	Commit         string `json:"commit,omitempty"`    // the run's commit (token sha claim): executed files are checked there
	PRNumber       int    `json:"pr_number,omitempty"` // 0 when the run has no PR
	PRAuthor       string `json:"pr_author,omitempty"` // the PR's author, from GitHub; never counts as an approver without self-approval
	Environment    string `json:"environment,omitempty"`
	// EnvironmentSource says where Environment came from: "token" (the
	// job's environment claim) or "input" (the action input of a job that
	// declares none: it only tightened the decision).
	EnvironmentSource string `json:"environment_source,omitempty"`
	CheckRunIDClaim   string `json:"job_check_run_id,omitempty"` // the job's own check run (token claim), when GitHub sends it
	JobWorkflowRef    string `json:"job_workflow_ref,omitempty"`

	// What: the command as shown (redacted on the runner) and the binding hash
	// of the real bytes.
	Command          string   `json:"command"`
	CommandSHA256    string   `json:"command_sha256"`
	NormalizedSHA256 string   `json:"normalized_sha256"` // key of remembered commands
	Shell            string   `json:"shell"`
	WorkingDirectory string   `json:"working_directory,omitempty"`
	Reason           string   `json:"reason,omitempty"`
	Approvers        []string `json:"approvers,omitempty"` // action input: extra requirement
	// Env and Files are the rest of the binding: the variables the command
	// reads (secrets as hashes only) and the files it executes, checked by
	// the App against the run's commit (File.InRepo).
	Env   []EnvVar `json:"env,omitempty"`
	Files []File   `json:"files,omitempty"`

	// Assessment and policy outcome at creation.
	RiskLevel   string   `json:"risk_level"`
	RiskScore   int      `json:"risk_score"`
	RiskReasons []string `json:"risk_reasons,omitempty"`
	Rule        string   `json:"rule"`
	// Spec is what a pending request requires (nil for requests decided at
	// once); stores keep it as JSON under "requirement".
	Spec         *Spec `json:"requirement,omitempty"`
	RememberTTL  int64 `json:"remember_ttl_seconds,omitempty"`
	SelfApproval bool  `json:"self_approval,omitempty"`

	// GitHub objects the App opened to ask for approval.
	CheckRunID  int64  `json:"check_run_id,omitempty"`
	CommentID   int64  `json:"comment_id,omitempty"`
	CommentURL  string `json:"comment_url,omitempty"`
	CheckRunURL string `json:"check_run_url,omitempty"`

	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at"`

	// Decision.
	Status      Status    `json:"status"`
	Votes       []Vote    `json:"votes,omitempty"`
	DecidedAt   time.Time `json:"decided_at,omitzero"`
	DecidedBy   []string  `json:"decided_by,omitempty"` // approvers whose approvals counted, or the rejecter
	FinalReason string    `json:"final_reason,omitempty"`
	Remembered  bool      `json:"remembered,omitempty"` // approved with "remember"

	// Execution, reported by the gate once.
	ExitCode   *int  `json:"exit_code,omitempty"`
	DurationMS int64 `json:"duration_ms,omitempty"`

	// For agents (Source SourceAgent): which agent, session and tool call.
	Agent        string `json:"agent,omitempty"`
	AgentSession string `json:"agent_session,omitempty"`
	ToolCallID   string `json:"tool_call_id,omitempty"`

	// PendingAudit is the audit event of the decision, stored in the same
	// conditional write as the final status (no decision without its
	// event) and cleared once it is sealed into the repository's hash chain.
	PendingAudit *AuditEvent `json:"pending_audit,omitempty"`
}

// ExpiredAt reports whether a pending request has run out of time. The
// store's expires_at is authoritative on read: TTL deletion is lazy.
func (r *Request) ExpiredAt(now time.Time) bool {
	return r.Status == StatusPending && !r.ExpiresAt.IsZero() && !now.Before(r.ExpiresAt)
}

// Vote is one person's approval or rejection as recorded by the App after it
// re-checked the person's eligibility.
type Vote struct {
	Login     string    `json:"login"`
	Approve   bool      `json:"approve"`
	Remember  bool      `json:"remember,omitempty"`
	Channel   string    `json:"channel"`             // check_run, pr_comment, commit_comment, terminal
	Satisfied []string  `json:"satisfied,omitempty"` // requirement leaves this vote counted toward
	Comment   string    `json:"comment,omitempty"`   // rejection reason
	At        time.Time `json:"at"`
}

// RememberedCommand is an allowlist entry: a command reviewers chose to
// remember (or that policy learned), keyed by repository, environment and the
// normalised command's hash.
type RememberedCommand struct {
	Repo             string    `json:"repo"`
	Environment      string    `json:"environment"`
	NormalizedSHA256 string    `json:"normalized_sha256"`
	Command          string    `json:"command"` // redacted, for display
	Rule             string    `json:"rule"`
	By               []string  `json:"by"`
	Source           string    `json:"source"` // "remember" or "learn"
	CreatedAt        time.Time `json:"created_at"`
	ExpiresAt        time.Time `json:"expires_at"`
	Hits             int64     `json:"hits"`
}

// Freeze is a repository's freeze flag set by `/stepgate freeze`.
type Freeze struct {
	Repo   string    `json:"repo"`
	Frozen bool      `json:"frozen"`
	By     string    `json:"by,omitempty"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at,omitzero"`
}

// Audit event types.
const (
	EventRequested = "requested"
	EventApproval  = "approval"
	EventRejection = "rejection"
	EventIgnored   = "ignored" // an ineligible approval attempt
	EventAllowed   = "allowed"
	EventApproved  = "approved"
	EventRejected  = "rejected"
	EventExpired   = "expired"
	EventCancelled = "cancelled"
	EventExecuted  = "executed"
	EventFrozen    = "frozen"
	EventUnfrozen  = "unfrozen"
)

// AuditEvent is one append-only entry of a repository's audit trail. Seq,
// PrevHash and Hash are assigned by the store when it appends: events of a
// repository form a hash chain, so an edited or removed event is detectable.
type AuditEvent struct {
	Repo      string            `json:"repo"`
	Seq       int64             `json:"seq"`
	At        time.Time         `json:"at"`
	Type      string            `json:"type"`
	RequestID string            `json:"request_id,omitempty"`
	Actor     string            `json:"actor,omitempty"` // who did it
	Channel   string            `json:"channel,omitempty"`
	Details   map[string]string `json:"details,omitempty"`
	PrevHash  string            `json:"prev_hash"`
	Hash      string            `json:"hash"`
}
