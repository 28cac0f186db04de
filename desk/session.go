package desk

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

const (
	sessionCookie = "docflow_session"
	// signinCookie carries the sign-in form's CSRF token before any session.
	signinCookie = "docflow_signin"
	csrfField    = "csrf"
	csrfHeader   = "X-CSRF-Token"
)

var (
	errNoRoute = fmt.Errorf("no such page: %w", derrors.NotFound)
	errCSRF    = fmt.Errorf("%w: missing or invalid CSRF token", derrors.Forbidden)
)

// request is what a desk handler knows of the request: who, in what language.
type request struct {
	user    account.User
	session account.Session
	lang    Lang
}

// principal is the user as the pipeline sees them.
func (rq *request) principal() pipeline.Principal { return rq.user.Principal() }

type handlerFunc func(w http.ResponseWriter, r *http.Request, rq *request) error

// pollHeader marks a page's background refresh (desk.js), which does not
// count as the person's activity: it does not keep an idle session alive.
const pollHeader = "X-Docflow-Poll"

// liveSession returns the live session of the cookie's token, recording
// that the person was seen unless the request is a background refresh.
func (d *Desk) liveSession(r *http.Request, token string) (account.Session, account.User, error) {
	if r.Header.Get(pollHeader) == "1" {
		return d.accounts.Session(r.Context(), account.SessionID(token), d.now(), d.opts.IdleTimeout)
	}
	return d.accounts.TouchSession(r.Context(), account.SessionID(token), d.now(), d.opts.IdleTimeout)
}

// page wraps a handler that performs action a: a live session is required
// (else the sign-in page, or 401 for scripts), the authz matrix must let
// the user's role perform a (else 403, before anything is looked up), and
// a POST must carry the session's CSRF token. Errors become error pages.
func (d *Desk) page(a authz.Action, fn handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{lang: requestLang(r)}
		c, err := r.Cookie(sessionCookie)
		if err == nil {
			rq.session, rq.user, err = d.liveSession(r, c.Value)
		}
		if err != nil {
			if !errors.Is(err, derrors.Unauthenticated) && !errors.Is(err, http.ErrNoCookie) {
				d.fail(w, r, rq, err)
				return
			}
			if r.Method == http.MethodGet && !wantsJSON(r) {
				http.Redirect(w, r, "/desk/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			d.fail(w, r, rq, fmt.Errorf("%w: sign in first", derrors.Unauthenticated))
			return
		}
		if !authz.Can(rq.user.Role, a) {
			d.fail(w, r, rq, fmt.Errorf("%w: role %s may not %s", derrors.Forbidden, rq.user.Role, a))
			return
		}
		if r.Method == http.MethodPost && !validCSRF(r, rq.session.CSRFToken) {
			d.fail(w, r, rq, errCSRF)
			return
		}
		if err := fn(w, r, rq); err != nil {
			d.fail(w, r, rq, err)
		}
	})
}

// validCSRF compares the form field or header with the expected token.
func validCSRF(r *http.Request, want string) bool {
	got := r.Header.Get(csrfHeader)
	if got == "" {
		got = r.PostFormValue(csrfField)
	}
	return want != "" && subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1
}

// wantsJSON tells scripts' requests from page loads.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json") || r.Header.Get(csrfHeader) != ""
}

// setCookie writes a desk cookie: HttpOnly, SameSite=Lax, Secure on TLS
// or when configured; maxAge < 0 deletes it.
func (d *Desk) setCookie(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: Prefix, MaxAge: maxAge, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil || d.opts.SecureCookies})
}

type signinView struct {
	Next, Email, Tenant, Error string
	// SSO shows the single sign-on button.
	SSO bool
}

func (d *Desk) signinPage(w http.ResponseWriter, r *http.Request) {
	d.renderSignin(w, r, http.StatusOK, signinView{Next: localPath(r.URL.Query().Get("next")), Tenant: r.URL.Query().Get("tenant")})
}

func (d *Desk) renderSignin(w http.ResponseWriter, r *http.Request, status int, v signinView) {
	v.SSO = d.opts.SSO != nil
	token := account.RandomToken()
	d.setCookie(w, r, signinCookie, token, 600)
	rq := &request{lang: requestLang(r)}
	d.render(w, r, rq, status, "signin", rq.lang.T("signin.title"), v, token)
}

// signin checks the email and password, opens a session and sends the
// person where they were going. A person with the same email in several
// tenants signs in through their tenant's link (?tenant=ID).
func (d *Desk) signin(w http.ResponseWriter, r *http.Request) {
	lang := requestLang(r)
	v := signinView{Next: localPath(r.PostFormValue("next")), Email: r.PostFormValue("email"), Tenant: r.PostFormValue("tenant")}
	c, err := r.Cookie(signinCookie)
	if err != nil || subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostFormValue(csrfField))) != 1 {
		v.Error = lang.T("signin.expired")
		d.renderSignin(w, r, http.StatusForbidden, v)
		return
	}
	password := r.PostFormValue("password")
	users, err := d.accounts.UsersByEmail(r.Context(), v.Email)
	if err != nil {
		d.fail(w, r, &request{lang: lang}, err)
		return
	}
	var matched []account.User
	local := 0
	for _, u := range users {
		if (v.Tenant != "" && u.TenantID != v.Tenant) || u.PasswordHash == "" {
			continue // another tenant's, or single sign-on only
		}
		local++
		if ok, err := account.CheckPassword(u.PasswordHash, password); err == nil && ok {
			matched = append(matched, u)
		}
	}
	if local == 0 {
		account.CheckNoUser(password)
	}
	switch {
	case len(matched) > 1:
		v.Error = lang.T("signin.several")
	case len(matched) == 0:
		v.Error = lang.T("signin.failed")
	}
	if v.Error != "" {
		slog.Info("desk sign-in refused", "email", v.Email, "matches", len(matched))
		d.renderSignin(w, r, http.StatusUnauthorized, v)
		return
	}
	d.openSession(w, r, lang, matched[0], v.Next)
}

// openSession signs u in with a new session and sends the person to next
// (a desk path, or the desk's home).
func (d *Desk) openSession(w http.ResponseWriter, r *http.Request, lang Lang, u account.User, next string) {
	sess, token := account.NewSession(u, d.now(), d.opts.SessionLifetime)
	if err := d.accounts.CreateSession(r.Context(), sess); err != nil {
		d.fail(w, r, &request{lang: lang}, err)
		return
	}
	d.setCookie(w, r, signinCookie, "", -1)
	d.setCookie(w, r, sessionCookie, token, int(d.opts.SessionLifetime.Seconds()))
	if next == "" {
		next = Prefix
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// signout deletes the session and its cookie.
func (d *Desk) signout(w http.ResponseWriter, r *http.Request, rq *request) error {
	if err := d.accounts.DeleteSession(r.Context(), rq.session.ID); err != nil {
		return err
	}
	d.setCookie(w, r, sessionCookie, "", -1)
	http.Redirect(w, r, "/desk/signin", http.StatusSeeOther)
	return nil
}

// setLang stores the language choice in a cookie for a year.
func (d *Desk) setLang(w http.ResponseWriter, r *http.Request) {
	l := r.PathValue("lang")
	if l != "fr" && l != "en" {
		http.NotFound(w, r)
		return
	}
	d.setCookie(w, r, langCookie, l, 365*24*3600)
	next := localPath(r.URL.Query().Get("next"))
	if next == "" {
		next = Prefix
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// localPath keeps only desk paths, so that redirects never leave the site.
func localPath(p string) string {
	if !strings.HasPrefix(p, Prefix) || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\r\n") {
		return ""
	}
	return p
}
