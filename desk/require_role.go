package desk

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
)

// RequireRole returns next behind the desk's sign-in, for tools mounted
// beside the desk under Prefix (the session cookie's path), such as River
// UI at /desk/riverui/: a request without a live session is sent to the
// sign-in page (401 for scripts and non-GET requests), and one whose user
// does not have role, or belongs to another tenant than tenantID when
// tenantID is set, gets 403. Cross-origin unsafe requests are refused, as
// on the desk. Errors are shown as the desk shows them.
func RequireRole(accounts Accounts, opts Options, role pipeline.Role, tenantID string, next http.Handler) (http.Handler, error) {
	t, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	d := &Desk{accounts: accounts, opts: opts, tmpl: t}
	if d.opts.IdleTimeout <= 0 {
		d.opts.IdleTimeout = 2 * time.Hour
	}
	guard := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rq := &request{lang: requestLang(r)}
		c, err := r.Cookie(sessionCookie)
		if err == nil {
			rq.session, rq.user, err = d.liveSession(r, c.Value)
		}
		switch {
		case err != nil && !errors.Is(err, derrors.Unauthenticated) && !errors.Is(err, http.ErrNoCookie):
			d.fail(w, r, rq, err)
		case err != nil && r.Method == http.MethodGet && !wantsJSON(r):
			http.Redirect(w, r, "/desk/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
		case err != nil:
			d.fail(w, r, rq, fmt.Errorf("%w: sign in first", derrors.Unauthenticated))
		case rq.user.Role != role || (tenantID != "" && rq.user.TenantID != tenantID):
			d.fail(w, r, rq, fmt.Errorf("%w: only the operators' %s may open this page", derrors.Forbidden, role))
		default:
			next.ServeHTTP(w, r)
		}
	})
	return http.NewCrossOriginProtection().Handler(guard), nil
}
