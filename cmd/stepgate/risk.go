package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/stepgate/stepgate/gate/risk"
)

const riskUsage = `Usage: stepgate risk [--json] COMMAND...
       stepgate risk [--json] -          (read the command from stdin)

Prints how dangerous a shell command is, judged from its bash syntax tree:
pipelines, lists, subshells, substitutions, wrappers such as sudo, env,
xargs or find -exec, and strings run by bash -c, eval, ssh, kubectl exec or
docker exec are all looked into. Several arguments are joined with spaces;
with no argument or "-" the command is read from stdin.

Levels, lowest to highest, with their score band (0-100):
  none      0        nothing risky found
  low       1-24     routine changes: installs, deploys, scripts whose content is not visible
  medium    25-49    changes worth a look: service stops, row deletes, world-writable files
  high      50-79    destructive or exposing: force-push, kubectl delete, printing secrets
  critical  80-100   catastrophic: rm -rf /, curl | sh, DROP DATABASE, terraform destroy
Each further finding raises the score within the level's band.

Categories:
  %s

Flags:
`

// runRisk implements "stepgate risk".
func runRisk(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	return riskMain(args, os.Stdin, stdout, stderr)
}

func riskMain(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("stepgate risk", flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, `print {"level","score","categories","reasons","findings"} as JSON`)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), riskUsage, strings.Join(risk.Categories(), "\n  "))
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	command := strings.Join(fs.Args(), " ")
	if fs.NArg() == 0 || command == "-" {
		b, err := io.ReadAll(io.LimitReader(stdin, 16<<20))
		if err != nil {
			fmt.Fprintf(stderr, "stepgate risk: reading the command from stdin: %v\n", err)
			return 2
		}
		command = strings.TrimRight(string(b), "\n")
	}
	if strings.TrimSpace(command) == "" {
		fmt.Fprintln(stderr, "stepgate risk: no command given")
		fs.Usage()
		return 2
	}
	a := risk.Assess(command)
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(a); err != nil {
			fmt.Fprintf(stderr, "stepgate risk: %v\n", err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stdout, "level: %s\nscore: %d\n", a.Level, a.Score)
	for _, f := range a.Findings {
		fmt.Fprintf(stdout, "- [%s/%s] %s\n", f.Level, f.Category, f.Reason)
	}
	return 0
}
