// Package lifecycle is one stepgate request's life, from the gate's create
// to the result of the command it ran, as functions over typed inputs that
// return outcomes. Its only dependencies are the store (app/store) and the
// GitHub port (app/ghapi); app/server turns HTTP requests and signed
// webhooks into its inputs and its outcomes into answers.
//
// Read it in the order a request lives:
//
//   - lifecycle.go: the Lifecycle and its Config; Identity, what a verified
//     gate token says.
//   - create.go: Create (POST /api/v1/requests). The body is checked, the
//     run's pull request, head commit and environment come from the token
//     and GitHub (context.go), the files the command executes are checked
//     against the run's commit (binding.go), and the request is decided.
//   - decide.go: freeze, the default branch's policy (policyload.go, read
//     like everything else GitHub says through ghReader, reader.go) on
//     exactly the command that will run (gate/decide), velocity for agents
//     (agent.go), remembered commands; a pending request gets its typed
//     requirement (gate.Spec) and whom it asks (CODEOWNERS).
//   - create.go again: store first, then announce. The request is stored
//     before anything names it; a pending one then gets its check run and
//     PR or commit comment (the announcer, announce.go: rendered by
//     app/render, written through one Conversation), whose ids are
//     recorded.
//   - vote.go: Vote, one voteRun per ballot (a click or a comment command,
//     comments.go): where it came from, whether the request still takes
//     votes, whether the voter counts (approver.go asks GitHub, never the
//     payload), then one conditional write records the vote and the
//     decision it makes, with the decision's audit event.
//   - finish.go: a decision wakes the waiting gate (Config.Notify) first,
//     then seals its audit event (trail.go: every step is an event on the
//     repository's hash chain), remembers or learns the command, and
//     updates GitHub.
//   - end.go: Load (a request for its own repository or job only), Expire,
//     Cancel, and Result, the gate's report of the command's exit code;
//     sweeper.go expires requests nobody waits for and seals events a
//     crash left unsealed.
//
// Job-level gates (deployment*.go) live the same life: a
// deployment_protection_rule delivery creates the request, votes decide
// it, and finish answers GitHub. Freeze and status comment commands are in
// freeze.go and comments.go; agent sessions in agentsession.go.
//
// Every final status is written together with its audit event, in one
// conditional write, so no decision exists without its event and
// replicas sharing a store never decide a request twice. Refusals the
// caller may see are *Error values with a Kind.
package lifecycle
