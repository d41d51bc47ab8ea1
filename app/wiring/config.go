package wiring

import (
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/stepgate/stepgate/app/stores"
	"github.com/stepgate/stepgate/internal/memlimit"
)

// Config is the App's configuration: `stepgate serve`'s STEPGATE_*
// variables, typed. LoadConfig fills it from the environment (serve, the
// bench's App child); DefaultConfig is the same defaults for callers that
// set the rest in code (the demo). Each variable's name, default and
// meaning is declared once, in Vars.
type Config struct {
	Addr          string   // the public listener, host:port
	MetricsAddr   string   // "" serves /metrics on Addr
	AllowedOwners []string // empty: any owner where the App is installed
	PublicURL     string   // the App's external URL: the gate tokens' audience
	// Store is "bolt:PATH" or "dynamodb:TABLE" (app/stores); unused when
	// Options.Store is given.
	Store            string
	GitHubAppID      int64
	GitHubPrivateKey []byte // PEM, RSA
	WebhookSecrets   []string
	GitHubAPIURL     string // https://api.github.com, or GHES's https://HOST/api/v3
	OIDCIssuer       string
	GitHubAppSlug    string // "": any *[bot] is ignored anyway
	LogLevel         slog.Level
	SweepInterval    time.Duration
	PollInterval     time.Duration
	MaxWait          time.Duration
	// FileCacheTTL is how long the policy and CODEOWNERS bytes are used
	// before they are revalidated (an ETag request); negative revalidates
	// on every request.
	FileCacheTTL time.Duration
	MemoryLimit  int64 // bytes; 0: none (applied by the caller, and only without GOMEMLIMIT)
	NoParking    bool
}

// BotLogin is the App's bot login ("SLUG[bot]"), "" without a slug.
func (c Config) BotLogin() string {
	if c.GitHubAppSlug == "" {
		return ""
	}
	return c.GitHubAppSlug + "[bot]"
}

// A Var is one setting: its variable, serve's flag, its default as the
// variable would spell it, and what it means (Usage for --help, Doc for
// README's configuration reference, which a test keeps equal to Vars).
// Required is for the reader: set itself refuses a missing value.
type Var struct {
	Name     string
	Flag     string
	Default  string
	Required bool
	Bool     bool // the flag may be given bare (--no-parking)
	Usage    string
	Doc      string
	// set parses the (trimmed, defaulted) value into c; readFile reads
	// the _FILE variables. A plain error is reported under Name.
	set func(c *Config, v string, readFile func(string) ([]byte, error)) error
}

// ConfigError names the variable a bad setting came from; its message
// never contains a secret's value.
type ConfigError struct{ Var, Msg string }

func (e *ConfigError) Error() string { return e.Var + ": " + e.Msg }

const (
	varPrivateKey = "STEPGATE_GITHUB_PRIVATE_KEY"
	varSecret     = "STEPGATE_WEBHOOK_SECRET"
)

