package policy

import "gopkg.in/yaml.v3"

// AgentDefaults are the policy's limits for AI coding agents gated by
// `stepgate hook` (`defaults.agent`).
type AgentDefaults struct {
	// MaxCommandsPerMinute caps how many shell commands one agent session
	// may ask for in any 60-second window; a command over the cap is
	// rejected with a reason (0: no cap). Every command asked counts,
	// allowed or not: a runaway agent is slowed down, not just one that
	// succeeds.
	MaxCommandsPerMinute int
}

// maxAgentRate bounds max_commands_per_minute: the App keeps one timestamp
// per counted command in a single store item.
const maxAgentRate = 600

var agentFields = []string{"max_commands_per_minute"}

// agent parses `defaults.agent: { max_commands_per_minute: N }`.
func (d *decoder) agent(n *yaml.Node, path string) *AgentDefaults {
	f := d.mapping(n, path, agentFields...)
	if f == nil {
		return nil
	}
	a := &AgentDefaults{}
	if v := f["max_commands_per_minute"].val; v != nil {
		p := path + ".max_commands_per_minute"
		if m, ok := d.integer(v, p); ok && (m < 1 || m > maxAgentRate) {
			d.errorf(v, p, "must be from 1 to %d, got %d", maxAgentRate, m)
		} else if ok {
			a.MaxCommandsPerMinute = m
		}
	}
	return a
}
