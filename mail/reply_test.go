package mail_test

import (
	"bytes"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/emersion/go-smtp"
)

// relay is an SMTP server that keeps what it is sent: the relay docflow
// sends its answers through.
type relay struct {
	mu   sync.Mutex
	msgs []relayed
}

type relayed struct {
	from, to string
	data     []byte
}

func (r *relay) NewSession(*smtp.Conn) (smtp.Session, error) { return &relaySession{r: r}, nil }

type relaySession struct {
	r        *relay
	from, to string
}

func (s *relaySession) Mail(from string, _ *smtp.MailOptions) error { s.from = from; return nil }
func (s *relaySession) Rcpt(to string, _ *smtp.RcptOptions) error   { s.to = to; return nil }
func (s *relaySession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	s.r.mu.Lock()
	s.r.msgs = append(s.r.msgs, relayed{s.from, s.to, b})
	s.r.mu.Unlock()
	return err
}
func (s *relaySession) Reset()        {}
func (s *relaySession) Logout() error { return nil }

func (r *relay) sent() []relayed {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]relayed(nil), r.msgs...)
}

func startRelay(t *testing.T) (*relay, string) {
	t.Helper()
	r := &relay{}
	srv := smtp.NewServer(r)
	srv.Domain, srv.AllowInsecureAuth = "relay.test", true
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return r, ln.Addr().String()
}

func withFrom(raw []byte, from string) []byte {
	return bytes.Replace(raw, []byte("From: agence@example.org"), []byte("From: "+from), 1)
}

func TestReplyToMailWithNothingUsable(t *testing.T) {
	t.Parallel()
	e := setup(t)
	r, addr := startRelay(t)
	e.setMail(pipeline.MailSettings{ReplyWhenUnusable: true})
	// An attachment that is no document, one from a robot, and a good one.
	junk := withFrom(testdocs.Email("junk@example.org", "photo.exe", []byte("MZ\x90\x00 not a document")), "Paie Client <paie@client.example>")
	robot := withFrom(testdocs.Email("robot@example.org", "photo.exe", []byte("MZ\x90\x00 not a document")), "MAILER-DAEMON@client.example")
	e.deliver(junk)
	e.deliver(robot)
	e.deliver(contractMail("good@example.org", "CM-2026-007901"))
	p := e.poller()
	p.Replier = &mail.Replier{Relay: addr, From: "docflow@agence.example"}
	deadline := time.Now().Add(30 * time.Second)
	for e.sql("SELECT count(*) FROM mail_messages WHERE reply_state IS NOT NULL") < 3 {
		if time.Now().After(deadline) {
			t.Fatalf("answers not decided: %d of 3", e.sql("SELECT count(*) FROM mail_messages WHERE reply_state IS NOT NULL"))
		}
		e.poll(p)
		time.Sleep(100 * time.Millisecond)
	}
	sent := r.sent()
	if len(sent) != 1 {
		t.Fatalf("%d answers sent, want 1: %+v", len(sent), sent)
	}
	msg := string(sent[0].data)
	if sent[0].to != "paie@client.example" || !strings.Contains(msg, "In-Reply-To: <junk@example.org>") ||
		!strings.Contains(msg, "photo.exe: refusé / refused (unsupported_media_type)") || !strings.Contains(msg, "Auto-Submitted: auto-replied") {
		t.Errorf("answer to %s:\n%s", sent[0].to, msg)
	}
	for state, want := range map[string]int{"sent": 1, "skipped": 1, "not_needed": 1} {
		if n := e.sql("SELECT count(*) FROM mail_messages WHERE reply_state = '" + state + "'"); n != want {
			t.Errorf("%d messages %s, want %d", n, state, want)
		}
	}
	// Later polls never answer again.
	e.poll(p)
	if n := len(r.sent()); n != 1 {
		t.Errorf("%d answers after another poll, want 1", n)
	}
}
