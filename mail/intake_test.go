package mail_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/mail/dovecottest"
	"github.com/emersion/go-imap/v2"
)

// waitSQL waits until the query counts want rows.
func (e *env) waitSQL(q string, want int) {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		n := e.sql(q)
		if n == want {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("%s = %d, want %d\n%s", q, n, want, e.imap.Logs())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestIdleTakesNewMailWithoutWaitingForTheInterval(t *testing.T) {
	t.Parallel()
	e := setup(t)
	mb := e.mb
	mb.PollInterval = time.Hour // only IDLE can bring the message in
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); e.poller().Run(ctx, mb) }()
	defer func() { cancel(); wg.Wait() }()
	// Let the first poll and the IDLE session start, then deliver.
	time.Sleep(500 * time.Millisecond)
	e.deliver(contractMail("idle@example.org", "CM-2026-007401"))
	e.waitSQL("SELECT count(*) FROM mail_messages WHERE state = 'moved'", 1)
	if in, done := e.count("INBOX"), e.count("Processed"); in != 0 || done != 1 {
		t.Errorf("INBOX has %d, Processed %d; want 0 and 1", in, done)
	}
}

func TestSupervisorFollowsTheMailboxList(t *testing.T) {
	t.Parallel()
	e := setup(t)
	var mu sync.Mutex
	var boxes []mail.Mailbox // none at first: the mailbox is added while running
	s := &mail.Supervisor{Poller: e.poller(), Refresh: 50 * time.Millisecond, List: func(context.Context) ([]mail.Mailbox, error) {
		mu.Lock()
		defer mu.Unlock()
		return boxes, nil
	}}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	e.deliver(contractMail("late@example.org", "CM-2026-007402"))
	time.Sleep(200 * time.Millisecond)
	if n := e.sql("SELECT count(*) FROM mail_messages"); n != 0 {
		t.Fatalf("%d messages taken before the mailbox was added", n)
	}
	mb := e.mb
	mb.PollInterval = time.Hour
	mu.Lock()
	boxes = []mail.Mailbox{mb}
	mu.Unlock()
	e.waitSQL("SELECT count(*) FROM mail_messages WHERE state = 'moved'", 1)
	// A change of settings restarts the mailbox's loop, which polls at once.
	e.deliver(contractMail("late2@example.org", "CM-2026-007403"))
	mb.PollInterval = 2 * time.Hour
	mu.Lock()
	boxes = []mail.Mailbox{mb}
	mu.Unlock()
	e.waitSQL("SELECT count(*) FROM mail_messages WHERE state = 'moved'", 2)
}

func TestIMAPServerStoppedDuringPoll(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for i, n := range []string{"CM-2026-007501", "CM-2026-007502", "CM-2026-007503"} {
		e.deliver(contractMail("stop"+string(rune('a'+i))+"@example.org", n))
	}
	p := e.poller()
	stopped := false
	p.AfterCommit = func(mail.Message) error {
		if !stopped {
			stopped = true
			e.imap.Stop() // the server goes away after the first message is stored
		}
		return nil
	}
	res, err := p.Poll(context.Background(), e.mb)
	if err == nil {
		t.Fatalf("the poll with the server stopped succeeded: %+v", res)
	}
	if res.Taken != 1 {
		t.Fatalf("poll = %+v, want the first message taken before the server stopped", res)
	}
	e.imap.Restart()
	res = e.poll(e.poller())
	if res.Taken != 2 || res.Moved != 3 {
		t.Errorf("poll after the restart = %+v, want 2 taken and 3 moved", res)
	}
	if n := e.sql("SELECT count(*) FROM documents WHERE parent_id IS NULL"); n != 3 {
		t.Errorf("%d email documents, want 3", n)
	}
	if in, done := e.count("INBOX"), e.count("Processed"); in != 0 || done != 3 {
		t.Errorf("INBOX has %d, Processed %d; want 0 and 3", in, done)
	}
}

func TestUIDValidityChange(t *testing.T) {
	t.Parallel()
	e := setup(t)
	c := e.client()
	if err := c.Create("Releves", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	mb, err := e.store.CreateMailbox(context.Background(), mail.Mailbox{TenantID: e.tenant, Name: "releves", Host: e.imap.Host,
		Port: e.imap.Port, TLS: mail.NoTLS, Username: e.imap.User, Password: e.imap.Password,
		Folder: "Releves", ProcessedFolder: "Processed", FailedFolder: "Failed", PollInterval: time.Second, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	a := contractMail("a@example.org", "CM-2026-007601")
	e.deliverTo("Releves", a)
	// Stored, but not moved: docflow stops before the move.
	crashing := e.poller()
	crashing.AfterCommit = func(mail.Message) error { return errors.New("killed (injected)") }
	if _, err := crashing.Poll(context.Background(), mb); err == nil {
		t.Fatal("the crashing poll succeeded")
	}
	before := e.uidValidity("Releves")
	// The folder is rebuilt: UIDs start again under a new UIDVALIDITY. A
	// new message B now has UID 1, the place message A had.
	c = e.client()
	if err := c.Delete("Releves").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Releves", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	c.Close()
	e.deliverTo("Releves", contractMail("b@example.org", "CM-2026-007602"))
	e.deliverTo("Releves", a)
	if after := e.uidValidity("Releves"); after == before {
		t.Fatalf("UIDVALIDITY did not change (%d)", after)
	}
	res, err := e.poller().Poll(context.Background(), mb)
	if err != nil {
		t.Fatal(err)
	}
	if res.Taken != 1 || res.Moved != 2 {
		t.Errorf("poll = %+v, want B taken, A known by its Message-ID, both moved", res)
	}
	if n := e.sql("SELECT count(*) FROM documents WHERE parent_id IS NULL"); n != 2 {
		t.Errorf("%d email documents, want 2", n)
	}
	if in := e.count("Releves"); in != 0 {
		t.Errorf("%d messages left in the folder", in)
	}
}

// uidValidity is the folder's UIDVALIDITY.
func (e *env) uidValidity(folder string) uint32 {
	e.t.Helper()
	c := e.client()
	defer c.Close()
	st, err := c.Status(folder, &imap.StatusOptions{UIDValidity: true}).Wait()
	if err != nil {
		e.t.Fatal(err)
	}
	return st.UIDValidity
}

func TestPollOverTLS(t *testing.T) {
	t.Parallel()
	e := setupWith(t, dovecottest.Options{TLS: true})
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(e.imap.CertPEM)
	p := e.poller()
	p.TLSConfig = &tls.Config{RootCAs: roots, ServerName: "127.0.0.1"}
	implicit := e.mb
	implicit.TLS, implicit.Port = mail.TLS, e.imap.TLSPort
	starttls := e.mb
	starttls.TLS = mail.StartTLS
	for i, mb := range []mail.Mailbox{implicit, starttls} {
		e.deliver(contractMail("tls"+string(rune('a'+i))+"@example.org", "CM-2026-00770"+string(rune('1'+i))))
		res, err := p.Poll(context.Background(), mb)
		if err != nil || res.Taken != 1 {
			t.Fatalf("%s: poll = %+v, %v\n%s", mb.TLS, res, err, e.imap.Logs())
		}
	}
	// A certificate the client does not trust is refused.
	untrusting := e.poller()
	untrusting.TLSConfig = &tls.Config{RootCAs: x509.NewCertPool()}
	if _, err := untrusting.Poll(context.Background(), implicit); err == nil {
		t.Error("a poll trusting nothing succeeded")
	}
}