// Vars are the App's settings, in the order they are checked and listed.
var Vars = []Var{
	{Name: "STEPGATE_ADDR", Flag: "addr", Default: ":8080", Usage: "listen address", Doc: "listen address",
		set: func(c *Config, v string, _ readFunc) (err error) { c.Addr, err = hostPort(v, ":8080"); return }},
	{Name: "STEPGATE_METRICS_ADDR", Flag: "metrics-addr",
		Usage: "serve GET /metrics on this address (e.g. 127.0.0.1:9090) instead of the public listener, which then answers it 404",
		Doc:   "serve `GET /metrics` (and `/healthz`) on this address only, e.g. `127.0.0.1:9090` or a pod-internal port; the public listener then answers `/metrics` with 404",
		set: func(c *Config, v string, _ readFunc) (err error) {
			if v != "" {
				c.MetricsAddr, err = hostPort(v, "127.0.0.1:9090")
			}
			return
		}},
	{Name: "STEPGATE_ALLOWED_OWNERS", Flag: "allowed-owners",
		Usage: "comma-separated organisations/users whose repositories may use the App (default: any where it is installed); others are refused 403",
		Doc:   "comma-separated organisations/users (case-insensitive) whose repositories may use the App; a gate token from any other owner is refused at create (403, \"acme is not an allowed owner …\"). Without it any repository where the App is installed may; a repository where it is not installed (or suspended) is always refused (\"the stepgate App is not installed on acme/web\") instead of waiting for a check run that never comes",
		set:   func(c *Config, v string, _ readFunc) (err error) { c.AllowedOwners, err = owners(v); return }},
	{Name: "STEPGATE_PUBLIC_URL", Flag: "public-url", Required: true,
		Usage: "the App's external URL; gate tokens must carry it as audience",
		Doc:   "the App's external URL; the audience gate tokens must carry",
		set: func(c *Config, v string, _ readFunc) (err error) {
			if v == "" {
				return errors.New("required")
			}
			c.PublicURL, err = httpURL(v)
			return
		}},
	{Name: "STEPGATE_STORE", Flag: "store", Default: stores.Default,
		Usage: "bolt:PATH or dynamodb:TABLE (AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, … as the AWS SDK reads them)",
		Doc:   "`bolt:PATH`, or `dynamodb:TABLE` with the AWS SDK's own configuration (`AWS_REGION`, credentials chain, `AWS_ENDPOINT_URL_DYNAMODB` …)",
		set: func(c *Config, v string, _ readFunc) error {
			if _, err := stores.ParseSpec(v); err != nil {
				return fmt.Errorf("%q: want bolt:PATH or dynamodb:TABLE", v)
			}
			c.Store = v
			return nil
		}},
	{Name: "STEPGATE_GITHUB_APP_ID", Flag: "github-app-id", Required: true,
		Usage: "the App's numeric id", Doc: "the App's id",
		set: func(c *Config, v string, _ readFunc) error {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return errors.New("required: the App's numeric id")
			}
			c.GitHubAppID = id
			return nil
		}},
	{Name: varPrivateKey, Flag: "github-private-key", Required: true,
		Usage: "the App's private key, PEM; or use the _FILE form",
		Doc:   "the App's private key (PEM); or `STEPGATE_GITHUB_PRIVATE_KEY_FILE`",
		set: func(c *Config, v string, _ readFunc) (err error) {
			if v != "" {
				c.GitHubPrivateKey, err = rsaPEM([]byte(v))
			}
			return
		}},
	{Name: varPrivateKey + "_FILE", Flag: "github-private-key-file",
		Usage: "path of the App's private key PEM file",
		Doc:   "a file holding the App's private key (PEM); read when `STEPGATE_GITHUB_PRIVATE_KEY` is unset",
		set: func(c *Config, v string, readFile readFunc) error {
			if c.GitHubPrivateKey != nil {
				return nil
			}
			if v == "" {
				return &ConfigError{varPrivateKey, "required (or STEPGATE_GITHUB_PRIVATE_KEY_FILE): the App's private key, PEM"}
			}
			key, err := readSetting(readFile, v)
			if err == nil {
				c.GitHubPrivateKey, err = rsaPEM(key)
			}
			return err
		}},
	{Name: varSecret, Flag: "webhook-secret", Required: true,
		Usage: "webhook secret; several comma-separated during a rotation; or use the _FILE form",
		Doc:   "webhook secret; comma-separated list during rotation (every one is accepted)",
		set: func(c *Config, v string, _ readFunc) error {
			if v == "" {
				return nil
			}
			if c.WebhookSecrets = commaList(v); c.WebhookSecrets == nil {
				return errNoSecret
			}
			return nil
		}},
	{Name: varSecret + "_FILE", Flag: "webhook-secret-file",
		Usage: "path of a file holding the webhook secret(s) (what \"stepgate app create\" writes)",
		Doc:   "a file holding the webhook secret(s), one per line (what `stepgate app create` writes, or a mounted Secret); read when `STEPGATE_WEBHOOK_SECRET` is unset",
		set: func(c *Config, v string, readFile readFunc) error {
			if c.WebhookSecrets != nil {
				return nil
			}
			if v != "" {
				b, err := readSetting(readFile, v)
				if err != nil {
					return err
				}
				c.WebhookSecrets = commaList(strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", ","))
			}
			if c.WebhookSecrets == nil {
				return errNoSecret
			}
			return nil
		}},
	{Name: "STEPGATE_GITHUB_API_URL", Flag: "github-api-url", Default: "https://api.github.com",
		Usage: "REST API base (GHES: https://HOST/api/v3)",
		Doc:   "GitHub Enterprise Server: `https://HOST/api/v3`",
		set:   func(c *Config, v string, _ readFunc) (err error) { c.GitHubAPIURL, err = httpURL(v); return }},
	{Name: "STEPGATE_OIDC_ISSUER", Flag: "oidc-issuer", Default: "https://token.actions.githubusercontent.com",
		Usage: "issuer of gate tokens",
		Doc:   "the issuer of gate tokens (GHES: `https://HOST/_services/token`)",
		set:   func(c *Config, v string, _ readFunc) (err error) { c.OIDCIssuer, err = httpURL(v); return }},
	{Name: "STEPGATE_GITHUB_APP_SLUG", Flag: "github-app-slug",
		Usage: "the App's slug; its bot's comments and clicks are never acted on (optional: any *[bot] is ignored)",
		Doc:   "the App's slug; its bot's own comments and clicks are never acted on (any `…[bot]` login is ignored anyway)",
		set:   func(c *Config, v string, _ readFunc) error { c.GitHubAppSlug = v; return nil }},
	{Name: "STEPGATE_LOG_LEVEL", Flag: "log-level", Default: "info",
		Usage: "debug, info, warn or error; JSON logs on stderr",
		Doc:   "`debug`, `info`, `warn`, `error`; JSON logs on stderr",
		set: func(c *Config, v string, _ readFunc) error {
			if c.LogLevel.UnmarshalText([]byte(v)) != nil {
				return errors.New("want debug, info, warn or error")
			}
			return nil
		}},
	{Name: "STEPGATE_SWEEP_INTERVAL", Flag: "sweep-interval", Default: "5s",
		Usage: "how often overdue requests are expired", Doc: "how often overdue requests are expired",
		set: func(c *Config, v string, _ readFunc) (err error) { c.SweepInterval, err = duration(v, false); return }},
	{Name: "STEPGATE_POLL_INTERVAL", Flag: "poll-interval", Default: "100ms",
		Usage: "how often this replica looks for decisions made by other replicas while gates wait",
		Doc:   "how often a replica looks for decisions made by other replicas while gates wait",
		set:   func(c *Config, v string, _ readFunc) (err error) { c.PollInterval, err = duration(v, false); return }},
	{Name: "STEPGATE_MAX_WAIT", Flag: "max-wait", Default: "60s",
		Usage: "longest long-poll a gate may ask for", Doc: "the longest long-poll a gate may ask for",
		set: func(c *Config, v string, _ readFunc) (err error) { c.MaxWait, err = duration(v, false); return }},
	{Name: "STEPGATE_GITHUB_FILE_CACHE_TTL", Flag: "github-file-cache-ttl", Default: "10s",
		Usage: "how long the policy and CODEOWNERS files are served from memory before asking GitHub again with their ETag (a policy edit applies within it; negative, e.g. -1s: revalidate on every request)",
		Doc:   "how long the policy and CODEOWNERS files are served from memory before asking GitHub again (a conditional GET); a negative value such as `-1s` revalidates on every request",
		set:   func(c *Config, v string, _ readFunc) (err error) { c.FileCacheTTL, err = duration(v, true); return }},
	{Name: "STEPGATE_MEMORY_LIMIT", Flag: "memory-limit", Default: "128MiB",
		Usage: "soft memory limit of the Go runtime, e.g. 256MiB or 1GiB; off disables it; ignored when GOMEMLIMIT is set",
		Doc:   "soft memory limit of the Go runtime (`256MiB`, `1GiB`, `200MB`; `off` disables it); ignored when `GOMEMLIMIT` is set, which wins. Why: the garbage collector counts goroutine stacks toward its heap goal, so a burst of gates connecting at once (a goroutine and buffers each until the poll is parked) inflates the goal and the resident set stays high; the limit makes the GC collect harder near it instead. Set it a little below the container's memory",
		set:   func(c *Config, v string, _ readFunc) (err error) { c.MemoryLimit, err = memlimit.Parse(v); return }},
	{Name: "STEPGATE_NO_PARKING", Flag: "no-parking", Default: "false", Bool: true,
		Usage: "keep each waiting long-poll on its own goroutine instead of parking it (true/false)",
		Doc:   "`true` keeps each waiting long-poll on its own handler goroutine instead of parking it (about 30 KiB more per waiting gate); for proxies or middleware that must see every response written through `net/http`",
		set: func(c *Config, v string, _ readFunc) (err error) {
			if c.NoParking, err = strconv.ParseBool(v); err != nil {
				return fmt.Errorf("%q: want true or false", v)
			}
			return nil
		}},
}

