package mail_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"context"

	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/pipeline"
)

// selfSigned returns a TLS config with a fresh certificate for 127.0.0.1.
func selfSigned(t *testing.T) *tls.Config {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "docflow test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
}

func startSMTP(t *testing.T, e *env, maxBytes int64) string {
	t.Helper()
	srv := mail.NewSMTPServer(e.store, e.svc, mail.SMTPConfig{Domain: "in.docflow.test", MaxBytes: maxBytes, TLS: selfSigned(t)})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// send delivers raw to rcpt over SMTP with STARTTLS, as an MTA would.
func send(addr, rcpt string, raw []byte) error {
	c, err := smtp.Dial(addr)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := c.Hello("mta.example.org"); err != nil {
		return err
	}
	if ok, _ := c.Extension("STARTTLS"); !ok {
		return errors.New("no STARTTLS offered")
	}
	if err := c.StartTLS(&tls.Config{InsecureSkipVerify: true}); err != nil {
		return err
	}
	if err := c.Mail("agence@example.org"); err != nil {
		return err
	}
	if err := c.Rcpt(rcpt); err != nil {
		return err
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

func code(err error) int {
	var pe *textproto.Error
	if errors.As(err, &pe) {
		return pe.Code
	}
	return 0
}

func TestSMTPTakesMailOnce(t *testing.T) {
	e := setup(t)
	addr := startSMTP(t, e, 1<<20)
	in, err := e.store.CreateInboundAddress(context.Background(), e.tenant)
	if err != nil || len(in.Token) != 20 {
		t.Fatalf("address %+v, %v", in, err)
	}
	raw := contractMail("smtp-1@agence.example", "CM-2026-030303")
	to := strings.ToUpper(in.Token) + "@in.docflow.test"
	if err := send(addr, to, raw); err != nil {
		t.Fatalf("send: %v", err)
	}
	// The MTA did not hear the 250 and sends again: one document.
	if err := send(addr, to, raw); err != nil {
		t.Fatalf("send again: %v", err)
	}
	d := e.waitEmail()
	if d.Type != pipeline.TypeEmail || len(d.Children) != 1 || d.UploadedBy != "smtp:"+in.Token {
		t.Errorf("email document = %+v", d)
	}
	if n := e.sql("SELECT count(*) FROM documents WHERE parent_id IS NULL"); n != 1 {
		t.Errorf("%d email documents, want 1", n)
	}
	if err := send(addr, "nobody0000000000000@in.docflow.test", raw); code(err) != 550 {
		t.Errorf("unknown address: %v, want 550", err)
	}
	if err := send(addr, in.Token+"@elsewhere.test", raw); code(err) != 550 {
		t.Errorf("other domain: %v, want 550", err)
	}
}

func TestSMTPRefusesLargeMail(t *testing.T) {
	e := setup(t)
	addr := startSMTP(t, e, 64<<10)
	in, _ := e.store.CreateInboundAddress(context.Background(), e.tenant)
	big := contractMail("big@agence.example", "CM-2026-040404")
	big = append(big, []byte(strings.Repeat(strings.Repeat("x", 76)+"\r\n", 1000))...)
	if err := send(addr, in.Token+"@in.docflow.test", big); code(err) != 552 {
		t.Errorf("large message: %v, want 552", err)
	}
	if n := e.sql("SELECT count(*) FROM documents"); n != 0 {
		t.Errorf("%d documents from a refused message", n)
	}
}
