package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/google/uuid"
)

// specOp is one operation of api/openapi.yaml.
type specOp struct {
	id, method, path string
	// params are the path's parameters, e.g. ["id"].
	params []string
}

func (o specOp) String() string { return o.method + " " + o.path + " (" + o.id + ")" }

var pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)

// specOperations lists the operations of api/openapi.yaml, by path and method.
func specOperations(t *testing.T) []specOp {
	t.Helper()
	doc, _ := loadSpec(t)
	var ops []specOp
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := specOp{id: op.OperationID, method: method, path: path}
			if o.id == "" {
				o.id = method + " " + path
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				o.params = append(o.params, m[1])
			}
			ops = append(ops, o)
		}
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].path+ops[i].method < ops[j].path+ops[j].method })
	return ops
}

// request is one request of a walk: path parameters, query and body.
type request struct {
	params map[string]string
	query  string
	body   func() (io.Reader, string)
}

// url fills the operation's path with the request's parameters; it fails
// when one is missing, so that a new route cannot be skipped.
func (o specOp) url(t *testing.T, rq request) (string, bool) {
	t.Helper()
	path := o.path
	for _, p := range o.params {
		v, ok := rq.params[p]
		if !ok || v == "" {
			t.Errorf("%s: the walk does not know how to fill {%s}", o, p)
			return "", false
		}
		path = strings.ReplaceAll(path, "{"+p+"}", v)
	}
	if rq.query != "" {
		path += "?" + rq.query
	}
	return path, true
}

