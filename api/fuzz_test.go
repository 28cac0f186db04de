package api

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/extractors/reader"
	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/validate"
	"github.com/docflow/docflow/storage/postgres"
)

// The fuzz target runs the real router, middleware, handlers and
// pipeline.Service over in-memory fakes of the stores: no database.

type fuzzAuth struct{}

func (fuzzAuth) Authenticate(_ context.Context, secret string) (pipeline.Principal, error) {
	role := pipeline.Role(strings.TrimSuffix(secret, "-key"))
	switch role {
	case pipeline.RoleAdmin, pipeline.RoleReviewer, pipeline.RoleUploader:
		return pipeline.Principal{KeyID: secret, TenantID: "tenant-a", Role: role}, nil
	}
	return pipeline.Principal{}, derrors.Unauthenticated
}

// fuzzStore answers the calls of the routes that take a body; any other
// call panics on the nil embedded interface, and shows as a 500.
type fuzzStore struct{ pipeline.Store }

func (fuzzStore) TenantSettings(context.Context, string) (pipeline.TenantSettings, error) {
	return pipeline.TenantSettings{}, nil
}

func (fuzzStore) UpdateTenantSettings(context.Context, pipeline.Principal, pipeline.TenantSettings) error {
	return nil
}

func (fuzzStore) Review(_ context.Context, tenantID, id string) (pipeline.ReviewTask, error) {
	if id != "r1" {
		return pipeline.ReviewTask{}, fmt.Errorf("review %s: %w", id, derrors.NotFound)
	}
	return pipeline.ReviewTask{ID: "r1", TenantID: tenantID, DocumentID: "d1", Status: pipeline.ReviewPending,
		Reasons: []string{"contract.rate_below_minimum"}, ApprovalsRequired: 1, CreatedAt: time.Unix(0, 0)}, nil
}

func (fuzzStore) Document(_ context.Context, tenantID, id string) (pipeline.Document, error) {
	rate, start := 9.5, pipeline.NewDate(2026, 3, 2)
	return pipeline.Document{ID: id, TenantID: tenantID, FileName: "c.pdf", Type: pipeline.TypeContract,
		Status: pipeline.StatusInReview, Stage: pipeline.StageReview,
		Fields: pipeline.Fields{Contract: &pipeline.Contract{ContractNumber: "CM-2026-0101", HourlyRate: &rate, StartDate: &start},
			Confidence: map[string]float64{"hourly_rate": 0.9}}}, nil
}

func (fuzzStore) Decide(context.Context, pipeline.Decision) error { return nil }

func (fuzzStore) FindBySHA256(context.Context, string, string) (pipeline.Document, error) {
	return pipeline.Document{}, derrors.NotFound
}

func (fuzzStore) CreateDocument(_ context.Context, d pipeline.Document) (pipeline.Document, bool, error) {
	return d, true, nil
}

type fuzzFiles struct{}

func (fuzzFiles) Put(context.Context, string, []byte) (string, error) { return "key", nil }
func (fuzzFiles) Get(context.Context, string) ([]byte, error)         { return nil, derrors.NotFound }

type fuzzRecords struct{ pipeline.Records }

func (fuzzRecords) ContractLookup(string) pipeline.ContractLookup { return fuzzLookup{} }

type fuzzLookup struct{}

func (fuzzLookup) CommittedContract(context.Context, string) (*pipeline.Contract, error) {
	return nil, nil
}

type fuzzMailboxes struct{}

func (fuzzMailboxes) CreateMailbox(_ context.Context, mb mail.Mailbox) (mail.Mailbox, error) {
	mb.ID = "m1"
	return mb, nil
}

func (fuzzMailboxes) Mailbox(_ context.Context, tenantID, id string) (mail.Mailbox, error) {
	return mail.Mailbox{ID: id, TenantID: tenantID, Name: "inbox", Host: "imap.example", Port: 993, TLS: mail.TLS,
		Username: "u", Folder: "INBOX", PollInterval: time.Minute, Enabled: true}, nil
}

func (fuzzMailboxes) UpdateMailbox(_ context.Context, mb mail.Mailbox) (mail.Mailbox, error) {
	return mb, nil
}

func (fuzzMailboxes) Mailboxes(context.Context, string) ([]mail.Mailbox, error) { return nil, nil }

func (fuzzMailboxes) MailMessages(context.Context, string, string) ([]mail.Taken, error) {
	return nil, nil
}

func (fuzzMailboxes) MailFailures(context.Context, string, string) ([]mail.Failure, error) {
	return nil, nil
}

type fuzzInbound struct{}

