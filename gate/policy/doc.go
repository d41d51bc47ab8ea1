// Package policy decides what a gated command needs: it parses
// .github/stepgate.yml, matches a request's plain facts (command,
// environment, branch, actor, risk, time) against its rules, and checks
// votes against the resulting requirement.
//
// The package is pure: it never talks to GitHub, a store or the network.
// The App turns GitHub state into [Approver] values (permission, active team
// memberships, CODEOWNERS ownership) and asks [Check] whether they suffice.
//
// Matching: a matching deny rule wins wherever it stands; otherwise rules
// are tried in order and the first whose conditions all hold wins (an allow
// rule only up to its max_risk); with no match the default requirement
// applies (one approval from someone with write who is not the run's
// actor). Command patterns are matched on the command's syntax tree as
// gate/shellcmd reads it — every simple command, wrappers peeled, strings
// run as code parsed again, names and options canonical — word by word: a
// deny rule when any command matches (a word decided at run time may be
// anything), an allow rule only when every command matches and nothing it
// needs is decided at run time, a require rule when any command matches.
// See pattern.go and match.go. [CanonicalCommand] is the one canonical text
// of a command, for remembered keys and display.
//
// Counting: an approver counts at most once per requirement leaf, but one
// approval may satisfy several leaves of an all_of (as in palantir's
// policy-bot): a DBA who also owns db/migrations/ satisfies both
// "team acme/dba" and "codeowners: db/migrations/". Ask for distinct people
// with count. One rejection from anyone eligible for any leaf rejects.
// [PendingFromVotes] says what a requirement still needs from the leaves
// the recorded approvals counted toward, without asking GitHub again (the
// App shows it on the check run and to the waiting gate).
package policy
