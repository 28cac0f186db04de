package desk

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"

	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// taskView is the task page: the document view with the task and what
// the signed-in person may do with it.
type taskView struct {
	docView
	Task *pipeline.ReviewTask
	// Reasons are the task's reasons, labelled.
	Reasons []string
	// Open: the task waits for a decision. Mine: claimed by the viewer.
	// HeldBy names another holder. Editable: the viewer may decide now.
	Open, Mine, Editable bool
	HeldBy               string
	CanClaim, CanRelease bool
	TaskStatus           string
	Approvals            int
	Types                []option
}

// taskPage shows a review task with its document.
func (d *Desk) taskPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	task, err := d.svc.Store.Review(ctx, rq.user.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	doc, err := d.svc.Store.Document(ctx, rq.user.TenantID, task.DocumentID)
	if err != nil {
		return err
	}
	t := doc.Type
	if as := pipeline.DocumentType(r.URL.Query().Get("as")); doc.Type == pipeline.TypeOther && (as == pipeline.TypeContract || as == pipeline.TypeTimesheet) {
		t = as
	}
	dv, err := d.documentView(ctx, rq, doc, t)
	if err != nil {
		return err
	}
	me := rq.principal().KeyID
	v := taskView{docView: dv, Task: &task, Open: task.Status == pipeline.ReviewPending || task.Status == pipeline.ReviewClaimed,
		Mine: task.Assignee == me, TaskStatus: rq.lang.T("review." + string(task.Status)), Approvals: len(task.Approvals)}
	for _, c := range task.Reasons {
		v.Reasons = append(v.Reasons, rq.lang.Code(c))
	}
	if task.Assignee != "" && !v.Mine {
		v.HeldBy = d.people(ctx, rq).name(task.Assignee, rq.lang)
	}
	role := rq.user.Role
	v.CanClaim = v.Open && authz.Can(role, authz.ReviewClaim) && task.Assignee == ""
	v.CanRelease = v.Open && task.Assignee != "" && authz.Can(role, authz.ReviewRelease) &&
		(v.Mine || authz.Can(role, authz.ReviewReleaseAny))
	v.Editable = v.Open && authz.Can(role, authz.ReviewDecide) && v.Mine
	if doc.Type == pipeline.TypeOther {
		for _, o := range []pipeline.DocumentType{pipeline.TypeOther, pipeline.TypeContract, pipeline.TypeTimesheet} {
			v.Types = append(v.Types, option{Value: string(o), Label: rq.lang.T("type." + string(o))})
		}
	}
	d.render(w, r, rq, http.StatusOK, "task", rq.lang.T("task.title")+" — "+doc.FileName, v)
	return nil
}

// documentPage shows a document, read-only, with its history.
func (d *Desk) documentPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	doc, err := d.svc.Store.Document(r.Context(), rq.user.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	dv, err := d.documentView(r.Context(), rq, doc, doc.Type)
	if err != nil {
		return err
	}
	d.render(w, r, rq, http.StatusOK, "task", doc.FileName, taskView{docView: dv, TaskStatus: rq.lang.Status(doc.Status)})
	return nil
}

// approve approves a task with the fields that the reviewer changed.
func (d *Desk) approve(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	task, err := d.svc.Store.Review(ctx, rq.user.TenantID, r.PathValue("id"))
	if err != nil {
		return err
	}
	doc, err := d.svc.Store.Document(ctx, rq.user.TenantID, task.DocumentID)
	if err != nil {
		return err
	}
	in := pipeline.ApproveInput{ReviewID: task.ID, Comment: r.PostFormValue("comment")}
	t := doc.Type
	current := doc.Fields.Map()
	if dt := pipeline.DocumentType(r.PostFormValue("document_type")); dt != "" && dt != doc.Type {
		t, in.DocumentType, current = dt, dt, map[string]any{}
	}
	if in.Corrections, err = corrections(t, current, r.PostForm); err != nil {
		return err
	}
	if _, err := d.svc.Approve(ctx, rq.principal(), in); err != nil {
		return err
	}
	http.Redirect(w, r, "/desk/queue", http.StatusSeeOther)
	return nil
}

// reject rejects a task; the reason is required.
func (d *Desk) reject(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := d.svc.Reject(r.Context(), rq.principal(), r.PathValue("id"), r.PostFormValue("reason")); err != nil {
		return err
	}
	http.Redirect(w, r, "/desk/queue", http.StatusSeeOther)
	return nil
}

// storedPDF returns a document of the tenant and its bytes.
func (d *Desk) storedFile(r *http.Request, rq *request) (pipeline.Document, []byte, error) {
	doc, err := d.svc.Store.Document(r.Context(), rq.user.TenantID, r.PathValue("id"))
	if err != nil {
		return doc, nil, err
	}
	if doc.StorageKey == "" {
		return doc, nil, fmt.Errorf("document %s has no stored file: %w", doc.ID, derrors.NotFound)
	}
	data, err := d.svc.Files.Get(r.Context(), doc.StorageKey)
	return doc, data, err
}

// pageImage serves page n of a PDF document as PNG.
func (d *Desk) pageImage(w http.ResponseWriter, r *http.Request, rq *request) error {
	doc, data, err := d.storedFile(r, rq)
	if err != nil {
		return err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || !bytes.HasPrefix(data, []byte("%PDF")) {
		return errNoRoute
	}
	count, err := d.pages.PageCount(r.Context(), doc.TenantID, doc.SHA256, data)
	if err != nil {
		return err
	}
	if n < 1 || n > count {
		return errNoRoute
	}
	png, err := d.pages.PNG(r.Context(), doc.TenantID, doc.SHA256, data, n)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(png)
	return nil
}

// originalImage serves an uploaded image as it is; other files are not
// served (they could carry active content).
func (d *Desk) originalImage(w http.ResponseWriter, r *http.Request, rq *request) error {
	_, data, err := d.storedFile(r, rq)
	if err != nil {
		return err
	}
	if !previewable(data) {
		return errNoRoute
	}
	w.Header().Set("Content-Type", http.DetectContentType(data))
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, _ = w.Write(data)
	return nil
}
