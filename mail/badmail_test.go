package mail_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/google/uuid"
)

// rawMail builds a message from header lines and a body.
func rawMail(id string, headers []string, body string) []byte {
	h := append([]string{"From: agence@example.org", "To: rh@example.com", "Message-ID: <" + id + ">"}, headers...)
	return []byte(strings.Join(h, "\r\n") + "\r\n\r\n" + body)
}

// attachment is a base64 MIME part.
func attachment(ct, name string, data []byte) string {
	enc := base64.StdEncoding.EncodeToString(data)
	var b strings.Builder
	fmt.Fprintf(&b, "Content-Type: %s; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", ct, name, name)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	return b.String() + enc + "\r\n"
}

// docxBomb is a small DOCX whose document.xml inflates past the reader's
// 100 MB budget.
func docxBomb(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	f, err := w.Create("word/document.xml")
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("A"), 1<<20)
	f.Write([]byte(`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>`))
	for range 120 {
		f.Write(chunk)
	}
	f.Write([]byte(`</w:t></w:r></w:p></w:body></w:document>`))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestBadMailEndsAsRefusals delivers hostile and broken mail over IMAP:
// every message leaves the folder, the poller never stops on one, and what
// cannot be used ends refused with a code and a reason.
func TestBadMailEndsAsRefusals(t *testing.T) {
	t.Parallel()
	e := setup(t)
	e.svc.MaxUploadBytes = 2 << 20
	good := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-008001")))
	encrypted := append(testdocs.PDF("CONTRAT DE MISSION"), []byte("trailer\n<< /Encrypt 9 0 R >>\n")...)
	mixed := func(parts ...string) string {
		return "--B\r\n" + strings.Join(parts, "--B\r\n") + "--B--\r\n"
	}
	msgs := []struct {
		id   string
		raw  []byte
		want map[string]string // file name -> refusal code ("" = not refused)
	}{
		{"nobound@example.org", rawMail("nobound@example.org", []string{"Subject: no boundary", "MIME-Version: 1.0", "Content-Type: multipart/mixed"},
			"--X\r\nContent-Type: text/plain\r\n\r\nhello\r\n--X--\r\n"), map[string]string{"(email)": "corrupt_document"}},
		{"charset@example.org", rawMail("charset@example.org", []string{"Subject: =?x-unknown?q?Relev=E9?=", "MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="B"`},
			mixed("Content-Type: text/plain; charset=x-klingon\r\n\r\nVoici le contrat sign\xe9.\r\n", attachment("application/pdf", "contrat.pdf", good))),
			map[string]string{"contrat.pdf": ""}},
		{"encrypted@example.org", rawMail("encrypted@example.org", []string{"Subject: protégé", "MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="B"`},
			mixed("Content-Type: text/plain\r\n\r\nci-joint\r\n", attachment("application/pdf", "secret.pdf", encrypted))),
			map[string]string{"secret.pdf": "encrypted_document"}},
		{"bomb@example.org", rawMail("bomb@example.org", []string{"Subject: bombe", "MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="B"`},
			mixed("Content-Type: text/plain\r\n\r\nci-joint\r\n", attachment("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "releve.docx", docxBomb(t)))),
			map[string]string{"releve.docx": "too_large"}},
		{"huge@example.org", rawMail("huge@example.org", []string{"Subject: énorme", "MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="B"`},
			mixed("Content-Type: text/plain\r\n\r\nci-joint\r\n", attachment("application/pdf", "scan.pdf", bytes.Repeat([]byte("%PDF-1.4 "), 300_000)))),
			map[string]string{"(email)": "too_large"}},
	}
	for _, m := range msgs {
		e.deliver(m.raw)
	}
	res := e.poll(e.poller())
	if res.Taken != len(msgs) || res.Failed != 0 {
		t.Fatalf("poll = %+v, want every message taken, none failing", res)
	}
	if in := e.count("INBOX"); in != 0 {
		t.Fatalf("%d messages left in INBOX", in)
	}
	if failed := e.count("Failed"); failed != 1 {
		t.Errorf("%d messages in the failed folder, want 1 (the one too large to read)", failed)
	}
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for _, m := range msgs {
		var email pipeline.Document
		for {
			if err := e.pool.QueryRow(ctx, `SELECT d.id FROM documents d JOIN mail_messages mm ON mm.document_id = d.id
				WHERE mm.message_id = $1`, m.id).Scan(&email.ID); err != nil {
				t.Fatalf("%s: %v", m.id, err)
			}
			var err error
			if email, err = e.store.Document(ctx, e.tenant, email.ID); err != nil {
				t.Fatal(err)
			}
			done := email.Status != pipeline.StatusReceived && email.Status != pipeline.StatusProcessing
			for _, id := range email.Children {
				c, _ := e.store.Document(ctx, e.tenant, id)
				done = done && c.Status != pipeline.StatusReceived && c.Status != pipeline.StatusProcessing
			}
			if done {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not done: %+v", m.id, email)
			}
			time.Sleep(100 * time.Millisecond)
		}
		got := map[string]string{}
		if email.Status == pipeline.StatusRefused {
			got["(email)"] = email.Refusal
			if email.RefusalMessage == "" {
				t.Errorf("%s: refused without a reason", m.id)
			}
		}
		for _, id := range email.Children {
			c, _ := e.store.Document(ctx, e.tenant, id)
			got[c.FileName] = c.Refusal
			if c.Status == pipeline.StatusRefused && c.RefusalMessage == "" {
				t.Errorf("%s/%s: refused without a reason", m.id, c.FileName)
			}
		}
		for name, code := range m.want {
			if v, ok := got[name]; !ok || v != code {
				t.Errorf("%s: %s refusal = %q (present %v), want %q; all: %v", m.id, name, v, ok, code, got)
			}
		}
	}
}

// TestHostileEnvelopeDoesNotStickThePoller: what the sender wrote in the
// envelope (a raw 8-bit Latin-1 subject, common in the wild, an encoded
// word that decodes to a NUL, 8-bit bytes in the From address or the
// Message-ID, a Message-ID longer than an index entry) is cleaned before
// it is stored: the message is taken at the first poll, with the message
// after it, and recorded valid UTF-8 without control characters.
func TestHostileEnvelopeDoesNotStickThePoller(t *testing.T) {
	t.Parallel()
	long := strings.Repeat(uuid.NewString(), 120) // 4320 bytes
	for _, tc := range []struct {
		name, headers      string
		subject, from, mid string // as recorded ("-": the Message-ID is cut)
	}{
		{"latin-1 subject", "From: a@example.org\r\nSubject: Relev\xe9 d'heures\r\nMessage-ID: <latin1@example.org>\r\n",
			"Relevé d'heures", "a@example.org", "latin1@example.org"},
		{"NUL in an encoded subject", "From: a@example.org\r\nSubject: =?utf-8?q?releve=00heures=0D=0Amars?=\r\nMessage-ID: <nul@example.org>\r\n",
			"releveheures mars", "a@example.org", "nul@example.org"},
		{"windows-1252 encoded subject", "From: a@example.org\r\nSubject: =?windows-1252?q?=93Relev=E9=94?=\r\nMessage-ID: <cp1252@example.org>\r\n",
			"“Relevé”", "a@example.org", "cp1252@example.org"},
		{"8-bit from", "From: J\xe9r\xf4me <j\xe9r\xf4me@example.org>\r\nSubject: releve\r\nMessage-ID: <from@example.org>\r\n",
			"releve", "jérôme@example.org", "from@example.org"},
		// Not a valid Message-ID: the message is known by its hash.
		{"8-bit message-id", "From: a@example.org\r\nSubject: releve\r\nMessage-ID: <id\xe9\x01@example.org>\r\n",
			"releve", "a@example.org", ""},
		{"long message-id", "From: a@example.org\r\nSubject: releve\r\nMessage-ID: <" + long + "@example.org>\r\n",
			"releve", "a@example.org", "-"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			e.deliver([]byte("To: rh@example.com\r\n" + tc.headers + "\r\nbonjour\r\n"))
			e.deliver(contractMail("ok@example.org", "CM-2026-009001"))
			res, err := e.poller().Poll(context.Background(), e.mb)
			if err != nil || res.Taken != 2 || res.Failed != 0 {
				t.Fatalf("poll = %+v, %v; want both messages taken at once", res, err)
			}
			if in := e.count("INBOX"); in != 0 {
				t.Fatalf("INBOX still holds %d messages; want 0", in)
			}
			var subject, from, mid, file string
			if err := e.pool.QueryRow(context.Background(), `SELECT mm.subject, mm.from_addr, mm.message_id, d.file_name
				FROM mail_messages mm JOIN documents d ON d.id = mm.document_id WHERE mm.message_id <> 'ok@example.org'`).
				Scan(&subject, &from, &mid, &file); err != nil {
				t.Fatal(err)
			}
			if subject != tc.subject || from != tc.from {
				t.Errorf("recorded subject %q from %q, want %q from %q", subject, from, tc.subject, tc.from)
			}
			if tc.mid != "-" && mid != tc.mid {
				t.Errorf("recorded Message-ID %q, want %q", mid, tc.mid)
			}
			if tc.mid == "-" && (len(mid) > 250 || !strings.HasPrefix(mid, long[:100])) {
				t.Errorf("recorded Message-ID %q (%d bytes), want it cut to 250 bytes", mid, len(mid))
			}
			for _, s := range []string{subject, from, mid, file} {
				if !utf8.ValidString(s) || strings.ContainsFunc(s, unicode.IsControl) {
					t.Errorf("recorded %q: not clean", s)
				}
			}
		})
	}
}

// TestAttachmentNameWithControlCharacters: an attachment whose RFC 2047 or
// RFC 2231 file name decodes to a NUL or control characters is split out
// under its cleaned name, not failing the email's processing.
func TestAttachmentNameWithControlCharacters(t *testing.T) {
	t.Parallel()
	good := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-009101")))
	for _, tc := range []struct{ name, part string }{
		{"rfc 2047", attachment("application/pdf", "=?utf-8?q?contrat=00.pdf?=", good)},
		{"rfc 2231", strings.Replace(attachment("application/pdf", "x", good), `filename="x"`, `filename*=utf-8''contrat%00%07.pdf`, 1)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := setup(t)
			body := "--B\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n--B\r\n" + tc.part + "--B--\r\n"
			e.deliver(rawMail("nulname@example.org", []string{"Subject: contrat", "MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="B"`}, body))
			if res := e.poll(e.poller()); res.Taken != 1 {
				t.Fatalf("poll = %+v", res)
			}
			email := e.waitEmail()
			if email.Status != pipeline.StatusCommitted || len(email.Children) != 1 {
				t.Fatalf("email document %s with %d children (error %q %q); want it committed, split into its attachment",
					email.Status, len(email.Children), email.ErrorCode, email.ErrorMessage)
			}
			child, err := e.store.Document(context.Background(), e.tenant, email.Children[0])
			if err != nil || child.FileName != "contrat.pdf" {
				t.Fatalf("attachment = %q, %v; want contrat.pdf", child.FileName, err)
			}
		})
	}
}
