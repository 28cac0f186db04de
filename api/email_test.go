package api_test

import (
	"net/http"
	"testing"

	"github.com/docflow/docflow/pipeline/testdocs"
)

func TestEmailFansOutIntoDocuments(t *testing.T) {
	t.Parallel()
	e := setup(t, envOptions{})
	tn := e.tenant("Agence J")
	var d document
	if code := e.upload(tn.uploader, "message.eml", testdocs.Email("abc123@example.org", "contrat.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-006006")))), &d); code != http.StatusAccepted {
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
