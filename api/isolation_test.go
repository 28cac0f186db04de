package api_test

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/pipeline"
	"github.com/google/uuid"
)

// walkKind says how the isolation walk treats an operation.
type walkKind int

const (
	// public operations hold no tenant's data.
	public walkKind = iota
	// byID operations name an object in their path: B's answer 404.
	byID
	// list operations read the caller's tenant: nothing of B shows.
	list
	// create operations make an object in the caller's tenant: nothing of
	// B shows in the answer, and B's objects are not reused.
	create
)

// walkCase is how the walk calls one operation from tenant A.
type walkCase struct {
	kind walkKind
	// requests are the calls: on B's objects (byID), or with filters that
	// name B's objects (list, create).
	requests []request
	// want is the status of each request of a list (200 when missing); a
	// create wants a 2xx.
	want []int
	// ownCopy: the requests send B's own file, so the answer may show
	// what the file says, but none of B's ids.
	ownCopy bool
}

// isolationWalk maps every operation of api/openapi.yaml to how tenant A
// walks it against tenant B's objects b. An operation missing here fails
// TestTenantIsolation.
func isolationWalk(b objects) map[string]walkCase {
	each := func(param string, body func() (io.Reader, string), ids ...string) []request {
		var out []request
		for _, id := range ids {
			out = append(out, request{params: map[string]string{param: id}, body: body})
		}
		return out
	}
	docs := []string{b.contractDoc, b.timesheetDoc, b.approved, b.mailDoc, b.inReview[0]}
	tasks := []string{b.tasks[0], b.tasks[1], b.approvedTask}
	q := func(queries ...string) []request {
		var out []request
		for _, s := range queries {
			out = append(out, request{query: s})
		}
		return out
	}
	mailboxBody := map[string]any{"host": "imap." + b.tenant.id[:8] + ".example", "port": 993, "username": "releves",
		"password": "autre", "processed_folder": "Traités", "failed_folder": "Échecs", "enabled": false}
	return map[string]walkCase{
		"health":     {kind: public},
		"readyz":     {kind: public},
		"getOpenAPI": {kind: public},

		"getDocument":           {kind: byID, requests: each("id", nil, docs...)},
		"getDocumentAudit":      {kind: byID, requests: each("id", nil, docs...)},
		"claimReview":           {kind: byID, requests: each("id", nil, tasks...)},
		"releaseReview":         {kind: byID, requests: each("id", nil, tasks...)},
		"approveReview":         {kind: byID, requests: each("id", jsonOf(map[string]any{"fields": map[string]any{"hourly_rate": 12.5}}), tasks...)},
		"rejectReview":          {kind: byID, requests: each("id", jsonOf(map[string]any{"reason": "pas à nous"}), tasks...)},
		"getContract":           {kind: byID, requests: each("contract_number", nil, b.contract, url.PathEscape(b.contract[:3]+" "+b.contract[3:]))},
		"listContractMonths":    {kind: byID, requests: each("contract_number", nil, b.contract)},
		"getMailbox":            {kind: byID, requests: each("id", nil, b.mailbox)},
		"updateMailbox":         {kind: byID, requests: each("id", jsonOf(map[string]any{"name": "volée", "enabled": true}), b.mailbox)},
		"listMailMessages":      {kind: byID, requests: each("id", nil, b.mailbox)},
		"listMailFailures":      {kind: byID, requests: each("id", nil, b.mailbox)},
		"rotateAPIKey":          {kind: byID, requests: each("id", jsonOf(map[string]any{"grace_seconds": 0}), keyIDs(b)...)},
		"revokeAPIKey":          {kind: byID, requests: each("id", nil, keyIDs(b)...)},
		"getWebhook":            {kind: byID, requests: each("id", nil, b.webhook)},
		"updateWebhook":         {kind: byID, requests: each("id", jsonOf(map[string]any{"url": "https://a.example/vol", "enabled": true}), b.webhook)},
		"deleteWebhook":         {kind: byID, requests: each("id", nil, b.webhook)},
		"listWebhookDeliveries": {kind: byID, requests: each("id", nil, b.webhook)},
		"redeliverWebhookDelivery": {kind: byID, requests: []request{
			{params: map[string]string{"id": b.webhook, "delivery_id": b.delivery}}}},

		"listDocuments": {kind: list, requests: q("", "status=committed", "status=in_review", "status=received", "limit=500")},
		"listReviews": {kind: list, requests: q("", "status=pending", "status=claimed", "status=approved",
			"assignee="+url.QueryEscape(b.keyIDs[pipeline.RoleReviewer]), "assignee=none", "code=contract.rate_below_minimum")},
		"listWeeklyHours": {kind: list, requests: q("", "worker="+url.QueryEscape(b.worker), "from=2026-01-01&to=2026-12-31")},
		"listTimesheets":  {kind: list, requests: q("contract_number=" + url.QueryEscape(b.contract))},
		"listAudit": {kind: list, requests: q("", "since=2000-01-01T00:00:00Z", "document_id="+b.contractDoc, "document_id="+b.approved),
			want: []int{200, 200, 404, 404}},
		"listCorrections":      {kind: list, requests: q("")},
		"getSettings":          {kind: list, requests: q("")},
		"listMailboxes":        {kind: list, requests: q("")},
		"listInboundAddresses": {kind: list, requests: q("")},
		"listAPIKeys":          {kind: list, requests: q("")},
		"listWebhooks":         {kind: list, requests: q("")},
		// The answer names the worker asked for: B's name in A finds nothing of B.
		"exportWorker": {kind: list, requests: q("name=" + url.QueryEscape(b.worker)), ownCopy: true},

		// B's very file uploaded to A is a new document of A, not B's.
		"uploadDocument":       {kind: create, requests: []request{{body: multipartFile("contrat.pdf", b.contractFile)}}, ownCopy: true},
		"putSettings":          {kind: create, requests: []request{{body: jsonOf(map[string]any{"llm_mode": "rules"})}}},
		"createMailbox":        {kind: create, requests: []request{{body: jsonOf(mailboxBody)}}},
		"createInboundAddress": {kind: create, requests: []request{{}}},
		"createAPIKey":         {kind: create, requests: []request{{body: jsonOf(map[string]any{"role": "uploader"})}}},
		"createWebhook":        {kind: create, requests: []request{{body: jsonOf(map[string]any{"url": "https://a.example/hook"})}}},
	}
}

