// Package dovecottest starts a private Dovecot IMAP server for a test: a
// generated configuration in a temporary directory, one user with a
// plaintext password, Maildir storage, listening on 127.0.0.1 on a free
// port, stopped at cleanup.
//
// Without Dovecot the tests skip, unless DOCFLOW_TEST_REQUIRE_DB is set
// (make test and CI set it), in which case they fail.
package dovecottest

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Server is a running Dovecot.
type Server struct {
	Host     string
	Port     int
	User     string
	Password string
	Dir      string
	// TLSPort is the implicit-TLS (IMAPS) port when started with TLS; the
	// plain port then offers STARTTLS.
	TLSPort int
	// CertPEM is the server's self-signed certificate when started with TLS.
	CertPEM []byte
	bin     string
	conf    string
	t       testing.TB
	cmd     *exec.Cmd
	done    chan struct{}
}

// Options changes how Start sets the server up.
type Options struct {
	// TLS gives the server a self-signed certificate for 127.0.0.1, an
	// IMAPS listener and STARTTLS on the plain port.
	TLS bool
}

// Addr is host:port.
func (s *Server) Addr() string { return net.JoinHostPort(s.Host, strconv.Itoa(s.Port)) }

func findDovecot() (string, error) {
	if p, err := exec.LookPath("dovecot"); err == nil {
		return p, nil
	}
	for _, p := range []string{"/usr/sbin/dovecot", "/usr/local/sbin/dovecot"} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("dovecot not found (Debian package dovecot-imapd; scripts/setup.sh installs it)")
}

func unavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("DOCFLOW_TEST_REQUIRE_DB") != "" {
		t.Fatalf("Dovecot is required (DOCFLOW_TEST_REQUIRE_DB is set): %v", err)
	}
	t.Skipf("Dovecot not available, skipping: %v", err)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Start runs a Dovecot for the test, with user "docflow" and password
// "secret".
func Start(t testing.TB) *Server { return StartWith(t, Options{}) }

// StartWith runs a Dovecot for the test with options.
func StartWith(t testing.TB, o Options) *Server {
	t.Helper()
	bin, err := findDovecot()
	if err != nil {
		unavailable(t, err)
	}
	// Not t.TempDir: Dovecot's unprivileged processes must traverse it.
	dir, err := os.MkdirTemp("", "docflow-dovecot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	// As root, Dovecot runs its internal processes and the mail user as
	// the package's unprivileged users; otherwise everything as us.
	internal, login, group := "dovecot", "dovenull", "dovecot"
	uid, gid := os.Getuid(), os.Getgid()
	if uid == 0 {
		u, err := user.Lookup("dovecot")
		if err != nil {
			unavailable(t, fmt.Errorf("user dovecot: %w", err))
		}
		if _, err := user.Lookup("dovenull"); err != nil {
			unavailable(t, fmt.Errorf("user dovenull: %w", err))
		}
		uid, _ = strconv.Atoi(u.Uid)
		gid, _ = strconv.Atoi(u.Gid)
	} else {
		u, err := user.Current()
		if err != nil {
			t.Fatal(err)
		}
		g, err := user.LookupGroupId(u.Gid)
		if err != nil {
			t.Fatal(err)
		}
		internal, login, group = u.Username, u.Username, g.Name
	}
	mailDir := filepath.Join(dir, "mail")
	if err := os.MkdirAll(mailDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(mailDir, uid, gid); err != nil {
		t.Fatal(err)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Host: "127.0.0.1", Port: port, User: "docflow", Password: "secret", Dir: dir, bin: bin, t: t}
	sslConf, imapsPort := "ssl = no", 0
	if o.TLS {
		if imapsPort, err = freePort(); err != nil {
			t.Fatal(err)
		}
		certPEM, keyPEM, err := selfSigned()
		if err != nil {
			t.Fatal(err)
		}
		s.TLSPort, s.CertPEM = imapsPort, certPEM
		if err := os.WriteFile(filepath.Join(dir, "cert.pem"), certPEM, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "key.pem"), keyPEM, 0o644); err != nil {
			t.Fatal(err)
		}
		sslConf = fmt.Sprintf("ssl = yes\nssl_cert = <%[1]s/cert.pem\nssl_key = <%[1]s/key.pem", dir)
	}
	passwd := filepath.Join(dir, "passwd")
	if err := os.WriteFile(passwd, fmt.Appendf(nil, "%s:{PLAIN}%s:%d:%d::%s::\n", s.User, s.Password, uid, gid, filepath.Join(mailDir, s.User)), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "dovecot.conf")
	cfg := fmt.Sprintf(`base_dir = %[1]s/run
state_dir = %[1]s/state
instance_name = docflow-test-%[2]d
log_path = %[1]s/dovecot.log
protocols = imap
listen = 127.0.0.1
%[8]s
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = %[3]s
default_internal_group = %[5]s
default_login_user = %[4]s
first_valid_uid = %[6]d
last_valid_uid = 0
first_valid_gid = %[7]d
mail_location = maildir:~/Maildir
namespace inbox {
  inbox = yes
  separator = /
}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%%u %[1]s/passwd
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = %[2]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[9]d
  }
}
service anvil {
  chroot =
}
`, dir, port, internal, login, group, uid, gid, sslConf, imapsPort)
	if err := os.WriteFile(conf, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	s.conf = conf
	s.launch()
	t.Cleanup(s.Stop)
	return s
}

// launch starts Dovecot and waits until it greets.
func (s *Server) launch() {
	t := s.t
	t.Helper()
	cmd := exec.Command(s.bin, "-F", "-c", s.conf)
	out, err := os.OpenFile(filepath.Join(s.Dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		unavailable(t, fmt.Errorf("starting dovecot: %w", err))
	}
	done := make(chan struct{})
	s.cmd, s.done = cmd, done
	go func() { _ = cmd.Wait(); out.Close(); close(done) }()
	if err := s.waitReady(15 * time.Second); err != nil {
		s.Stop()
		t.Fatalf("dovecot did not start: %v\n%s", err, s.Logs())
	}
}

// Restart starts a stopped server again, on the same port with the same
// mail.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	s.launch()
}

func (s *Server) waitReady(d time.Duration) error {
	deadline := time.Now().Add(d)
	for {
		conn, err := net.DialTimeout("tcp", s.Addr(), time.Second)
		if err == nil {
			conn.SetDeadline(time.Now().Add(2 * time.Second))
			line, rerr := bufio.NewReader(conn).ReadString('\n')
			conn.Close()
			if rerr == nil && strings.HasPrefix(line, "* OK") {
				return nil
			}
			err = fmt.Errorf("greeting %q: %v", line, rerr)
		}
		select {
		case <-s.done:
			return fmt.Errorf("dovecot exited")
		default:
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Logs returns what Dovecot logged.
func (s *Server) Logs() string {
	a, _ := os.ReadFile(filepath.Join(s.Dir, "stdout.log"))
	b, _ := os.ReadFile(filepath.Join(s.Dir, "dovecot.log"))
	return string(a) + string(b)
}

// Stop stops the server (and its child processes) and waits for it.
func (s *Server) Stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	select {
	case <-s.done:
		return
	default:
	}
	_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
	}
}

// selfSigned makes a certificate and key for 127.0.0.1 and localhost.
func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "docflow test IMAP"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
		IsCA:         true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}
