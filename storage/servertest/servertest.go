// Package servertest runs a private server process for a test, as the
// private MariaDB (storage/mariadbtest) and PostgreSQL (storage/pgtest)
// that tests stop and restart: a free port, a temporary folder another
// user may enter, a start that waits until the server answers, a stop by
// signal, a restart on the same data.
package servertest

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// Unavailable skips the test for want of the server (what names it), or
// fails it when DOCFLOW_TEST_REQUIRE_DB is set (make test and CI set it).
func Unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("DOCFLOW_TEST_REQUIRE_DB") != "" {
		t.Fatalf("%s is required (DOCFLOW_TEST_REQUIRE_DB is set): %v", what, err)
	}
	t.Skipf("%s not available, skipping: %v", what, err)
}

// FreePort returns a TCP port of 127.0.0.1 free at the time of the call.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Dir makes a temporary folder that the server's own user may traverse
// (t.TempDir's may not be), removed at cleanup.
func Dir(t testing.TB, prefix string) string {
	t.Helper()
	dir, err := os.MkdirTemp("", prefix)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Process is a server process that can be stopped and started again.
type Process struct {
	// Name names the server in failures.
	Name string
	// Command makes the server's command, anew at each start; its
	// SysProcAttr (say, the user to run as) is kept.
	Command func() *exec.Cmd
	// Ready reports whether the server answers.
	Ready func(ctx context.Context) error
	// StopSignal asks the server to shut down (SIGTERM when nil).
	StopSignal os.Signal

	t    testing.TB
	cmd  *exec.Cmd
	done chan struct{}
	logs bytes.Buffer
}

// Start starts the server and waits (up to a minute) until it answers; it
// is stopped at the test's cleanup.
func (p *Process) Start(t testing.TB) {
	t.Helper()
	p.t = t
	p.start()
	t.Cleanup(p.Stop)
}

func (p *Process) start() {
	p.t.Helper()
	p.logs.Reset()
	p.cmd = p.Command()
	p.cmd.Stdout, p.cmd.Stderr = &p.logs, &p.logs
	if p.cmd.SysProcAttr == nil {
		p.cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	p.cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := p.cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.Name, err)
	}
	p.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(p.cmd, p.done)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := p.Ready(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-p.done:
			p.t.Fatalf("%s exited at start:\n%s", p.Name, p.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			p.Stop()
			p.t.Fatalf("%s did not answer: %v\n%s", p.Name, err, p.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop shuts the server down with StopSignal and waits for it (killing it
// after 30 s).
func (p *Process) Stop() {
	if p.cmd == nil {
		return
	}
	sig := p.StopSignal
	if sig == nil {
		sig = syscall.SIGTERM
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
	p.cmd = nil
}

// Restart stops the server if it runs and starts it again on the same data.
func (p *Process) Restart() {
	p.t.Helper()
	p.Stop()
	p.start()
}

// Logs returns what the server printed since its last start.
func (p *Process) Logs() string { return p.logs.String() }