type readFunc = func(string) ([]byte, error)

var errNoSecret = &ConfigError{varSecret, "required (or STEPGATE_WEBHOOK_SECRET_FILE): the App's webhook secret (comma-separated during a rotation)"}

// LoadConfig reads every variable once through lookup (os.Getenv, or
// flags over it), fills in the defaults and checks each value; the first
// bad one is a *ConfigError naming it. readFile reads the _FILE forms.
func LoadConfig(lookup func(string) string, readFile func(string) ([]byte, error)) (Config, error) {
	var c Config
	for _, v := range Vars {
		val := strings.TrimSpace(lookup(v.Name))
		if val == "" {
			val = v.Default
		}
		if err := v.set(&c, val, readFile); err != nil {
			var ce *ConfigError
			if errors.As(err, &ce) {
				return c, err
			}
			return c, &ConfigError{v.Name, err.Error()}
		}
	}
	return c, nil
}

// DefaultConfig is the configuration with every default and nothing else:
// what the demo and tests start from before setting their URLs, keys and
// store, so they run with serve's intervals and timeouts.
func DefaultConfig() Config {
	var c Config
	for _, v := range Vars {
		if v.Default != "" {
			if err := v.set(&c, v.Default, nil); err != nil {
				panic("wiring: default of " + v.Name + ": " + err.Error()) // a typo in Vars
			}
		}
	}
	return c
}

