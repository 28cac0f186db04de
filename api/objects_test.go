package api_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/google/uuid"
)

// objects are real objects of one tenant, made through the API and the
// stores, for the authorisation and tenant isolation tests: a key per
// role, a committed contract and timesheet, documents in review, a
// mailbox with a message and a failure, an inbound address.
type objects struct {
	tenant tenant
	// keys and keyIDs hold a key and its id per role.
	keys, keyIDs map[pipeline.Role]string
	// contract is the number of a committed contract, worker its worker's
	// name; contractDoc and timesheetDoc are the committed documents.
	contract, worker          string
	contractDoc, timesheetDoc string
	// contractFile is the committed contract's file.
	contractFile []byte
	// inReview are documents waiting for review, with their open tasks.
	inReview, tasks []string
	// approved is a document approved with a correction, its task approvedTask.
	approved, approvedTask string
	// mailbox has a message (whose email document is mailDoc) and a failure.
	mailbox, mailDoc, messageID string
	inbound                     string
	// senders is the domain that the tenant's settings allow to send mail.
	senders string
	// webhook is registered before the documents were made; delivery is
	// one of its deliveries (of the committed contract's first event).
	webhook, delivery string
}

// objectsOptions says what to make.
type objectsOptions struct {
	// number prefixes the contract numbers (e.g. "CM-2026-0001").
	number, worker string
	// tasks is how many documents wait for review.
	tasks int
	// approve approves one more document with a correction.
	approve bool
}

// objects makes a tenant with real objects of every kind the API serves.
func (e *env) objects(name string, opts objectsOptions) objects {
	e.t.Helper()
	tn := e.tenant(name)
	o := objects{tenant: tn, contract: opts.number + "00", worker: opts.worker,
		keys: map[pipeline.Role]string{pipeline.RoleUploader: tn.uploader, pipeline.RoleReviewer: tn.reviewer,
			pipeline.RoleAdmin: tn.admin, pipeline.RoleAuditor: e.apiKey(tn.id, pipeline.RoleAuditor)},
		keyIDs: map[pipeline.Role]string{}}
	for r, k := range o.keys {
		p, err := e.store.Authenticate(context.Background(), k)
		if err != nil {
			e.t.Fatal(err)
		}
		o.keyIDs[r] = p.KeyID
	}
	o.webhook = e.webhookOf(o)
	c := testdocs.ValidContract(o.contract)
	c.WorkerName = opts.worker
	o.contractFile = testdocs.PDF(testdocs.Contract(c))
	o.contractDoc = e.uploadWait(tn.uploader, "contrat.pdf", o.contractFile, "committed")
	ts := testdocs.ValidTimesheet(o.contract)
	ts.WorkerName = opts.worker
	o.timesheetDoc = e.uploadWait(tn.uploader, "releve.pdf", testdocs.PDF(testdocs.Timesheet(ts)), "committed")
	n := opts.tasks
	if opts.approve {
		n++
	}
	for i := range n {
		doc := e.uploadWait(tn.uploader, fmt.Sprintf("contrat-%d.pdf", i), contractWithLowRate(fmt.Sprintf("%s%02d", opts.number, 10+i)), "in_review")
		o.inReview = append(o.inReview, doc)
		o.tasks = append(o.tasks, e.pendingReview(tn.reviewer, doc))
	}
	if opts.approve {
		o.approved, o.approvedTask = o.inReview[n-1], o.tasks[n-1]
		o.inReview, o.tasks = o.inReview[:n-1], o.tasks[:n-1]
		body := map[string]any{"fields": map[string]any{"hourly_rate": 12.5}}
		if code := e.postJSON("/v1/reviews/"+o.approvedTask+"/approve", tn.reviewer, body, nil); code != http.StatusOK {
			e.t.Fatalf("approve %s: %d", o.approvedTask, code)
		}
		e.waitStatus(tn.uploader, o.approved, "committed")
	}
	o.delivery = e.deliveryOf(o, o.contractDoc)
	o.mailbox, o.mailDoc, o.messageID = e.mailboxWithMail(o)
	// The email document has no file: its processing fails at once.
	e.waitStatus(tn.admin, o.mailDoc, "failed", "refused", "committed", "in_review", "rejected")
	var in struct{ Address string }
	if code := e.postJSON("/v1/inbound-addresses", tn.admin, nil, &in); code != http.StatusCreated {
		e.t.Fatalf("inbound address: %d", code)
	}
	o.inbound = in.Address
	o.senders = tn.id[:8] + ".senders.example"
	settings := map[string]any{"mail": map[string]any{"allowed_senders": []string{o.senders}}}
	if code := e.do(http.MethodPut, "/v1/settings", tn.admin, jsonBody(settings), "application/json", nil); code != http.StatusOK {
		e.t.Fatalf("settings: %d", code)
	}
	return o
}

