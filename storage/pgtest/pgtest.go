// Package pgtest starts a private PostgreSQL server for a test that must
// stop and restart its database (the shared server of storage/dbtest is
// used by every other test and by CI, and must never be restarted): a
// cluster made by initdb in a temporary directory, trust authentication,
// listening on 127.0.0.1 on a free port, run as the postgres user when
// the test runs as root, stopped at cleanup.
//
// Without PostgreSQL's server binaries the tests skip, unless
// DOCFLOW_TEST_REQUIRE_DB is set (make test and CI set it), in which case
// they fail.
package pgtest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Server is a private PostgreSQL.
type Server struct {
	Port int
	Dir  string
	t    testing.TB
	bin  string
	cred *syscall.Credential
	cmd  *exec.Cmd
	done chan struct{}
	logs bytes.Buffer
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("DOCFLOW_TEST_REQUIRE_DB") != "" {
		t.Fatalf("PostgreSQL's server is required (DOCFLOW_TEST_REQUIRE_DB is set): %v", err)
	}
	t.Skipf("PostgreSQL's server not available, skipping: %v", err)
}

// binDir finds the server binaries of PostgreSQL 15 (or the newest found).
func binDir() (string, error) {
	for _, v := range []string{"15", "16", "17"} {
		dir := filepath.Join("/usr/lib/postgresql", v, "bin")
		if _, err := os.Stat(filepath.Join(dir, "postgres")); err == nil {
			return dir, nil
		}
	}
	return "", fmt.Errorf("no /usr/lib/postgresql/*/bin/postgres (Debian package postgresql-15)")
}

// Start makes a cluster and starts the server; it is stopped and removed
// at cleanup. The postgres user needs no password over TCP from 127.0.0.1.
func Start(t testing.TB) *Server {
	t.Helper()
	dir, err := binDir()
	if err != nil {
		unavailable(t, err)
	}
	// Not t.TempDir: the postgres user must traverse it.
	tmp, err := os.MkdirTemp("", "docflow-pg-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(tmp) })
	s := &Server{Dir: tmp, t: t, bin: filepath.Join(dir, "postgres")}
	if os.Getuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			unavailable(t, fmt.Errorf("user postgres: %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		s.cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(tmp, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		t.Fatal(err)
	}
	initdb := exec.Command(filepath.Join(dir, "initdb"), "-D", s.data(), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Port = l.Addr().(*net.TCPAddr).Port
	l.Close()
	s.start()
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) data() string { return filepath.Join(s.Dir, "data") }

// URL is the URL of database name as the postgres user.
func (s *Server) URL(name string) string {
	return fmt.Sprintf("postgres://postgres@127.0.0.1:%d/%s?sslmode=disable", s.Port, name)
}

// CreateDatabase creates an empty database and returns its URL.
func (s *Server) CreateDatabase(name string) string {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		s.t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		s.t.Fatalf("create database: %v", err)
	}
	return s.URL(name)
}

// Logs returns what the server printed since its last start.
func (s *Server) Logs() string { return s.logs.String() }

func (s *Server) start() {
	s.t.Helper()
	s.logs.Reset()
	s.cmd = exec.Command(s.bin, "-D", s.data(), "-p", strconv.Itoa(s.Port), "-k", s.Dir,
		"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200", "-c", "shared_buffers=32MB")
	s.cmd.Stdout, s.cmd.Stderr = &s.logs, &s.logs
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred, Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", s.bin, err)
	}
	s.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(s.cmd, s.done)
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := pgx.Connect(ctx, s.URL("postgres"))
		if err == nil {
			conn.Close(ctx)
			cancel()
			return
		}
		cancel()
		select {
		case <-s.done:
			s.t.Fatalf("postgres exited at start:\n%s", s.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("postgres did not answer: %v\n%s", err, s.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop shuts the server down (SIGINT, a fast shutdown that ends the
// clients' sessions) and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGINT)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Restart stops the server if it runs and starts it again on the same
// port and data.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}
