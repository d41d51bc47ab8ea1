package gate

import "time"

// MaxAgentSessionCommands bounds the commands an AgentSession lists (the
// newest are kept); counts go on regardless.
const MaxAgentSessionCommands = 50

// AgentSession is the overview of one AI agent session (stepgate hook) in
// one run attempt: the commands that needed a person, with their status,
// and how many passed or were refused without one. The App keeps it in one
// store item and shows it as one check run per session.
type AgentSession struct {
	Key     string `json:"key"` // repo#run#attempt#agent#session
	Repo    string `json:"repo"`
	Agent   string `json:"agent"`
	Session string `json:"session"`
	HeadSHA string `json:"head_sha"`

	CheckRunID  int64  `json:"check_run_id,omitempty"`
	CheckRunURL string `json:"check_run_url,omitempty"`

	Allowed  int64                 `json:"allowed"` // passed at once (policy or remembered)
	Refused  int64                 `json:"refused"` // rejected at once (policy, freeze, rate cap)
	Commands []AgentSessionCommand `json:"commands,omitempty"`

	UpdatedAt time.Time `json:"updated_at"`
}

// AgentSessionCommand is one command of the session that needed a person.
type AgentSessionCommand struct {
	RequestID   string    `json:"request_id"`
	Command     string    `json:"command"` // redacted, as stored on the request
	Status      Status    `json:"status"`
	Rule        string    `json:"rule,omitempty"`
	Risk        string    `json:"risk,omitempty"`
	By          []string  `json:"by,omitempty"`
	CheckRunURL string    `json:"check_run_url,omitempty"`
	At          time.Time `json:"at"`
}

// Pending counts the listed commands still waiting.
func (a *AgentSession) Pending() int {
	n := 0
	for _, c := range a.Commands {
		if c.Status == StatusPending {
			n++
		}
	}
	return n
}

// Upsert records c, replacing the entry of the same request, keeping at
// most MaxAgentSessionCommands (the oldest decided ones go first).
func (a *AgentSession) Upsert(c AgentSessionCommand) {
	for i := range a.Commands {
		if a.Commands[i].RequestID == c.RequestID {
			a.Commands[i] = c
			return
		}
	}
	a.Commands = append(a.Commands, c)
	for len(a.Commands) > MaxAgentSessionCommands {
		drop := 0
		for i, x := range a.Commands {
			if x.Status.Final() {
				drop = i
				break
			}
		}
		a.Commands = append(a.Commands[:drop], a.Commands[drop+1:]...)
	}
}
