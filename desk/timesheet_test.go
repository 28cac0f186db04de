package desk_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
)

// TestTimesheetTask shows a timesheet's day grid and its contract, and
// approves a corrected grid: only the entries change.
func TestTimesheetTask(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tn := e.tenant("Agence T")
	rev := e.signIn(e.user(tn.id, pipeline.RoleReviewer, "Rita Relue"))
	const number = "CM-2026-000303"
	contract := e.uploadAPI(tn.uploaderKey, "contrat.pdf", testdocs.PDF(testdocs.Contract(testdocs.ValidContract(number))))
	waitUntil(t, func() bool {
		d, _ := e.svc.Store.Document(context.Background(), tn.id, contract)
		return d.Status == pipeline.StatusCommitted
	})
	ts := testdocs.ValidTimesheet(number)
	ts.TotalHours = testdocs.Num(40) // the days add up to 37.5
	doc := e.uploadAPI(tn.uploaderKey, "releve.pdf", testdocs.PDF(testdocs.Timesheet(ts)))
	task := e.waitReview(tn.id, doc)
	path := "/desk/tasks/" + task.ID
	rev.do(path+"/claim", nil)
	resp, page := rev.get(path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("task page: %d", resp.StatusCode)
	}
	if n := strings.Count(page, `name="entry_date"`); n != 6 { // five days and the template row
		t.Errorf("%d date inputs in the grid, want 5 days and a template", n)
	}
	for _, want := range []string{`id="contract"`, "Élodie Lefèvre", number, "From 2026-03-02 to 2026-04-30", `data-code="timesheet.total_mismatch"`} {
		if !strings.Contains(page, want) {
			t.Errorf("the timesheet page lacks %q", want)
		}
	}
	form := url.Values{"entries": {"1"}, "f.total_hours": {"40"}}
	for _, e := range ts.Entries {
		form["entry_date"] = append(form["entry_date"], e.Date.String())
		form["entry_hours"] = append(form["entry_hours"], "7.5")
	}
	form["entry_date"] = append(form["entry_date"], "2026-03-07")
	form["entry_hours"] = append(form["entry_hours"], "2,5")
	if r := rev.do(path+"/approve", form); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("approve: %d", r.StatusCode)
	}
	entries, _ := e.svc.Store.Audit(context.Background(), tn.id, pipeline.AuditFilter{DocumentID: doc})
	last := entries[len(entries)-1]
	changes, _ := last.Details["changes"].(map[string]any)
	if last.Action != "review.approved" || len(changes) != 1 || changes["entries"] == nil {
		t.Errorf("audited approval = %s %v, want only entries changed", last.Action, last.Details)
	}
	waitUntil(t, func() bool {
		d, _ := e.svc.Store.Document(context.Background(), tn.id, doc)
		return d.Status == pipeline.StatusCommitted
	})
}

// TestTextDocumentMarksSourceLines shows a document without pages as its
// read text, the source lines of the fields marked.
func TestTextDocumentMarksSourceLines(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tn := e.tenant("Agence X")
	rev := e.signIn(e.user(tn.id, pipeline.RoleReviewer, "Rita Relue"))
	c := testdocs.ValidContract("CM-2026-000404")
	c.HourlyRate = testdocs.Num(9.5)
	doc := e.uploadAPI(tn.uploaderKey, "contrat.txt", []byte(testdocs.Contract(c)))
	task := e.waitReview(tn.id, doc)
	_, page := rev.get("/desk/tasks/" + task.ID)
	if !strings.Contains(page, `id="text-view"`) || !strings.Contains(page, `data-fields="hourly_rate"`) || strings.Contains(page, `class="hl"`) {
		t.Errorf("the text document's page does not mark the rate's line in the text view")
	}
}
