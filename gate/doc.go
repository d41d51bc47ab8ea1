// Package gate holds what decides whether a command passes: the request and
// decision model shared by the step (gate/action) and the App (app/), the
// binding hash of the exact command, and the wire types of the gate API.
// Risk assessment lives in gate/risk and the policy engine in gate/policy.
//
// Nothing here talks to GitHub, AWS or the network.
package gate