// answer is a response as the walks read it.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// call sends one request of a walk as key.
func (e *env) call(o specOp, path, key string, rq request) answer {
	e.t.Helper()
	var body io.Reader
	ctype := ""
	if rq.body != nil {
		body, ctype = rq.body()
	}
	req, err := http.NewRequest(o.method, e.server.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{status: resp.StatusCode, header: resp.Header, body: b}
}

// problemCode returns the code of a problem+json answer, or "" when the
// answer is not one.
func (a answer) problemCode() string {
	if !strings.HasPrefix(a.header.Get("Content-Type"), "application/problem+json") {
		return ""
	}
	var p problem
	if json.Unmarshal(a.body, &p) != nil || p.Status != a.status {
		return ""
	}
	return p.Code
}

// jsonOf is a JSON request body.
func jsonOf(v any) func() (io.Reader, string) {
	return func() (io.Reader, string) { return jsonBody(v), "application/json" }
}

// fileUpload is a multipart upload of a file that no one uploaded before.
func fileUpload() (io.Reader, string) {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	fw, _ := mw.CreateFormFile("file", "note.pdf")
	fw.Write(testdocs.PDF("Note de service " + uuid.NewString()))
	mw.Close()
	return &b, mw.FormDataContentType()
}

// operationActions maps every operation of api/openapi.yaml to the authz
// action that it performs ("" for the public ones). The tests keep their
// own copy of what server.go declares, and check the server against it:
// an operation missing here fails TestRoleMatrix and TestTenantIsolation.
var operationActions = map[string]authz.Action{
	"health":                   "",
	"readyz":                   "",
	"getOpenAPI":               "",
	"uploadDocument":           authz.DocumentUpload,
	"listDocuments":            authz.DocumentRead,
	"getDocument":              authz.DocumentRead,
	"getDocumentAudit":         authz.DocumentAudit,
	"listReviews":              authz.ReviewList,
	"claimReview":              authz.ReviewClaim,
	"releaseReview":            authz.ReviewRelease,
	"approveReview":            authz.ReviewDecide,
	"rejectReview":             authz.ReviewDecide,
	"getContract":              authz.RecordsRead,
	"listContractMonths":       authz.RecordsRead,
	"listWeeklyHours":          authz.RecordsRead,
	"listTimesheets":           authz.RecordsRead,
	"listAudit":                authz.AuditRead,
	"listCorrections":          authz.CorrectionsRead,
	"getSettings":              authz.SettingsRead,
	"putSettings":              authz.SettingsWrite,
	"createMailbox":            authz.MailboxWrite,
	"listMailboxes":            authz.MailboxRead,
	"getMailbox":               authz.MailboxRead,
	"updateMailbox":            authz.MailboxWrite,
	"listMailMessages":         authz.MailboxRead,
	"listMailFailures":         authz.MailboxRead,
	"createInboundAddress":     authz.InboundWrite,
	"listInboundAddresses":     authz.InboundRead,
	"listAPIKeys":              authz.APIKeyRead,
	"createAPIKey":             authz.APIKeyWrite,
	"rotateAPIKey":             authz.APIKeyWrite,
	"revokeAPIKey":             authz.APIKeyWrite,
	"exportWorker":             authz.WorkerExport,
	"createWebhook":            authz.WebhookWrite,
	"listWebhooks":             authz.WebhookRead,
	"getWebhook":               authz.WebhookRead,
	"updateWebhook":            authz.WebhookWrite,
	"deleteWebhook":            authz.WebhookWrite,
	"listWebhookDeliveries":    authz.WebhookRead,
	"redeliverWebhookDelivery": authz.WebhookWrite,
}

// actionOf returns the action of an operation, failing the test when the
// operation has none.
func actionOf(t *testing.T, op specOp) (authz.Action, bool) {
	t.Helper()
	a, ok := operationActions[op.id]
	if !ok {
		t.Errorf("%s: no authz action in operationActions (api/authz_test.go)", op)
	}
	return a, ok
}

// same makes the same request for every role.
func same(rq request) func(pipeline.Role) request { return func(pipeline.Role) request { return rq } }

// matrixRequests gives, for every operation of api/openapi.yaml, the
// request that a role makes on its own tenant's objects, made just before
// it is sent (a release needs a claim first). The roles allowed get a 2xx
// answer to it. An operation missing here fails TestRoleMatrix.
func matrixRequests(e *env, o objects) map[string]func(pipeline.Role) request {
	doc := map[string]string{"id": o.contractDoc}
	task := func(i int) map[string]string { return map[string]string{"id": o.tasks[i]} }
	mailbox := map[string]string{"id": o.mailbox}
	contract := map[string]string{"contract_number": o.contract}
	mailboxBody := map[string]any{"host": "imap.matrice.example", "port": 993, "username": "u", "password": "p",
		"processed_folder": "P", "failed_folder": "F", "enabled": false}
	return map[string]func(pipeline.Role) request{
		"health":               same(request{}),
		"readyz":               same(request{}),
		"getOpenAPI":           same(request{}),
		"uploadDocument":       same(request{body: fileUpload}),
		"listDocuments":        same(request{}),
		"getDocument":          same(request{params: doc}),
		"getDocumentAudit":     same(request{params: doc}),
		"listReviews":          same(request{}),
		"claimReview":          same(request{params: task(0)}),
		"releaseReview":        func(pipeline.Role) request { return e.claimed(o, 0) },
		"approveReview":        same(request{params: task(1), body: jsonOf(map[string]any{})}),
		"rejectReview":         same(request{params: task(2), body: jsonOf(map[string]any{"reason": "illisible"})}),
		"getContract":          same(request{params: contract}),
		"listContractMonths":   same(request{params: contract}),
		"listWeeklyHours":      same(request{}),
		"listTimesheets":       same(request{query: "contract_number=" + o.contract}),
		"listAudit":            same(request{}),
		"listCorrections":      same(request{}),
		"getSettings":          same(request{}),
		"putSettings":          same(request{body: jsonOf(map[string]any{})}),
		"createMailbox":        same(request{body: jsonOf(mailboxBody)}),
		"listMailboxes":        same(request{}),
		"getMailbox":           same(request{params: mailbox}),
		"updateMailbox":        same(request{params: mailbox, body: jsonOf(map[string]any{"name": "Relevés"})}),
		"listMailMessages":     same(request{params: mailbox}),
		"listMailFailures":     same(request{params: mailbox}),
		"createInboundAddress": same(request{}),
		"listInboundAddresses": same(request{}),
		"listAPIKeys":          same(request{}),
		"createAPIKey":         same(request{body: jsonOf(map[string]any{"role": "uploader", "name": "scanner", "scopes": []string{"document.upload"}})}),
		"rotateAPIKey": func(pipeline.Role) request {
			return request{params: e.freshKey(o), body: jsonOf(map[string]any{"grace_seconds": 60})}
		},
		"revokeAPIKey": func(pipeline.Role) request { return request{params: e.freshKey(o)} },
		"exportWorker": same(request{query: "name=" + url.QueryEscape(o.worker)}),
		"createWebhook": same(request{body: jsonOf(map[string]any{"url": "https://hooks.matrice.example/docflow",
			"event_types": []string{"document.committed"}})}),
		"listWebhooks":             same(request{}),
		"getWebhook":               same(request{params: map[string]string{"id": o.webhook}}),
		"updateWebhook":            same(request{params: map[string]string{"id": o.webhook}, body: jsonOf(map[string]any{"description": "paie"})}),
		"deleteWebhook":            func(pipeline.Role) request { return request{params: map[string]string{"id": e.freshWebhook(o)}} },
		"listWebhookDeliveries":    same(request{params: map[string]string{"id": o.webhook}}),
		"redeliverWebhookDelivery": same(request{params: map[string]string{"id": o.webhook, "delivery_id": o.delivery}}),
	}
}

// freshWebhook registers a webhook of the tenant and returns its id
// (deleting one webhook twice is not the same call).
func (e *env) freshWebhook(o objects) string {
	e.t.Helper()
	var w struct{ ID string }
	if code := e.postJSON("/v1/webhooks", o.tenant.admin, map[string]any{"url": "https://hooks.matrice.example/jetable"}, &w); code != http.StatusCreated {
		e.t.Fatalf("create webhook: %d", code)
	}
	return w.ID
}

// freshKey makes an uploader key of the tenant and returns it as the {id}
// of a request (rotating or revoking one key twice is not the same call).
func (e *env) freshKey(o objects) map[string]string {
	e.t.Helper()
	k, err := e.store.CreateAPIKey(context.Background(), o.tenant.id, pipeline.RoleUploader)
	if err != nil {
		e.t.Fatal(err)
	}
	return map[string]string{"id": k.ID}
}

// claimed has the reviewer claim task i (again) and returns the request
// that releases it.
func (e *env) claimed(o objects, i int) request {
	e.t.Helper()
	if code := e.postJSON("/v1/reviews/"+o.tasks[i]+"/claim", o.tenant.reviewer, nil, nil); code != http.StatusOK {
		e.t.Fatalf("claim %s: %d", o.tasks[i], code)
	}
	return request{params: map[string]string{"id": o.tasks[i]}}
}

// TestRoleMatrix calls every operation of api/openapi.yaml as every role,
// on real objects of the caller's tenant, and checks the answer against
// the authz matrix: the roles that it allows reach the handler and get a
// 2xx answer; the others get 403 problem+json, before anything is looked
// up. An operation of the contract that the test does not map to an
// action fails it.
func TestRoleMatrix(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	o := e.objects("Agence Matrice", objectsOptions{number: "CM-2026-0001", worker: "Mathilde Matrice", tasks: 3})
	requests := matrixRequests(e, o)
	inSpec := map[string]bool{}
	for _, op := range specOperations(t) {
		inSpec[op.id] = true
		action, ok := actionOf(t, op)
		makeRequest, ok2 := requests[op.id]
		if !ok2 {
			t.Errorf("%s: TestRoleMatrix does not know how to call it; add it to matrixRequests", op)
		}
		if !ok || !ok2 {
			continue
		}
		for _, r := range authz.AllRoles() {
			rq := makeRequest(r)
			path, ok := op.url(t, rq)
			if !ok {
				break
			}
			a := e.call(op, path, o.keys[r], rq)
			switch {
			case slices.Contains(allowed(action), r) && (a.status < 200 || a.status > 299):
				t.Errorf("%s as %s (allowed by %q): %d %s, want 2xx", op, r, action, a.status, a.body)
			case !slices.Contains(allowed(action), r) && (a.status != http.StatusForbidden || a.problemCode() != "forbidden"):
				t.Errorf("%s as %s (refused by %q): %d %s, want 403 forbidden problem+json", op, r, action, a.status, a.body)
			}
		}
	}
	for id := range operationActions {
		if !inSpec[id] {
			t.Errorf("operationActions maps %s, which is not an operation of openapi.yaml", id)
		}
	}
	for id := range requests {
		if !inSpec[id] {
			t.Errorf("matrixRequests maps %s, which is not an operation of openapi.yaml", id)
		}
	}
}

var rolesLine = regexp.MustCompile(`Roles?: ([^.]*)\.`)

// TestSpecRolesMatchMatrix checks that the roles that each operation's
// description in api/openapi.yaml names ("Roles: uploader, admin.") are
// those that the matrix allows, so the contract does not drift from it.
func TestSpecRolesMatchMatrix(t *testing.T) {
	t.Parallel()
	doc, _ := loadSpec(t)
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			o := specOp{id: op.OperationID, method: method, path: path}
			action, ok := actionOf(t, o)
			if !ok || action == "" {
				continue
			}
			m := rolesLine.FindStringSubmatch(op.Description)
			if m == nil {
				t.Errorf("%s: the description names no roles (\"Roles: ...\")", o)
				continue
			}
			var named []pipeline.Role
			for _, r := range authz.AllRoles() {
				if m[1] == "all" || regexp.MustCompile(`\b`+string(r)+`\b`).MatchString(m[1]) {
					named = append(named, r)
				}
			}
			if !slices.Equal(named, authz.Roles(action)) {
				t.Errorf("%s: openapi.yaml says %q, the matrix allows %v (%s)", o, m[0], authz.Roles(action), action)
			}
		}
	}
}
