package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/pipeline"
)

func TestMailboxAPI(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	a := e.tenant("Agence Z")
	b := e.tenant("Agence Zbis")
	var mb map[string]any
	body := map[string]any{"host": "imap.agence.example", "port": 993, "username": "releves", "password": "s3cret-imap",
		"processed_folder": "Traités", "failed_folder": "Échecs", "poll_interval_seconds": 120}
	if code := e.postJSON("/v1/mailboxes", a.admin, body, &mb); code != http.StatusCreated {
		t.Fatalf("create: %d %v", code, mb)
	}
	if _, ok := mb["password"]; ok || mb["tls"] != "tls" || mb["folder"] != "INBOX" || mb["poll_interval_seconds"] != 120.0 {
		t.Errorf("mailbox = %v", mb)
	}
	var p problem
	if code := e.postJSON("/v1/mailboxes", a.reviewer, body, &p); code != http.StatusForbidden {
		t.Errorf("reviewer adding a mailbox: %d", code)
	}
	for _, bad := range []map[string]any{
		{"host": "h", "port": 993, "username": "u", "processed_folder": "P", "failed_folder": "F"},
		{"host": "h", "port": 993, "username": "u", "password": "p", "processed_folder": "P", "failed_folder": "F", "tls": "maybe"},
		{"port": 993, "username": "u", "password": "p", "processed_folder": "P", "failed_folder": "F"},
	} {
		if code := e.postJSON("/v1/mailboxes", a.admin, bad, &p); code != http.StatusBadRequest {
			t.Errorf("bad mailbox %v: %d, want 400", bad, code)
		}
	}
	id := mb["id"].(string)
	// A message taken in, recorded with its email document.
	ctx := context.Background()
	doc := pipeline.Document{ID: "7d1a4d0e-3f5b-4c2a-9a51-0c7b6d2f1e11", TenantID: a.id, FileName: "Relevé S12.eml", Size: 10,
		SHA256: strings.Repeat("ab", 32), Status: pipeline.StatusReceived, Stage: pipeline.StageIntake, ReceivedAt: time.Now().UTC(),
		UploadedBy: "mailbox:" + id}
	if _, _, err := e.store.IntakeMessage(ctx, mail.Message{TenantID: a.id, MailboxID: id, UIDValidity: 7, UID: 42,
		MessageID: "m42@agence.example", SHA256: doc.SHA256, Subject: "Relevé S12"}, doc); err != nil {
		t.Fatal(err)
	}
	var msgs struct {
		Items []mail.Taken `json:"items"`
	}
	if code := e.getJSON("/v1/mailboxes/"+id+"/messages", a.admin, &msgs); code != http.StatusOK {
		t.Fatalf("messages: %d", code)
	}
	if len(msgs.Items) != 1 || msgs.Items[0].UID != 42 || msgs.Items[0].DocumentID != doc.ID || msgs.Items[0].DocumentStatus == "" {
		t.Errorf("messages = %+v", msgs.Items)
	}
	var fails struct {
		Items []any `json:"items"`
	}
	if code := e.getJSON("/v1/mailboxes/"+id+"/failures", a.admin, &fails); code != http.StatusOK || len(fails.Items) != 0 {
		t.Errorf("failures: %d %v", code, fails.Items)
	}
	// Another tenant sees nothing of it.
	for _, path := range []string{"/v1/mailboxes/" + id + "/messages", "/v1/mailboxes/" + id + "/failures"} {
		if code := e.getJSON(path, b.admin, &p); code != http.StatusNotFound {
			t.Errorf("tenant B GET %s: %d, want 404", path, code)
		}
	}
	var list struct {
		Items []map[string]any `json:"items"`
	}
	e.getJSON("/v1/mailboxes", b.admin, &list)
	if len(list.Items) != 0 {
		t.Errorf("tenant B lists %d mailboxes", len(list.Items))
	}
	// The email document has no file: its job may already have ended it.
	if len(msgs.Items) == 1 && (msgs.Items[0].State != "stored" && msgs.Items[0].State != "processed" || msgs.Items[0].Moved) {
		t.Errorf("message state = %q moved %v, want stored (or processed once its job ran), not moved", msgs.Items[0].State, msgs.Items[0].Moved)
	}

	// Changing settings: fields left out keep their value; the password
	// stays unless given.
	var changed map[string]any
	patch := map[string]any{"enabled": false, "poll_interval_seconds": 30, "password": "n3w-s3cret"}
	if code := e.patchJSON("/v1/mailboxes/"+id, a.admin, patch, &changed); code != http.StatusOK {
		t.Fatalf("patch: %d %v", code, changed)
	}
	if changed["enabled"] != false || changed["poll_interval_seconds"] != 30.0 || changed["host"] != "imap.agence.example" || changed["password"] != nil {
		t.Errorf("patched mailbox = %v", changed)
	}
	stored, err := e.store.Mailbox(ctx, a.id, id)
	if err != nil || stored.Password != "n3w-s3cret" || stored.Enabled {
		t.Errorf("stored mailbox = %+v, %v", stored, err)
	}
	e.patchJSON("/v1/mailboxes/"+id, a.admin, map[string]any{"name": "RH"}, &changed)
	if stored, _ := e.store.Mailbox(ctx, a.id, id); stored.Password != "n3w-s3cret" || stored.Name != "RH" {
		t.Errorf("after a patch without password: %+v", stored)
	}
	if code := e.patchJSON("/v1/mailboxes/"+id, a.admin, map[string]any{"tls": "maybe"}, &p); code != http.StatusBadRequest {
		t.Errorf("bad tls: %d", code)
	}
	if code := e.patchJSON("/v1/mailboxes/"+id, a.reviewer, map[string]any{"enabled": true}, &p); code != http.StatusForbidden {
		t.Errorf("reviewer patch: %d", code)
	}
	if code := e.patchJSON("/v1/mailboxes/"+id, b.admin, map[string]any{"enabled": true}, &p); code != http.StatusNotFound {
		t.Errorf("tenant B patch: %d, want 404", code)
	}
	if code := e.getJSON("/v1/mailboxes/"+id, b.admin, &p); code != http.StatusNotFound {
		t.Errorf("tenant B get: %d, want 404", code)
	}
	var one map[string]any
	if code := e.getJSON("/v1/mailboxes/"+id, a.admin, &one); code != http.StatusOK || one["name"] != "RH" {
		t.Errorf("get: %d %v", code, one)
	}
}

