package server

import (
	"regexp"
	"strings"
)

// Comment command verbs.
const (
	verbApprove  = "approve"
	verbReject   = "reject"
	verbFreeze   = "freeze"
	verbUnfreeze = "unfreeze"
	verbStatus   = "status"
)

// Command is a `/stepgate …` comment command.
type Command struct {
	Verb     string // approve, reject, freeze, unfreeze, status
	ID       string // request id, "" when the comment names none
	Remember bool   // "approve … remember"
	Reason   string // reject or freeze reason
}

var requestIDRE = regexp.MustCompile(`^sg_[a-z2-7]{1,64}$`)

// maxReason bounds a reason taken from a comment.
const maxReason = 500

// ParseCommand finds the first line of a comment that is a stepgate
// command: it must start with "/stepgate" (after leading spaces), so quoted
// replies ("> /stepgate approve") and prose never count. Lines inside
// fenced code blocks are skipped.
func ParseCommand(body string) (Command, bool) {
	inFence := false
	for line := range strings.Lines(body) {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") || strings.HasPrefix(t, "~~~") {
			inFence = !inFence
			continue
		}
		if inFence {
			continue
		}
		if c, ok := parseLine(t); ok {
			return c, true
		}
	}
	return Command{}, false
}

func parseLine(t string) (Command, bool) {
	rest, ok := strings.CutPrefix(t, "/stepgate")
	if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t') {
		return Command{}, false
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return Command{}, false
	}
	c := Command{Verb: strings.ToLower(f[0])}
	args := f[1:]
	if c.Verb == verbApprove || c.Verb == verbReject || c.Verb == verbStatus {
		if len(args) > 0 && requestIDRE.MatchString(strings.ToLower(args[0])) {
			c.ID, args = strings.ToLower(args[0]), args[1:]
		}
	}
	switch c.Verb {
	case verbApprove:
		for _, a := range args {
			if strings.EqualFold(a, "remember") {
				c.Remember = true
			}
		}
	case verbReject, verbFreeze:
		c.Reason = truncate(strings.Join(args, " "), maxReason)
	case verbUnfreeze, verbStatus:
	default:
		return Command{}, false
	}
	return c, true
}
