package action

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/stepgate/stepgate/gate"
	"github.com/stepgate/stepgate/gate/decide"
	"github.com/stepgate/stepgate/gate/redact"
)

// Exit statuses when nothing ran (README "Exit codes"). When the command
// ran, the step exits with the command's own status.
const (
	ExitUsage       = 2 // bad inputs or flags
	ExitRejected    = 3 // rejected by a reviewer, denied by policy, or the repo is frozen
	ExitExpired     = 4 // no decision before the timeout
	ExitCancelled   = 5 // the workflow (or someone) cancelled the request
	ExitUnreachable = 6 // fail closed: the App could not be reached or kept failing
	ExitMismatch    = 7 // the decision is bound to different bytes
	ExitNoToken     = 8 // no OIDC token (missing `permissions: id-token: write`)
)

// Risk is the runner's own assessment, shown in the log before asking.
type Risk struct {
	Level   string
	Score   int
	Reasons []string
}

// Options are the gate's collaborators; zero fields get production defaults.
// Tests swap them to run without the process environment, real time, or
// slow retries.
type Options struct {
	Getenv     func(string) string // default os.Getenv
	Environ    func() []string     // the child's environment, scanned for secrets; default os.Environ
	Stdin      io.Reader           // default: none (like a `run:` step)
	Stdout     io.Writer           // the command's stdout
	Stderr     io.Writer           // the command's stderr and the gate's log
	HTTPClient *http.Client
	Now        func() time.Time
	Sleep      func(context.Context, time.Duration) error
	Retry      RetryPolicy   // default DefaultRetry()
	PollWait   time.Duration // long-poll wait per round; default 30s
	KillGrace  time.Duration // SIGTERM → SIGKILL; default 10s
	// Signals, when set, are forwarded to the running command's process
	// group (the CLI registers SIGINT and SIGTERM).
	Signals <-chan os.Signal
	// Assess and Redact are gate/risk and gate/redact, injected so this
	// package stays testable on its own.
	Assess func(command string) Risk
	Redact func(s string, secrets ...string) string
	// started is called when the child started (benchmarks).
	started func()
}

func (o Options) withDefaults() Options {
	if o.Getenv == nil {
		o.Getenv = os.Getenv
	}
	if o.Environ == nil {
		o.Environ = os.Environ
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleepCtx
	}
	if o.Retry.Attempts <= 0 {
		o.Retry = DefaultRetry()
	}
	if o.PollWait <= 0 {
		o.PollWait = 30 * time.Second
	}
	if o.KillGrace <= 0 {
		o.KillGrace = 10 * time.Second
	}
	if o.Redact == nil {
		o.Redact = redact.String
	}
	return o
}

// Gate gates one command. Create it with New and call Run once.
type Gate struct {
	cfg  Config
	opts Options
	gh   *githubactions.Action
	log  *logger
	api  *client
}

// New prepares a gate for cfg. Workflow commands (::error::, ::add-mask::,
// groups, outputs) go to opts.Stderr so that in host mode the command's
// stdout stays clean for pipes; the runner reads both streams.
func New(cfg Config, opts Options) *Gate {
	opts = opts.withDefaults()
	gh := githubactions.New(
		githubactions.WithGetenv(opts.Getenv),
		githubactions.WithWriter(opts.Stderr),
		githubactions.WithHTTPClient(opts.HTTPClient),
	)
	g := &Gate{cfg: cfg, opts: opts, gh: gh}
	g.log = &logger{gh: gh, w: opts.Stderr, actions: opts.Getenv("GITHUB_ACTIONS") == "true"}
	g.api = &client{
		base:   cfg.ServerURL(),
		http:   opts.HTTPClient,
		token:  &tokenSource{action: gh, audience: cfg.ServerURL(), now: opts.Now},
		retry:  opts.Retry,
		sleep:  opts.Sleep,
		reqTTL: 10 * time.Second,
	}
	return g
}

// outcome is everything the outputs and the summary report.
type outcome struct {
	view       gate.RequestView
	status     gate.Status
	risk       Risk
	command    string // redacted
	started    time.Time
	waited     time.Duration
	ran        bool
	exitCode   int
	duration   time.Duration
	gateExit   int // exit status when nothing ran
	failReason string
}

// Run gates and runs the command, and returns the step's exit status.
func (g *Gate) Run(ctx context.Context) int {
	o := &outcome{started: g.opts.Now()}
	g.run(ctx, o)
	g.finish(o)
	if o.ran {
		return o.exitCode
	}
	return o.gateExit
}

