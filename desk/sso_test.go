package desk_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/desk"
	"github.com/docflow/docflow/oidc"
	"github.com/docflow/docflow/oidc/oidctest"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/golang-jwt/jwt/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/oauth2-proxy/mockoidc"
)

// ssoEnv is the desk with single sign-on through a real OpenID provider
// (mockoidc, through oidctest) started for the test.
type ssoEnv struct {
	*env
	idp  *oidctest.Server
	pool *pgxpool.Pool
}

func setupSSO(t *testing.T, claims oidc.Claims) *ssoEnv {
	t.Helper()
	st := stacktest.New(t, stacktest.Options{NoWorkers: true})
	mux := http.NewServeMux()
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	idp := oidctest.Start(t, oidctest.Options{})
	p, err := oidc.New(idp.Config(srv.URL+"/desk/sso/callback", claims))
	if err != nil {
		t.Fatal(err)
	}
	h, err := desk.New(st.Service, st.Store, desk.Options{DataDir: st.DataDir, SSO: p})
	if err != nil {
		t.Fatal(err)
	}
	mux.Handle(desk.Prefix, h)
	return &ssoEnv{env: &env{t: t, svc: st.Service, store: st.Store, server: srv}, idp: idp, pool: st.Pool}
}

// person is someone the provider knows, of a tenant, with a role claim.
func person(tenantID, role, name string) oidctest.Person {
	return oidctest.Person{Subject: "sub-" + asciiSlug(name), Email: asciiSlug(name) + "@idp.example.fr", EmailVerified: true, Name: name,
		Extra: map[string]any{"docflow_tenant": tenantID, "docflow_role": role}}
}

