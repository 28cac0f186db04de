package mail_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/mail/dovecottest"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
)

// failingFiles refuses to store bytes containing "FAIL-ME": an intake
// failure before the commit.
type failingFiles struct{ pipeline.Files }

func (f failingFiles) Put(ctx context.Context, tenantID string, data []byte) (string, error) {
	if bytes.Contains(data, []byte("FAIL-ME")) {
		return "", errors.New("disk full (injected)")
	}
	return f.Files.Put(ctx, tenantID, data)
}

type env struct {
	t      *testing.T
	pool   *pgxpool.Pool
	store  *postgres.Store
	svc    *pipeline.Service
	imap   *dovecottest.Server
	mb     mail.Mailbox
	tenant string
}

func setup(t *testing.T) *env { t.Helper(); return setupWith(t, dovecottest.Options{}) }

func setupWith(t *testing.T, o dovecottest.Options) *env {
	t.Helper()
	imapServer := dovecottest.StartWith(t, o)
	st := stacktest.New(t, stacktest.Options{Files: func(f pipeline.Files) pipeline.Files { return failingFiles{f} }})
	tn, err := st.Store.CreateTenant(context.Background(), "Agence Mail")
	if err != nil {
		t.Fatal(err)
	}
	mb, err := st.Store.CreateMailbox(context.Background(), mail.Mailbox{TenantID: tn.ID, Name: "rh", Host: imapServer.Host,
		Port: imapServer.Port, TLS: mail.NoTLS, Username: imapServer.User, Password: imapServer.Password,
		Folder: "INBOX", ProcessedFolder: "Processed", FailedFolder: "Failed", PollInterval: time.Second, Enabled: true})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, pool: st.Pool, store: st.Store, svc: st.Service, imap: imapServer, mb: mb, tenant: tn.ID}
}

func (e *env) poller() *mail.Poller { return &mail.Poller{Store: e.store, Service: e.svc} }

func (e *env) client() *imapclient.Client {
	e.t.Helper()
	c, err := imapclient.DialInsecure(e.imap.Addr(), nil)
	if err != nil {
		e.t.Fatal(err)
	}
	if err := c.Login(e.imap.User, e.imap.Password).Wait(); err != nil {
		e.t.Fatal(err)
	}
	return c
}

// deliver appends a message to INBOX over IMAP.
func (e *env) deliver(raw []byte) { e.t.Helper(); e.deliverTo("INBOX", raw) }

// deliverTo appends a message to folder over IMAP.
func (e *env) deliverTo(folder string, raw []byte) {
	e.t.Helper()
	c := e.client()
	defer c.Close()
	cmd := c.Append(folder, int64(len(raw)), nil)
	if _, err := cmd.Write(raw); err != nil {
		e.t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		e.t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		e.t.Fatal(err)
	}
}

// count is the number of messages in an IMAP folder (0 when it does not exist).
func (e *env) count(folder string) int {
	e.t.Helper()
	c := e.client()
	defer c.Close()
	st, err := c.Status(folder, &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil {
		return 0
	}
	return int(*st.NumMessages)
}

func (e *env) sql(q string) int {
	e.t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), q).Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

func (e *env) poll(p *mail.Poller) mail.Result {
	e.t.Helper()
	res, err := p.Poll(context.Background(), e.mb)
	if err != nil {
		e.t.Fatalf("poll: %v\n%s", err, e.imap.Logs())
	}
	return res
}