func (g *Gate) run(ctx context.Context, o *outcome) {
	if !g.decided(ctx, o, nil) {
		return
	}
	o.waited = g.opts.Now().Sub(o.started)
	if ctx.Err() != nil {
		// Cancelled just as the decision arrived: the workflow is gone, so
		// the command must not start.
		o.gateExit, o.status = ExitCancelled, gate.StatusCancelled
		o.failReason = "the workflow run was cancelled before the command started. Nothing was run"
		g.log.errorf("%s", o.failReason)
		return
	}
	g.execute(ctx, o)
}

// decided asks the App and waits for a final, runnable decision bound to
// exactly what would run now: the part Run and Ask share. It returns false
// when the gate must stop (o says why). origin is nil for a workflow step.
func (g *Gate) decided(ctx context.Context, o *outcome, origin *Origin) bool {
	secrets := secretValues(g.opts.Environ(), g.opts.Redact)
	g.log.mask(secrets)
	if !g.introduce(o, secrets) {
		return false
	}
	bind, err := g.binding(secrets)
	if err != nil {
		o.gateExit, o.failReason = ExitUsage, "cannot gate the command: "+err.Error()+". Nothing was run"
		g.log.errorf("%s", o.failReason)
		return false
	}
	hash := bind.Hash()
	body := g.createRequest(o, hash, secrets, bind)
	origin.apply(&body)
	return g.ask(ctx, o, body) && g.stillBound(o, bind, hash, secrets)
}

// introduce redacts the command as the App will see it, rates its risk
// and logs the intro; it returns false when the command cannot be sent.
func (g *Gate) introduce(o *outcome, secrets []string) bool {
	sh, err := gate.ResolveShell(g.cfg.Shell)
	if err == nil {
		// Structure-preserving: the App decides on exactly this text, so
		// no mask may hide code (DESIGN.md invariant 9).
		o.command, err = decide.Redact(g.cfg.Command, sh, secrets)
	}
	if err != nil {
		o.command = redact.Mask
		g.log.intro(g.cfg, o)
		o.gateExit, o.failReason = ExitUsage, "cannot send the command for approval: "+err.Error()+". Nothing was run"
		g.log.errorf("%s", o.failReason)
		return false
	}
	if g.opts.Assess != nil {
		o.risk = g.opts.Assess(g.cfg.Command)
	}
	g.log.intro(g.cfg, o)
	return true
}

// apply names in body who asked, for a request that does not come from a
// workflow step (o nil: nothing to add).
func (o *Origin) apply(body *gate.CreateRequest) {
	if o == nil {
		return
	}
	body.Source, body.Agent, body.AgentSession, body.ToolCallID = o.Source, o.Agent, o.Session, o.ToolCallID
	if o.Step != "" {
		body.Step = o.Step
	}
}

// ask sends the request and waits for a final decision; it returns true
// only for a runnable one.
func (g *Gate) ask(ctx context.Context, o *outcome, body gate.CreateRequest) bool {
	view, err := g.api.create(ctx, body)
	if err != nil {
		g.fail(ctx, o, err, "asking the App for approval")
		return false
	}
	if view.ID == "" || view.Status == "" {
		g.fail(ctx, o, fmt.Errorf("the App's answer has no request id or status"), "asking the App for approval")
		return false
	}
	o.view, o.status = view, view.Status
	g.log.asked(view)
	if !view.Status.Final() && !g.wait(ctx, o) {
		return false
	}
	if !o.status.Runnable() {
		g.refuse(o)
		return false
	}
	return true
}

// stillBound checks that the decision covers the bytes bind describes
// (hash is bind.Hash()) and that they have not changed since the request
// was made.
func (g *Gate) stillBound(o *outcome, bind gate.Binding, hash string, secrets []string) bool {
	if o.view.CommandSHA256 != hash {
		// "error", not the App's status: later steps keyed on
		// status == approved must not take this for a green light.
		o.gateExit, o.status = ExitMismatch, "error"
		o.failReason = fmt.Sprintf("decision is bound to different bytes: the App's decision covers command hash %s, but this step would run %s. Nothing was run", short(o.view.CommandSHA256), short(hash))
		g.log.errorf("%s", o.failReason)
		return false
	}
	// What runs must still be what was approved: a variable or a script
	// changed while the request waited (a concurrent process, a slow
	// earlier step) needs its own approval.
	if now, err := g.binding(secrets); err != nil || now.Hash() != hash {
		o.gateExit, o.status = ExitMismatch, "error"
		o.failReason = "what would run changed after it was approved: " + bindingChange(bind, now, err) + ". Nothing was run"
		g.log.errorf("%s", o.failReason)
		return false
	}
	return true
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	if h == "" {
		return "(none)"
	}
	return h
}

