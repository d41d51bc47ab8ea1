package benchrig

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/stepgate/stepgate/internal/testutil"
)

// Dynalite is a dynalite child process (the DynamoDB-compatible server the
// tests use), started from node_modules/.bin/dynalite.
type Dynalite struct {
	bin  string
	Addr string
	Path string // on-disk mode directory ("" = in memory)
	cmd  *exec.Cmd
	done chan struct{}
	Log  io.Writer
}

// FindDynalite looks for node_modules/.bin/dynalite in the working
// directory and its parents.
func FindDynalite() (string, error) {
	return testutil.FindUp(filepath.Join("node_modules", ".bin", "dynalite"))
}

// StartDynalite starts dynalite on a free loopback port; path (optional)
// selects its on-disk (LevelDB) mode so a restart keeps the data.
func StartDynalite(path string, log io.Writer) (*Dynalite, error) {
	bin, err := FindDynalite()
	if err != nil {
		return nil, err
	}
	addr, err := FreeAddr()
	if err != nil {
		return nil, err
	}
	d := &Dynalite{bin: bin, Addr: addr, Path: path, Log: log}
	return d, d.Start()
}

// Endpoint is the http URL for the AWS SDK.
func (d *Dynalite) Endpoint() string { return "http://" + d.Addr }

// Start (re)starts dynalite on its address.
func (d *Dynalite) Start() error {
	_, port, _ := net.SplitHostPort(d.Addr)
	args := []string{"--host", "127.0.0.1", "--port", port}
	if d.Path != "" {
		args = append(args, "--path", d.Path)
	}
	d.cmd = exec.Command(d.bin, args...)
	d.cmd.Stdout, d.cmd.Stderr = d.Log, d.Log
	// Its own process group: node may start helpers, and Stop ends them all.
	d.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := d.cmd.Start(); err != nil {
		return fmt.Errorf("starting dynalite: %w", err)
	}
	d.done = make(chan struct{})
	go func() { _ = d.cmd.Wait(); close(d.done) }()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", d.Addr, 100*time.Millisecond); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-d.done:
			return errors.New("dynalite exited at start")
		case <-time.After(50 * time.Millisecond):
		}
	}
	d.Stop()
	return errors.New("dynalite did not listen in time")
}

// Stop ends dynalite's process group and waits.
func (d *Dynalite) Stop() {
	if d.cmd == nil || d.cmd.Process == nil {
		return
	}
	_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-d.cmd.Process.Pid, syscall.SIGKILL)
		<-d.done
	}
}
