package redact

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(NewHandler(slog.NewJSONHandler(&buf, nil)))
	doc := "7d1a4d0e-3f5b-4c2a-9a51-0c7b6d2f1e11"
	err := fmt.Errorf("process(%s): upload(%q): %w", doc, "contrat Élodie Lefèvre.pdf", errors.New("sent by elodie.lefevre@example.fr"))
	log.With("password", "hunter2").Warn("mail from paie@client.fr failed",
		"document", doc, "tenant", "6e6f7682-e003-4b9f-a66d-0da305b18664", "err", err,
		"worker_name", "Élodie Lefèvre", "subject", "Relevé Élodie", "fields", map[string]any{"worker_name": "Élodie Lefèvre"},
		slog.Group("mail", "from", "x@y.fr", "uid", 42), "code", "timesheet.total_mismatch", "key", "dfk_secret")
	out := buf.String()
	for _, leak := range []string{"hunter2", "Élodie", "Lefèvre", "paie@client.fr", "x@y.fr", "elodie.lefevre@example.fr", "dfk_secret"} {
		if strings.Contains(out, leak) {
			t.Errorf("the log holds %q:\n%s", leak, out)
		}
	}
	for _, kept := range []string{doc, "6e6f7682-e003-4b9f-a66d-0da305b18664", "timesheet.total_mismatch", `"uid":42`, "process("} {
		if !strings.Contains(out, kept) {
			t.Errorf("the log lost %q:\n%s", kept, out)
		}
	}
}

func TestScrub(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`open "contrat.pdf": no`:                     `open "…": no`,
		`key "tenant/ab/abcdef0123456789abcdef": no`: `key "tenant/ab/abcdef0123456789abcdef": no`,
		`code "corrupt_document"`:                    `code "corrupt_document"`,
		`from a.b@c.fr`:                              `from [email]`,
	} {
		if got := Scrub(in); got != want {
			t.Errorf("Scrub(%q) = %q, want %q", in, got, want)
		}
	}
}
