package desk

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/oidc"
)

// SSOAccounts is what single sign-on needs of the user store beside
// Accounts (storage/postgres.Store implements it).
type SSOAccounts interface {
	// SSOUser finds or creates the user of a verified identity and sets
	// its role, email and name from it.
	SSOUser(ctx context.Context, id account.Identity) (account.User, error)
}

const (
	// ssoCookie keeps the flow (state, nonce, PKCE verifier) and where to
	// go after sign-in, between /desk/sso/start and the callback. It is
	// used once: the callback deletes it whatever the outcome.
	ssoCookie       = "docflow_sso"
	ssoFlowLifetime = 10 * time.Minute
)

// ssoStart sends the person to the identity provider.
func (d *Desk) ssoStart(w http.ResponseWriter, r *http.Request) {
	lang := requestLang(r)
	next := localPath(r.URL.Query().Get("next"))
	f := oidc.NewFlow()
	to, err := d.opts.SSO.AuthURL(r.Context(), f)
	if err != nil {
		slog.Warn("desk: single sign-on unavailable", "issuer", d.opts.SSO.Issuer(), "err", err)
		d.renderSignin(w, r, http.StatusServiceUnavailable, signinView{Next: next, Error: lang.T("sso.unavailable")})
		return
	}
	d.setCookie(w, r, ssoCookie, encodeFlow(f, next), int(ssoFlowLifetime.Seconds()))
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// ssoCallback ends the flow: the state must be this browser's, the code
// is exchanged for a verified ID token, its claims give the tenant and
// role, and the person gets a session like a local account's.
func (d *Desk) ssoCallback(w http.ResponseWriter, r *http.Request) {
	lang := requestLang(r)
	q := r.URL.Query()
	f, next, ok := d.takeFlow(w, r)
	refuse := func(status int, msg string, err error) {
		slog.Info("desk single sign-on refused", "issuer", d.opts.SSO.Issuer(), "status", status, "reason", err)
		d.renderSignin(w, r, status, signinView{Next: next, Error: msg})
	}
	switch {
	case !ok || subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(f.State)) != 1:
		refuse(http.StatusForbidden, lang.T("sso.expired"), errors.New("the state is not this browser's sign-in"))
		return
	case q.Get("error") != "":
		code := q.Get("error")
		if !oauthErrorCode.MatchString(code) {
			code = "invalid"
		}
		refuse(http.StatusUnauthorized, lang.F("sso.provider", code), fmt.Errorf("provider error %q", code))
		return
	}
	id, err := d.opts.SSO.Exchange(r.Context(), q.Get("code"), f)
	var u account.User
	if err == nil {
		u, err = d.accounts.(SSOAccounts).SSOUser(r.Context(), id)
	}
	if err != nil {
		status, msg := ssoRefusal(lang, err, id)
		if status >= 500 {
			d.fail(w, r, &request{lang: lang}, err)
			return
		}
		refuse(status, msg, err)
		return
	}
	slog.Info("desk single sign-on", "issuer", id.Issuer, "user", u.ID, "tenant", u.TenantID, "role", u.Role)
	d.openSession(w, r, lang, u, next)
}

// oauthErrorCode is the form of an OAuth 2 error code worth showing.
var oauthErrorCode = regexp.MustCompile(`^[a-z_]{1,40}$`)

// ssoRefusal is the status and message of a failed single sign-on.
func ssoRefusal(lang Lang, err error, id account.Identity) (int, string) {
	var ce *oidc.ClaimError
	switch {
	case errors.As(err, &ce):
		return http.StatusForbidden, lang.F("sso."+ce.Code, ce.Claim, ce.Value)
	case errors.Is(err, oidc.ErrUnavailable):
		return http.StatusServiceUnavailable, lang.T("sso.unavailable")
	case errors.Is(err, oidc.ErrInvalid):
		return http.StatusUnauthorized, lang.T("sso.failed")
	case errors.Is(err, derrors.NotFound):
		return http.StatusForbidden, lang.F("sso.unknown_tenant", id.TenantID)
	case errors.Is(err, derrors.Forbidden):
		return http.StatusForbidden, lang.T("sso.disabled")
	case errors.Is(err, derrors.Conflict):
		return http.StatusConflict, lang.T("sso.conflict")
	}
	return http.StatusInternalServerError, ""
}

// encodeFlow writes the flow and the next path as the cookie's value:
// four base64url parts joined by dots.
func encodeFlow(f oidc.Flow, next string) string {
	b64 := base64.RawURLEncoding
	return strings.Join([]string{b64.EncodeToString([]byte(f.State)), b64.EncodeToString([]byte(f.Nonce)),
		b64.EncodeToString([]byte(f.Verifier)), b64.EncodeToString([]byte(next))}, ".")
}

// takeFlow reads the flow cookie and deletes it, so that a callback is
// accepted once.
func (d *Desk) takeFlow(w http.ResponseWriter, r *http.Request) (f oidc.Flow, next string, ok bool) {
	c, err := r.Cookie(ssoCookie)
	if err != nil {
		return f, "", false
	}
	d.setCookie(w, r, ssoCookie, "", -1)
	return decodeFlow(c.Value)
}

// decodeFlow reads a flow cookie's value (see encodeFlow).
func decodeFlow(value string) (f oidc.Flow, next string, ok bool) {
	parts := strings.Split(value, ".")
	if len(parts) != 4 {
		return f, "", false
	}
	var vals [4]string
	for i, p := range parts {
		b, err := base64.RawURLEncoding.DecodeString(p)
		if err != nil {
			return f, "", false
		}
		vals[i] = string(b)
	}
	f = oidc.Flow{State: vals[0], Nonce: vals[1], Verifier: vals[2]}
	return f, localPath(vals[3]), f.State != "" && f.Nonce != "" && f.Verifier != ""
}