// keyIDs are the ids of B's API keys, one per role.
func keyIDs(b objects) []string {
	var out []string
	for _, r := range authz.AllRoles() {
		out = append(out, b.keyIDs[r])
	}
	return out
}

// multipartFile is an upload of data as the field "file".
func multipartFile(name string, data []byte) func() (io.Reader, string) {
	return func() (io.Reader, string) {
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		fw, _ := mw.CreateFormFile("file", name)
		fw.Write(data)
		mw.Close()
		return &body, mw.FormDataContentType()
	}
}

// TestTenantIsolation walks every operation of api/openapi.yaml as each
// role of tenant A against tenant B's real objects: a document processed
// and committed, documents in review with their tasks (pending, claimed,
// approved), a committed contract and timesheet, a mailbox with a message
// and a failure, an inbound address, settings. An operation that names an
// object answers 404 problem+json to the roles that the matrix allows, and
// exactly what it answers for an id that exists nowhere to every role (no
// oracle); lists and creations show none of B's ids or names; and B's
// objects are as they were after the walk. An operation of the contract
// that the walk does not know fails the test.
func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	b := e.objects("Agence Bêta", objectsOptions{number: "CM-2026-0002", worker: "Bruno Bernard", tasks: 2, approve: true})
	if code := e.postJSON("/v1/reviews/"+b.tasks[1]+"/claim", b.tenant.reviewer, nil, nil); code != http.StatusOK {
		t.Fatalf("B claims a task: %d", code)
	}
	a := e.objects("Agence Alpha", objectsOptions{number: "CM-2026-0001", worker: "Alice Arnaud", tasks: 1})
	before := e.snapshot(b)
	for _, id := range []string{b.contractDoc, b.tasks[0], b.tasks[1], b.mailbox, b.mailDoc, b.inbound, b.senders, b.worker, b.webhook, b.delivery} {
		if !strings.Contains(before, id) {
			t.Fatalf("B's own answers lack %q: the walk's ids are not B's objects", id)
		}
	}
	walk := isolationWalk(b)
	inSpec := map[string]bool{}
	for _, op := range specOperations(t) {
		inSpec[op.id] = true
		action, ok := actionOf(t, op)
		c, known := walk[op.id]
		if !known {
			t.Errorf("%s: TestTenantIsolation does not know how to walk it; add it to isolationWalk", op)
		}
		if !ok || !known {
			continue
		}
		if (c.kind == byID) != (len(op.params) > 0) {
			t.Errorf("%s: walked as kind %d, but its path has parameters %v", op, c.kind, op.params)
			continue
		}
		switch c.kind {
		case byID:
			e.walkByID(t, op, action, a, c.requests)
		case list, create:
			e.walkRead(t, op, action, a, b, c)
		}
	}
	for id := range walk {
		if !inSpec[id] {
			t.Errorf("isolationWalk maps %s, which is not an operation of openapi.yaml", id)
		}
	}
	if after := e.snapshot(b); after != before {
		t.Errorf("tenant B's objects changed during A's walk:\nbefore %s\nafter  %s", before, after)
	}
}

