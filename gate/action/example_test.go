package action_test

import (
	"fmt"
	"io"

	"github.com/stepgate/stepgate/gate/action"
)

// The container action reads its inputs through githubactions' GetInput
// (INPUT_<NAME>); any func(string) string works, so tests need no process
// environment.
func ExampleConfigFromInputs() {
	inputs := map[string]string{
		"run":       "./scripts/migrate.sh --env prod",
		"server":    "https://stepgate.example.com/",
		"timeout":   "45m",
		"approvers": "team:acme/dba, user:alice",
	}
	cfg, err := action.ConfigFromInputs(func(name string) string { return inputs[name] })
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.ServerURL(), cfg.Shell, cfg.Timeout, cfg.Approvers)
	// Output: https://stepgate.example.com bash 45m0s [team:acme/dba user:alice]
}

// Host mode quotes everything after -- for the shell, so the gate runs (and
// reviewers see) exactly the argv that was given.
func ExampleParseFlags() {
	env := map[string]string{"STEPGATE_SERVER": "https://stepgate.example.com"}
	cfg, err := action.ParseFlags([]string{"--environment", "production", "--", "kubectl", "apply", "-f", "prod deploy.yaml"},
		func(k string) string { return env[k] }, io.Discard, io.Discard)
	if err != nil {
		panic(err)
	}
	fmt.Println(cfg.Command)
	fmt.Println(cfg.Server, cfg.Environment)
	// Output:
	// kubectl apply -f 'prod deploy.yaml'
	// https://stepgate.example.com production
}
