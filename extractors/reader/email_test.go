package reader

import (
	"bytes"
	"context"
	"encoding/base64"
	"net/textproto"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// eml builds a message from lines joined with CRLF.
func eml(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n")) }

func TestReadEmail(t *testing.T) {
	t.Parallel()
	pdf := base64.StdEncoding.EncodeToString(minimalPDF("CONTRAT DE MISSION"))
	inner := strings.Join([]string{
		"From: b@example.com", "Subject: inner", "MIME-Version: 1.0",
		`Content-Type: multipart/mixed; boundary="in"`, "",
		"--in", "Content-Type: text/plain; charset=utf-8", "", "Voir pièce jointe.",
		"--in", `Content-Type: application/pdf; name="=?utf-8?b?Y29udHJhdCDDqXTDqS5wZGY=?="`,
		"Content-Disposition: attachment", "Content-Transfer-Encoding: base64", "", pdf,
		"--in--", "",
	}, "\r\n")
	tests := []struct {
		name      string
		data      []byte
		wantParts []string
		body      string
	}{
		{"attachment and cover note", eml(
			"From: a@example.com", "To: b@example.com", "Subject: =?utf-8?q?Contrat_sign=C3=A9?=", "MIME-Version: 1.0",
			`Content-Type: multipart/mixed; boundary="b1"`, "",
			"--b1", `Content-Type: multipart/alternative; boundary="b2"`, "",
			"--b2", "Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable", "",
			"Veuillez trouver ci-joint le contrat de mission. Cordialement",
			"--b2", "Content-Type: text/html; charset=utf-8", "", "<p>Veuillez trouver ci-joint</p>",
			"--b2--",
			"--b1", `Content-Type: application/pdf; name="c.pdf"`, `Content-Disposition: attachment; filename="c.pdf"`,
			"Content-Transfer-Encoding: base64", "", pdf,
			"--b1", "Content-Type: image/png", "Content-ID: <logo>", "Content-Disposition: inline", "Content-Transfer-Encoding: base64", "", "iVBORw0KGgo=",
			"--b1", `Content-Type: application/pkcs7-signature; name="smime.p7s"`, "Content-Transfer-Encoding: base64", "", "AAAA",
			"--b1--", ""),
			[]string{"c.pdf"}, "contrat de mission"},
		{"timesheet in the body (latin-1, quoted-printable)", eml(
			"From: a@example.com", "To: b@example.com", "Subject: Heures", "MIME-Version: 1.0",
			"Content-Type: text/plain; charset=iso-8859-1", "Content-Transfer-Encoding: quoted-printable", "",
			"Voici les heures effectu=E9es par Mme Test (contrat n=B0 X-1) :", "",
			"- lundi 02/03 : 8h", "- mardi 03/03 : 7h30", "- mercredi 04/03 : 7h", "", "Total : 22h30", ""),
			[]string{pipeline.BodyPartName}, "effectuées"},
		{"forwarded message", eml(
			"From: c@example.com", "To: d@example.com", "Subject: TR: inner", "MIME-Version: 1.0",
			`Content-Type: multipart/mixed; boundary="f"`, "",
			"--f", "Content-Type: text/plain", "", "Je transfère.",
			"--f", "Content-Type: message/rfc822", `Content-Disposition: attachment; filename="inner.eml"`, "", inner,
			"--f--", ""),
			[]string{"contrat été.pdf"}, "Je transfère."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(Config{}).Read(context.Background(), "m.eml", tt.data)
			if err != nil {
				t.Fatal(err)
			}
			if c.Format != "eml" {
				t.Fatalf("format = %q", c.Format)
			}
			var names []string
			for _, p := range c.Parts {
				names = append(names, p.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.wantParts, ",") {
				t.Errorf("parts = %q, want %q", names, tt.wantParts)
			}
			if !strings.Contains(c.Text, tt.body) {
				t.Errorf("text %q does not contain %q", c.Text, tt.body)
			}
			for _, p := range c.Parts {
				if strings.HasSuffix(p.Name, ".pdf") && !strings.HasPrefix(string(p.Data), "%PDF-") {
					t.Errorf("part %s not decoded", p.Name)
				}
			}
		})
	}
}

// One part that does not decode cleanly costs at most that part: a stray
// control byte (a form feed) in a quoted-printable cover note, or a base64
// attachment broken halfway, must not throw away the email's good
// attachment, and the bytes before the fault are kept.
func TestReadEmailKeepsTheOtherPartsWhenOneDoesNotDecode(t *testing.T) {
	t.Parallel()
	pdf := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-009301")))
	head := "From: a@example.org\r\nTo: b@example.org\r\nSubject: contrat\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n"
	good := "--B\r\nContent-Type: application/pdf; name=\"contrat.pdf\"\r\nContent-Disposition: attachment; filename=\"contrat.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		base64.StdEncoding.EncodeToString(pdf) + "\r\n"
	tests := []struct {
		name      string
		part      string
		body      []string // in the text, in order
		wantParts []string
		broken    []byte // what the broken part keeps, when it is an attachment
	}{
		{"form feed in a quoted-printable body",
			"--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nVoici le contrat sign=C3=A9.\x0c\r\nCordialement\r\n",
			[]string{"Voici le contrat signé.", "Cordialement"}, []string{"contrat.pdf"}, nil},
		{"escape and DEL bytes in a quoted-printable body",
			"--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nci-joint\x7f le\x1b contrat\r\n",
			[]string{"ci-joint", "contrat"}, []string{"contrat.pdf"}, nil},
		{"base64 attachment broken halfway",
			"--B\r\nContent-Type: text/plain\r\n\r\nci-joint\r\n--B\r\nContent-Type: application/octet-stream; name=\"annexe.bin\"\r\nContent-Disposition: attachment; filename=\"annexe.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\nQUJD=QUJD\r\n",
			[]string{"ci-joint"}, []string{"annexe.bin", "contrat.pdf"}, []byte("ABC")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(Config{}).Read(context.Background(), "m.eml", []byte(head+tt.part+good+"--B--\r\n"))
			if err != nil {
				t.Fatalf("Read: %v; want the email read with its contrat.pdf attachment", err)
			}
			var names []string
			for _, p := range c.Parts {
				names = append(names, p.Name)
				if p.Name == "contrat.pdf" && !bytes.Equal(p.Data, pdf) {
					t.Errorf("contrat.pdf: %d bytes, want the %d of the attachment", len(p.Data), len(pdf))
				}
				if tt.broken != nil && p.Name != "contrat.pdf" && !bytes.Equal(p.Data, tt.broken) {
					t.Errorf("%s = %q, want what decoded before the fault, %q", p.Name, p.Data, tt.broken)
				}
			}
			if strings.Join(names, ",") != strings.Join(tt.wantParts, ",") {
				t.Fatalf("parts = %q, want %q", names, tt.wantParts)
			}
			at := 0
			for _, want := range tt.body {
				i := strings.Index(c.Text[at:], want)
				if i < 0 {
					t.Fatalf("text %q lacks %q (after offset %d)", c.Text, want, at)
				}
				at += i + len(want)
			}
		})
	}
}

// An email whose structure is broken is still refused as a corrupt
// document: leniency is for the contents of one part, not for a message
// that cannot be split into parts.
func TestReadEmailRefusesABrokenStructure(t *testing.T) {
	t.Parallel()
	for name, data := range map[string][]byte{
		"multipart without a boundary": eml("From: a@example.org", "Subject: x", "MIME-Version: 1.0", "Content-Type: multipart/mixed", "",
			"--X", "Content-Type: text/plain", "", "hello", "--X--", ""),
		"parts nested too deep": eml("From: a@example.org", "Subject: x", "MIME-Version: 1.0", `Content-Type: multipart/mixed; boundary="b0"`, "",
			nested(maxDepth+2), ""),
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			_, err := New(Config{}).Read(context.Background(), "m.eml", data)
			if got := refusalCode(err); got != derrors.CorruptDocument {
				t.Fatalf("refusal = %q (%v), want corrupt_document", got, err)
			}
		})
	}
}

