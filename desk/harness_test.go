package desk_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/api"
	"github.com/docflow/docflow/desk"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/storage/postgres"
	"golang.org/x/text/unicode/norm"
)

// env is the whole of docflow on fresh databases: stores, River workers,
// and one server with the desk under /desk/ and the API beside it, as
// docflow serve mounts them.
type env struct {
	t      testing.TB
	svc    *pipeline.Service
	store  *postgres.Store
	server *httptest.Server
}

var _ desk.Accounts = (*postgres.Store)(nil)

// password is every test user's password.
const password = "un mot de passe de test"

func setup(t testing.TB) *env { t.Helper(); return setupWith(t, desk.Options{}) }

// setupWith is setup with the desk's options (DataDir is set here).
func setupWith(t testing.TB, opts desk.Options) *env {
	t.Helper()
	st := stacktest.New(t, stacktest.Options{})
	opts.DataDir = st.DataDir
	h, err := desk.New(st.Service, st.Store, opts)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(desk.Prefix, h)
	mux.Handle("/", api.New(st.Service, st.Store))
	e := &env{t: t, svc: st.Service, store: st.Store, server: httptest.NewServer(mux)}
	t.Cleanup(e.server.Close)
	return e
}

// tenant is a tenant with an uploader API key.
type tenant struct {
	id, uploaderKey string
}

func (e *env) tenant(name string) tenant {
	e.t.Helper()
	ctx := context.Background()
	tn, err := e.store.CreateTenant(ctx, name)
	if err != nil {
		e.t.Fatal(err)
	}
	k, err := e.store.CreateAPIKey(ctx, tn.ID, pipeline.RoleUploader)
	if err != nil {
		e.t.Fatal(err)
	}
	return tenant{id: tn.ID, uploaderKey: k.Key}
}

// user creates a person of the tenant and returns their email.
func (e *env) user(tenantID string, role pipeline.Role, name string) account.User {
	e.t.Helper()
	hash, err := account.HashPassword(password)
	if err != nil {
		e.t.Fatal(err)
	}
	email := asciiSlug(name) + "@" + tenantID[:8] + ".example.fr"
	u, err := e.store.CreateUser(context.Background(), account.User{TenantID: tenantID, Email: email, Name: name, Role: role, PasswordHash: hash})
	if err != nil {
		e.t.Fatal(err)
	}
	return u
}

// uploadAPI posts a file through the API and returns the document id.
func (e *env) uploadAPI(key, name string, data []byte) string {
	e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, e.server.URL+"/v1/documents", &body)
	req.Header.Set("Authorization", "Bearer "+key)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	var d struct{ ID string }
	if err := json.NewDecoder(resp.Body).Decode(&d); err != nil || resp.StatusCode != http.StatusAccepted {
		e.t.Fatalf("upload %s: %d %v", name, resp.StatusCode, err)
	}
	return d.ID
}

// getAPI reads a JSON answer of the API.
func (e *env) getAPI(path, key string, out any) int {
	e.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, e.server.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	if out != nil {
		_ = json.NewDecoder(resp.Body).Decode(out)
	}
	return resp.StatusCode
}

// waitReview waits until the document is in review and returns its task.
func (e *env) waitReview(tenantID, docID string) pipeline.ReviewTask {
	e.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		d, err := e.svc.Store.Document(context.Background(), tenantID, docID)
		if err != nil {
			e.t.Fatal(err)
		}
		if d.Status == pipeline.StatusInReview && d.Review != nil {
			task, err := e.svc.Store.Review(context.Background(), tenantID, d.Review.ID)
			if err != nil {
				e.t.Fatal(err)
			}
			return task
		}
		if d.Status != pipeline.StatusReceived && d.Status != pipeline.StatusProcessing {
			e.t.Fatalf("document %s ended %s, want in_review", docID, d.Status)
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.t.Fatalf("document %s never reached review", docID)
	return pipeline.ReviewTask{}
}

// contractWithLowRate is a PDF contract whose rate is below the minimum wage.
func contractWithLowRate(n string) []byte {
	c := testdocs.ValidContract(n)
	c.HourlyRate = testdocs.Num(9.50)
	return testdocs.PDF(testdocs.Contract(c))
}

// browser is a signed-in person for plain HTTP tests: a cookie jar and
// the session's CSRF token.
type browser struct {
	e    *env
	c    *http.Client
	csrf string
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs the user in through the sign-in form.
func (e *env) signIn(u account.User) *browser {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	b := &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, page := b.get("/desk/signin")
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		e.t.Fatalf("no CSRF field on the sign-in page:\n%s", page)
	}
	resp := b.post("/desk/signin", url.Values{"csrf": {m[1]}, "email": {u.Email}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("sign-in of %s: %d", u.Email, resp.StatusCode)
	}
	_, page = b.get("/desk/upload")
	if m = csrfInput.FindStringSubmatch(page); m == nil {
		e.t.Fatalf("no CSRF token once signed in:\n%s", page)
	}
	b.csrf = m[1]
	return b
}

func (b *browser) get(path string) (*http.Response, string) {
	b.e.t.Helper()
	resp, err := b.c.Get(b.e.server.URL + path)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

func (b *browser) post(path string, form url.Values) *http.Response {
	b.e.t.Helper()
	resp, err := b.c.PostForm(b.e.server.URL+path, form)
	if err != nil {
		b.e.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// do posts a form with the session's CSRF token.
func (b *browser) do(path string, form url.Values) *http.Response {
	if form == nil {
		form = url.Values{}
	}
	form.Set("csrf", b.csrf)
	return b.post(path, form)
}

// asciiSlug makes "Rémi Second" into "remi.second" (browsers refuse
// accented local parts in email inputs).
func asciiSlug(name string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(strings.ToLower(name)) {
		switch {
		case r == ' ':
			b.WriteByte('.')
		case r < 128:
			b.WriteRune(r)
		}
	}
	return b.String()
}
