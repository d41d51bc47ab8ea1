package gate

import "time"

// Wire types of the gate API (DESIGN.md "HTTP surface of the App"). The step
// (gate/action) sends them and the App (app/) serves them.

// CreateRequest is the body of POST /api/v1/requests. Who is asking (repo,
// run, actor, ref) comes from the OIDC token, never from this body.
type CreateRequest struct {
	// Command is the command for display and policy, with secret values
	// redacted on the runner. CommandSHA256 is CommandHash of the real bytes.
	Command          string   `json:"command"`
	CommandSHA256    string   `json:"command_sha256"`
	Shell            string   `json:"shell"`
	WorkingDirectory string   `json:"working_directory,omitempty"`
	Environment      string   `json:"environment,omitempty"`
	Reason           string   `json:"reason,omitempty"`
	TimeoutSeconds   int64    `json:"timeout_seconds,omitempty"`
	Approvers        []string `json:"approvers,omitempty"`
	// Env and Files complete the binding (DESIGN.md invariant 4): the
	// variables the command reads, with their values (a secret's only as
	// SecretHash), and the repository files it executes with their git
	// blob ids. CommandSHA256 is the Binding's Hash over the real bytes.
	Env   []EnvVar `json:"env,omitempty"`
	Files []File   `json:"files,omitempty"`
	Job   string   `json:"job"`
	Step  string   `json:"step"`
	// JobIndex and Matrix tell matrix legs apart where the token has no
	// check_run_id claim (older GitHub Enterprise Server): the action passes
	// ${{ strategy.job-index }} and ${{ toJSON(matrix) }}. They only ever
	// separate requests; nothing is decided on them.
	JobIndex string `json:"job_index,omitempty"`
	Matrix   string `json:"matrix,omitempty"`
	// HeadSHA and PullRequest are checked, never used: the App takes the
	// pull request from the token's ref and its head from GitHub, and
	// refuses a body that names another (older gates send them).
	HeadSHA     string `json:"head_sha,omitempty"`
	PullRequest int    `json:"pull_request,omitempty"`
	// ClientRisk is the runner's own assessment, for display comparisons only.
	ClientRisk string `json:"client_risk,omitempty"`

	// Source is who asks: SourceStep (default) for the action and
	// `stepgate run`, SourceAgent for `stepgate hook`. The caller's word:
	// policy may only be stricter for agents (a step claiming to be an
	// agent only tightens what applies to it). Agent, AgentSession and
	// ToolCallID say which agent, session and tool call (agent only).
	Source       string `json:"source,omitempty"`
	Agent        string `json:"agent,omitempty"`
	AgentSession string `json:"agent_session,omitempty"`
	ToolCallID   string `json:"tool_call_id,omitempty"`
}

// RequestView is what the App returns for a request: on create, and on
// GET /api/v1/requests/{id}?wait=30s.
type RequestView struct {
	ID               string    `json:"id"`
	Status           Status    `json:"status"`
	Repo             string    `json:"repo"`
	Command          string    `json:"command"`
	CommandSHA256    string    `json:"command_sha256"`
	Shell            string    `json:"shell"`
	WorkingDirectory string    `json:"working_directory,omitempty"`
	Environment      string    `json:"environment,omitempty"`
	Risk             RiskView  `json:"risk"`
	Rule             string    `json:"rule"`
	Requirement      string    `json:"requirement,omitempty"` // human text
	Pending          []string  `json:"pending,omitempty"`     // leaves still waiting
	AskedUsers       []string  `json:"asked_users,omitempty"`
	AskedTeams       []string  `json:"asked_teams,omitempty"`
	Approvals        []Vote    `json:"approvals,omitempty"`
	ApprovedBy       []string  `json:"approved_by,omitempty"` // approvers whose approvals counted (approved only)
	RejectedBy       []string  `json:"rejected_by,omitempty"` // the eligible reviewer who rejected (rejected by a person only)
	Reason           string    `json:"reason,omitempty"`      // why it was rejected, expired, cancelled or allowed
	CheckRunURL      string    `json:"check_run_url,omitempty"`
	CommentURL       string    `json:"comment_url,omitempty"`
	CreatedAt        time.Time `json:"created_at"`
	ExpiresAt        time.Time `json:"expires_at"`
	DecidedAt        time.Time `json:"decided_at,omitzero"`

	Source       string `json:"source,omitempty"`
	Agent        string `json:"agent,omitempty"`
	AgentSession string `json:"agent_session,omitempty"`
	ToolCallID   string `json:"tool_call_id,omitempty"`
}

// RiskView is the server's risk assessment of the (redacted) command.
type RiskView struct {
	Level   string   `json:"level"`
	Score   int      `json:"score"`
	Reasons []string `json:"reasons,omitempty"`
}

// ResultReport is the body of POST /api/v1/requests/{id}/result.
type ResultReport struct {
	ExitCode   int   `json:"exit_code"`
	DurationMS int64 `json:"duration_ms"`
}

// CancelReport is the body of POST /api/v1/requests/{id}/cancel, sent when a
// workflow is cancelled while the gate waits.
type CancelReport struct {
	Reason string `json:"reason,omitempty"`
}

// ErrorBody is every non-2xx JSON answer of the gate API.
type ErrorBody struct {
	Error string `json:"error"`
	// Code names refusals the gate treats specially (ErrorCode…); empty
	// for the others.
	Code string `json:"code,omitempty"`
}

// Error codes of refusals that no retry or reviewer can change: the gate
// prints the App's message as it is and fails closed at once.
const (
	// ErrorCodeNotInstalled: the App is not installed on the token's
	// repository (or its installation is suspended).
	ErrorCodeNotInstalled = "app_not_installed"
	// ErrorCodeOwnerNotAllowed: the repository's owner is not in the App's
	// STEPGATE_ALLOWED_OWNERS.
	ErrorCodeOwnerNotAllowed = "owner_not_allowed"
)
