package action

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"
)

// DefaultTimeout is how long the gate waits for a decision when the timeout
// input is empty. The App applies the shorter of this and the policy's.
const DefaultTimeout = 30 * time.Minute

// Config is what to gate: the action's inputs, or `stepgate run`'s flags.
type Config struct {
	Command          string        // required: the script the step runs
	Server           string        // required: the App's URL, also the OIDC audience
	Environment      string        // deployment environment, for policy rules
	Reason           string        // shown to reviewers
	Timeout          time.Duration // how long to wait for a decision
	Shell            string        // bash (default), sh, python, pwsh, or a template with {0}
	WorkingDirectory string        // relative to GITHUB_WORKSPACE
	Approvers        []string      // extra requirement: team:org/slug, user:login
	// JobIndex and Matrix tell matrix legs apart where the token has no
	// check_run_id claim; the action's metadata fills them from
	// ${{ strategy.job-index }} and ${{ toJSON(matrix) }}.
	JobIndex string
	Matrix   string
}

// ServerURL is the App's base URL without a trailing slash; it is also the
// audience of the OIDC token.
func (c Config) ServerURL() string { return strings.TrimRight(c.Server, "/") }

// Validate reports the first missing or malformed field in the words of the
// action's inputs.
func (c Config) Validate() error {
	switch {
	case strings.TrimSpace(c.Command) == "":
		return errors.New("input `run` is required: the command to gate")
	case c.Server == "":
		return errors.New("input `server` is required: the URL of the stepgate App")
	case !strings.HasPrefix(c.Server, "https://") && !strings.HasPrefix(c.Server, "http://"):
		return fmt.Errorf("input `server` must be an http(s) URL, got %q", c.Server)
	case c.Timeout <= 0:
		return fmt.Errorf("input `timeout` must be positive, got %s", c.Timeout)
	}
	if _, err := shellTemplate(c.Shell); err != nil {
		return err
	}
	return nil
}

// ConfigFromInputs reads the action's inputs. input is githubactions'
// GetInput (INPUT_<NAME>, trimmed).
func ConfigFromInputs(input func(string) string) (Config, error) {
	c := Config{
		Command:          input("run"),
		Server:           input("server"),
		Environment:      input("environment"),
		Reason:           input("reason"),
		Shell:            orDefault(input("shell"), "bash"),
		WorkingDirectory: input("working-directory"),
		Approvers:        splitList(input("approvers")),
		JobIndex:         input("job-index"),
		Matrix:           input("matrix"),
	}
	t, err := parseTimeout(input("timeout"))
	if err != nil {
		return Config{}, err
	}
	c.Timeout = t
	return c, c.Validate()
}

func parseTimeout(s string) (time.Duration, error) {
	if s == "" {
		return DefaultTimeout, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("input `timeout`: %q is not a Go duration such as 30m or 1h30m", s)
	}
	return d, nil
}

// splitList splits on commas and newlines so both `a, b` and a YAML block
// scalar work.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == '\n' || r == '\r' }) {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// ErrHelp is returned by ParseFlags after it printed --help.
var ErrHelp = flag.ErrHelp

// ParseFlags reads `stepgate run`'s arguments. The command is either
// --command STRING or everything after `--` (re-quoted for the shell).
// STEPGATE_SERVER is the default of --server.
func ParseFlags(args []string, getenv func(string) string, stdout, stderr io.Writer) (Config, error) {
	fs := flag.NewFlagSet("stepgate run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c Config
	var approvers, timeout string
	fs.StringVar(&c.Command, "command", "", "the command to gate, as one shell string (instead of -- CMD ARGS...)")
	fs.StringVar(&c.Server, "server", getenv("STEPGATE_SERVER"), "URL of the stepgate App (default $STEPGATE_SERVER); also the OIDC audience")
	fs.StringVar(&c.Environment, "environment", "", "deployment environment the policy matches on, e.g. production")
	fs.StringVar(&c.Reason, "reason", "", "why this runs; shown to reviewers")
	fs.StringVar(&timeout, "timeout", "30m", "how long to wait for a decision (Go duration); the shorter of this and the policy's wins")
	fs.StringVar(&c.Shell, "shell", "bash", "bash, sh, python, pwsh, or a template containing {0} such as \"perl {0}\"")
	fs.StringVar(&c.WorkingDirectory, "working-directory", "", "directory to run in, relative to $GITHUB_WORKSPACE")
	fs.StringVar(&approvers, "approvers", "", "extra approvers that can only tighten the policy: team:org/slug, user:login (comma-separated)")
	fs.StringVar(&c.JobIndex, "job-index", "", "the matrix leg, e.g. ${{ strategy.job-index }}: keeps legs' requests apart where the token has no check_run_id (older GHES)")
	fs.StringVar(&c.Matrix, "matrix", "", "the leg's matrix values, e.g. ${{ toJSON(matrix) }}: as --job-index")
	fs.Usage = func() { runUsage(fs, stdout) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return Config{}, ErrHelp
		}
		return Config{}, err
	}
	rest := fs.Args()
	switch {
	case c.Command != "" && len(rest) > 0:
		return Config{}, errors.New("give the command either as --command STRING or after --, not both")
	case c.Command == "":
		c.Command = shellJoin(rest)
	}
	var err error
	if c.Timeout, err = parseTimeout(timeout); err != nil {
		return Config{}, errors.New(strings.Replace(err.Error(), "input `timeout`", "--timeout", 1))
	}
	c.Approvers = splitList(approvers)
	if err := c.Validate(); err != nil {
		return Config{}, errors.New(flagWords(err.Error()))
	}
	return c, nil
}

// flagWords rewrites "input `x`" in validation errors as "--x" for host mode.
func flagWords(s string) string {
	for _, in := range []string{"run", "server", "timeout", "shell"} {
		flagName := "--" + in
		if in == "run" {
			flagName = "a command (--command STRING or -- CMD ARGS...)"
		}
		s = strings.ReplaceAll(s, "input `"+in+"`", flagName)
	}
	return s
}

func runUsage(fs *flag.FlagSet, w io.Writer) {
	fmt.Fprint(w, `Usage: stepgate run [flags] -- CMD [ARGS...]
       stepgate run [flags] --command 'SHELL COMMAND'

Host mode: the same gate as the container action, from any shell step. The
command runs only after the stepgate App answers allowed or approved for these
exact bytes; rejected, expired or unreachable exits non-zero and runs nothing.
The job needs "permissions: id-token: write" (the gate authenticates with the
job's OIDC token, audience = --server).

Flags:
`)
	fs.VisitAll(func(f *flag.Flag) {
		def := ""
		if f.DefValue != "" {
			def = fmt.Sprintf(" (default %q)", f.DefValue)
		}
		fmt.Fprintf(w, "  --%s VALUE\n      %s%s\n", f.Name, f.Usage, def)
	})
	fmt.Fprint(w, `
Exit status: the command's own, or when nothing ran: 2 bad flags, 3 rejected
or denied, 4 expired, 5 cancelled, 6 App unreachable or failing, 7 decision
bound to different bytes, 8 no OIDC token.

Example (a workflow step; the job has permissions: id-token: write):
  - env:
      STEPGATE_SERVER: https://stepgate.example.com
      DB_PASSWORD: ${{ secrets.DB_PASSWORD }}   # pass secrets via env, not inline
    run: |
      stepgate run --environment production --reason "weekly migration" \
        -- ./scripts/migrate.sh --env prod
`)
}
