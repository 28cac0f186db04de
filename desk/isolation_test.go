package desk_test

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/token"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/google/uuid"
)

// deskRoute is what the walk knows of a desk route: the authz action it
// performs ("" when no sign-in is needed), and the values of its
// wildcards that name tenant B's objects (none for a wildcard that names
// no object, such as a language).
type deskRoute struct {
	action authz.Action
	values func(b deskObjects) []map[string]string
}

// deskObjects are real objects of tenant B.
type deskObjects struct {
	// tasks are open review tasks; the second is claimed by claimer (a
	// principal's key id).
	tasks   []string
	claimer string
	// pdfs are PDF documents (in review, committed); image is an uploaded
	// image, whose file the desk serves as it is.
	pdfs  []string
	image string
}

func ids(key string, vs ...string) []map[string]string {
	var out []map[string]string
	for _, v := range vs {
		out = append(out, map[string]string{key: v})
	}
	return out
}

// deskWildcardRoutes maps every desk route with a wildcard to what the
// walk does with it. A route missing here fails TestDeskTenantIsolation.
var deskWildcardRoutes = map[string]deskRoute{
	"GET /desk/lang/{lang}":              {action: "", values: nil},
	"GET /desk/tasks/{id}":               {authz.ReviewList, func(b deskObjects) []map[string]string { return ids("id", b.tasks...) }},
	"POST /desk/tasks/{id}/claim":        {authz.ReviewClaim, func(b deskObjects) []map[string]string { return ids("id", b.tasks...) }},
	"POST /desk/tasks/{id}/release":      {authz.ReviewRelease, func(b deskObjects) []map[string]string { return ids("id", b.tasks...) }},
	"POST /desk/tasks/{id}/approve":      {authz.ReviewDecide, func(b deskObjects) []map[string]string { return ids("id", b.tasks...) }},
	"POST /desk/tasks/{id}/reject":       {authz.ReviewDecide, func(b deskObjects) []map[string]string { return ids("id", b.tasks...) }},
	"GET /desk/documents/{id}":           {authz.DocumentAudit, func(b deskObjects) []map[string]string { return ids("id", b.all()[len(b.tasks):]...) }},
	"GET /desk/documents/{id}/file":      {authz.DocumentFile, func(b deskObjects) []map[string]string { return ids("id", b.image) }},
	"GET /desk/documents/{id}/pages/{n}": {authz.DocumentFile, func(b deskObjects) []map[string]string { return pagesOf(b.pdfs) }},
}

func pagesOf(docs []string) []map[string]string {
	var out []map[string]string
	for _, d := range docs {
		out = append(out, map[string]string{"id": d, "n": "1"})
	}
	return out
}

var wildcard = regexp.MustCompile(`\{([a-z]+)\}`)

// deskPatterns lists the patterns that the desk's code registers on its
// mux (mux.Handle and mux.HandleFunc with a literal pattern), read from
// the package's sources so that a new route cannot escape the walk.
func deskPatterns(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			if lit, ok := call.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
				p, err := strconv.Unquote(lit.Value)
				if err == nil && strings.Contains(p, "/desk/") {
					out = append(out, p)
				}
			}
			return true
		})
	}
	if len(out) < 10 {
		t.Fatalf("found only %d desk routes in the sources: %v", len(out), out)
	}
	return out
}

// fill puts the values into a pattern's wildcards and returns the method
// (GET when the pattern has none) and path.
func fill(pattern string, values map[string]string) (string, string) {
	method, path, ok := strings.Cut(pattern, " ")
	if !ok {
		method, path = http.MethodGet, pattern
	}
	path = strings.TrimSuffix(path, "{$}")
	return method, wildcard.ReplaceAllStringFunc(path, func(w string) string { return values[w[1:len(w)-1]] })
}