// nested writes multipart/mixed parts n levels deep, inside boundary b0.
func nested(n int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		b.WriteString("--b" + strconv.Itoa(i-1) + "\r\nContent-Type: multipart/mixed; boundary=\"b" + strconv.Itoa(i) + "\"\r\n\r\n")
	}
	b.WriteString("--b" + strconv.Itoa(n) + "\r\nContent-Type: text/plain\r\n\r\ndeep\r\n")
	for i := n; i >= 0; i-- {
		b.WriteString("--b" + strconv.Itoa(i) + "--\r\n")
	}
	return b.String()
}

// An attachment's file name is what the sender chose: it comes out valid
// UTF-8, without control or format characters (a NUL from an encoded
// word, a line break, a bidi override), without a directory, and bounded,
// with its extension kept.
func TestAttachmentNameIsCleaned(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("relevé ", 60) // 480 bytes
	tests := []struct {
		name, disposition, want string
	}{
		{"NUL in an RFC 2047 word", `attachment; filename="=?utf-8?q?contrat=00.pdf?="`, "contrat.pdf"},
		{"NUL in an RFC 2231 value", `attachment; filename*=utf-8''contrat%00%01.pdf`, "contrat.pdf"},
		{"line break and tab", `attachment; filename="=?utf-8?q?contrat=0Ade=09mission.pdf?="`, "contrat de mission.pdf"},
		{"bidi override", `attachment; filename="=?utf-8?q?contrat=E2=80=AEfdp.exe?="`, "contratfdp.exe"},
		{"raw Latin-1", "attachment; filename=\"relev\xe9.pdf\"", "relevé.pdf"},
		{"invalid UTF-8 in a word", `attachment; filename="=?utf-8?q?relev=E9_=FF.pdf?="`, "relevé ÿ.pdf"},
		{"directory", `attachment; filename="..\\..\\windows\\contrat.pdf"`, "contrat.pdf"},
		{"too long", `attachment; filename="` + long + `.pdf"`, strings.TrimSpace(long[:maxNameBytes-len(".pdf")]) + ".pdf"},
		{"only control characters", `attachment; filename="=?utf-8?q?=00=01?="`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := textproto.MIMEHeader{"Content-Disposition": {tt.disposition}}
			got := attachmentName(h, nil)
			if got != tt.want {
				t.Errorf("attachmentName = %q, want %q", got, tt.want)
			}
			if !utf8.ValidString(got) || len(got) > maxNameBytes || strings.ContainsFunc(got, func(r rune) bool {
				return unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
			}) {
				t.Errorf("attachmentName = %q: not clean", got)
			}
		})
	}
}
