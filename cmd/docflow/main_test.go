package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/storage/dbtest"
)

// TestExtractJSON checks the shape that score-extract and the evaluation
// harness read: one object per file, refusals and emails included.
func TestExtractJSON(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	contract := write("c.txt", []byte(testdocs.Contract(testdocs.ValidContract("CM-2026-000042"))))
	empty := write("vide.pdf", nil)
	pdf := testdocs.PDF(testdocs.Timesheet(testdocs.ValidTimesheet("CM-2026-000042")))
	mail := write("m.eml", []byte("From: a@example.org\r\nTo: b@example.com\r\nSubject: releve\r\nMIME-Version: 1.0\r\n"+
		"Content-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nCi-joint.\r\n"+
		"--B\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=\"releve.pdf\"\r\n"+
		"Content-Transfer-Encoding: base64\r\n\r\n"+base64.StdEncoding.EncodeToString(pdf)+"\r\n--B--\r\n"))
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"extract", "--json", contract, empty, mail}, &out, &errb); err != nil {
		t.Fatalf("extract: %v (%s)", err, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3:\n%s", len(lines), out.String())
	}
	var got []map[string]any
	for _, l := range lines {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatal(err)
		}
		got = append(got, m)
	}
	fields, _ := got[0]["fields"].(map[string]any)
	if got[0]["file"] != contract || got[0]["document_type"] != "contract" || fields["contract_number"] != "CM-2026-000042" || fields["hourly_rate"] != 13.45 {
		t.Errorf("contract line = %v", got[0])
	}
	if issues, ok := got[0]["issues"].([]any); !ok || len(issues) != 0 {
		t.Errorf("contract issues = %v, want an empty list", got[0]["issues"])
	}
	if got[1]["refusal"] != "empty_document" || got[1]["error"] == "" {
		t.Errorf("empty file line = %v", got[1])
	}
	atts, _ := got[2]["attachments"].([]any)
	if got[2]["document_type"] != "email" || len(atts) != 1 {
		t.Fatalf("email line = %v", got[2])
	}
	att := atts[0].(map[string]any)
	if att["name"] != "releve.pdf" || att["document_type"] != "timesheet" {
		t.Errorf("attachment = %v", att)
	}
}

// TestTenantAndKeyCommands creates a tenant and a key as an operator would.
func TestTenantAndKeyCommands(t *testing.T) {
	t.Setenv("DOCFLOW_POSTGRES_URL", dbtest.PostgresURL(t))
	t.Setenv("DOCFLOW_MARIADB_DSN", dbtest.MariaDBDSN(t))
	t.Setenv("DOCFLOW_DATA_DIR", t.TempDir())
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"tenant", "create", "Intérim Plus Lyon", "--json"}, &out, &errb); err != nil {
		t.Fatalf("tenant create: %v", err)
	}
	var tn struct{ ID, Name string }
	if err := json.Unmarshal(out.Bytes(), &tn); err != nil || tn.ID == "" || tn.Name != "Intérim Plus Lyon" {
		t.Fatalf("tenant = %s (%v)", out.String(), err)
	}
	out.Reset()
	if err := run(ctx, []string{"apikey", "create", "--tenant", tn.ID, "--role", "reviewer", "--json"}, &out, &errb); err != nil {
		t.Fatalf("apikey create: %v", err)
	}
	var k struct {
		ID       string `json:"id"`
		Key      string `json:"key"`
		TenantID string `json:"tenant_id"`
		Role     string `json:"role"`
	}
	if err := json.Unmarshal(out.Bytes(), &k); err != nil || k.ID == "" || !strings.HasPrefix(k.Key, "dfk_") || k.TenantID != tn.ID || k.Role != "reviewer" {
		t.Fatalf("key = %s (%v)", out.String(), err)
	}
	out.Reset()
	if err := run(ctx, []string{"summaries", "rebuild", "--tenant", tn.ID}, &out, &errb); err != nil || !strings.Contains(out.String(), "rebuilt") {
		t.Errorf("summaries rebuild: %v %q", err, out.String())
	}
	if err := run(ctx, []string{"apikey", "create", "--tenant", tn.ID, "--role", "owner"}, &out, &errb); err == nil {
		t.Error("a key with an unknown role was made")
	}
	if err := run(ctx, []string{"apikey", "create", "--tenant", "00000000-0000-0000-0000-000000000000", "--role", "admin"}, &out, &errb); err == nil {
		t.Error("a key for a missing tenant was made")
	}
}

// TestUserCommand creates a person of the desk, the password on stdin.
func TestUserCommand(t *testing.T) {
	t.Setenv("DOCFLOW_POSTGRES_URL", dbtest.PostgresURL(t))
	t.Setenv("DOCFLOW_MARIADB_DSN", dbtest.MariaDBDSN(t))
	t.Setenv("DOCFLOW_DATA_DIR", t.TempDir())
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"tenant", "create", "Agence", "--json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var tn struct{ ID string }
	_ = json.Unmarshal(out.Bytes(), &tn)
	defer func(r io.Reader) { passwordInput = r }(passwordInput)
	passwordInput = strings.NewReader("un mot de passe assez long\n")
	out.Reset()
	args := []string{"user", "create", "--tenant", tn.ID, "--email", "Claire@Example.fr", "--name", "Claire Martin", "--role", "reviewer", "--json"}
	if err := run(ctx, args, &out, &errb); err != nil {
		t.Fatalf("user create: %v", err)
	}
	var u map[string]string
	if err := json.Unmarshal(out.Bytes(), &u); err != nil || u["id"] == "" || u["email"] != "claire@example.fr" || u["tenant_id"] != tn.ID || u["role"] != "reviewer" || len(u) != 4 {
		t.Fatalf("user = %s (%v)", out.String(), err)
	}
	passwordInput = strings.NewReader("")
	if err := run(ctx, append(args[:6:6], "other@example.fr", "--name", "O", "--role", "admin"), &out, &errb); err == nil {
		t.Error("a user was made without a password")
	}
	passwordInput = strings.NewReader("court\n")
	if err := run(ctx, append(args[:6:6], "other@example.fr", "--name", "O", "--role", "admin"), &out, &errb); err == nil {
		t.Error("a user was made with a 5-character password")
	}
	passwordInput = strings.NewReader("un mot de passe assez long\n")
	if err := run(ctx, args, &out, &errb); err == nil {
		t.Error("the same email was made twice in a tenant")
	}
}
