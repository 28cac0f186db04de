// Package oidctest runs a real OpenID Connect provider for tests:
// github.com/oauth2-proxy/mockoidc, on a loopback port, with discovery,
// a JWKS endpoint, RS256-signed ID tokens and the authorization code flow
// with PKCE. Its authorization endpoint signs in the next queued Person
// at once, without a login form, so that an HTTP client or a browser
// walks the whole flow.
//
// mockoidc is chosen over zitadel/oidc's example server because it is a
// library made to be started inside a test (one call, no storage to
// implement, no interactive login), while still serving every endpoint a
// relying party talks to; tokens can be tampered with through Person.Edit.
package oidctest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"github.com/docflow/docflow/oidc"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

// Server is a running provider.
type Server struct {
	*mockoidc.MockOIDC

	mu   sync.Mutex
	swap string // the ID token the next token response carries instead
}

// Options of Start.
type Options struct {
	// OwnKey signs with a fresh RSA key instead of mockoidc's default one
	// (which every default server shares).
	OwnKey bool
}

// Start runs a provider until the test ends.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	var key *rsa.PrivateKey
	if opts.OwnKey {
		var err error
		if key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatal(err)
		}
	}
	m, err := mockoidc.NewServer(key)
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{MockOIDC: m}
	if err := m.AddMiddleware(s.swapIDToken); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Shutdown() })
	return s
}

// Config is an oidc.Config for docflow as this provider's client.
func (s *Server) Config(redirectURL string, claims oidc.Claims) oidc.Config {
	return oidc.Config{Issuer: s.Issuer(), ClientID: s.ClientID, ClientSecret: s.ClientSecret,
		RedirectURL: redirectURL, Claims: claims}
}

// Person is who the provider signs in next (see Next).
type Person struct {
	Subject, Email, Name string
	EmailVerified        bool
	// Extra claims of the ID token: docflow_tenant, groups...
	Extra map[string]any
	// Edit, when set, changes the standard claims before signing: another
	// audience, issuer, nonce or expiry.
	Edit func(*mockoidc.IDTokenClaims)
}

// Next queues p as the person whom the next authorization signs in.
func (s *Server) Next(p Person) { s.QueueUser(&p) }

// ID is the subject.
func (p *Person) ID() string { return p.Subject }

// Userinfo is the userinfo endpoint's answer.
func (p *Person) Userinfo([]string) ([]byte, error) {
	return json.Marshal(map[string]any{"sub": p.Subject, "email": p.Email, "name": p.Name})
}

// Claims returns the ID token's claims: the standard ones, the email and
// name, and p.Extra.
func (p *Person) Claims(_ []string, base *mockoidc.IDTokenClaims) (jwt.Claims, error) {
	if p.Edit != nil {
		p.Edit(base)
	}
	extra := map[string]any{"email": p.Email, "email_verified": p.EmailVerified}
	if p.Name != "" {
		extra["name"] = p.Name
	}
	maps.Copy(extra, p.Extra)
	return &claims{IDTokenClaims: base, extra: extra}, nil
}

type claims struct {
	*mockoidc.IDTokenClaims
	extra map[string]any
}

func (c *claims) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(c.IDTokenClaims)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	maps.Copy(m, c.extra)
	return json.Marshal(m)
}

// IDToken signs p in at this provider as its own client, with nonce, and
// returns the raw ID token it issues: a real token of another provider,
// for SwapIDToken on the one docflow trusts.
func (s *Server) IDToken(t testing.TB, p Person, nonce string) string {
	t.Helper()
	s.Next(p)
	q := url.Values{"client_id": {s.ClientID}, "response_type": {"code"}, "scope": {"openid email profile"},
		"redirect_uri": {"http://127.0.0.1/cb"}, "state": {"s"}, "nonce": {nonce}}
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(s.AuthorizationEndpoint() + "?" + q.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize at the other provider: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, err = http.PostForm(s.TokenEndpoint(), url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")},
		"client_id": {s.ClientID}, "client_secret": {s.ClientSecret}, "redirect_uri": {"http://127.0.0.1/cb"}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || tok.IDToken == "" {
		t.Fatalf("token at the other provider: %d %v", resp.StatusCode, err)
	}
	return tok.IDToken
}

// SwapIDToken makes the next token response carry raw as its ID token,
// as a provider that is compromised or confused might.
func (s *Server) SwapIDToken(raw string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.swap = raw
}

func (s *Server) swapIDToken(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		raw := s.swap
		s.mu.Unlock()
		if raw == "" || r.URL.Path != mockoidc.TokenEndpoint {
			next.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		next.ServeHTTP(rec, r)
		b := rec.Body.Bytes()
		body := map[string]any{}
		if err := json.Unmarshal(b, &body); err == nil && rec.Code == http.StatusOK {
			// Swapped once, in the answer that carries tokens (oauth2
			// may first try a client authentication that is refused).
			s.mu.Lock()
			s.swap = ""
			s.mu.Unlock()
			body["id_token"] = raw
			b, _ = json.Marshal(body)
		}
		maps.Copy(w.Header(), rec.Header())
		w.WriteHeader(rec.Code)
		_, _ = io.Copy(w, bytes.NewReader(b))
	})
}
