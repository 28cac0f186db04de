// Package mariadbtest starts a private MariaDB server for a test that must
// stop and restart its database (the shared server of storage/dbtest is
// used by every other test): a data directory made by mariadb-install-db
// in a temporary directory, listening on 127.0.0.1 on a free port, run as
// the mysql user when the test runs as root, stopped at cleanup.
//
// Without MariaDB's server binaries the tests skip, unless
// DOCFLOW_TEST_REQUIRE_DB is set (make test and CI set it), in which case
// they fail.
package mariadbtest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/docflow/docflow/storage/servertest"
	_ "github.com/go-sql-driver/mysql" // the driver of the DSN
)

// Server is a private MariaDB.
type Server struct {
	Port int
	Dir  string
	t    testing.TB
	proc servertest.Process
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	servertest.Unavailable(t, "MariaDB's server", err)
}

func find(names ...string) (string, error) {
	for _, n := range names {
		if p, err := exec.LookPath(n); err == nil {
			return p, nil
		}
		for _, dir := range []string{"/usr/sbin", "/usr/bin"} {
			if p := filepath.Join(dir, n); fileExists(p) {
				return p, nil
			}
		}
	}
	return "", fmt.Errorf("none of %v found (Debian package mariadb-server)", names)
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

// Start makes a data directory and starts the server; it is stopped and
// removed at cleanup. The root user has no password and reaches the server
// over TCP from 127.0.0.1.
func Start(t testing.TB) *Server {
	t.Helper()
	bin, err := find("mariadbd", "mysqld")
	if err != nil {
		unavailable(t, err)
	}
	install, err := find("mariadb-install-db", "mysql_install_db")
	if err != nil {
		unavailable(t, err)
	}
	dir := servertest.Dir(t, "docflow-mariadb-")
	s := &Server{Dir: dir, t: t}
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		u, err := user.Lookup("mysql")
		if err != nil {
			unavailable(t, fmt.Errorf("user mysql: %w", err))
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	}
	// The server writes its socket and pid file beside the data.
	if err := os.Chown(dir, uid, gid); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, uid, gid); err != nil {
		t.Fatal(err)
	}
	args := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}
	if os.Getuid() == 0 {
		args = append(args, "--user=mysql")
	}
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", install, err, out)
	}
	s.Port = servertest.FreePort(t)
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	s.proc = servertest.Process{Name: "mariadbd", Ready: db.PingContext, Command: func() *exec.Cmd {
		args := []string{"--no-defaults", "--datadir=" + data,
			"--bind-address=127.0.0.1", "--port=" + strconv.Itoa(s.Port),
			"--socket=" + filepath.Join(dir, "mysqld.sock"), "--pid-file=" + filepath.Join(dir, "mysqld.pid"),
			"--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=16M"}
		if os.Getuid() == 0 {
			args = append(args, "--user=mysql")
		}
		return exec.Command(bin, args...)
	}}
	s.proc.Start(t)
	return s
}

// DSN is the go-sql-driver DSN of database name as root.
func (s *Server) DSN(name string) string {
	return fmt.Sprintf("root@tcp(127.0.0.1:%d)/%s?parseTime=true&timeout=2s", s.Port, name)
}

// CreateDatabase creates an empty database and returns its DSN.
func (s *Server) CreateDatabase(name string) string {
	s.t.Helper()
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), "CREATE DATABASE "+name); err != nil {
		s.t.Fatalf("create database: %v", err)
	}
	return s.DSN(name)
}

// Stop shuts the server down (SIGTERM, a clean shutdown) and waits for it.
func (s *Server) Stop() { s.proc.Stop() }

// Restart starts the stopped server again on the same port and data.
func (s *Server) Restart() { s.t.Helper(); s.proc.Restart() }
