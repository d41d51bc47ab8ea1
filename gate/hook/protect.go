package hook

import (
	"encoding/json"
	"path/filepath"
	"regexp"
	"strings"
)

// A non-shell tool passes through, with one exception: a file write into
// the place an agent reads its hook settings from. An agent that can edit
// them can switch the hook off (for the rest of its session or the next
// one), so such writes are denied here, whatever the policy says. Shell
// commands that touch these files are gated like any other command.

// writeTools are the agents' file-writing tools, by the name in the event.
var writeTools = map[string]bool{
	// Claude Code
	"Write": true, "Edit": true, "MultiEdit": true, "NotebookEdit": true,
	// Codex (apply_patch), Copilot (create, edit, str_replace_editor,
	// apply_patch; Edit/Write in its Claude-compatible format)
	"apply_patch": true, "create": true, "edit": true, "str_replace_editor": true,
	// Gemini CLI
	"write_file": true, "replace": true,
}

// settingsDirs hold agents' settings and hooks: .claude (settings*.json,
// hooks, plugins), .codex (config.toml, hooks.json), .gemini
// (settings.json), .copilot (hooks, settings), and the repository's
// .github/hooks (Copilot) and .github/copilot.
var settingsDirs = map[string]bool{".claude": true, ".codex": true, ".gemini": true, ".copilot": true}

// protectedPath reports whether writing p could change an agent's hooks.
func protectedPath(p string) bool {
	segs := strings.Split(filepath.ToSlash(filepath.Clean(p)), "/")
	for i, s := range segs {
		if settingsDirs[s] {
			return true
		}
		if s == ".github" && i+1 < len(segs) && (segs[i+1] == "hooks" || segs[i+1] == "copilot") {
			return true
		}
	}
	// Claude Code's managed settings (system-wide).
	return strings.Contains(filepath.ToSlash(p), "claude-code/managed-settings")
}

var patchFile = regexp.MustCompile(`(?m)^\*\*\* (?:Add File|Update File|Delete File|Move to): (.+)$`)

// writtenPaths lists the files a write tool's arguments name: file_path,
// path, notebook_path, and the files of an apply_patch patch.
func writtenPaths(args json.RawMessage) []string {
	var s string
	if json.Unmarshal(args, &s) == nil { // Copilot: a JSON string
		args = json.RawMessage(s)
	}
	var in struct {
		FilePath     string `json:"file_path"`
		Path         string `json:"path"`
		NotebookPath string `json:"notebook_path"`
		AbsolutePath string `json:"absolute_path"`
		Command      string `json:"command"` // Codex apply_patch: the patch
		Input        string `json:"input"`
		Patch        string `json:"patch"`
	}
	_ = json.Unmarshal(args, &in)
	var out []string
	for _, p := range []string{in.FilePath, in.Path, in.NotebookPath, in.AbsolutePath} {
		if p != "" {
			out = append(out, p)
		}
	}
	for _, patch := range []string{in.Command, in.Input, in.Patch} {
		for _, m := range patchFile.FindAllStringSubmatch(patch, -1) {
			out = append(out, strings.TrimSpace(m[1]))
		}
	}
	return out
}
