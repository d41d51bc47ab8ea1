package hook

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
)

// Agent names a coding agent whose hook protocol stepgate speaks.
type Agent string

// Agents stepgate hook speaks to (the --agent values).
const (
	Claude  Agent = "claude"  // Claude Code, PreToolUse command hook
	Codex   Agent = "codex"   // OpenAI Codex CLI, PreToolUse command hook
	Copilot Agent = "copilot" // GitHub Copilot CLI and cloud agent, preToolUse hook
	Gemini  Agent = "gemini"  // Gemini CLI, BeforeTool hook
)

// Agents lists every supported agent, in --help order.
var Agents = []Agent{Claude, Codex, Copilot, Gemini}

// ParseAgent reads an --agent value ("" is "detect from the event").
func ParseAgent(s string) (Agent, error) {
	if s == "" {
		return "", nil
	}
	for _, a := range Agents {
		if strings.EqualFold(s, string(a)) {
			return a, nil
		}
	}
	return "", fmt.Errorf("unknown agent %q: want one of claude, codex, copilot, gemini", s)
}

// MaxEvent is the largest event stepgate hook reads. Real events are a few
// KiB (a command and its description); a larger one is refused, not read.
const MaxEvent = 1 << 20

// Event is one tool call, in the agent-neutral form the gate needs.
type Event struct {
	Agent Agent
	// Tool is the tool's name as the agent sent it (Bash, bash,
	// run_shell_command, apply_patch, mcp__…).
	Tool string
	// Shell is set for tools that run a shell command; Command and Cwd are
	// then exactly what the agent will run and where.
	Shell   bool
	Command string
	Cwd     string
	// ShellName is the shell the agent runs Command with (bash, or pwsh for
	// Copilot's powershell tool).
	ShellName string
	// Session and ToolCallID identify the agent session and the tool call.
	// Agents that send no tool call id (Copilot, Gemini) get one derived
	// from the event's bytes, prefixed "sha256:".
	Session    string
	ToolCallID string
	// Writes are the files a file-writing (non-shell) tool call names.
	Writes []string
}

var errNoCommand = errors.New("the shell tool call has no command string")

// rawEvent is the union of the four agents' documented fields.
type rawEvent struct {
	// Claude Code, Codex, Gemini, and Copilot's VS Code-compatible format.
	HookEventName  *string          `json:"hook_event_name"`
	SessionID      *string          `json:"session_id"`
	TranscriptPath *json.RawMessage `json:"transcript_path"`
	Cwd            *string          `json:"cwd"`
	ToolName       *string          `json:"tool_name"`
	ToolInput      json.RawMessage  `json:"tool_input"`
	ToolUseID      *string          `json:"tool_use_id"`
	TurnID         *string          `json:"turn_id"` // Codex only
	Model          *string          `json:"model"`   // Codex only
	Timestamp      json.RawMessage  `json:"timestamp"`

	// Copilot's camelCase format.
	CamelSession  *string         `json:"sessionId"`
	CamelToolName *string         `json:"toolName"`
	CamelToolArgs json.RawMessage `json:"toolArgs"`
}

// Detect names the agent whose documented format data is in, or "" when it
// is none of them.
func Detect(data []byte) Agent {
	var ev rawEvent
	if json.Unmarshal(data, &ev) != nil {
		return ""
	}
	return detect(&ev)
}

func detect(ev *rawEvent) Agent {
	switch {
	case ev.CamelToolName != nil:
		return Copilot
	case ev.HookEventName == nil:
		return ""
	case *ev.HookEventName == "BeforeTool":
		return Gemini
	case *ev.HookEventName != "PreToolUse":
		return ""
	case ev.TurnID != nil || ev.Model != nil:
		return Codex // Codex adds turn_id and model to Claude's fields
	case ev.ToolUseID == nil && len(ev.Timestamp) > 0:
		// Copilot's VS Code-compatible PreToolUse: Claude's names, but
		// a timestamp and no tool_use_id.
		return Copilot
	}
	return Claude // tool_use_id, or an older Claude Code that sent none
}