// fail turns an error before a decision into the fail-closed exit.
func (g *Gate) fail(ctx context.Context, o *outcome, err error, doing string) {
	var nt *errNoToken
	var ue *unreachableError
	var ae *apiError
	switch {
	case errors.As(err, &nt):
		o.gateExit = ExitNoToken
		o.failReason = nt.Error()
	case ctx.Err() != nil:
		o.gateExit, o.status = ExitCancelled, gate.StatusCancelled
		o.failReason = "the workflow was cancelled while " + doing
	case errors.As(err, &ue):
		o.gateExit = ExitUnreachable
		o.failReason = ue.Error() + ". Nothing was run (stepgate fails closed)"
	case errors.As(err, &ae) && ae.final():
		o.gateExit = ExitUnreachable
		o.failReason = ae.message + ". Nothing was run"
	case errors.As(err, &ae):
		o.gateExit = ExitUnreachable
		if ae.status == http.StatusForbidden {
			o.gateExit = ExitRejected
		}
		o.failReason = fmt.Sprintf("the stepgate App at %s refused %s: %v. Nothing was run", g.cfg.ServerURL(), doing, ae)
	default:
		o.gateExit = ExitUnreachable
		o.failReason = fmt.Sprintf("%s at %s: %v. Nothing was run (stepgate fails closed)", doing, g.cfg.ServerURL(), err)
	}
	g.log.errorf("%s", o.failReason)
}

// refuse reports a final, non-runnable decision.
func (g *Gate) refuse(o *outcome) {
	v := o.view
	why := v.Reason
	if why == "" {
		why = "no reason given"
	}
	switch o.status {
	case gate.StatusRejected:
		o.gateExit = ExitRejected
		by := strings.Join(v.RejectedBy, ", ")
		if by == "" {
			by = "policy rule " + orDefault(v.Rule, "(unnamed)")
		}
		o.failReason = fmt.Sprintf("rejected by %s: %s. Nothing was run", by, why)
	case gate.StatusExpired:
		o.gateExit = ExitExpired
		o.failReason = fmt.Sprintf("no decision in time (%s): %s. Nothing was run", why, pendingText(v))
	case gate.StatusCancelled:
		o.gateExit = ExitCancelled
		o.failReason = fmt.Sprintf("request cancelled: %s. Nothing was run", why)
	default:
		o.gateExit = ExitUnreachable
		o.failReason = fmt.Sprintf("the App answered the unknown status %q. Nothing was run", o.status)
	}
	g.log.errorf("%s", o.failReason)
}

func pendingText(v gate.RequestView) string {
	if len(v.Pending) == 0 {
		return "still waiting for approval"
	}
	return "still waiting for " + strings.Join(v.Pending, "; ")
}

func (g *Gate) createRequest(o *outcome, hash string, secrets []string, bind gate.Binding) gate.CreateRequest {
	headSHA, pr := headCommit(g.opts.Getenv)
	approvers := g.cfg.Approvers
	return gate.CreateRequest{
		Command:          o.command,
		CommandSHA256:    hash,
		Shell:            g.cfg.Shell,
		WorkingDirectory: g.cfg.WorkingDirectory,
		Environment:      g.cfg.Environment,
		Reason:           g.opts.Redact(g.cfg.Reason, secrets...),
		TimeoutSeconds:   int64(g.cfg.Timeout / time.Second),
		Approvers:        approvers,
		Env:              bind.Env,
		Files:            bind.Files,
		Job:              g.opts.Getenv("GITHUB_JOB"),
		Step:             g.opts.Getenv("GITHUB_ACTION"),
		JobIndex:         g.cfg.JobIndex,
		Matrix:           compactMatrix(g.cfg.Matrix),
		HeadSHA:          headSHA,
		PullRequest:      pr,
		ClientRisk:       o.risk.Level,
	}
}

// compactMatrix is the matrix JSON without layout (toJSON pretty-prints);
// a job without a matrix sends nothing.
func compactMatrix(m string) string {
	var b bytes.Buffer
	if json.Compact(&b, []byte(m)) != nil {
		return strings.TrimSpace(m)
	}
	if s := b.String(); s != "null" && s != "{}" {
		return s
	}
	return ""
}
