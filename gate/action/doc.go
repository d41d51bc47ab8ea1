// Package action is the step side of stepgate: it gates one command inside a
// GitHub Actions job. Both the container action (`stepgate action`, inputs
// from INPUT_*) and host mode (`stepgate run`, the same as flags) end in
// [Gate.Run], which
//
//  1. assesses the command's risk locally (for the log only; the App decides),
//  2. fetches the job's OIDC token (audience = the App's URL),
//  3. asks the App for approval with bounded retries, failing closed,
//  4. long-polls for the decision, printing who is asked and where to click,
//  5. verifies the decision is bound to the exact command, shell and working
//     directory it is about to run (gate.CommandHash), and refuses otherwise,
//  6. runs the command the way GitHub runs `run:` steps (script file + shell
//     template), in its own process group, forwarding signals,
//  7. reports exit code and duration, sets the step outputs and writes the
//     job summary.
//
// Nothing runs unless the App answered allowed or approved for these bytes.
package action
