// Package proctest runs the real docflow command as processes in tests,
// as the operations tests of cmd/docflow and the chaos suite (chaos/) do:
// the binary built once per test binary, processes started with their own
// settings, their output kept where the test may read it while they run,
// a wait until they answer over HTTP, and a stop by signal.
//
// What to do with a process at the end of a test (a kill, a graceful stop
// of them all, its logs printed on failure) is the caller's: Start
// registers no cleanup.
package proctest

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/docflow/docflow/storage/servertest"
)

// Package is the import path of the command that Binary builds.
const Package = "github.com/docflow/docflow/cmd/docflow"

var build struct {
	once sync.Once
	bin  string
	err  error
}

// Binary returns the path of the docflow command, built (go build of
// Package into a temporary folder) at the first call in the test binary
// and the same for every later call; it fails t when the build fails.
func Binary(t testing.TB) string {
	t.Helper()
	build.once.Do(func() {
		dir, err := os.MkdirTemp("", "docflow-bin-")
		if err != nil {
			build.err = err
			return
		}
		build.bin = filepath.Join(dir, "docflow")
		if out, err := exec.Command("go", "build", "-o", build.bin, Package).CombinedOutput(); err != nil {
			build.err = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if build.err != nil {
		t.Fatal(build.err)
	}
	return build.bin
}

// Environ returns the environment of the test process followed by
// settings (name to value) and then extra (KEY=value): where a name
// repeats, extra wins over settings and settings over the test process.
func Environ(settings map[string]string, extra ...string) []string {
	env := os.Environ()
	names := make([]string, 0, len(settings))
	for k := range settings {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		env = append(env, k+"="+settings[k])
	}
	return append(env, extra...)
}

// Run runs the docflow command (Binary) with args in the environment env
// to its end and returns what it printed on standard output; it fails t
// when the command fails, with all it printed.
func Run(t testing.TB, env []string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("docflow %v: %v\n%s%s", args, err, out.String(), errb.String())
	}
	return out.Bytes()
}

// Addr returns an address 127.0.0.1:port whose port is free at the time
// of the call, for a process to listen on.
func Addr(t testing.TB) string {
	t.Helper()
	return "127.0.0.1:" + strconv.Itoa(servertest.FreePort(t))
}

// Proc is a docflow process started by Start.
type Proc struct {
	// Name names the process in the test's logs and failures.
	Name string

	cmd  *exec.Cmd
	done chan struct{} // closed once the process has ended
	err  error         // how it ended, set before done is closed
	logs logBuffer
}

// Start starts the docflow command (Binary) with args in the environment
// env (the whole of it, as Environ returns), its standard output and error
// both kept for Logs. The process is killed should the test binary die
// (SIGKILL as parent-death signal); Start fails t when it cannot start.
func Start(t testing.TB, name string, env []string, args ...string) *Proc {
	t.Helper()
	cmd := exec.Command(Binary(t), args...)
	cmd.Env = env
	p := &Proc{Name: name, cmd: cmd, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.logs, &p.logs
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start docflow %v: %v", args, err)
	}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	return p
}

// Pid returns the process id.
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Logs returns all the process has printed so far, on standard output and
// error, in the order written; it may be called while the process runs.
func (p *Proc) Logs() string { return p.logs.String() }

// Exited reports whether the process has ended.
func (p *Proc) Exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// Wait waits up to limit for the process to end and reports whether it
// has.
func (p *Proc) Wait(limit time.Duration) bool {
	select {
	case <-p.done:
		return true
	case <-time.After(limit):
		return false
	}
}

// Err waits for the process to end and returns how it ended, as
// exec.Cmd.Wait: nil after a clean exit, an *exec.ExitError otherwise.
func (p *Proc) Err() error {
	<-p.done
	return p.err
}

// Signal sends sig to the process; a process already ended is left be.
func (p *Proc) Signal(sig os.Signal) { _ = p.cmd.Process.Signal(sig) }

// Kill kills the process (SIGKILL) and waits for its end.
func (p *Proc) Kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// Stop sends sig and waits up to limit for the process to end; it reports
// whether the process ended within limit, and one that did not is killed
// (SIGKILL) and waited for.
func (p *Proc) Stop(sig os.Signal, limit time.Duration) bool {
	p.Signal(sig)
	if p.Wait(limit) {
		return true
	}
	p.Kill()
	return false
}

// WaitHTTP waits until a GET of url answers 200 OK, every 100 ms for up to
// limit; it returns an error saying why when the process ends first or
// limit passes.
func (p *Proc) WaitHTTP(url string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for {
		res, err := http.Get(url)
		if err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("GET %s: %s", url, res.Status)
		}
		if p.Exited() {
			return fmt.Errorf("%s exited before %s answered: %v (last: %v)", p.Name, url, p.err, err)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s did not answer within %s: %v", url, limit, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logBuffer is a process's output, written by its stdout and stderr and
// read by the test while it runs.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