// apiKey makes a key of the tenant with the role.
func (e *env) apiKey(tenantID string, r pipeline.Role) string {
	e.t.Helper()
	k, err := e.store.CreateAPIKey(context.Background(), tenantID, r)
	if err != nil {
		e.t.Fatal(err)
	}
	return k.Key
}

// uploadWait uploads a file and waits until its document reaches status.
func (e *env) uploadWait(key, name string, data []byte, status string) string {
	e.t.Helper()
	var d document
	if code := e.upload(key, name, data, &d); code != http.StatusAccepted {
		e.t.Fatalf("upload %s: %d", name, code)
	}
	return e.waitStatus(key, d.ID, status).ID
}

// mailboxWithMail adds a mailbox through the API, and records a message
// taken from it and a failed one, as the poller would.
func (e *env) mailboxWithMail(o objects) (mailbox, doc, messageID string) {
	e.t.Helper()
	var mb struct{ ID string }
	body := map[string]any{"host": "imap." + o.tenant.id[:8] + ".example", "port": 993, "username": "releves",
		"password": "s3cret-imap", "processed_folder": "Traités", "failed_folder": "Échecs", "enabled": false}
	if code := e.postJSON("/v1/mailboxes", o.tenant.admin, body, &mb); code != http.StatusCreated {
		e.t.Fatalf("create mailbox: %d", code)
	}
	ctx := context.Background()
	msg := mail.Message{TenantID: o.tenant.id, MailboxID: mb.ID, UIDValidity: 7, UID: 42,
		MessageID: uuid.NewString() + "@" + o.tenant.id[:8] + ".example", Subject: "Relevé S12"}
	d := pipeline.Document{ID: uuid.NewString(), TenantID: o.tenant.id, FileName: "Relevé S12.eml", Size: 10,
		SHA256: strings.ReplaceAll(uuid.NewString()+uuid.NewString(), "-", "")[:64], Status: pipeline.StatusReceived,
		Stage: pipeline.StageIntake, ReceivedAt: time.Now().UTC(), UploadedBy: "mailbox:" + mb.ID}
	msg.SHA256 = d.SHA256
	if _, _, err := e.store.IntakeMessage(ctx, msg, d); err != nil {
		e.t.Fatal(err)
	}
	failed := msg
	failed.UID, failed.MessageID = 43, "failed-"+msg.MessageID
	if _, err := e.store.RecordFailure(ctx, failed, "the message is too large"); err != nil {
		e.t.Fatal(err)
	}
	return mb.ID, d.ID, msg.MessageID
}

// ids are every id and name of the tenant's objects that no other tenant
// may ever read.
func (o objects) ids() []string {
	return append(o.objectIDs(), o.contract, o.worker)
}

// objectIDs are the ids of the tenant's objects, without what its files
// say (the contract's number, the worker's name).
func (o objects) objectIDs() []string {
	out := []string{o.tenant.id, o.contractDoc, o.timesheetDoc, o.approved, o.approvedTask,
		o.mailbox, o.mailDoc, o.messageID, o.inbound, o.senders, o.webhook, o.delivery}
	out = append(out, o.inReview...)
	out = append(out, o.tasks...)
	for _, id := range o.keyIDs {
		out = append(out, id)
	}
	return slices.DeleteFunc(out, func(s string) bool { return s == "" })
}

// allowed returns the roles that may perform a (every role for public
// operations, whose action is empty).
func allowed(a authz.Action) []pipeline.Role {
	if a == "" {
		return authz.AllRoles()
	}
	return authz.Roles(a)
}

// webhookOf registers a webhook of the tenant through the API.
func (e *env) webhookOf(o objects) string {
	e.t.Helper()
	var w struct{ ID, Secret string }
	body := map[string]any{"url": "https://hooks." + o.tenant.id[:8] + ".example/docflow", "description": "paie"}
	if code := e.postJSON("/v1/webhooks", o.tenant.admin, body, &w); code != http.StatusCreated || w.Secret == "" {
		e.t.Fatalf("create webhook: %d", code)
	}
	return w.ID
}

// deliveryOf returns the id of the webhook's delivery of a document's
// first event.
func (e *env) deliveryOf(o objects, docID string) string {
	e.t.Helper()
	var list struct {
		Items []struct {
			ID         string `json:"id"`
			DocumentID string `json:"document_id"`
			Sequence   int    `json:"sequence"`
		} `json:"items"`
	}
	if code := e.getJSON("/v1/webhooks/"+o.webhook+"/deliveries?limit=500", o.tenant.admin, &list); code != http.StatusOK {
		e.t.Fatalf("list deliveries: %d", code)
	}
	for _, d := range list.Items {
		if d.DocumentID == docID && d.Sequence == 1 {
			return d.ID
		}
	}
	e.t.Fatalf("no delivery of document %s's first event in %+v", docID, list.Items)
	return ""
}
