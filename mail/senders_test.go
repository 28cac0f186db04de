package mail_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/docflow/docflow/pipeline"
)

func (e *env) setMail(ms pipeline.MailSettings) {
	e.t.Helper()
	admin := pipeline.Principal{KeyID: "test", TenantID: e.tenant, Role: pipeline.RoleAdmin}
	if err := e.svc.UpdateSettings(context.Background(), admin, pipeline.TenantSettings{Mail: &ms}); err != nil {
		e.t.Fatal(err)
	}
}

func TestSenderAllowList(t *testing.T) {
	t.Parallel()
	e := setup(t)
	admin := pipeline.Principal{KeyID: "test", TenantID: e.tenant, Role: pipeline.RoleAdmin}
	bad := pipeline.TenantSettings{Mail: &pipeline.MailSettings{AllowedSenders: []string{"not an address"}}}
	if err := e.svc.UpdateSettings(context.Background(), admin, bad); err == nil {
		t.Error("an allow-list entry that is neither an address nor a domain was accepted")
	}
	e.setMail(pipeline.MailSettings{AllowedSenders: []string{"@Example.org", "paie@client.fr"}})
	e.deliver(contractMail("allowed@example.org", "CM-2026-007801")) // From: agence@example.org
	stranger := bytes.Replace(contractMail("stranger@example.net", "CM-2026-007802"),
		[]byte("From: agence@example.org"), []byte("From: Someone <someone@example.net>"), 1)
	e.deliver(stranger)
	res := e.poll(e.poller())
	if res.Taken != 1 || res.Parked != 1 {
		t.Fatalf("poll = %+v, want the allowed message taken and the other parked", res)
	}
	if in, done, failed := e.count("INBOX"), e.count("Processed"), e.count("Failed"); in != 0 || done != 1 || failed != 1 {
		t.Errorf("INBOX %d, Processed %d, Failed %d; want 0, 1, 1", in, done, failed)
	}
	fs, err := e.store.MailFailures(context.Background(), e.tenant, e.mb.ID)
	if err != nil || len(fs) != 1 || !strings.Contains(fs[0].Reason, "someone@example.net is not on the tenant's allow-list") || fs[0].ParkedAt == nil {
		t.Fatalf("failures = %+v, %v", fs, err)
	}

	// SMTP: the same list answers 550 5.7.1 before anything is stored.
	addr := startSMTP(t, e, 0)
	in, err := e.store.CreateInboundAddress(context.Background(), e.tenant)
	if err != nil {
		t.Fatal(err)
	}
	to := in.Token + "@in.docflow.test"
	if err := send(addr, to, stranger); code(err) != 550 {
		t.Errorf("SMTP from a stranger: %v, want 550", err)
	}
	if err := send(addr, to, contractMail("allowed2@example.org", "CM-2026-007803")); err != nil {
		t.Errorf("SMTP from an allowed sender: %v", err)
	}
	if n := e.sql("SELECT count(*) FROM documents WHERE parent_id IS NULL"); n != 2 {
		t.Errorf("%d email documents, want 2 (one per allowed message)", n)
	}
}
