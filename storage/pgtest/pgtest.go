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
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/docflow/docflow/storage/servertest"
	"github.com/jackc/pgx/v5"
)

// Server is a private PostgreSQL.
type Server struct {
	Port int
	Dir  string
	t    testing.TB
	proc servertest.Process
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	servertest.Unavailable(t, "PostgreSQL's server", err)
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
	tmp := servertest.Dir(t, "docflow-pg-")
	s := &Server{Dir: tmp, t: t}
	var cred *syscall.Credential
	if os.Getuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			unavailable(t, fmt.Errorf("user postgres: %w", err))
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(tmp, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	data := filepath.Join(tmp, "data")
	initdb := exec.Command(filepath.Join(dir, "initdb"), "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		t.Fatalf("initdb: %v\n%s", err, out)
	}
	s.Port = servertest.FreePort(t)
	// SIGINT: a fast shutdown that ends the clients' sessions.
	s.proc = servertest.Process{Name: "postgres", StopSignal: syscall.SIGINT,
		Command: func() *exec.Cmd {
			c := exec.Command(filepath.Join(dir, "postgres"), "-D", data, "-p", strconv.Itoa(s.Port), "-k", tmp,
				"-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "max_connections=200", "-c", "shared_buffers=32MB")
			c.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
			return c
		},
		Ready: func(ctx context.Context) error {
			conn, err := pgx.Connect(ctx, s.URL("postgres"))
			if err != nil {
				return err
			}
			return conn.Close(ctx)
		}}
	s.proc.Start(t)
	return s
}

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
func (s *Server) Logs() string { return s.proc.Logs() }

// Stop shuts the server down (SIGINT, a fast shutdown that ends the
// clients' sessions) and waits for it.
func (s *Server) Stop() { s.proc.Stop() }

// Restart stops the server if it runs and starts it again on the same
// port and data.
func (s *Server) Restart() { s.t.Helper(); s.proc.Restart() }
