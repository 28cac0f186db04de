// Package desk is the review desk: the web pages that people use, served
// by docflow under /desk/. Reviewers sign in, work the queue, see each
// document beside its extracted fields with the source of every field
// highlighted, correct, approve or reject; HR staff drop files on the
// upload page and follow what became of them; auditors read. Pages are
// rendered on the server with html/template, in French and English, with
// a little plain JavaScript from an embedded static file; every change
// goes through pipeline.Service with the signed-in user as principal.
package desk

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"time"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/authz"
	"github.com/docflow/docflow/oidc"
	"github.com/docflow/docflow/pipeline"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Accounts is what the desk needs of the user and session store
// (storage/postgres.Store implements it).
type Accounts interface {
	UsersByEmail(ctx context.Context, email string) ([]account.User, error)
	TenantUsers(ctx context.Context, tenantID string) ([]account.User, error)
	CreateSession(ctx context.Context, s account.Session) error
	TouchSession(ctx context.Context, id []byte, now time.Time, idle time.Duration) (account.Session, account.User, error)
	// Session is TouchSession without recording that it was seen.
	Session(ctx context.Context, id []byte, now time.Time, idle time.Duration) (account.Session, account.User, error)
	DeleteSession(ctx context.Context, id []byte) error
}

// Options are the desk's settings.
type Options struct {
	// DataDir is docflow's data folder; rendered PDF pages are cached
	// under DataDir/pages.
	DataDir string
	// SecureCookies marks cookies Secure even on plain HTTP requests (a
	// TLS-terminating proxy in front); TLS requests always get Secure.
	SecureCookies bool
	// IdleTimeout ends a session unused for this long (default 2h);
	// SessionLifetime ends any session this long after sign-in (default 12h).
	IdleTimeout     time.Duration
	SessionLifetime time.Duration
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// SSO, when set, offers single sign-on through this OpenID provider
	// beside local accounts; the accounts must implement SSOAccounts.
	SSO *oidc.Provider
}

// Desk serves the review desk.
type Desk struct {
	svc      *pipeline.Service
	accounts Accounts
	opts     Options
	pages    *pageRenderer
	tmpl     templates
}

// Prefix is where the desk is mounted.
const Prefix = "/desk/"

// New returns the desk's HTTP handler, to be mounted at Prefix.
func New(svc *pipeline.Service, accounts Accounts, opts Options) (http.Handler, error) {
	if opts.IdleTimeout <= 0 {
		opts.IdleTimeout = 2 * time.Hour
	}
	if opts.SessionLifetime <= 0 {
		opts.SessionLifetime = 12 * time.Hour
	}
	if _, ok := accounts.(SSOAccounts); opts.SSO != nil && !ok {
		return nil, errors.New("desk: single sign-on needs a user store that implements SSOAccounts")
	}
	t, err := parseTemplates()
	if err != nil {
		return nil, err
	}
	d := &Desk{svc: svc, accounts: accounts, opts: opts, tmpl: t, pages: newPageRenderer(opts.DataDir)}
	return securityHeaders(http.NewCrossOriginProtection().Handler(d.routes())), nil
}

func (d *Desk) now() time.Time {
	if d.opts.Now != nil {
		return d.opts.Now()
	}
	return time.Now()
}

// routes registers every route of the desk in one place, each with the
// authz action that it performs.
func (d *Desk) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /desk/static/", cacheStatic(http.StripPrefix("/desk/static/", http.FileServerFS(static))))
	mux.HandleFunc("GET /desk/signin", d.signinPage)
	mux.HandleFunc("POST /desk/signin", d.signin)
	mux.HandleFunc("GET /desk/lang/{lang}", d.setLang)
	if d.opts.SSO != nil {
		mux.HandleFunc("GET /desk/sso/start", d.ssoStart)
		mux.HandleFunc("GET /desk/sso/callback", d.ssoCallback)
	}
	mux.Handle("POST /desk/signout", d.page(authz.DeskSession, d.signout))
	mux.Handle("GET /desk/{$}", d.page(authz.DeskSession, d.home))
	mux.Handle("GET /desk/queue", d.page(authz.ReviewList, d.queuePage))
	mux.Handle("GET /desk/tasks/{id}", d.page(authz.ReviewList, d.taskPage))
	mux.Handle("POST /desk/tasks/{id}/claim", d.page(authz.ReviewClaim, d.claim))
	mux.Handle("POST /desk/tasks/{id}/release", d.page(authz.ReviewRelease, d.release))
	mux.Handle("POST /desk/tasks/{id}/approve", d.page(authz.ReviewDecide, d.approve))
	mux.Handle("POST /desk/tasks/{id}/reject", d.page(authz.ReviewDecide, d.reject))
	mux.Handle("GET /desk/documents/{id}", d.page(authz.DocumentAudit, d.documentPage))
	mux.Handle("GET /desk/documents/{id}/pages/{n}", d.page(authz.DocumentFile, d.pageImage))
	mux.Handle("GET /desk/documents/{id}/file", d.page(authz.DocumentFile, d.originalImage))
	mux.Handle("GET /desk/upload", d.page(authz.DocumentRead, d.uploadPage))
	mux.Handle("POST /desk/upload", d.page(authz.DocumentUpload, d.upload))
	mux.Handle("GET /desk/documents.json", d.page(authz.DocumentRead, d.documentsJSON))
	mux.Handle("/desk/", d.page(authz.DeskSession, func(http.ResponseWriter, *http.Request, *request) error { return errNoRoute }))
	return mux
}

// home sends each role to its first page: the queue to those who may see
// it, the upload page to the others.
func (d *Desk) home(w http.ResponseWriter, r *http.Request, rq *request) error {
	if authz.Can(rq.user.Role, authz.ReviewList) {
		http.Redirect(w, r, "/desk/queue", http.StatusSeeOther)
	} else {
		http.Redirect(w, r, "/desk/upload", http.StatusSeeOther)
	}
	return nil
}

// cacheStatic lets browsers keep the embedded assets for an hour.
func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}