// TestDeskTenantIsolation signs in a person of each role in tenant A and
// walks every desk route that names an object with tenant B's ids (tasks
// pending and claimed, documents in review and committed, a PDF's page, an
// image's file): the roles that the matrix allows get 404, the others
// 403, exactly as for an id that exists nowhere; B's own reviewer gets
// the same pages. Every other page (GET) shows none of B's ids or file
// names to A. A route with a wildcard that the walk does not know fails.
func TestDeskTenantIsolation(t *testing.T) {
	t.Parallel()
	e := setup(t)
	a, b := e.tenant("Agence A"), e.tenant("Agence B")
	bo, names := e.deskObjects(b)
	users := map[pipeline.Role]*browser{}
	for _, r := range authz.AllRoles() {
		users[r] = e.signIn(e.user(a.id, r, "Personne "+string(r)))
	}
	revB := e.signIn(e.user(b.id, pipeline.RoleReviewer, "Rita B"))
	if _, page := revB.get("/desk/upload"); !strings.Contains(page, names[0]) || !strings.Contains(page, bo.pdfs[0]) {
		t.Fatal("B's own document list lacks B's document: the scan of A's pages would prove nothing")
	}
	for _, pattern := range deskPatterns(t) {
		if !wildcard.MatchString(pattern) {
			e.scanPage(t, pattern, users, append(bo.all(), names...))
			continue
		}
		route, ok := deskWildcardRoutes[pattern]
		if !ok {
			t.Errorf("desk route %q: the isolation walk does not know its wildcards; add it to deskWildcardRoutes", pattern)
			continue
		}
		if route.values == nil {
			continue
		}
		for _, v := range route.values(bo) {
			method, path := fill(pattern, v)
			nowhere := map[string]string{}
			for k, x := range v {
				nowhere[k] = x
				if k == "id" {
					nowhere[k] = uuid.NewString()
				}
			}
			_, nowherePath := fill(pattern, nowhere)
			if method == http.MethodGet {
				if r := revB.send(method, path); r.StatusCode != http.StatusOK {
					t.Errorf("B's reviewer %s %s: %d, want 200 (the walk's ids must be real)", method, path, r.StatusCode)
				}
			}
			for _, r := range authz.AllRoles() {
				want := http.StatusNotFound
				if !authz.Can(r, route.action) {
					want = http.StatusForbidden
				}
				if got := users[r].send(method, path); got.StatusCode != want {
					t.Errorf("A's %s %s %s (B's object): %d, want %d", r, method, path, got.StatusCode, want)
				}
				if got := users[r].send(method, nowherePath); got.StatusCode != want {
					t.Errorf("A's %s %s %s (no such object): %d, want %d", r, method, nowherePath, got.StatusCode, want)
				}
			}
		}
	}
	// B's objects are as they were: nothing claimed, released or decided by A.
	for _, id := range bo.tasks {
		task, err := e.svc.Store.Review(t.Context(), b.id, id)
		if err != nil || (task.Status != pipeline.ReviewPending && task.Status != pipeline.ReviewClaimed) {
			t.Errorf("B's task %s after A's walk: %+v %v", id, task, err)
		}
	}
	if task, _ := e.svc.Store.Review(t.Context(), b.id, bo.tasks[1]); task.Assignee != bo.claimer {
		t.Errorf("B's claimed task is held by %q after A's walk, want B's reviewer", task.Assignee)
	}
}

// deskObjects uploads B's documents: two contracts in review (one of
// whose tasks B's reviewer claims), a committed contract and an image. It
// returns them with their file names.
func (e *env) deskObjects(b tenant) (deskObjects, []string) {
	e.t.Helper()
	var o deskObjects
	names := []string{"contrat-b1-secret.pdf", "contrat-b2-secret.pdf", "contrat-b3-secret.pdf", "scan-b-secret.png"}
	for i, n := range []string{"CM-2026-000301", "CM-2026-000302"} {
		doc := e.uploadAPI(b.uploaderKey, names[i], contractWithLowRate(n))
		o.pdfs = append(o.pdfs, doc)
		o.tasks = append(o.tasks, e.waitReview(b.id, doc).ID)
	}
	valid := testdocs.PDF(testdocs.Contract(testdocs.ValidContract("CM-2026-000303")))
	o.pdfs = append(o.pdfs, e.uploadAPI(b.uploaderKey, names[2], valid))
	o.image = e.uploadAPI(b.uploaderKey, names[3], pngImage())
	remi := e.user(b.id, pipeline.RoleReviewer, "Remi B")
	if r := e.signIn(remi).do("/desk/tasks/"+o.tasks[1]+"/claim", nil); r.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("B claims a task: %d", r.StatusCode)
	}
	o.claimer = remi.Principal().KeyID
	return o, names
}

// all lists the objects' ids: the tasks first, then the documents.
func (o deskObjects) all() []string {
	return append(append(append([]string{}, o.tasks...), o.pdfs...), o.image)
}

// scanPage GETs a route without wildcards as each of A's people and
// checks that the answer shows none of B's ids or names.
func (e *env) scanPage(t *testing.T, pattern string, users map[pipeline.Role]*browser, secrets []string) {
	t.Helper()
	method, path := fill(pattern, nil)
	if method != http.MethodGet {
		return
	}
	for r, u := range users {
		resp := u.send(method, path)
		for _, s := range secrets {
			if bytes.Contains(resp.body, []byte(s)) {
				t.Errorf("A's %s GET %s shows B's %q", r, path, s)
			}
		}
	}
}

// sent is an answer of the desk with its body.
type sent struct {
	*http.Response
	body []byte
}

// send makes a request as the signed-in person; a POST carries the CSRF
// token and a reason (for rejections).
func (b *browser) send(method, path string) sent {
	b.e.t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		form := url.Values{"csrf": {b.csrf}, "reason": {"pas à nous"}}
		resp, err = b.c.PostForm(b.e.server.URL+path, form)
	} else {
		resp, err = b.c.Get(b.e.server.URL + path)
	}
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return sent{resp, body}
}

// pngImage is a small image that the desk shows as it is.
func pngImage() []byte {
	img := image.NewGray(image.Rect(0, 0, 400, 200))
	for x := range 400 {
		for y := range 200 {
			img.SetGray(x, y, color.Gray{Y: uint8(255 - (x+y)%32)})
		}
	}
	var buf bytes.Buffer
	_ = png.Encode(&buf, img)
	return buf.Bytes()
}
