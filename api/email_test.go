package api_test

import (
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/docflow/docflow/pipeline/testdocs"
)

// eml builds a message with a short body and one PDF attachment.
func eml(attachment string, pdf []byte) []byte {
	var b strings.Builder
	b.WriteString("From: agence@example.org\r\nTo: rh@example.com\r\nSubject: Contrat de mission\r\n")
	b.WriteString("Message-ID: <abc123@example.org>\r\nMIME-Version: 1.0\r\n")
	b.WriteString("Content-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n\r\n")
	b.WriteString("--BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nBonjour,\r\nVeuillez trouver ci-joint le contrat.\r\nCordialement\r\n")
	fmt.Fprintf(&b, "--BOUNDARY\r\nContent-Type: application/pdf; name=\"%s\"\r\nContent-Disposition: attachment; filename=\"%s\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", attachment, attachment)
	enc := base64.StdEncoding.EncodeToString(pdf)
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n--BOUNDARY--\r\n")
	return []byte(b.String())
}

func TestEmailFansOutIntoDocuments(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence J")
	var d document
	if code := e.upload(tn.uploader, "message.eml", eml("contrat.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-006006")))), &d); code != http.StatusAccepted {
		t.Fatalf("upload: %d", code)
	}
	d = e.waitStatus(tn.uploader, d.ID, "committed", "failed", "refused", "in_review")
	if d.Status != "committed" || d.DocumentType == nil || *d.DocumentType != "email" {
		t.Fatalf("email ended %s as %v", d.Status, d.DocumentType)
	}
	if len(d.Children) != 1 {
		t.Fatalf("email has %d children, want 1 (the attachment; the body is a cover note)", len(d.Children))
	}
	child := e.waitStatus(tn.uploader, d.Children[0], "committed", "in_review", "failed")
	if child.ParentID == nil || *child.ParentID != d.ID || child.DocumentType == nil || *child.DocumentType != "contract" {
		t.Errorf("child = %+v, want a contract whose parent is the email", child)
	}
	if child.Status != "committed" {
		t.Errorf("attached contract ended %s with %+v", child.Status, child.Issues)
	}
}