// newBrowser is a cookie jar that does not follow redirects.
func (e *env) newBrowser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// fetch gets an absolute URL.
func (b *browser) fetch(u string) (*http.Response, string) {
	b.e.t.Helper()
	resp, err := b.c.Get(u)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// flow is one walk through single sign-on.
type flow struct {
	b        *browser
	authURL  *url.URL // where the desk sent the browser
	callback *url.URL // where the provider sent it back
	resp     *http.Response
	page     string
}

// ssoSignIn walks the flow as a browser does: the desk's SSO link, the
// provider (which signs who in at once), the desk's callback. atProvider
// runs before the provider answers; atCallback may change the callback
// URL or the browser that opens it.
func (s *ssoEnv) ssoSignIn(who oidctest.Person, next string, atProvider func(*url.URL), atCallback func(*url.URL, *browser) *browser) flow {
	s.t.Helper()
	f := flow{b: s.newBrowser()}
	start := "/desk/sso/start"
	if next != "" {
		start += "?next=" + url.QueryEscape(next)
	}
	resp, _ := f.b.get(start)
	var err error
	if f.authURL, err = url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusSeeOther || err != nil {
		s.t.Fatalf("SSO start: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if atProvider != nil {
		atProvider(f.authURL)
	}
	s.idp.Next(who)
	resp, _ = f.b.fetch(f.authURL.String())
	if f.callback, err = url.Parse(resp.Header.Get("Location")); resp.StatusCode != http.StatusFound || err != nil {
		s.t.Fatalf("provider: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	b := f.b
	if atCallback != nil {
		b = atCallback(f.callback, f.b)
	}
	f.resp, f.page = b.fetch(f.callback.String())
	return f
}

// session returns the browser's desk session and its user, if any.
func (s *ssoEnv) session(b *browser) (account.Session, account.User, bool) {
	desk, _ := url.Parse(s.server.URL + "/desk/")
	for _, c := range b.c.Jar.Cookies(desk) {
		if c.Name == "docflow_session" {
			sess, u, err := s.store.TouchSession(context.Background(), account.SessionID(c.Value), time.Now(), time.Hour)
			return sess, u, err == nil
		}
	}
	return account.Session{}, account.User{}, false
}

// TestSSOSignIn: a person of the provider gets a desk session of the
// tenant and role of their claims, like a local account's; the role
// follows the provider at each sign-in; local accounts keep working.
func TestSSOSignIn(t *testing.T) {
	t.Parallel()
	s := setupSSO(t, oidc.Claims{})
	tn := s.tenant("Agence SSO")
	other := s.tenant("Agence Voisine")

	_, page := s.newBrowser().get("/desk/signin")
	if !strings.Contains(page, `id="sso"`) || !strings.Contains(page, `id="signin-form"`) {
		t.Fatalf("the sign-in page lacks the SSO button or the local form:\n%s", page)
	}

	rita := person(tn.id, "reviewer", "Rita Relue")
	f := s.ssoSignIn(rita, "/desk/upload", nil, nil)
	if f.resp.StatusCode != http.StatusSeeOther || f.resp.Header.Get("Location") != "/desk/upload" {
		t.Fatalf("callback: %d %q\n%s", f.resp.StatusCode, f.resp.Header.Get("Location"), f.page)
	}
	q := f.authURL.Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("nonce") == "" || q.Get("state") == "" || q.Get("scope") != "openid email profile" {
		t.Errorf("authorization request %s lacks PKCE, nonce, state or scopes", f.authURL)
	}
	sess, u, ok := s.session(f.b)
	if !ok || sess.TenantID != tn.id || u.TenantID != tn.id || u.Role != pipeline.RoleReviewer || !u.SSO() ||
		u.SSOIssuer != s.idp.Issuer() || u.SSOSubject != rita.Subject || u.PasswordHash != "" || u.Email != rita.Email {
		t.Fatalf("session %+v of user %+v (ok %v); want a reviewer of %s through single sign-on", sess, u, ok, tn.id)
	}
	if resp, page := f.b.get("/desk/queue"); resp.StatusCode != http.StatusOK || !strings.Contains(page, "Rita Relue") {
		t.Errorf("queue once signed in through SSO: %d", resp.StatusCode)
	}

	// The provider is the source of truth: the next sign-in makes her an
	// auditor, the same user, in every session.
	rita.Extra["docflow_role"] = "auditor"
	g := s.ssoSignIn(rita, "", nil, nil)
	if g.resp.StatusCode != http.StatusSeeOther || g.resp.Header.Get("Location") != "/desk/" {
		t.Fatalf("second sign-in: %d %q", g.resp.StatusCode, g.resp.Header.Get("Location"))
	}
	if _, again, ok := s.session(f.b); !ok || again.ID != u.ID || again.Role != pipeline.RoleAuditor {
		t.Errorf("after the role changed at the provider: %+v (ok %v), want user %s as auditor", again, ok, u.ID)
	}
	if users, _ := s.store.TenantUsers(context.Background(), tn.id); len(users) != 1 {
		t.Errorf("tenant users = %+v, want one", users)
	}
	// The same subject in another tenant is another user, sealed off.
	rita.Extra["docflow_tenant"] = other.id
	h := s.ssoSignIn(rita, "", nil, nil)
	if _, there, ok := s.session(h.b); !ok || there.TenantID != other.id || there.ID == u.ID {
		t.Errorf("sign-in to the other tenant: %+v (ok %v)", there, ok)
	}

	// Local accounts sign in beside; a single sign-on user has no password.
	ugo := s.user(tn.id, pipeline.RoleUploader, "Ugo Dépôt")
	s.signIn(ugo)
	b := s.newBrowser()
	_, page = b.get("/desk/signin")
	m := csrfInput.FindStringSubmatch(page)
	if r := b.post("/desk/signin", url.Values{"csrf": {m[1]}, "email": {rita.Email}, "password": {""}}); r.StatusCode != http.StatusUnauthorized {
		t.Errorf("local sign-in as a single sign-on user: %d, want 401", r.StatusCode)
	}
}

// TestSSORefused: every refused sign-in ends on the sign-in page with a
// clear message and no session.
func TestSSORefused(t *testing.T) {
	t.Parallel()
	s := setupSSO(t, oidc.Claims{})
	tn := s.tenant("Agence Refus")
	s.user(tn.id, pipeline.RoleUploader, "Lou Locale")
	another := oidctest.Start(t, oidctest.Options{})
	ok := func() oidctest.Person { return person(tn.id, "reviewer", "Paul Refusé") }
	edit := func(fn func(*oidctest.Person)) oidctest.Person {
		p := ok()
		fn(&p)
		return p
	}
	editToken := func(fn func(*mockoidc.IDTokenClaims)) oidctest.Person {
		return edit(func(p *oidctest.Person) { p.Edit = fn })
	}
	for _, tc := range []struct {
		name       string
		who        oidctest.Person
		atProvider func(*url.URL)
		atCallback func(*url.URL, *browser) *browser
		status     int
		says       string
	}{
		{name: "no tenant claim", who: edit(func(p *oidctest.Person) { delete(p.Extra, "docflow_tenant") }),
			status: http.StatusForbidden, says: "names no agency (claim docflow_tenant)"},
		{name: "no role claim", who: edit(func(p *oidctest.Person) { delete(p.Extra, "docflow_role") }),
			status: http.StatusForbidden, says: "gives no role (claim docflow_role)"},
		{name: "unknown role", who: edit(func(p *oidctest.Person) { p.Extra["docflow_role"] = "owner" }),
			status: http.StatusForbidden, says: "No docflow role matches"},
		{name: "tenant unknown to docflow", who: edit(func(p *oidctest.Person) { p.Extra["docflow_tenant"] = "00000000-0000-4000-8000-000000000000" }),
			status: http.StatusForbidden, says: "does not exist in docflow"},
		{name: "email of a local account, not verified by the provider", who: edit(func(p *oidctest.Person) {
			p.Email, p.EmailVerified = "lou.locale@"+tn.id[:8]+".example.fr", false
		}), status: http.StatusConflict, says: "already belongs to another account"},
		{name: "token for another audience", who: editToken(func(c *mockoidc.IDTokenClaims) { c.Audience = jwt.ClaimStrings{"another-app"} }),
			status: http.StatusUnauthorized, says: "could not be verified"},
		{name: "token of another issuer", who: editToken(func(c *mockoidc.IDTokenClaims) { c.Issuer = "https://idp.evil.example" }),
			status: http.StatusUnauthorized, says: "could not be verified"},
		{name: "expired token", who: editToken(func(c *mockoidc.IDTokenClaims) { c.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Minute)) }),
			status: http.StatusUnauthorized, says: "could not be verified"},
		{name: "nonce mismatch", who: editToken(func(c *mockoidc.IDTokenClaims) { c.Nonce = account.RandomToken() }),
			status: http.StatusUnauthorized, says: "could not be verified"},
		{name: "token from another provider", who: ok(), atProvider: func(auth *url.URL) {
			s.idp.SwapIDToken(another.IDToken(t, ok(), auth.Query().Get("nonce")))
		}, status: http.StatusUnauthorized, says: "could not be verified"},
		{name: "forged state", who: ok(), atCallback: func(cb *url.URL, b *browser) *browser {
			q := cb.Query()
			q.Set("state", account.RandomToken())
			cb.RawQuery = q.Encode()
			return b
		}, status: http.StatusForbidden, says: "expired or was started elsewhere"},
		{name: "callback opened in another browser (login CSRF)", who: ok(), atCallback: func(_ *url.URL, _ *browser) *browser {
			return s.newBrowser()
		}, status: http.StatusForbidden, says: "expired or was started elsewhere"},
		{name: "provider refuses", who: ok(), atCallback: func(cb *url.URL, b *browser) *browser {
			cb.RawQuery = url.Values{"state": {cb.Query().Get("state")}, "error": {"access_denied"}}.Encode()
			return b
		}, status: http.StatusUnauthorized, says: "refused the sign-in (access_denied)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := s.ssoSignIn(tc.who, "", tc.atProvider, tc.atCallback)
			if f.resp.StatusCode != tc.status || !strings.Contains(f.page, tc.says) || !strings.Contains(f.page, `id="signin-error"`) {
				t.Errorf("callback: %d, want %d saying %q:\n%s", f.resp.StatusCode, tc.status, tc.says, f.page)
			}
			if _, u, ok := s.session(f.b); ok {
				t.Errorf("a session was opened for %+v", u)
			}
			if resp, _ := f.b.get("/desk/queue"); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("queue after a refused sign-in: %d, want a redirect to sign in", resp.StatusCode)
			}
		})
	}
	// A disabled single sign-on user stays out, whatever the provider says.
	f := s.ssoSignIn(ok(), "", nil, nil)
	_, u, signedIn := s.session(f.b)
	if !signedIn {
		t.Fatalf("sign-in: %d\n%s", f.resp.StatusCode, f.page)
	}
	if _, err := s.pool.Exec(context.Background(), "UPDATE users SET disabled_at = now() WHERE id = $1", u.ID); err != nil {
		t.Fatal(err)
	}
	if g := s.ssoSignIn(ok(), "", nil, nil); g.resp.StatusCode != http.StatusForbidden || !strings.Contains(g.page, "disabled") {
		t.Errorf("disabled user: %d\n%s", g.resp.StatusCode, g.page)
	}
}

