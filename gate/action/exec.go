package action

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// execSpec is one approved command, ready to run.
type execSpec struct {
	command string
	shell   string
	dir     string   // resolved working directory
	tempDir string   // where the script file goes (RUNNER_TEMP)
	env     []string // the child's environment
	stdin   io.Reader
	stdout  io.Writer
	stderr  io.Writer
	grace   time.Duration // between SIGTERM and SIGKILL
	signals <-chan os.Signal
	started func() // called right after the child started (benchmarks)
}

// execResult is how the command ended.
type execResult struct {
	exitCode int
	duration time.Duration
	signaled bool // ended because the gate forwarded a signal or was cancelled
}

// runScript writes the command to a script file and runs it under the
// shell's template in its own process group, like GitHub's `run:` steps.
// When ctx ends, the group gets SIGTERM and, after the grace period,
// SIGKILL; signals arriving on spec.signals are forwarded as they are.
func runScript(ctx context.Context, spec execSpec) (execResult, error) {
	sh, err := shellTemplate(spec.shell)
	if err != nil {
		return execResult{}, err
	}
	script, err := writeScript(spec.tempDir, sh, spec.command)
	if err != nil {
		return execResult{}, err
	}
	defer os.Remove(script)
	argv, err := sh.argv(script)
	if err != nil {
		return execResult{}, err
	}
	path, err := exec.LookPath(argv[0])
	if err != nil {
		return execResult{}, fmt.Errorf("shell %q not found in PATH: %w", argv[0], err)
	}
	cmd := &exec.Cmd{Path: path, Args: argv, Dir: spec.dir, Env: spec.env,
		Stdin: spec.stdin, Stdout: spec.stdout, Stderr: spec.stderr}
	// A background job that keeps stdout open must not hold the step forever.
	cmd.WaitDelay = 5 * time.Second
	setProcessGroup(cmd)
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return execResult{}, fmt.Errorf("starting %s: %w", argv[0], err)
	}
	if spec.started != nil {
		spec.started()
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	res := execResult{}
	waitErr := superviseChild(ctx, cmd.Process.Pid, done, spec, &res)
	res.duration = time.Since(start)
	res.exitCode = exitCode(cmd.ProcessState, waitErr)
	return res, nil
}

// superviseChild waits for the child, forwarding signals to its group.
func superviseChild(ctx context.Context, pid int, done <-chan error, spec execSpec, res *execResult) error {
	ctxDone := ctx.Done()
	var kill <-chan time.Time
	for {
		select {
		case err := <-done:
			return err
		case sig := <-spec.signals:
			if s, ok := sig.(syscall.Signal); ok {
				res.signaled = true
				_ = signalGroup(pid, s)
			}
		case <-ctxDone:
			ctxDone = nil
			res.signaled = true
			_ = signalGroup(pid, syscall.SIGTERM)
			t := time.NewTimer(spec.grace)
			defer t.Stop()
			kill = t.C
		case <-kill:
			kill = nil
			_ = signalGroup(pid, syscall.SIGKILL)
		}
	}
}

// exitCode mirrors a shell: the status, or 128+signal for a killed child.
func exitCode(ps *os.ProcessState, err error) int {
	if ps == nil {
		if err != nil {
			return 1
		}
		return 0
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	var ee *exec.ExitError
	if errors.As(err, &ee) || ps.ExitCode() >= 0 {
		return ps.ExitCode()
	}
	return 1
}

func writeScript(dir string, sh shellSpec, command string) (string, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	f, err := os.CreateTemp(dir, "stepgate-*"+sh.Ext)
	if err != nil {
		return "", fmt.Errorf("writing the script file: %w", err)
	}
	content := sh.Prelude + command + sh.Suffix
	if _, err := f.WriteString(content); err != nil {
		f.Close()
		os.Remove(f.Name())
		return "", fmt.Errorf("writing the script file: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("writing the script file: %w", err)
	}
	// Custom templates may exec the file directly, as GitHub allows.
	if err := os.Chmod(f.Name(), 0o700); err != nil {
		return "", fmt.Errorf("writing the script file: %w", err)
	}
	return f.Name(), nil
}

// resolveDir places a relative working directory under the workspace, as
// GitHub does for `working-directory:`.
func resolveDir(workspace, wd string) (string, error) {
	if workspace == "" {
		var err error
		if workspace, err = os.Getwd(); err != nil {
			return "", err
		}
	}
	dir := workspace
	if wd != "" {
		dir = wd
		if !filepath.IsAbs(wd) {
			dir = filepath.Join(workspace, wd)
		}
	}
	st, err := os.Stat(dir)
	if err != nil {
		return "", fmt.Errorf("working directory: %w", err)
	}
	if !st.IsDir() {
		return "", fmt.Errorf("working directory %s is not a directory", dir)
	}
	return dir, nil
}
