package reader

import (
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/docflow/docflow/pipeline"
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