func hostPort(v, example string) (string, error) {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return "", fmt.Errorf("%q is not host:port (e.g. %s)", v, example)
	}
	return v, nil
}

func httpURL(v string) (string, error) {
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return "", fmt.Errorf("%q is not an absolute http(s) URL", v)
	}
	return v, nil
}

func owners(v string) ([]string, error) {
	list := commaList(v)
	for _, o := range list {
		if strings.ContainsAny(o, "/ ") {
			return nil, fmt.Errorf("%q is not an organisation or user name (comma-separated owners, e.g. acme,octo)", o)
		}
	}
	return list, nil
}

// commaList is v's non-empty, trimmed comma-separated items (nil if none).
func commaList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func duration(v string, zeroOrNegative bool) (time.Duration, error) {
	d, err := time.ParseDuration(v)
	if err != nil || (!zeroOrNegative && d <= 0) {
		return 0, fmt.Errorf("%q is not a positive duration like 5s", v)
	}
	return d, nil
}

// readSetting reads a _FILE variable's file; the error names the path,
// not the contents.
func readSetting(readFile readFunc, path string) ([]byte, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read %s: %v", path, errors.Unwrap(err))
	}
	return b, nil
}

// rsaPEM checks that key is an RSA private key in PEM, without ever
// printing it. A key pasted into one environment line often has literal
// \n; those become newlines.
func rsaPEM(key []byte) ([]byte, error) {
	if !strings.Contains(string(key), "\n") {
		key = []byte(strings.ReplaceAll(string(key), `\n`, "\n"))
	}
	block, _ := pem.Decode(key)
	if block == nil {
		return nil, errors.New("not a PEM private key")
	}
	if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err != nil {
		if _, err2 := x509.ParsePKCS8PrivateKey(block.Bytes); err2 != nil {
			return nil, errors.New("not an RSA private key in PEM (PKCS#1 or PKCS#8)")
		}
	}
	return key, nil
}
