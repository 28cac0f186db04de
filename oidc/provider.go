// Package oidc signs people in through an OpenID Connect provider: a thin
// layer over github.com/coreos/go-oidc and golang.org/x/oauth2 that runs
// the authorization code flow with state, nonce and PKCE (S256), verifies
// the ID token (signature against the provider's published keys, issuer,
// audience, expiry, nonce), and maps its claims onto an account.Identity:
// the tenant and the role come from configured claims, and a token
// without a valid tenant or role is refused, never given a default.
//
// The package knows nothing of HTTP handlers or cookies: the review desk
// keeps a Flow between the redirect to the provider and the callback.
package oidc

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"time"

	gooidc "github.com/coreos/go-oidc/v3/oidc"
	"github.com/docflow/docflow/account"
	"golang.org/x/oauth2"
)

// Errors of a sign-in that are not the person's claims (see ClaimError).
var (
	// ErrUnavailable means the provider could not be reached or its
	// discovery document was unusable.
	ErrUnavailable = errors.New("oidc: the identity provider is unavailable")
	// ErrInvalid means the provider's answer was refused: the code could
	// not be exchanged, or the ID token failed verification (signature,
	// issuer, audience, expiry, nonce).
	ErrInvalid = errors.New("oidc: the identity provider's answer was refused")
)

// Config is one OpenID provider and how its claims map onto docflow.
type Config struct {
	// Issuer is the provider's issuer URL; its discovery document is at
	// Issuer + "/.well-known/openid-configuration".
	Issuer string
	// ClientID and ClientSecret are docflow's registration at the provider.
	ClientID, ClientSecret string
	// RedirectURL is the desk's callback, .../desk/sso/callback, as
	// registered at the provider.
	RedirectURL string
	// Scopes asked for; default openid, email and profile. Add the scope
	// that releases the role claim (groups, often) where the provider needs it.
	Scopes []string
	// Claims says which claims carry the tenant, role, email and name.
	Claims Claims
	// HTTPClient talks to the provider; default a client with a 15 s timeout.
	HTTPClient *http.Client
	// Now is the clock that token expiry is checked against; nil means time.Now.
	Now func() time.Time
}

// DefaultScopes are asked for when Config.Scopes is empty.
var DefaultScopes = []string{gooidc.ScopeOpenID, "email", "profile"}

// Provider signs people in through one OpenID provider. Its discovery
// document is fetched on first use, and again after a failure, so that a
// provider that is down does not stop docflow from starting.
type Provider struct {
	cfg Config

	mu       sync.Mutex
	oauth    *oauth2.Config
	verifier *gooidc.IDTokenVerifier
}

// New checks cfg and returns its provider, without contacting it.
func New(cfg Config) (*Provider, error) {
	switch {
	case cfg.Issuer == "" || cfg.ClientID == "" || cfg.ClientSecret == "" || cfg.RedirectURL == "":
		return nil, errors.New("oidc: the issuer, client id, client secret and redirect URL are required")
	case len(cfg.Scopes) > 0 && !slices.Contains(cfg.Scopes, gooidc.ScopeOpenID):
		return nil, errors.New("oidc: the scopes must include openid")
	}
	if len(cfg.Scopes) == 0 {
		cfg.Scopes = DefaultScopes
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 15 * time.Second}
	}
	if err := cfg.Claims.check(); err != nil {
		return nil, err
	}
	cfg.Claims = cfg.Claims.withDefaults()
	return &Provider{cfg: cfg}, nil
}

// Issuer is the provider's issuer URL.
func (p *Provider) Issuer() string { return p.cfg.Issuer }

// Flow is what the desk keeps in the person's browser between the
// redirect to the provider and the callback: the state that binds the
// callback to this browser, the nonce that binds the ID token to this
// sign-in, and the PKCE verifier that binds the code to this client.
type Flow struct {
	State, Nonce, Verifier string
}

// NewFlow returns a flow with fresh random values.
func NewFlow() Flow {
	return Flow{State: account.RandomToken(), Nonce: account.RandomToken(), Verifier: oauth2.GenerateVerifier()}
}

func (f Flow) complete() bool { return f.State != "" && f.Nonce != "" && f.Verifier != "" }

// AuthURL is where the person's browser goes to sign in at the provider.
func (p *Provider) AuthURL(ctx context.Context, f Flow) (string, error) {
	if !f.complete() {
		return "", errors.New("oidc: incomplete flow")
	}
	oc, _, err := p.discovered(ctx)
	if err != nil {
		return "", err
	}
	return oc.AuthCodeURL(f.State, gooidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), nil
}

// Exchange trades the callback's code for the ID token, verifies it and
// maps its claims. The caller has checked the callback's state against
// f.State. A verification failure is ErrInvalid; a token whose claims do
// not give a tenant, a role and an email is a *ClaimError.
func (p *Provider) Exchange(ctx context.Context, code string, f Flow) (account.Identity, error) {
	if !f.complete() || code == "" {
		return account.Identity{}, fmt.Errorf("%w: no code or no flow", ErrInvalid)
	}
	oc, v, err := p.discovered(ctx)
	if err != nil {
		return account.Identity{}, err
	}
	tok, err := oc.Exchange(p.clientContext(ctx), code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		return account.Identity{}, fmt.Errorf("%w: exchanging the code: %w", ErrInvalid, err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return account.Identity{}, fmt.Errorf("%w: the token response has no id_token", ErrInvalid)
	}
	idt, err := v.Verify(p.clientContext(ctx), raw)
	if err != nil {
		return account.Identity{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return account.Identity{}, fmt.Errorf("%w: the ID token's nonce is not this sign-in's", ErrInvalid)
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return account.Identity{}, fmt.Errorf("%w: %w", ErrInvalid, err)
		}
	}
	if idt.Subject == "" {
		return account.Identity{}, fmt.Errorf("%w: the ID token has no subject", ErrInvalid)
	}
	var claims map[string]any
	if err := idt.Claims(&claims); err != nil {
		return account.Identity{}, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	id, err := p.cfg.Claims.identity(claims)
	id.Issuer, id.Subject = idt.Issuer, idt.Subject
	return id, err
}

// discovered returns the OAuth 2 configuration and the ID token verifier,
// fetching the discovery document when not yet done.
func (p *Provider) discovered(ctx context.Context) (*oauth2.Config, *gooidc.IDTokenVerifier, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.oauth != nil {
		return p.oauth, p.verifier, nil
	}
	op, err := gooidc.NewProvider(p.clientContext(ctx), p.cfg.Issuer)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: discovery at %s: %w", ErrUnavailable, p.cfg.Issuer, err)
	}
	p.oauth = &oauth2.Config{ClientID: p.cfg.ClientID, ClientSecret: p.cfg.ClientSecret, RedirectURL: p.cfg.RedirectURL,
		Endpoint: op.Endpoint(), Scopes: p.cfg.Scopes}
	p.verifier = op.Verifier(&gooidc.Config{ClientID: p.cfg.ClientID, Now: p.cfg.Now})
	return p.oauth, p.verifier, nil
}

// clientContext makes go-oidc and oauth2 use the configured HTTP client.
func (p *Provider) clientContext(ctx context.Context) context.Context {
	ctx = gooidc.ClientContext(ctx, p.cfg.HTTPClient)
	return context.WithValue(ctx, oauth2.HTTPClient, p.cfg.HTTPClient)
}
