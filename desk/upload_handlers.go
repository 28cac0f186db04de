package desk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"path/filepath"
	"strings"

	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// docRow is one document of the upload page's list, as the page and its
// JSON poll show it.
type docRow struct {
	ID          string `json:"id"`
	FileName    string `json:"file_name"`
	Status      string `json:"status"`
	StatusLabel string `json:"status_label"`
	What        string `json:"what"`
	Received    string `json:"received"`
	// Parent is the file name of the email a document arrived in.
	Parent string `json:"parent,omitempty"`
	Link   string `json:"link,omitempty"`
}

// uploadPage shows the drop zone (to those who may upload) and the
// tenant's documents.
func (d *Desk) uploadPage(w http.ResponseWriter, r *http.Request, rq *request) error {
	rows, err := d.documentRows(r.Context(), rq)
	if err != nil {
		return err
	}
	title := rq.lang.T("upload.title")
	if !authz.Can(rq.user.Role, authz.DocumentUpload) {
		title = rq.lang.T("nav.documents")
	}
	d.render(w, r, rq, http.StatusOK, "upload", title, rows)
	return nil
}

// documentsJSON is what the upload page polls for live status.
func (d *Desk) documentsJSON(w http.ResponseWriter, r *http.Request, rq *request) error {
	rows, err := d.documentRows(r.Context(), rq)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": rows})
	return nil
}

// documentRows lists the tenant's latest documents, newest first, each
// email followed by the documents it carried.
func (d *Desk) documentRows(ctx context.Context, rq *request) ([]docRow, error) {
	docs, err := d.svc.Store.Documents(ctx, rq.user.TenantID, pipeline.DocumentFilter{Limit: 200})
	if err != nil {
		return nil, err
	}
	byID := map[string]pipeline.Document{}
	for _, doc := range docs {
		byID[doc.ID] = doc
	}
	rows := []docRow{}
	var add func(doc pipeline.Document)
	add = func(doc pipeline.Document) {
		rows = append(rows, d.documentRow(ctx, rq, doc, byID[doc.ParentID].FileName))
		for _, c := range doc.Children {
			if child, ok := byID[c]; ok {
				add(child)
			}
		}
	}
	for _, doc := range docs {
		if _, inList := byID[doc.ParentID]; doc.ParentID == "" || !inList {
			add(doc)
		}
	}
	return rows, nil
}

func (d *Desk) documentRow(ctx context.Context, rq *request, doc pipeline.Document, parent string) docRow {
	l := rq.lang
	row := docRow{ID: doc.ID, FileName: doc.FileName, Status: string(doc.Status), StatusLabel: l.Status(doc.Status),
		Received: l.Time(doc.ReceivedAt), Parent: parent}
	if doc.ParentID != "" && parent == "" {
		row.Parent = "…"
	}
	if authz.Can(rq.user.Role, authz.DocumentAudit) {
		row.Link = "/desk/documents/" + doc.ID
	}
	switch doc.Status {
	case pipeline.StatusCommitted:
		row.What = l.T("what.committed")
		if doc.Type == pipeline.TypeEmail {
			row.What = l.F("what.email", len(doc.Children))
		}
	case pipeline.StatusInReview:
		var why []string
		for _, i := range doc.Issues {
			why = append(why, l.Message(i))
		}
		if len(why) == 0 && doc.Type == pipeline.TypeOther {
			why = append(why, l.Code("document.unclassified"))
		} else if len(why) == 0 {
			why = append(why, l.Code("review.sampled"))
		}
		row.What = l.F("what.review", strings.Join(why, " · "))
		if doc.Review != nil && authz.Can(rq.user.Role, authz.ReviewList) {
			row.Link = "/desk/tasks/" + doc.Review.ID
		}
	case pipeline.StatusRefused:
		row.What = l.F("what.refused", doc.RefusalMessage)
	case pipeline.StatusFailed:
		row.What = l.F("what.failed", doc.ErrorMessage)
	case pipeline.StatusRejected:
		row.What = l.T("what.rejected")
		if doc.Review != nil {
			if t, err := d.svc.Store.Review(ctx, rq.user.TenantID, doc.Review.ID); err == nil && t.Reason != "" {
				row.What += " « " + t.Reason + " »"
			}
		}
	default:
		row.What = l.T("what.processing")
	}
	return row
}

// uploadResult answers one file of an upload.
type uploadResult struct {
	ID       string `json:"id,omitempty"`
	FileName string `json:"file_name"`
	Status   string `json:"status,omitempty"`
	Created  bool   `json:"created"`
	Refusal  string `json:"refusal,omitempty"`
	Error    string `json:"error,omitempty"`
}

// upload takes the files of a multipart request (field "file"), each
// through pipeline.Service.Upload as the signed-in user. Scripts get JSON
// (one file per request from the page's script); a plain form goes back
// to the page.
func (d *Desk) upload(w http.ResponseWriter, r *http.Request, rq *request) error {
	var results []uploadResult
	put := func(name string, body io.Reader) error {
		name = filepath.Base(name)
		if name == "." || name == "/" {
			name = "upload"
		}
		doc, created, err := d.svc.Upload(r.Context(), rq.principal(), name, body)
		res := uploadResult{ID: doc.ID, FileName: name, Status: string(doc.Status), Created: created}
		if ref, ok := derrors.AsRefusal(err); ok {
			res.Refusal, res.Error = ref.Code, ref.Message
		} else if err != nil {
			return err
		}
		results = append(results, res)
		return nil
	}
	if err := eachFile(r, put); err != nil {
		return err
	}
	if len(results) == 0 {
		return fmt.Errorf("%w: no file in the upload", derrors.InvalidArgument)
	}
	if !wantsJSON(r) {
		http.Redirect(w, r, "/desk/upload", http.StatusSeeOther)
		return nil
	}
	status := http.StatusOK
	if len(results) == 1 && results[0].Refusal != "" {
		status = http.StatusUnprocessableEntity
	}
	writeJSON(w, status, map[string]any{"items": results})
	return nil
}

// eachFile calls put for every "file" part: streamed from the body, or
// from the parsed form when the CSRF check had to parse it.
func eachFile(r *http.Request, put func(name string, body io.Reader) error) error {
	if r.MultipartForm != nil {
		for _, fh := range r.MultipartForm.File["file"] {
			if err := putHeader(fh, put); err != nil {
				return err
			}
		}
		return nil
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return fmt.Errorf("%w: send the files as multipart/form-data in the field \"file\"", derrors.InvalidArgument)
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%w: reading the upload: %v", derrors.InvalidArgument, err)
		}
		if part.FormName() == "file" && part.FileName() != "" {
			if err := put(part.FileName(), part); err != nil {
				return err
			}
		}
	}
}

func putHeader(fh *multipart.FileHeader, put func(string, io.Reader) error) error {
	f, err := fh.Open()
	if err != nil {
		return err
	}
	defer f.Close()
	return put(fh.Filename, f)
}
