package oidc_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/oidc"
	"github.com/docflow/docflow/oidc/oidctest"
	"github.com/docflow/docflow/pipeline"
	"github.com/golang-jwt/jwt/v5"
	"github.com/oauth2-proxy/mockoidc"
)

const (
	tenant   = "0b8c5a52-8f0e-4a4e-9d57-6c4a0d8d2f11"
	callback = "http://127.0.0.1:1/desk/sso/callback"
)

var noFollow = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// rita is a reviewer of tenant.
func rita() oidctest.Person {
	return oidctest.Person{Subject: "rita-1", Email: "rita@example.fr", EmailVerified: true, Name: "Rita Relue",
		Extra: map[string]any{"docflow_tenant": tenant, "docflow_role": "reviewer"}}
}

// authorize walks the browser's part of the flow: to the provider, which
// signs p in and sends back to the callback with a code and the state.
func authorize(t *testing.T, s *oidctest.Server, p *oidc.Provider, who oidctest.Person) (code string, f oidc.Flow) {
	t.Helper()
	f = oidc.NewFlow()
	to, err := p.AuthURL(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	q := mustParse(t, to).Query()
	if q.Get("code_challenge_method") != "S256" || q.Get("code_challenge") == "" || q.Get("nonce") != f.Nonce || q.Get("state") != f.State {
		t.Fatalf("authorization URL lacks PKCE, nonce or state: %s", to)
	}
	s.Next(who)
	resp, err := noFollow.Get(to)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	back := mustParse(t, resp.Header.Get("Location"))
	if back.Query().Get("state") != f.State || back.Query().Get("code") == "" {
		t.Fatalf("provider answered %d %s", resp.StatusCode, back)
	}
	return back.Query().Get("code"), f
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func setup(t *testing.T, claims oidc.Claims) (*oidctest.Server, *oidc.Provider) {
	t.Helper()
	s := oidctest.Start(t, oidctest.Options{})
	p, err := oidc.New(s.Config(callback, claims))
	if err != nil {
		t.Fatal(err)
	}
	return s, p
}

func TestSignInAtARealProvider(t *testing.T) {
	t.Parallel()
	s, p := setup(t, oidc.Claims{})
	code, f := authorize(t, s, p, rita())
	id, err := p.Exchange(context.Background(), code, f)
	if err != nil {
		t.Fatal(err)
	}
	want := account.Identity{Issuer: s.Issuer(), Subject: "rita-1", TenantID: tenant, Role: pipeline.RoleReviewer,
		Email: "rita@example.fr", EmailVerified: true, Name: "Rita Relue"}
	if id != want {
		t.Errorf("identity = %+v\nwant %+v", id, want)
	}
	// The code is good once.
	if _, err := p.Exchange(context.Background(), code, f); !errors.Is(err, oidc.ErrInvalid) {
		t.Errorf("code used twice: %v, want ErrInvalid", err)
	}
}

// TestRefusedTokens: every way an answer of the provider can be wrong is
// refused as ErrInvalid, with the provider's real keys and endpoints.
func TestRefusedTokens(t *testing.T) {
	t.Parallel()
	edit := func(fn func(*mockoidc.IDTokenClaims)) oidctest.Person {
		p := rita()
		p.Edit = fn
		return p
	}
	for _, tc := range []struct {
		name   string
		person oidctest.Person
		// exchange changes the flow or code before the exchange.
		exchange func(code string, f oidc.Flow) (string, oidc.Flow)
		expired  bool
	}{
		{name: "another audience", person: edit(func(c *mockoidc.IDTokenClaims) { c.Audience = jwt.ClaimStrings{"another-client"} })},
		{name: "another issuer, signed with the provider's key", person: edit(func(c *mockoidc.IDTokenClaims) { c.Issuer = "https://idp.evil.example" })},
		{name: "nonce of another sign-in", person: edit(func(c *mockoidc.IDTokenClaims) { c.Nonce = account.RandomToken() })},
		{name: "no nonce", person: edit(func(c *mockoidc.IDTokenClaims) { c.Nonce = "" })},
		{name: "expired", person: rita(), expired: true},
		{name: "PKCE verifier of another flow", person: rita(), exchange: func(code string, f oidc.Flow) (string, oidc.Flow) {
			f.Verifier = oidc.NewFlow().Verifier
			return code, f
		}},
		{name: "forged code", person: rita(), exchange: func(_ string, f oidc.Flow) (string, oidc.Flow) { return "forged", f }},
		{name: "nonce kept by the browser differs", person: rita(), exchange: func(code string, f oidc.Flow) (string, oidc.Flow) {
			f.Nonce = account.RandomToken()
			return code, f
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, p := setup(t, oidc.Claims{})
			if tc.expired {
				s.FastForward(-2 * s.AccessTTL) // the provider's clock runs behind: its token is stale on arrival
			}
			code, f := authorize(t, s, p, tc.person)
			if tc.exchange != nil {
				code, f = tc.exchange(code, f)
			}
			id, err := p.Exchange(context.Background(), code, f)
			if !errors.Is(err, oidc.ErrInvalid) {
				t.Fatalf("Exchange = %+v, %v; want ErrInvalid", id, err)
			}
			t.Logf("refused: %v", err)
			var expired *gooidc.TokenExpiredError
			if tc.expired != errors.As(err, &expired) {
				t.Errorf("expired = %v, error %v", tc.expired, err)
			}
		})
	}
}

// TestTokenOfAnotherProvider: a real ID token issued by another provider
// (for its own client, with this sign-in's nonce) and passed off as the
// trusted provider's answer is refused, whether signed with the same key
// (the issuer and audience checks catch it) or with its own (the
// signature check does).
func TestTokenOfAnotherProvider(t *testing.T) {
	t.Parallel()
	for _, ownKey := range []bool{false, true} {
		s, p := setup(t, oidc.Claims{})
		other := oidctest.Start(t, oidctest.Options{OwnKey: ownKey})
		code, f := authorize(t, s, p, rita())
		s.SwapIDToken(other.IDToken(t, rita(), f.Nonce))
		if id, err := p.Exchange(context.Background(), code, f); !errors.Is(err, oidc.ErrInvalid) {
			t.Errorf("own key %v: Exchange = %+v, %v; want ErrInvalid", ownKey, id, err)
		} else {
			t.Logf("own key %v: refused: %v", ownKey, err)
		}
	}
}

func TestClaimsRefused(t *testing.T) {
	t.Parallel()
	s, p := setup(t, oidc.Claims{})
	who := rita()
	delete(who.Extra, "docflow_tenant")
	code, f := authorize(t, s, p, who)
	_, err := p.Exchange(context.Background(), code, f)
	var ce *oidc.ClaimError
	if !errors.As(err, &ce) || ce.Code != oidc.CodeNoTenant || ce.Claim != "docflow_tenant" {
		t.Errorf("token without a tenant: %v, want claim error no_tenant", err)
	}
}

func TestProviderDown(t *testing.T) {
	t.Parallel()
	p, err := oidc.New(oidc.Config{Issuer: "http://127.0.0.1:1/oidc", ClientID: "c", ClientSecret: "s", RedirectURL: callback,
		HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err) // New does not contact the provider
	}
	if _, err := p.AuthURL(context.Background(), oidc.NewFlow()); !errors.Is(err, oidc.ErrUnavailable) {
		t.Errorf("AuthURL with the provider down: %v, want ErrUnavailable", err)
	}
	if _, err := p.AuthURL(context.Background(), oidc.Flow{}); err == nil {
		t.Error("AuthURL accepts an empty flow")
	}
}
