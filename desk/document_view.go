package desk

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// docView is a document as the task and document pages show it: the
// original beside the fields, findings by field, the day grid and the
// contract of a timesheet, and the history.
type docView struct {
	Doc        pipeline.Document
	Type       pipeline.DocumentType
	Viewer     viewer
	Fields     []fieldView
	Entries    []entryView
	Other      []issueView
	History    []historyItem
	Contract   *pipeline.CommittedContract
	NoContract bool
}

type viewer struct {
	// Kind is pdf (page images), image (the file itself), text or none.
	Kind     string
	Pages    []pageView
	ImageURL string
	Lines    []textLine
}

type pageView struct {
	N     int
	URL   string
	Boxes []box
}

type textLine struct {
	N      int
	Text   string
	Fields string
}

type fieldView struct {
	Name, Label, Kind, Value string
	Confidence               int
	HasConfidence, Low       bool
	Source                   pipeline.Source
	Boxed                    bool
	Issues                   []issueView
	Options                  []option
}

type option struct{ Value, Label string }

type issueView struct {
	Code, Label, Severity, Message string
}

type entryView struct{ Date, Hours string }

type historyItem struct {
	When, Who, What string
	Details         []string
}

// maxPages is the most pages of a PDF the task page shows.
const maxPages = 50

// lowConfidence is below what the desk marks a field as doubtful.
const lowConfidence = 0.8

// documentView builds the view of doc, shown as type t (t differs from the
// document's type when a reviewer re-types an unclassified document).
func (d *Desk) documentView(ctx context.Context, rq *request, doc pipeline.Document, t pipeline.DocumentType) (docView, error) {
	v := docView{Doc: doc, Type: t}
	l := rq.lang
	values := map[string]any{}
	if t == doc.Type {
		values = doc.Fields.Map()
	}
	byField := map[string][]issueView{}
	names := fieldNames(t)
	for _, i := range doc.Issues {
		iv := issueView{Code: i.Code, Label: l.Code(i.Code), Severity: string(i.Severity), Message: l.Message(i)}
		placed := false
		for _, f := range i.Fields {
			if slices.Contains(names, f) {
				byField[f] = append(byField[f], iv)
				placed = true
			}
		}
		if !placed {
			v.Other = append(v.Other, iv)
		}
	}
	for _, name := range names {
		fv := fieldView{Name: name, Label: l.Field(name), Kind: fieldKind(name), Value: formatValue(values[name]), Issues: byField[name]}
		if c, ok := doc.Fields.Confidence[name]; ok && t == doc.Type {
			fv.Confidence, fv.HasConfidence, fv.Low = int(c*100+0.5), true, c < lowConfidence
		}
		if t == doc.Type {
			fv.Source = doc.Fields.Sources[name]
		}
		if fv.Kind == "reason" {
			for _, r := range reasons {
				fv.Options = append(fv.Options, option{Value: r, Label: l.T("reason." + r)})
			}
		}
		v.Fields = append(v.Fields, fv)
	}
	if es, ok := values["entries"].([]any); ok {
		for _, e := range es {
			m, _ := e.(map[string]any)
			v.Entries = append(v.Entries, entryView{Date: formatValue(m["date"]), Hours: formatValue(m["hours"])})
		}
	}
	if t == pipeline.TypeTimesheet && doc.Fields.Timesheet != nil && doc.Fields.Timesheet.ContractNumber != "" {
		c, err := d.svc.Records.Contract(ctx, doc.TenantID, doc.Fields.Timesheet.ContractNumber)
		switch {
		case err == nil:
			v.Contract = &c
		case errors.Is(err, derrors.NotFound):
			v.NoContract = true
		default:
			return v, err
		}
	}
	v.Viewer = d.viewer(ctx, doc, v.Fields)
	hist, err := d.history(ctx, rq, doc.ID)
	v.History = hist
	return v, err
}

// formatValue writes a field value for an input.
func formatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	}
	return fmt.Sprint(v)
}

// viewer prepares the original: PDF pages with a box over each field's
// source, an image as it is, or the read text with the source lines
// marked. A PDF field whose words are not found is marked in the text.
func (d *Desk) viewer(ctx context.Context, doc pipeline.Document, fields []fieldView) viewer {
	if doc.StorageKey == "" {
		return viewer{Kind: "none"}
	}
	data, err := d.svc.Files.Get(ctx, doc.StorageKey)
	if err != nil {
		slog.Warn("desk: reading a stored file", "document", doc.ID, "err", err)
		return viewer{Kind: "none"}
	}
	base := "/desk/documents/" + doc.ID
	if bytes.HasPrefix(data, []byte("%PDF")) {
		return d.pdfViewer(ctx, doc, data, fields, base)
	}
	if previewable(data) {
		return viewer{Kind: "image", ImageURL: base + "/file"}
	}
	c, err := d.svc.Analyzer.Reader.Read(ctx, doc.FileName, data)
	if err != nil || c.Text == "" {
		return viewer{Kind: "none"}
	}
	return viewer{Kind: "text", Lines: numberLines(c.Text, fields, nil)}
}