// walkByID calls op on B's objects as every role of A: the roles allowed
// get 404 not_found, the others 403 forbidden, and each gets what it gets
// for an id that exists nowhere.
func (e *env) walkByID(t *testing.T, op specOp, action authz.Action, a objects, requests []request) {
	t.Helper()
	for _, rq := range requests {
		path, ok := op.url(t, rq)
		if !ok {
			return
		}
		nowhere := rq
		nowhere.params = map[string]string{}
		for k := range rq.params {
			nowhere.params[k] = uuid.NewString()
		}
		nowherePath, _ := op.url(t, nowhere)
		for _, r := range authz.AllRoles() {
			got := e.call(op, path, a.keys[r], rq)
			want, code := http.StatusNotFound, "not_found"
			if !slices.Contains(allowed(action), r) {
				want, code = http.StatusForbidden, "forbidden"
			}
			if got.status != want || got.problemCode() != code {
				t.Errorf("%s %s as A's %s: %d %s, want %d %s problem+json", op.method, path, r, got.status, got.body, want, code)
			}
			if ref := e.call(op, nowherePath, a.keys[r], nowhere); ref.status != got.status || ref.problemCode() != got.problemCode() {
				t.Errorf("%s as A's %s: B's object answers %d %s, an object that exists nowhere %d %s",
					op, r, got.status, got.problemCode(), ref.status, ref.problemCode())
			}
		}
	}
}

// walkRead calls a list or create operation as every role of A that may,
// and checks that no answer shows any of B's ids or names.
func (e *env) walkRead(t *testing.T, op specOp, action authz.Action, a, b objects, c walkCase) {
	t.Helper()
	for i, rq := range c.requests {
		path, ok := op.url(t, rq)
		if !ok {
			return
		}
		want := http.StatusOK
		if i < len(c.want) {
			want = c.want[i]
		}
		for _, r := range allowed(action) {
			got := e.call(op, path, a.keys[r], rq)
			switch {
			case c.kind == create && (got.status < 200 || got.status > 299):
				t.Errorf("%s %s as A's %s: %d %s, want 2xx", op.method, path, r, got.status, got.body)
			case c.kind == list && got.status != want:
				t.Errorf("%s %s as A's %s: %d %s, want %d", op.method, path, r, got.status, got.body, want)
			}
			secrets := b.ids()
			if c.ownCopy {
				secrets = b.objectIDs()
			}
			for _, id := range secrets {
				if bytes.Contains(got.body, []byte(id)) {
					t.Errorf("%s %s as A's %s shows B's %q: %s", op.method, path, r, id, got.body)
				}
			}
		}
	}
}

// snapshot is what B itself reads of its objects that A could try to change.
func (e *env) snapshot(b objects) string {
	e.t.Helper()
	var out bytes.Buffer
	for _, p := range []string{"/v1/reviews", "/v1/reviews?status=claimed", "/v1/reviews?status=approved",
		"/v1/documents?limit=500", "/v1/mailboxes/" + b.mailbox, "/v1/mailboxes/" + b.mailbox + "/messages",
		"/v1/mailboxes/" + b.mailbox + "/failures", "/v1/settings", "/v1/inbound-addresses", "/v1/contracts/" + b.contract,
		"/v1/webhooks", "/v1/webhooks/" + b.webhook + "/deliveries"} {
		req, _ := http.NewRequest(http.MethodGet, e.server.URL+p, nil)
		req.Header.Set("Authorization", "Bearer "+b.tenant.admin)
		resp, err := e.client.Do(req)
		if err != nil {
			e.t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		out.WriteString(p + " " + resp.Status + " ")
		out.Write(body)
		out.WriteString("\n")
	}
	return out.String()
}
