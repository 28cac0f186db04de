package desk

import (
	"bytes"
	"encoding/json"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"strings"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// templates maps a page name to its template (the layout with the page).
type templates map[string]*template.Template

var pageNames = []string{"signin", "queue", "task", "upload", "error"}

var funcs = template.FuncMap{
	"join": strings.Join,
	"list": func(s ...string) []string { return s },
	"inc":  func(i int) int { return i + 1 },
	"pct":  func(f float64) int { return int(f*100 + 0.5) },
}

func parseTemplates() (templates, error) {
	t := templates{}
	for _, name := range pageNames {
		p, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		t[name] = p
	}
	return t, nil
}

// view is what every page template gets.
type view struct {
	L     Lang
	User  *account.User
	CSRF  string
	Title string
	Page  string
	// Path is the current path, for the language switch to come back to.
	Path string
	Can  perms
	Data any
}

// perms tells a page which links and buttons to show; the handlers
// refuse anyway. Each comes from the authz matrix.
type perms struct {
	Queue, Upload, Decide, Release bool
}

func permsOf(r pipeline.Role) perms {
	return perms{
		Queue:   authz.Can(r, authz.ReviewList),
		Upload:  authz.Can(r, authz.DocumentUpload),
		Decide:  authz.Can(r, authz.ReviewDecide),
		Release: authz.Can(r, authz.ReviewRelease),
	}
}

// render writes a page. csrf overrides the session's token (sign-in form).
func (d *Desk) render(w http.ResponseWriter, r *http.Request, rq *request, status int, page, title string, data any, csrf ...string) {
	v := view{L: rq.lang, Title: title, Page: page, Path: r.URL.RequestURI(), Data: data}
	if rq.user.ID != "" {
		u := rq.user
		v.User, v.CSRF, v.Can = &u, rq.session.CSRFToken, permsOf(u.Role)
	}
	if len(csrf) > 0 {
		v.CSRF = csrf[0]
	}
	var buf bytes.Buffer
	if err := d.tmpl[page].ExecuteTemplate(&buf, "layout", v); err != nil {
		slog.Error("desk: rendering", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// writeJSON answers a script.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

type errorView struct {
	Status  int
	Message string
	Back    string
}

// fail maps an error to its status and shows it: a page for browsers,
// JSON for scripts. The one place where desk errors become statuses.
func (d *Desk) fail(w http.ResponseWriter, r *http.Request, rq *request, err error) {
	status, code := derrors.ToStatus(err)
	l := rq.lang
	msg := detail(err)
	switch {
	case errors.Is(err, errCSRF):
		msg = l.T("error.csrf")
	case status >= 500:
		slog.Error("desk request failed", "path", r.URL.Path, "err", err)
		msg = l.T("error.internal")
	case status == http.StatusNotFound:
		msg = l.T("error.notfound")
	case status == http.StatusForbidden:
		msg = l.T("error.forbidden")
	case status == http.StatusConflict:
		msg = l.F("error.conflict", msg)
	case status == http.StatusBadRequest:
		msg = l.F("error.invalid", msg)
	}
	if wantsJSON(r) || status == http.StatusUnauthorized {
		writeJSON(w, status, map[string]any{"code": code, "status": status, "error": msg})
		return
	}
	back := localPath(r.Header.Get("Referer"))
	if back == "" {
		back = Prefix
	}
	d.render(w, r, rq, status, "error", l.T("error.title"), errorView{Status: status, Message: msg, Back: back})
}

// detail is an error's message without the call chain that wrapped it.
func detail(err error) string {
	s := err.Error()
	for _, sentinel := range []error{derrors.Conflict, derrors.InvalidArgument, derrors.Forbidden} {
		if i := strings.Index(s, sentinel.Error()+": "); i >= 0 {
			return s[i+len(sentinel.Error())+2:]
		}
	}
	return s
}
