package dataset

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/docflow/docflow/pipeline"
)

// ExportReviewed writes, as a dataset in dir, the tenant's committed
// documents that a person reviewed and approved, with their fields as
// approved and the rule codes that fire on them (tag "corrected" where a
// reviewer changed a field), oldest first. It returns how many it wrote.
func ExportReviewed(ctx context.Context, st pipeline.Store, files pipeline.Files, tenantID, dir string) (int, error) {
	docs, err := st.Documents(ctx, tenantID, pipeline.DocumentFilter{Status: pipeline.StatusCommitted, Limit: 500})
	if err != nil {
		return 0, err
	}
	corrected := map[string]bool{}
	cs, err := st.Corrections(ctx, tenantID)
	if err != nil {
		return 0, err
	}
	for _, c := range cs {
		corrected[c.DocumentID] = true
	}
	w, err := Create(dir)
	if err != nil {
		return 0, err
	}
	defer w.Close()
	slices.Reverse(docs) // oldest first: contracts before the timesheets that bill against them
	n := 0
	for _, d := range docs {
		if d.Review == nil || d.Review.Status != pipeline.ReviewApproved || (d.Type != pipeline.TypeContract && d.Type != pipeline.TypeTimesheet) {
			continue
		}
		data, err := files.Get(ctx, d.StorageKey)
		if err != nil {
			return n, err
		}
		tags := []string{d.Format, "from:review"}
		if corrected[d.ID] {
			tags = append(tags, "corrected")
		}
		l := Line{File: filepath.Join(string(d.Type)+"s", d.ID+filepath.Ext(d.FileName)), DocumentType: string(d.Type),
			Fields: d.Fields.Map(), ExpectedIssues: pipeline.Codes(d.Issues), Tags: tags}
		if err := w.Add(l, data); err != nil {
			return n, err
		}
		n++
	}
	return n, w.Close()
}