func contractMail(id, number string) []byte {
	return testdocs.Email(id, "contrat.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract(number))))
}

// waitEmail waits until the tenant's only email document is split and
// returns it.
func (e *env) waitEmail() pipeline.Document {
	e.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		docs, err := e.store.Documents(context.Background(), e.tenant, pipeline.DocumentFilter{})
		if err != nil {
			e.t.Fatal(err)
		}
		for _, d := range docs {
			if d.ParentID == "" && d.Status != pipeline.StatusReceived && d.Status != pipeline.StatusProcessing {
				return d
			}
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("the email was not processed: %+v", docs)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestPollTakesMessageOnceAndMovesIt(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.deliver(contractMail("c1@example.org", "CM-2026-007001"))
	p := e.poller()
	if res := e.poll(p); res.Taken != 1 || res.Moved != 1 {
		t.Fatalf("first poll = %+v, want one message taken and moved", res)
	}
	if in, done := e.count("INBOX"), e.count("Processed"); in != 0 || done != 1 {
		t.Fatalf("INBOX has %d, Processed %d; want 0 and 1", in, done)
	}
	email := e.waitEmail()
	if email.Status != pipeline.StatusCommitted || email.Type != pipeline.TypeEmail || len(email.Children) != 1 {
		t.Fatalf("email = %s %s with %d children, want a committed email with one child", email.Status, email.Type, len(email.Children))
	}
	if !strings.HasPrefix(email.UploadedBy, "mailbox:") || email.FileName != "Contrat de mission.eml" {
		t.Errorf("email uploaded by %q as %q", email.UploadedBy, email.FileName)
	}
	child, err := e.store.Document(context.Background(), e.tenant, email.Children[0])
	if err != nil || child.FileName != "contrat.pdf" {
		t.Fatalf("child = %+v, %v", child, err)
	}
	if res := e.poll(p); res != (mail.Result{}) {
		t.Errorf("second poll = %+v, want nothing to do", res)
	}
	if n := e.sql("SELECT count(*) FROM documents WHERE parent_id IS NULL"); n != 1 {
		t.Errorf("%d email documents, want 1", n)
	}
	if n := e.sql("SELECT count(*) FROM mail_messages WHERE state = 'moved'"); n != 1 {
		t.Errorf("%d messages recorded as moved, want 1", n)
	}
}

func TestConcurrentPollsTakeOneDocument(t *testing.T) {
	t.Parallel()
	e := setup(t)
	for i := range 3 {
		e.deliver(contractMail(fmt.Sprintf("c%d@example.org", i), fmt.Sprintf("CM-2026-00710%d", i)))
	}
	var wg sync.WaitGroup
	results := make([]mail.Result, 4)
	errs := make([]error, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = e.poller().Poll(context.Background(), e.mb)
		}()
	}
	wg.Wait()
	taken := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("poll %d: %v", i, err)
		}
		taken += results[i].Taken
	}
	// Pollers that ran anyway (the lock is per poll, not per mailbox
	// forever): take the messages through the store concurrently too.
	var wg2 sync.WaitGroup
	created := make([]bool, 8)
	for i := range created {
		wg2.Add(1)
		go func() {
			defer wg2.Done()
			m := mail.Message{TenantID: e.tenant, MailboxID: e.mb.ID, UIDValidity: 9, UID: 9, MessageID: "dup@example.org", SHA256: "ab"}
			d := pipeline.Document{ID: uuid.NewString(), TenantID: e.tenant, FileName: "dup.eml", Size: 1, SHA256: "ab",
				Status: pipeline.StatusReceived, Stage: pipeline.StageIntake, ReceivedAt: time.Now()}
			_, created[i], errs[i%4] = e.store.IntakeMessage(context.Background(), m, d)
		}()
	}
	wg2.Wait()
	if n := len(slices.DeleteFunc(created, func(c bool) bool { return !c })); n != 1 {
		t.Errorf("%d concurrent intakes of one message created it, want 1 (%v)", n, errs)
	}
	if n := e.sql("SELECT count(*) FROM documents WHERE file_name = 'dup.eml'"); n != 1 {
		t.Errorf("%d documents for the message taken concurrently, want 1", n)
	}
	if taken != 3 {
		t.Errorf("the polls took %d messages in all (%+v), want 3", taken, results)
	}
	// A last poll finishes any move a racing poller left.
	e.poll(e.poller())
	if n := e.sql("SELECT count(*) FROM documents WHERE parent_id IS NULL AND file_name <> 'dup.eml'"); n != 3 {
		t.Errorf("%d email documents, want 3", n)
	}
	if n := e.sql("SELECT count(*) FROM river_job WHERE kind = 'process_document' AND args->>'document_id' IN (SELECT id::text FROM documents WHERE parent_id IS NULL AND file_name <> 'dup.eml')"); n != 3 {
		t.Errorf("%d process jobs for the emails, want 3", n)
	}
	if in, done := e.count("INBOX"), e.count("Processed"); in != 0 || done != 3 {
		t.Errorf("INBOX has %d, Processed %d; want 0 and 3", in, done)
	}
}