// TestSSOCallbackReplay: a callback is good once. Opened again it finds
// no flow; opened again with the flow cookie put back, its code is spent.
func TestSSOCallbackReplay(t *testing.T) {
	t.Parallel()
	s := setupSSO(t, oidc.Claims{})
	tn := s.tenant("Agence Rejeu")
	var flowCookie *http.Cookie
	f := s.ssoSignIn(person(tn.id, "admin", "Ada Admin"), "", nil, func(_ *url.URL, b *browser) *browser {
		for _, c := range b.c.Jar.Cookies(mustURL(t, s.server.URL+"/desk/sso/callback")) {
			if c.Name == "docflow_sso" {
				flowCookie = c
			}
		}
		return b
	})
	if _, _, ok := s.session(f.b); !ok || flowCookie == nil {
		t.Fatalf("first callback: %d, flow cookie %v", f.resp.StatusCode, flowCookie)
	}
	for _, c := range f.resp.Cookies() {
		if c.Name == "docflow_sso" && c.MaxAge >= 0 {
			t.Errorf("the flow cookie is not deleted by the callback: %v", c)
		}
	}
	b := s.newBrowser()
	if resp, page := b.fetch(f.callback.String()); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "started elsewhere") {
		t.Errorf("callback replayed without the flow: %d", resp.StatusCode)
	}
	b.c.Jar.SetCookies(mustURL(t, s.server.URL+"/desk/"), []*http.Cookie{{Name: "docflow_sso", Value: flowCookie.Value, Path: "/desk/"}})
	if resp, page := b.fetch(f.callback.String()); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(page, "could not be verified") {
		t.Errorf("callback replayed with the flow cookie: %d", resp.StatusCode)
	}
	if _, u, ok := s.session(b); ok {
		t.Errorf("a replayed callback opened a session for %+v", u)
	}
}

// TestSSOInBrowser: in a real browser, the SSO button on the sign-in page
// goes through the provider and lands on the reviewer's (empty) queue.
func TestSSOInBrowser(t *testing.T) {
	t.Parallel()
	s := setupSSO(t, oidc.Claims{})
	tn := s.tenant("Agence Navigateur")
	s.idp.Next(person(tn.id, "reviewer", "Rita Navigue"))
	ctx := newPerson(t)
	do(t, ctx, "sign in with SSO",
		chromedp.Navigate(s.server.URL+"/desk/signin"),
		chromedp.WaitVisible(chromedp.ID("sso")),
		chromedp.Click(chromedp.ID("sso")))
	waitCtx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(waitCtx, chromedp.WaitVisible(chromedp.ID("queue-empty"))); err != nil {
		where, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + document.body.innerText`))
		t.Fatalf("browser: after SSO, no queue: %v\n%s", err, where)
	}
	if who := run(t, ctx, "who", chromedp.Text(chromedp.CSS(".who"))); !strings.Contains(who, "Rita Navigue") {
		t.Errorf("signed in as %q", who)
	}
}
