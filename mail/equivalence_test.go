package mail_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// docOutcome is what a document became, as compared between the two ways in.
type docOutcome struct {
	Status  pipeline.Status
	Type    pipeline.DocumentType
	Refusal string
	Fields  string
	Issues  []string
}

func (e *env) outcomeTree(id string) map[string]docOutcome {
	e.t.Helper()
	ctx := context.Background()
	out := map[string]docOutcome{}
	var walk func(id, name string)
	walk = func(id, name string) {
		d, err := e.store.Document(ctx, e.tenantOf(id), id)
		if err != nil {
			e.t.Fatal(err)
		}
		f, _ := json.Marshal(d.Fields.Map())
		o := docOutcome{Status: d.Status, Type: d.Type, Refusal: d.Refusal, Fields: string(f)}
		for _, i := range d.Issues {
			o.Issues = append(o.Issues, i.Code)
		}
		slices.Sort(o.Issues)
		out[name] = o
		for _, c := range d.Children {
			cd, _ := e.store.Document(ctx, e.tenantOf(c), c)
			walk(c, name+"/"+cd.FileName)
		}
	}
	walk(id, "(email)")
	return out
}

func (e *env) tenantOf(docID string) string {
	var t string
	if err := e.pool.QueryRow(context.Background(), "SELECT tenant_id FROM documents WHERE id = $1", docID).Scan(&t); err != nil {
		e.t.Fatal(err)
	}
	return t
}

// waitDone waits until the document and all its children are done.
func (e *env) waitDone(id string) {
	e.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		if e.sql(fmt.Sprintf(`SELECT count(*) FROM documents WHERE (id = '%s' OR parent_id = '%s')
			AND status IN ('received', 'processing')`, id, id)) == 0 {
			return
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("document %s not done", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestMailEqualsUpload delivers emails through IMAP to one tenant and
// uploads the same files to another: both must end with the same
// documents, fields, issues and refusals. By default the emails are made
// here; DOCFLOW_MAIL_CORPUS=DIR runs every .eml of DIR instead (e.g. the
// dev corpus's inbox; see docs/email.md for the last run).
func TestMailEqualsUpload(t *testing.T) {
	t.Parallel()
	type email struct {
		name string
		raw  []byte
	}
	var emails []email
	if dir := os.Getenv("DOCFLOW_MAIL_CORPUS"); dir != "" {
		paths, _ := filepath.Glob(filepath.Join(dir, "*.eml"))
		for _, p := range paths {
			b, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			emails = append(emails, email{filepath.Base(p), b})
		}
		if len(emails) == 0 {
			t.Fatalf("no .eml in %s", dir)
		}
	} else {
		ts := testdocs.ValidTimesheet("CM-2026-008101")
		body := strings.Replace(string(testdocs.Email("ts@example.org", "x.txt", nil)), "Veuillez trouver ci-joint le contrat.", testdocs.Timesheet(ts), 1)
		emails = []email{
			{"contract.eml", contractMail("eq-contract@example.org", "CM-2026-008101")},
			{"timesheet-in-body.eml", []byte(body)},
			{"encrypted.eml", testdocs.Email("eq-enc@example.org", "secret.pdf", append(testdocs.PDF("CONTRAT"), []byte("trailer\n<< /Encrypt 9 0 R >>\n")...))},
		}
	}
	e := setup(t)
	other, err := e.store.CreateTenant(context.Background(), "Agence Upload")
	if err != nil {
		t.Fatal(err)
	}
	uploader := pipeline.Principal{KeyID: "test", TenantID: other.ID, Role: pipeline.RoleUploader}
	p := e.poller()
	same := 0
	// One email at a time, both ways, so that cross-document rules see the
	// same contracts on each side.
	for _, m := range emails {
		before := e.sql("SELECT count(*) FROM mail_messages")
		e.deliver(m.raw)
		e.poll(p)
		if e.sql("SELECT count(*) FROM mail_messages") != before+1 {
			t.Errorf("%s: not taken from the mailbox", m.name)
			continue
		}
		var viaMail string
		if err := e.pool.QueryRow(context.Background(), "SELECT document_id FROM mail_messages ORDER BY received_at DESC LIMIT 1").Scan(&viaMail); err != nil {
			t.Fatal(err)
		}
		up, _, err := e.svc.Upload(context.Background(), uploader, m.name, strings.NewReader(string(m.raw)))
		if err != nil && up.ID == "" {
			t.Fatalf("%s: upload: %v", m.name, err)
		}
		e.waitDone(viaMail)
		e.waitDone(up.ID)
		// A timesheet that came before its contract is checked again once
		// the contract commits: wait for those jobs too.
		e.waitSQL("SELECT count(*) FROM river_job WHERE state IN ('available', 'running', 'scheduled', 'retryable', 'pending')", 0)
		a, b := e.outcomeTree(viaMail), e.outcomeTree(up.ID)
		ja, _ := json.MarshalIndent(a, "", " ")
		jb, _ := json.MarshalIndent(b, "", " ")
		if string(ja) != string(jb) {
			t.Errorf("%s: through IMAP\n%s\nuploaded\n%s", m.name, ja, jb)
			continue
		}
		same++
	}
	t.Logf("%d of %d emails ended the same through IMAP and upload", same, len(emails))
}
