// Package policy decides what a gated command needs: it parses
// .github/stepgate.yml, matches a request's plain facts (command,
// environment, branch, actor, risk, time) against its rules, and checks
// votes against the resulting requirement.
//
// The package is pure: it never talks to GitHub, a store or the network.
// The App turns GitHub state into [Approver] values (permission, active team
// memberships, CODEOWNERS ownership) and asks [Check] whether they suffice.
//
// Matching: rules are tried in order and the first whose conditions all hold
// wins; with no match the default requirement applies (one approval from
// someone with write who is not the run's actor). Command globs are matched
// against [NormalizeCommand]'s output: '*' matches any run of characters,
// spaces and '/' included, but never a shell control operator (; & | < > ( )
// newline, backquote, "$("), so "kubectl get *" cannot allow
// "kubectl get pods; rm -rf /"; '**' matches anything.
//
// Counting: an approver counts at most once per requirement leaf, but one
// approval may satisfy several leaves of an all_of (as in palantir's
// policy-bot): a DBA who also owns db/migrations/ satisfies both
// "team acme/dba" and "codeowners: db/migrations/". Ask for distinct people
// with count. One rejection from anyone eligible for any leaf rejects.
package policy