func TestRestartBetweenCommitAndMove(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.deliver(contractMail("restart@example.org", "CM-2026-007201"))
	crashing := e.poller()
	crashing.AfterCommit = func(mail.Message) error { return errors.New("killed (injected)") }
	if _, err := crashing.Poll(context.Background(), e.mb); err == nil {
		t.Fatal("the crashing poll succeeded")
	}
	if in := e.count("INBOX"); in != 1 {
		t.Fatalf("INBOX has %d after the crash, want the message still there", in)
	}
	if n := e.sql("SELECT count(*) FROM mail_messages WHERE state = 'stored'"); n != 1 {
		t.Fatalf("%d stored messages after the crash, want 1", n)
	}
	res := e.poll(e.poller()) // the restarted docflow
	if res.Taken != 0 || res.Moved != 1 {
		t.Errorf("poll after the restart = %+v, want nothing taken, one moved", res)
	}
	if in, done := e.count("INBOX"), e.count("Processed"); in != 0 || done != 1 {
		t.Errorf("INBOX has %d, Processed %d; want 0 and 1", in, done)
	}
	if n := e.sql("SELECT count(*) FROM documents WHERE parent_id IS NULL"); n != 1 {
		t.Errorf("%d email documents, want 1", n)
	}
	e.waitEmail()
}

func TestFailingMessageIsRetriedThenParked(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.deliver([]byte("From: a@example.org\r\nTo: rh@example.com\r\nSubject: FAIL-ME\r\nMessage-ID: <fail@example.org>\r\n\r\nFAIL-ME\r\n"))
	e.deliver(contractMail("ok@example.org", "CM-2026-007301"))
	p := e.poller()
	for i := 1; i < e.mb.MaxAttempts; i++ {
		res := e.poll(p)
		if res.Failed != 1 || res.Parked != 0 {
			t.Fatalf("poll %d = %+v, want one failure, nothing parked", i, res)
		}
		if in := e.count("INBOX"); in != 1 {
			t.Fatalf("after poll %d INBOX has %d, want the failing message left in place", i, in)
		}
	}
	if res := e.poll(p); res.Failed != 1 || res.Parked != 1 {
		t.Fatalf("last poll = %+v, want the message parked", res)
	}
	if in, failed, done := e.count("INBOX"), e.count("Failed"), e.count("Processed"); in != 0 || failed != 1 || done != 1 {
		t.Errorf("INBOX %d, Failed %d, Processed %d; want 0, 1, 1", in, failed, done)
	}
	fs, err := e.store.MailFailures(context.Background(), e.tenant, e.mb.ID)
	if err != nil || len(fs) != 1 {
		t.Fatalf("failures = %+v, %v", fs, err)
	}
	f := fs[0]
	if f.Attempts != e.mb.MaxAttempts || f.ParkedAt == nil || !strings.Contains(f.Reason, "disk full") || f.MessageID != "fail@example.org" {
		t.Errorf("failure = %+v, want %d attempts, parked, with the reason", f, e.mb.MaxAttempts)
	}
	if n := e.sql("SELECT count(*) FROM documents WHERE parent_id IS NULL"); n != 1 {
		t.Errorf("%d email documents, want 1 (the good one)", n)
	}
	if res := e.poll(p); res != (mail.Result{}) {
		t.Errorf("poll after parking = %+v, want nothing", res)
	}
}