// Parse reads one event. With agent "" the format is detected; otherwise the
// event must be in that agent's format. Any event Parse cannot read fully
// is an error: the hook denies it.
func Parse(data []byte, agent Agent) (Event, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return Event{}, errors.New("no event on stdin")
	}
	var ev rawEvent
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&ev); err != nil {
		return Event{}, fmt.Errorf("the event on stdin is not JSON: %v", err)
	}
	if dec.More() {
		return Event{}, errors.New("more than one JSON value on stdin")
	}
	found := detect(&ev)
	if agent == "" {
		if found == "" {
			return Event{}, errors.New("the event is in no known agent's hook format (claude, codex, copilot, gemini)")
		}
		agent = found
	}
	out := Event{Agent: agent}
	var err error
	switch agent {
	case Claude, Codex:
		err = out.fromPreToolUse(&ev, string(agent))
	case Copilot:
		err = out.fromCopilot(&ev, data)
	case Gemini:
		err = out.fromGemini(&ev, data)
	default:
		err = fmt.Errorf("unknown agent %q", agent)
	}
	if err != nil {
		return out, err
	}
	if found != agent && found != "" {
		// The flag names the protocol, the event looks like another's:
		// answering in the wrong protocol could fail open.
		return out, fmt.Errorf("--agent %s, but the event is in %s's format", agent, found)
	}
	return out, nil
}

// fromPreToolUse reads Claude Code's PreToolUse event (Codex sends the same
// fields plus turn_id and model).
func (e *Event) fromPreToolUse(ev *rawEvent, who string) error {
	if ev.HookEventName == nil || *ev.HookEventName != "PreToolUse" {
		return fmt.Errorf("not a %s PreToolUse event (hook_event_name %s)", who, quoted(ev.HookEventName))
	}
	if ev.ToolName == nil || *ev.ToolName == "" {
		return errors.New("the event has no tool_name")
	}
	e.Tool = *ev.ToolName
	e.Session, e.ToolCallID = deref(ev.SessionID), deref(ev.ToolUseID)
	e.Cwd = deref(ev.Cwd)
	switch e.Tool {
	case "Bash":
		e.ShellName = "bash"
	case "PowerShell": // Claude Code's Windows shell tool
		e.ShellName = "pwsh"
	default:
		return e.other(ev.ToolInput)
	}
	e.Shell = true
	return e.readCommand(ev.ToolInput, "tool_input")
}

// fromCopilot reads Copilot's preToolUse event: camelCase (toolArgs a JSON
// string, or an object) or the VS Code-compatible PreToolUse.
func (e *Event) fromCopilot(ev *rawEvent, data []byte) error {
	args := ev.CamelToolArgs
	switch {
	case ev.CamelToolName != nil:
		e.Tool, e.Session = *ev.CamelToolName, deref(ev.CamelSession)
	case ev.HookEventName != nil && *ev.HookEventName == "PreToolUse" && ev.ToolName != nil:
		e.Tool, e.Session, args = *ev.ToolName, deref(ev.SessionID), ev.ToolInput
	default:
		return errors.New("not a Copilot preToolUse event (no toolName)")
	}
	e.Cwd = deref(ev.Cwd)
	e.ToolCallID = derivedID(data)
	switch e.Tool {
	case "bash", "Bash":
		e.ShellName = "bash"
	case "powershell":
		e.ShellName = "pwsh"
	default:
		return e.other(args)
	}
	e.Shell = true
	// toolArgs is documented as a JSON string holding the arguments;
	// newer payloads carry the object itself.
	var s string
	if json.Unmarshal(args, &s) == nil {
		args = json.RawMessage(s)
	}
	return e.readCommand(args, "toolArgs")
}