func (d *Desk) pdfViewer(ctx context.Context, doc pipeline.Document, data []byte, fields []fieldView, base string) viewer {
	v := viewer{Kind: "pdf"}
	n, err := d.pages.PageCount(ctx, doc.TenantID, doc.SHA256, data)
	if err != nil {
		slog.Warn("desk: counting pages", "document", doc.ID, "err", err)
		return viewer{Kind: "none"}
	}
	n = min(n, maxPages)
	// Word boxes only of the pages that hold a source (all when one is unknown).
	needed := map[int]bool{}
	for _, f := range fields {
		if f.Source.Text != "" && f.Source.Line > 0 {
			needed[f.Source.Page] = true
		}
	}
	words := make([]pageWords, n+1)
	for p := 1; p <= n; p++ {
		v.Pages = append(v.Pages, pageView{N: p, URL: fmt.Sprintf("%s/pages/%d", base, p)})
		if !needed[p] && !needed[0] {
			continue
		}
		if words[p], err = d.pages.BBox(ctx, doc.TenantID, doc.SHA256, data, p); err != nil {
			slog.Warn("desk: word boxes", "document", doc.ID, "page", p, "err", err)
		}
	}
	unboxed := map[int]bool{}
	for i, f := range fields {
		if f.Source.Text == "" || f.Source.Line == 0 {
			continue
		}
		for p := 1; p <= n && !fields[i].Boxed; p++ {
			if f.Source.Page != 0 && f.Source.Page != p {
				continue
			}
			if b, ok := words[p].locate(f.Name, f.Source.Text); ok {
				v.Pages[p-1].Boxes = append(v.Pages[p-1].Boxes, b)
				fields[i].Boxed = true
			}
		}
		if !fields[i].Boxed {
			unboxed[f.Source.Line] = true
		}
	}
	if len(unboxed) > 0 {
		if text, err := d.pages.Text(ctx, doc.TenantID, doc.SHA256, data); err == nil {
			v.Lines = numberLines(text, fields, unboxed)
		}
	}
	return v
}

// previewable tells images that browsers show.
func previewable(data []byte) bool {
	switch http.DetectContentType(data) {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// numberLines splits read text into lines numbered as the extractor
// numbers them (a form feed starts a page and ends a line that it does not
// start), and marks the lines that are some field's source; only lines in
// only are marked when only is not nil.
func numberLines(text string, fields []fieldView, only map[int]bool) []textLine {
	marks := map[int][]string{}
	for _, f := range fields {
		if f.Source.Line > 0 && (only == nil || only[f.Source.Line]) && !f.Boxed {
			marks[f.Source.Line] = append(marks[f.Source.Line], f.Name)
		}
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	var out []textLine
	num, start := 1, 0
	emit := func(end int) {
		out = append(out, textLine{N: num, Text: strings.TrimRight(text[start:end], " \t\r"), Fields: strings.Join(marks[num], " ")})
	}
	for i := 0; i < len(text); i++ {
		switch text[i] {
		case '\n':
			emit(i)
			num++
			start = i + 1
		case '\f':
			if i > 0 && text[i-1] != '\n' && text[i-1] != '\f' {
				emit(i)
				num++
			}
			start = i + 1
		}
	}
	if start < len(text) {
		emit(len(text))
	}
	return out
}

// history is the document's audit trail in words.
func (d *Desk) history(ctx context.Context, rq *request, docID string) ([]historyItem, error) {
	entries, err := d.svc.Store.Audit(ctx, rq.user.TenantID, pipeline.AuditFilter{DocumentID: docID})
	if err != nil {
		return nil, err
	}
	people := d.people(ctx, rq)
	l := rq.lang
	var out []historyItem
	for _, e := range entries {
		h := historyItem{When: l.Time(e.At), Who: people.name(e.Actor, l), What: l.T("history." + e.Action)}
		if changes, ok := e.Details["changes"].(map[string]any); ok {
			keys := make([]string, 0, len(changes))
			for k := range changes {
				keys = append(keys, k)
			}
			slices.Sort(keys)
			for _, k := range keys {
				pair, _ := changes[k].([]any)
				if len(pair) == 2 {
					h.Details = append(h.Details, l.F("history.changed", l.Field(k), shortValue(pair[0]), shortValue(pair[1])))
				}
			}
		}
		if reason, _ := e.Details["reason"].(string); reason != "" {
			h.Details = append(h.Details, "« "+reason+" »")
		}
		out = append(out, h)
	}
	return out, nil
}

func shortValue(v any) string {
	if es, ok := v.([]any); ok {
		return fmt.Sprintf("[%d]", len(es))
	}
	if v == nil {
		return "∅"
	}
	return formatValue(v)
}
