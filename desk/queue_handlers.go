package desk

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/pipeline"
)

type queueView struct {
	Filter queueFilter
	Rows   []queueRow
	Codes  []string
}

type queueFilter struct {
	Type, Code, Age, Assignee string
}

type queueRow struct {
	Task     pipeline.ReviewTask
	FileName string
	Age      string
	Assignee string
	Mine     bool
	Free     bool
}

var ages = map[string]time.Duration{"1h": time.Hour, "24h": 24 * time.Hour, "72h": 72 * time.Hour}

// queuePage lists the open review tasks that pass the filters, oldest first.
func (d *Desk) queuePage(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	f := queueFilter{Type: q.Get("type"), Code: q.Get("code"), Age: q.Get("age"), Assignee: q.Get("assignee")}
	pf := pipeline.ReviewFilter{DocumentType: pipeline.DocumentType(f.Type), Code: f.Code}
	if !slices.Contains([]string{"", "contract", "timesheet", "other"}, f.Type) {
		f.Type, pf.DocumentType = "", ""
	}
	switch f.Assignee {
	case "me":
		pf.Assignee = rq.principal().KeyID
	case "none":
		pf.Assignee = "none"
	default:
		f.Assignee = ""
	}
	if age, ok := ages[f.Age]; ok {
		before := d.now().Add(-age)
		pf.OlderThan = &before
	} else {
		f.Age = ""
	}
	ctx := r.Context()
	var tasks []pipeline.ReviewTask
	for _, st := range []pipeline.ReviewStatus{pipeline.ReviewPending, pipeline.ReviewClaimed} {
		pf.Status = st
		ts, err := d.svc.Store.Reviews(ctx, rq.user.TenantID, pf)
		if err != nil {
			return err
		}
		tasks = append(tasks, ts...)
	}
	slices.SortFunc(tasks, func(a, b pipeline.ReviewTask) int { return a.CreatedAt.Compare(b.CreatedAt) })
	docs, err := d.svc.Store.Documents(ctx, rq.user.TenantID, pipeline.DocumentFilter{Status: pipeline.StatusInReview, Limit: 500})
	if err != nil {
		return err
	}
	names := map[string]string{}
	for _, doc := range docs {
		names[doc.ID] = doc.FileName
	}
	people := d.people(ctx, rq)
	v := queueView{Filter: f, Codes: ruleCodes}
	now := d.now()
	for _, t := range tasks {
		v.Rows = append(v.Rows, queueRow{Task: t, FileName: names[t.DocumentID], Age: rq.lang.Age(t.CreatedAt, now),
			Assignee: people.name(t.Assignee, rq.lang), Mine: t.Assignee == rq.principal().KeyID, Free: t.Assignee == ""})
	}
	d.render(w, r, rq, http.StatusOK, "queue", rq.lang.T("queue.title"), v)
	return nil
}

// directory names the actors of a tenant: people by name, API keys and
// the pipeline by what they are.
type directory map[string]string

func (d *Desk) people(ctx context.Context, rq *request) directory {
	out := directory{}
	users, err := d.accounts.TenantUsers(ctx, rq.user.TenantID)
	if err != nil {
		return out
	}
	for _, u := range users {
		out[account.PrincipalPrefix+u.ID] = u.Name
	}
	return out
}

func (p directory) name(actor string, l Lang) string {
	switch {
	case actor == "":
		return ""
	case p[actor] != "":
		return p[actor]
	case strings.HasPrefix(actor, account.PrincipalPrefix):
		return actor
	case actor == "pipeline" || actor == "intake":
		return "docflow"
	}
	if len(actor) > 8 {
		actor = actor[:8]
	}
	return l.F("actor.key", actor)
}

// claim takes a task for the signed-in reviewer and opens it.
func (d *Desk) claim(w http.ResponseWriter, r *http.Request, rq *request) error {
	t, err := d.svc.Claim(r.Context(), rq.principal(), r.PathValue("id"))
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		writeJSON(w, http.StatusOK, map[string]any{"id": t.ID, "status": t.Status, "assignee": t.Assignee})
		return nil
	}
	http.Redirect(w, r, "/desk/tasks/"+t.ID, http.StatusSeeOther)
	return nil
}

// release gives a task back to the queue.
func (d *Desk) release(w http.ResponseWriter, r *http.Request, rq *request) error {
	if _, err := d.svc.Release(r.Context(), rq.principal(), r.PathValue("id")); err != nil {
		return err
	}
	http.Redirect(w, r, "/desk/queue", http.StatusSeeOther)
	return nil
}