// refusingFailures is a store that refuses to record failures: all of
// them, or those that carry what the sender wrote (a subject, a
// Message-ID).
type refusingFailures struct {
	mail.Store
	all bool
}

func (s refusingFailures) RecordFailure(ctx context.Context, m mail.Message, reason string) (int, error) {
	if s.all || m.Subject != "" || m.MessageID != "" {
		return 0, errors.New("ERROR: invalid byte sequence for encoding \"UTF8\" (injected)")
	}
	return s.Store.RecordFailure(ctx, m, reason)
}

// TestUnrecordableFailureDoesNotStopThePoll: when the store refuses to
// record a failed intake, the poll still goes on to the next message. A
// record refused for its details is made without them, so the message is
// still retried then parked; one refused outright leaves the message in
// place, untaken, for the next polls.
func TestUnrecordableFailureDoesNotStopThePoll(t *testing.T) {
	t.Parallel()
	failing := []byte("From: a@example.org\r\nTo: rh@example.com\r\nSubject: FAIL-ME\r\nMessage-ID: <fail@example.org>\r\n\r\nFAIL-ME\r\n")
	t.Run("details refused", func(t *testing.T) {
		t.Parallel()
		e := setup(t)
		e.deliver(failing)
		e.deliver(contractMail("ok@example.org", "CM-2026-007401"))
		p := e.poller()
		p.Store = refusingFailures{Store: e.store}
		if res := e.poll(p); res.Taken != 1 || res.Failed != 1 || res.Moved != 1 {
			t.Fatalf("first poll = %+v, want the good message taken and moved, one failure", res)
		}
		for i := 2; i < e.mb.MaxAttempts; i++ {
			if res := e.poll(p); res.Failed != 1 || res.Parked != 0 {
				t.Fatalf("poll %d = %+v, want one failure, nothing parked", i, res)
			}
		}
		if res := e.poll(p); res.Failed != 1 || res.Parked != 1 {
			t.Fatalf("last poll = %+v, want the message parked", res)
		}
		if in, failed, done := e.count("INBOX"), e.count("Failed"), e.count("Processed"); in != 0 || failed != 1 || done != 1 {
			t.Errorf("INBOX %d, Failed %d, Processed %d; want 0, 1, 1", in, failed, done)
		}
		fs, err := e.store.MailFailures(context.Background(), e.tenant, e.mb.ID)
		if err != nil || len(fs) != 1 || fs[0].Attempts != e.mb.MaxAttempts || fs[0].ParkedAt == nil {
			t.Fatalf("failures = %+v, %v; want one, with every attempt counted, parked", fs, err)
		}
	})
	t.Run("all refused", func(t *testing.T) {
		t.Parallel()
		e := setup(t)
		e.deliver(failing)
		e.deliver(contractMail("ok@example.org", "CM-2026-007402"))
		p := e.poller()
		p.Store = refusingFailures{Store: e.store, all: true}
		for i := 1; i <= 3; i++ {
			res := e.poll(p)
			if want := (mail.Result{Taken: 1, Moved: 1, Failed: 1}); i == 1 && res != want {
				t.Fatalf("poll %d = %+v, want %+v", i, res, want)
			}
			if want := (mail.Result{Failed: 1}); i > 1 && res != want {
				t.Fatalf("poll %d = %+v, want %+v", i, res, want)
			}
		}
		if in, failed, done := e.count("INBOX"), e.count("Failed"), e.count("Processed"); in != 1 || failed != 0 || done != 1 {
			t.Errorf("INBOX %d, Failed %d, Processed %d; want the failing message left in place, the good one processed", in, failed, done)
		}
		if n := e.sql("SELECT count(*) FROM documents WHERE parent_id IS NULL"); n != 1 {
			t.Errorf("%d email documents, want 1 (the good one, once)", n)
		}
		if n := e.sql("SELECT count(*) FROM mail_messages"); n != 1 {
			t.Errorf("%d messages recorded, want 1", n)
		}
	})
}
