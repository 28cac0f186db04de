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
	"bytes"
	"context"
	"database/sql"
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

	_ "github.com/go-sql-driver/mysql" // the driver of the DSN
)

// Server is a private MariaDB.
type Server struct {
	Port int
	Dir  string
	t    testing.TB
	bin  string
	uid  int
	gid  int
	cmd  *exec.Cmd
	done chan struct{}
	logs bytes.Buffer
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("DOCFLOW_TEST_REQUIRE_DB") != "" {
		t.Fatalf("MariaDB's server is required (DOCFLOW_TEST_REQUIRE_DB is set): %v", err)
	}
	t.Skipf("MariaDB's server not available, skipping: %v", err)
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
	// Not t.TempDir: the mysql user must traverse it.
	dir, err := os.MkdirTemp("", "docflow-mariadb-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Server{Dir: dir, t: t, bin: bin, uid: os.Getuid(), gid: os.Getgid()}
	if s.uid == 0 {
		u, err := user.Lookup("mysql")
		if err != nil {
			unavailable(t, fmt.Errorf("user mysql: %w", err))
		}
		s.uid, _ = strconv.Atoi(u.Uid)
		s.gid, _ = strconv.Atoi(u.Gid)
	}
	// The server writes its socket and pid file beside the data.
	if err := os.Chown(dir, s.uid, s.gid); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(data, s.uid, s.gid); err != nil {
		t.Fatal(err)
	}
	args := []string{"--no-defaults", "--datadir=" + data, "--auth-root-authentication-method=normal", "--skip-test-db"}
	if os.Getuid() == 0 {
		args = append(args, "--user=mysql")
	}
	if out, err := exec.Command(install, args...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", install, err, out)
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
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		s.t.Fatalf("create database: %v", err)
	}
	return s.DSN(name)
}

func (s *Server) start() {
	s.t.Helper()
	args := []string{"--no-defaults", "--datadir=" + filepath.Join(s.Dir, "data"),
		"--bind-address=127.0.0.1", "--port=" + strconv.Itoa(s.Port),
		"--socket=" + filepath.Join(s.Dir, "mysqld.sock"), "--pid-file=" + filepath.Join(s.Dir, "mysqld.pid"),
		"--skip-name-resolve", "--skip-log-bin", "--innodb-buffer-pool-size=16M"}
	if os.Getuid() == 0 {
		args = append(args, "--user=mysql")
	}
	s.logs.Reset()
	s.cmd = exec.Command(s.bin, args...)
	s.cmd.Stdout, s.cmd.Stderr = &s.logs, &s.logs
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		s.t.Fatalf("start %s: %v", s.bin, err)
	}
	s.done = make(chan struct{})
	go func(c *exec.Cmd, done chan struct{}) { _ = c.Wait(); close(done) }(s.cmd, s.done)
	db, err := sql.Open("mysql", s.DSN(""))
	if err != nil {
		s.t.Fatal(err)
	}
	defer db.Close()
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		err := db.PingContext(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-s.done:
			s.t.Fatalf("mariadbd exited at start:\n%s", s.logs.String())
		default:
		}
		if time.Now().After(deadline) {
			s.Stop()
			s.t.Fatalf("mariadbd did not answer: %v\n%s", err, s.logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Stop shuts the server down (SIGTERM, a clean shutdown) and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(30 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

// Restart starts the stopped server again on the same port and data.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.start()
}