// fromGemini reads Gemini CLI's BeforeTool event; run_shell_command may
// name a directory relative to cwd (dir_path; older releases: directory).
func (e *Event) fromGemini(ev *rawEvent, data []byte) error {
	if ev.HookEventName == nil || *ev.HookEventName != "BeforeTool" {
		return fmt.Errorf("not a Gemini BeforeTool event (hook_event_name %s)", quoted(ev.HookEventName))
	}
	if ev.ToolName == nil || *ev.ToolName == "" {
		return errors.New("the event has no tool_name")
	}
	e.Tool, e.Session, e.Cwd = *ev.ToolName, deref(ev.SessionID), deref(ev.Cwd)
	e.ToolCallID = derivedID(data)
	if e.Tool != "run_shell_command" {
		return e.other(ev.ToolInput)
	}
	e.Shell, e.ShellName = true, "bash"
	if err := e.readCommand(ev.ToolInput, "tool_input"); err != nil {
		return err
	}
	var in struct {
		DirPath   *string `json:"dir_path"`
		Directory *string `json:"directory"`
	}
	_ = json.Unmarshal(ev.ToolInput, &in)
	dir := in.DirPath
	if dir == nil {
		dir = in.Directory
	}
	if dir != nil && *dir != "" {
		if filepath.IsAbs(*dir) || e.Cwd == "" {
			e.Cwd = *dir
		} else {
			e.Cwd = filepath.Join(e.Cwd, *dir)
		}
	}
	return nil
}

// stdinTools send text to a shell session the agent started earlier
// (Copilot's write_bash, Codex's write_stdin): the text is what the shell
// runs, so it is gated like a command.
var stdinTools = map[string]string{"write_bash": "input", "write_powershell": "input", "write_stdin": "chars"}

// inertShellTools read, list or stop a shell session without running
// anything new.
var inertShellTools = map[string]bool{
	"BashOutput": true, "KillShell": true, "KillBash": true,
	"read_bash": true, "stop_bash": true, "list_bash": true,
	"read_powershell": true, "stop_powershell": true, "list_powershell": true,
}

// shellLike names tools that may run commands: one of them stepgate does
// not know the format of is denied rather than passed through.
var shellLike = regexp.MustCompile(`(?i)bash|shell|pwsh|terminal|exec|stdin|command|run_cmd`)

// other handles a tool that is not the agent's documented shell tool.
func (e *Event) other(args json.RawMessage) error {
	if field, ok := stdinTools[e.Tool]; ok {
		var s string
		if json.Unmarshal(args, &s) == nil {
			args = json.RawMessage(s)
		}
		var in map[string]any
		var text string
		if json.Unmarshal(args, &in) == nil {
			text, _ = in[field].(string)
		}
		if strings.TrimSpace(text) == "" {
			return fmt.Errorf("the %s call has no %s string", e.Tool, field)
		}
		if e.Cwd == "" {
			return errors.New("the event names no working directory (cwd)")
		}
		e.Shell, e.ShellName, e.Command = true, "bash", text
		return nil
	}
	if !inertShellTools[e.Tool] && shellLike.MatchString(e.Tool) {
		return fmt.Errorf("the tool %q looks like it runs commands, and stepgate does not know its format", e.Tool)
	}
	e.setWrites(args)
	return nil
}

func (e *Event) setWrites(args json.RawMessage) {
	if writeTools[e.Tool] {
		e.Writes = writtenPaths(args)
	}
}

// readCommand takes the command string out of a shell tool's arguments.
func (e *Event) readCommand(args json.RawMessage, field string) error {
	var in struct {
		Command *string `json:"command"`
	}
	if len(args) == 0 || json.Unmarshal(args, &in) != nil {
		return fmt.Errorf("%s of the %s call is not an object with a command", field, e.Tool)
	}
	if in.Command == nil || strings.TrimSpace(*in.Command) == "" {
		return errNoCommand
	}
	if e.Cwd == "" {
		return errors.New("the event names no working directory (cwd)")
	}
	e.Command = *in.Command
	return nil
}

// derivedID names a tool call of an agent that sends no id: the hash of
// the event itself (it carries a timestamp, so two calls differ).
func derivedID(data []byte) string {
	sum := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(sum[:12])
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func quoted(s *string) string {
	if s == nil {
		return "missing"
	}
	return fmt.Sprintf("%q", *s)
}
