package desk_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/desk"
	"github.com/docflow/docflow/pipeline"
)

func TestSignInSessionAndSignOut(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tn := e.tenant("Agence S")
	rev := e.user(tn.id, pipeline.RoleReviewer, "Rita Relue")

	anon := &browser{e: e, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	if resp, _ := anon.get("/desk/queue"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/desk/signin") {
		t.Errorf("queue without a session: %d %s, want a redirect to sign in", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, page := anon.get("/desk/signin")
	for h, want := range map[string]string{"X-Frame-Options": "DENY", "X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin"} {
		if got := resp.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP = %q", csp)
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, " style=") || strings.Contains(page, "onclick") {
		t.Error("the sign-in page has inline script or style")
	}
	// Wrong password: refused, no session.
	b := e.signIn(rev)
	jarless := &browser{e: e, c: b.c}
	_, page = jarless.get("/desk/signin")
	m := csrfInput.FindStringSubmatch(page)
	if r := jarless.post("/desk/signin", url.Values{"csrf": {m[1]}, "email": {rev.Email}, "password": {"wrong password!"}}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("wrong password: %d, want 401", r.StatusCode)
	}
	// A sign-in form without its cookie's token is refused (login CSRF).
	if r := anon.post("/desk/signin", url.Values{"csrf": {"forged"}, "email": {rev.Email}, "password": {password}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the form's token: %d, want 403", r.StatusCode)
	}

	b = e.signIn(rev)
	var session *http.Cookie
	for _, c := range b.c.Jar.Cookies(mustURL(t, e.server.URL+"/desk/")) {
		if c.Name == "docflow_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatal("no session cookie")
	}
	if resp, page := b.get("/desk/queue"); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Rita Relue") {
		t.Fatalf("queue once signed in: %d", resp.StatusCode)
	}
	if r := b.post("/desk/signout", url.Values{}); r.StatusCode != http.StatusForbidden {
		t.Errorf("sign-out without CSRF token: %d, want 403", r.StatusCode)
	}
	if r := b.do("/desk/signout", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-out: %d", r.StatusCode)
	}
	// The old cookie opens nothing any more.
	replay := &browser{e: e, c: anon.c}
	req, _ := http.NewRequest(http.MethodGet, e.server.URL+"/desk/queue", nil)
	req.AddCookie(&http.Cookie{Name: "docflow_session", Value: session.Value})
	if r, err := replay.c.Do(req); err != nil || r.StatusCode != http.StatusSeeOther {
		t.Errorf("queue with a signed-out session: %v %v, want a redirect", r.StatusCode, err)
	}
}

func TestSessionCookieFlags(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tn := e.tenant("Agence C")
	u := e.user(tn.id, pipeline.RoleUploader, "Ugo Dépôt")
	b := &browser{e: e, c: &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	resp, page := b.get("/desk/signin")
	var signin *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "docflow_signin" {
			signin = c
		}
	}
	m := csrfInput.FindStringSubmatch(page)
	req, _ := http.NewRequest(http.MethodPost, e.server.URL+"/desk/signin",
		strings.NewReader(url.Values{"csrf": {m[1]}, "email": {u.Email}, "password": {password}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.AddCookie(signin)
	r, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	r.Body.Close()
	var set string
	for _, h := range r.Header.Values("Set-Cookie") {
		if strings.HasPrefix(h, "docflow_session=") {
			set = h
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Lax", "Path=/desk/", "Max-Age="} {
		if !strings.Contains(set, want) {
			t.Errorf("session cookie %q lacks %s", set, want)
		}
	}
	if strings.Contains(set, "Secure") {
		t.Errorf("session cookie %q is Secure on plain HTTP without the setting", set)
	}
	if loc := r.Header.Get("Location"); loc != "/desk/" {
		t.Errorf("after sign-in: %q", loc)
	}
}

func TestRolesAndCSRF(t *testing.T) {
	t.Parallel()
	e := setup(t)
	tn := e.tenant("Agence R")
	rev := e.signIn(e.user(tn.id, pipeline.RoleReviewer, "Rita Relue"))
	up := e.signIn(e.user(tn.id, pipeline.RoleUploader, "Ugo Dépôt"))
	aud := e.signIn(e.user(tn.id, pipeline.RoleAuditor, "Aude Lecture"))
	adm := e.signIn(e.user(tn.id, pipeline.RoleAdmin, "Adam Admin"))
	doc := e.uploadAPI(tn.uploaderKey, "contrat.pdf", contractWithLowRate("CM-2026-000101"))
	task := e.waitReview(tn.id, doc)
	taskPath := "/desk/tasks/" + task.ID

	// The uploader sees the upload page only.
	if r, _ := up.get("/desk/"); r.Header.Get("Location") != "/desk/upload" {
		t.Errorf("uploader's home: %q", r.Header.Get("Location"))
	}
	for _, p := range []string{"/desk/queue", taskPath, "/desk/documents/" + doc} {
		if r, _ := up.get(p); r.StatusCode != http.StatusForbidden {
			t.Errorf("uploader GET %s: %d, want 403", p, r.StatusCode)
		}
	}
	if r := up.do(taskPath+"/approve", url.Values{}); r.StatusCode != http.StatusForbidden {
		t.Errorf("uploader approving: %d, want 403", r.StatusCode)
	}
	// The auditor reads, with no button that changes anything, and is refused anyway.
	r, page := aud.get(taskPath)
	if r.StatusCode != http.StatusOK {
		t.Fatalf("auditor task page: %d", r.StatusCode)
	}
	for _, id := range []string{`id="claim"`, `id="approve"`, `id="reject"`, `id="release"`, `id="upload-form"`} {
		if strings.Contains(page, id) {
			t.Errorf("the auditor's task page has %s", id)
		}
	}
	if _, page := aud.get("/desk/upload"); strings.Contains(page, `id="upload-form"`) || !strings.Contains(page, "contrat.pdf") {
		t.Error("the auditor's documents page has an upload form or lacks the document")
	}
	for _, p := range []string{"/claim", "/approve", "/reject", "/release"} {
		if r := aud.do(taskPath+p, url.Values{"reason": {"x"}}); r.StatusCode != http.StatusForbidden {
			t.Errorf("auditor POST %s: %d, want 403", p, r.StatusCode)
		}
	}
	if r := aud.do("/desk/upload", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("auditor upload: %d, want 403", r.StatusCode)
	}
	// CSRF: a reviewer's POST without the token, or with another's, is refused.
	if r := rev.post(taskPath+"/claim", url.Values{}); r.StatusCode != http.StatusForbidden {
		t.Errorf("claim without a CSRF token: %d, want 403", r.StatusCode)
	}
	if r := rev.post(taskPath+"/claim", url.Values{"csrf": {aud.csrf}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("claim with another session's token: %d, want 403", r.StatusCode)
	}
	if got, _ := e.svc.Store.Review(t.Context(), tn.id, task.ID); got.Assignee != "" {
		t.Fatalf("a refused claim took the task: %+v", got)
	}
	// The reviewer claims; the admin sees the claim and may release it.
	if r := rev.do(taskPath+"/claim", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("claim: %d", r.StatusCode)
	}
	_, page = adm.get(taskPath)
	if !strings.Contains(page, `id="claimed-by-other"`) || !strings.Contains(page, "Rita Relue") || strings.Contains(page, `id="approve"`) {
		t.Error("the admin's page does not show the claim by Rita Relue, or offers to approve")
	}
	if r := adm.do(taskPath+"/approve", nil); r.StatusCode != http.StatusForbidden {
		t.Errorf("admin approving: %d, want 403", r.StatusCode)
	}
	if r := adm.do(taskPath+"/release", nil); r.StatusCode != http.StatusSeeOther {
		t.Errorf("admin releasing: %d", r.StatusCode)
	}
	// Rejecting needs a reason.
	rev.do(taskPath+"/claim", nil)
	if r := rev.do(taskPath+"/reject", url.Values{"reason": {""}}); r.StatusCode != http.StatusBadRequest {
		t.Errorf("reject without a reason: %d, want 400", r.StatusCode)
	}
	if r := rev.do(taskPath+"/reject", url.Values{"reason": {"illisible"}}); r.StatusCode != http.StatusSeeOther {
		t.Errorf("reject: %d", r.StatusCode)
	}
	if d, _ := e.svc.Store.Document(t.Context(), tn.id, doc); d.Status != pipeline.StatusRejected {
		t.Errorf("document is %s after the rejection", d.Status)
	}
	if _, page := up.get("/desk/upload"); !strings.Contains(page, "illisible") {
		t.Error("the upload page does not say why the document was rejected")
	}
}

func TestTenantIsolation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a, b := e.tenant("Agence A"), e.tenant("Agence B")
	revA := e.signIn(e.user(a.id, pipeline.RoleReviewer, "Rita A"))
	docB := e.uploadAPI(b.uploaderKey, "contrat-b.pdf", contractWithLowRate("CM-2026-000202"))
	taskB := e.waitReview(b.id, docB)
	for _, p := range []string{"/desk/tasks/" + taskB.ID, "/desk/documents/" + docB, "/desk/documents/" + docB + "/pages/1",
		"/desk/documents/" + docB + "/file", "/desk/tasks/not-a-uuid"} {
		if r, _ := revA.get(p); r.StatusCode != http.StatusNotFound {
			t.Errorf("tenant A GET %s: %d, want 404", p, r.StatusCode)
		}
	}
	if r := revA.do("/desk/tasks/"+taskB.ID+"/claim", nil); r.StatusCode != http.StatusNotFound {
		t.Errorf("tenant A claiming B's task: %d, want 404", r.StatusCode)
	}
	if _, page := revA.get("/desk/upload"); strings.Contains(page, "contrat-b.pdf") {
		t.Error("tenant A's document list shows B's document")
	}
	if _, page := revA.get("/desk/queue"); strings.Contains(page, taskB.ID) {
		t.Error("tenant A's queue shows B's task")
	}
	// The same person in both tenants signs in through the tenant's link.
	revB := e.user(b.id, pipeline.RoleReviewer, "Rita A")
	if revB.Email == "" {
		t.Fatal("no user")
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// TestBackgroundRefreshDoesNotKeepAnIdleSession: the upload page's
// refresh of the document list (desk.js, X-Docflow-Poll) is answered but
// is no sign that a person is there: the session still ends after the
// idle timeout counted from the person's last request.
func TestBackgroundRefreshDoesNotKeepAnIdleSession(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	now := time.Now()
	e := setupWith(t, desk.Options{IdleTimeout: 10 * time.Minute, Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return now }})
	tn := e.tenant("Agence Veille")
	b := e.signIn(e.user(tn.id, pipeline.RoleUploader, "Ugo Veille"))
	advance := func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }
	poll := func() int {
		req, _ := http.NewRequest(http.MethodGet, e.server.URL+"/desk/documents.json", nil)
		req.Header.Set("Accept", "application/json")
		req.Header.Set("X-Docflow-Poll", "1")
		resp, err := b.c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for range 4 {
		advance(2 * time.Minute)
		if code := poll(); code != http.StatusOK {
			t.Fatalf("refresh %v after the last request: %d, want 200", now, code)
		}
	}
	advance(3 * time.Minute) // 11 minutes after the person's last request
	if code := poll(); code != http.StatusUnauthorized {
		t.Errorf("refresh past the idle timeout: %d, want 401", code)
	}
	if resp, _ := b.get("/desk/upload"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("page past the idle timeout: %d, want a redirect to sign in", resp.StatusCode)
	}
}