func (fuzzInbound) CreateInboundAddress(context.Context, string) (postgres.InboundAddress, error) {
	return postgres.InboundAddress{Token: "tok"}, nil
}

func (fuzzInbound) InboundAddresses(context.Context, string) ([]postgres.InboundAddress, error) {
	return nil, nil
}

// fuzzRoutes are the routes that read a request body, with the key sent.
var fuzzRoutes = []struct{ method, path, key string }{
	{http.MethodPut, "/v1/settings", "admin-key"},
	{http.MethodPost, "/v1/mailboxes", "admin-key"},
	{http.MethodPatch, "/v1/mailboxes/m1", "admin-key"},
	{http.MethodPost, "/v1/reviews/r1/approve", "reviewer-key"},
	{http.MethodPost, "/v1/reviews/r1/reject", "reviewer-key"},
	{http.MethodPost, "/v1/documents", "uploader-key"},
	{http.MethodPost, "/v1/inbound-addresses", "admin-key"},
}

// FuzzRequestBodies sends any body to every route that reads one, through
// the router: the answer is never a server error (a body is the client's
// fault or fine), it is JSON, and a refusal is problem+json with a code
// and the status it names.
func FuzzRequestBodies(f *testing.F) {
	for i, body := range []string{
		`{"policy":{"auto_commit_warnings":true,"sample_rate":0.1,"second_approval_codes":["contract.rate_below_minimum"]},"rules":{"min_hourly_rate":12.02},"llm_mode":"fallback","monthly_token_budget":100000,"mail":{"allowed_senders":["@agency.example","boss@client.example"],"reply_when_unusable":true}}`,
		`{"name":"inbox","host":"imap.example","port":993,"tls":"tls","username":"u","password":"p","folder":"INBOX","poll_interval_seconds":60,"max_attempts":3}`,
		`{"port":-1,"tls":"none","password":"","poll_interval_seconds":9223372036854775807}`,
		`{"fields":{"hourly_rate":13.45,"start_date":null,"worker_name":"Élodie Lefèvre"},"document_type":"contract","comment":"rate fixed"}`,
		`{"reason":"not our document"}`,
		"--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"../releve.csv\"\r\nContent-Type: text/csv\r\n\r\nDate;Heures\n02/03/2026;7,5\n03/03/2026;8\r\n--B--\r\n",
		``,
	} {
		f.Add(uint8(i), []byte(body), "multipart/form-data; boundary=B")
	}
	f.Add(uint8(3), []byte(`{"fields":{"entries":[null]},"document_type":"timesheet"}`), "application/json")
	f.Add(uint8(0), []byte(`{"rules":{"max_daily_hours":-1},"policy":{"sample_rate":2,"second_approval_codes":["x"]},"llm_mode":"always"}{}`), "application/json")
	f.Add(uint8(0), []byte(`{"unknown":1}`), "application/json")
	f.Add(uint8(5), []byte("--B\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.pdf\"\r\n\r\n%PDF-1.4 /Encrypt 1 0 R startxref %%EOF\r\n--B--"), "multipart/form-data; boundary=B")
	svc := &pipeline.Service{Store: fuzzStore{}, Records: fuzzRecords{}, Files: fuzzFiles{},
		Analyzer: pipeline.Analyzer{Validator: validate.New(validate.Config{})},
		Check:    reader.New(reader.Config{MaxBytes: 1 << 20}).Check, MaxUploadBytes: 1 << 20}
	h := New(svc, fuzzAuth{}, WithMailboxes(fuzzMailboxes{}), WithInboundAddresses(fuzzInbound{}, "in.docflow.test"))
	f.Fuzz(func(t *testing.T, route uint8, body []byte, contentType string) {
		r := fuzzRoutes[int(route)%len(fuzzRoutes)]
		req := httptest.NewRequest(r.method, r.path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+r.key)
		req.Header.Set("Content-Type", contentType)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		res := rec.Result()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s: status %d: %s", r.method, r.path, res.StatusCode, rec.Body)
		}
		if !json.Valid(rec.Body.Bytes()) {
			t.Fatalf("%s %s: status %d, body is not JSON: %q", r.method, r.path, res.StatusCode, rec.Body)
		}
		if res.StatusCode < 400 {
			return
		}
		var p Problem
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
			t.Fatalf("%s %s: status %d with Content-Type %q", r.method, r.path, res.StatusCode, ct)
		}
		if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil || p.Code == "" || p.Status != res.StatusCode {
			t.Fatalf("%s %s: problem %+v (%v)", r.method, r.path, p, err)
		}
	})
}