func TestInboundAddressAPI(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	a := e.tenant("Agence SMTP")
	b := e.tenant("Agence SMTP bis")
	var got struct {
		Address string `json:"address"`
	}
	if code := e.postJSON("/v1/inbound-addresses", a.admin, nil, &got); code != http.StatusCreated || !strings.HasSuffix(got.Address, "@in.docflow.test") || len(got.Address) != 20+len("@in.docflow.test") {
		t.Fatalf("create: %d %q", code, got.Address)
	}
	var p problem
	if code := e.postJSON("/v1/inbound-addresses", a.uploader, nil, &p); code != http.StatusForbidden {
		t.Errorf("uploader making an address: %d", code)
	}
	var list struct {
		Items []struct {
			Address string `json:"address"`
		} `json:"items"`
	}
	e.getJSON("/v1/inbound-addresses", a.admin, &list)
	if len(list.Items) != 1 || list.Items[0].Address != got.Address {
		t.Errorf("tenant A's addresses = %+v", list.Items)
	}
	e.getJSON("/v1/inbound-addresses", b.admin, &list)
	if len(list.Items) != 0 {
		t.Errorf("tenant B sees %d addresses", len(list.Items))
	}
}

func TestMailSettingsAPI(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence Courrier")
	var s map[string]any
	body := map[string]any{"mail": map[string]any{"allowed_senders": []string{"@client.fr", "paie@autre.fr"}, "reply_when_unusable": true}}
	if code := e.do(http.MethodPut, "/v1/settings", tn.admin, jsonBody(body), "application/json", &s); code != http.StatusOK {
		t.Fatalf("put: %d %v", code, s)
	}
	m, _ := s["mail"].(map[string]any)
	if m["reply_when_unusable"] != true || len(m["allowed_senders"].([]any)) != 2 {
		t.Errorf("settings = %v", s)
	}
	var p problem
	bad := map[string]any{"mail": map[string]any{"allowed_senders": []string{"client"}}}
	if code := e.do(http.MethodPut, "/v1/settings", tn.admin, jsonBody(bad), "application/json", &p); code != http.StatusBadRequest {
		t.Errorf("bad sender: %d", code)
	}
}
