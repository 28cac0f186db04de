package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"github.com/docflow/docflow/ratelimit"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/docflow/docflow/api"
	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/desk"
	"github.com/docflow/docflow/events"
	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/oidc"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/storage/mariadb"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/docflow/docflow/tracing"
	"github.com/emersion/go-smtp"
)

func serve(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	apiOnly := fs.Bool("api-only", false, "serve the API without running jobs")
	workersOnly := fs.Bool("workers-only", false, "run jobs without serving the API")
	doMigrate := fs.Bool("migrate", false, "apply migrations before starting")
	demo := fs.Bool("demo", false, "create a demo tenant with keys on first start and print them")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *apiOnly && *workersOnly {
		return errors.New("serve: --api-only and --workers-only exclude each other")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	cfg.Dump(stderr)
	stopTracing, err := tracing.Setup(ctx, cfg.Ops.OTLPEndpoint, "docflow")
	if err != nil {
		return err
	}
	defer flushTraces(stopTracing)
	if *doMigrate || *demo {
		if err := migrateAll(ctx, cfg); err != nil {
			return err
		}
	}
	workers := cfg.Workers
	if *apiOnly {
		workers = 0
	}
	a, err := openApp(ctx, cfg, workers)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := postgres.CheckSchema(ctx, a.pool); err != nil {
		return err
	}
	if err := mariadb.CheckSchema(ctx, a.mdb); err != nil {
		return err
	}
	m, ready := observe(a, cfg)
	var stopping stopper
	defer stopping.stop(cfg.Ops.ShutdownTimeout)
	if workers > 0 {
		// Not ctx: its end (SIGTERM) would cancel the running jobs at
		// once; stopping.stop lets them finish first.
		if err := a.river.Start(context.WithoutCancel(ctx)); err != nil {
			return fmt.Errorf("river: %w", err)
		}
		stopping.river = a.river
	}
	if workers > 0 {
		if err := startMailPollers(ctx, a, cfg, m.MailPolled); err != nil {
			return err
		}
		go retentionLoop(ctx, a.svc)
		go events.Run(ctx, events.Options{Log: a.store, Outbox: mariadb.New(a.mdb), KafkaBrokers: cfg.Events.KafkaBrokers, KafkaTopic: cfg.Events.KafkaTopic, AllowPrivate: cfg.Events.WebhookAllowPrivate,
			Config: events.Config{Poll: cfg.Events.Poll, Timeout: cfg.Events.WebhookTimeout, MaxAge: cfg.Events.WebhookMaxAge}})
	}
	if cfg.Ops.MetricsAddr != "" {
		if stopping.servers, err = serveOps(cfg, m, ready); err != nil {
			return err
		}
	}
	if *workersOnly {
		slog.Info("docflow workers running", "workers", workers)
		<-ctx.Done()
		return nil
	}
	if *demo {
		if err := ensureDemo(ctx, a, cfg, stdout); err != nil {
			return err
		}
	}
	sso, err := ssoProvider(cfg.OIDC)
	if err != nil {
		return err
	}
	reviewDesk, err := desk.New(a.svc, a.store, desk.Options{DataDir: cfg.DataDir, SecureCookies: cfg.SecureCookies, SSO: sso})
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.Handle(desk.Prefix, reviewDesk)
	if err := mountRiverUI(ctx, mux, a.river, a.store, cfg); err != nil {
		return err
	}
	mux.Handle("/metrics", m.Handler(cfg.Ops.MetricsToken))
	mux.Handle("/", api.New(a.svc, a.store, api.WithReadiness(ready), api.WithSummaries(mariadb.New(a.mdb)), api.WithMailboxes(a.store), api.WithInboundAddresses(a.store, cfg.SMTP.Domain), api.WithKeys(a.store), api.WithRequestTimeout(cfg.Ops.RequestTimeout),
		api.WithRateLimit(&ratelimit.Limiter{PerKey: ratelimit.Limit{Rate: cfg.RateLimit.PerKey, Burst: int(2 * cfg.RateLimit.PerKey)},
			PerTenant: ratelimit.Limit{Rate: cfg.RateLimit.PerTenant, Burst: int(2 * cfg.RateLimit.PerTenant)}})))
	if cfg.SMTP.Addr != "" {
		if err := startSMTP(ctx, a, cfg); err != nil {
			return err
		}
	}
	srv := &http.Server{Addr: cfg.Addr, Handler: mux, ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{MinVersion: tls.VersionTLS12}}
	stopping.servers = append(stopping.servers, srv)
	errc := make(chan error, 1)
	go func() {
		if cfg.TLSCert != "" {
			errc <- srv.ListenAndServeTLS(cfg.TLSCert, cfg.TLSKey)
			return
		}
		errc <- srv.ListenAndServe()
	}()
	slog.Info("docflow serving", "addr", cfg.Addr, "workers", workers)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	// The deferred stopping.stop shuts the servers, then the workers.
	return nil
}

// ensureDemo creates the demo tenant and its keys once, and prints how to
// use them. The keys' secrets are kept in the data folder so that a second
// start prints them again.
func ensureDemo(ctx context.Context, a *app, cfg config.Config, stdout io.Writer) error {
	demo, err := loadOrCreateDemo(ctx, a, cfg)
	if err != nil {
		return err
	}
	host, port, err := net.SplitHostPort(cfg.Addr)
	if err != nil {
		return fmt.Errorf("DOCFLOW_ADDR %q: %w", cfg.Addr, err)
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "localhost"
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	base := scheme + "://" + net.JoinHostPort(host, port)
	fmt.Fprintf(stdout, `
docflow is running on %s
demo tenant   %s
uploader key  %s
reviewer key  %s

upload a file:
  curl -s -H 'Authorization: Bearer %s' -F file=@contract.pdf %s/v1/documents
then look at it:
  curl -s -H 'Authorization: Bearer %s' %s/v1/documents/DOCUMENT_ID

review desk   %s/desk/  (sign in as %s, password %s)

`, base, demo.TenantID, demo.Uploader, demo.Reviewer, demo.Uploader, base, demo.Uploader, base, base, demo.DeskEmail, demo.DeskPassword)
	return nil
}

// startMailPollers polls every enabled mailbox from this worker process,
// with IDLE where the server supports it; mailboxes added, changed or
// disabled through the API are followed within 30 s. Polls of one mailbox
// never overlap, even across processes (a lock in PostgreSQL).
func startMailPollers(ctx context.Context, a *app, cfg config.Config, onPoll func(mail.Result, error)) error {
	// Secrets stored in plain text or under a rotated-out key are sealed
	// with the current key.
	if n, err := a.store.ResealSecrets(ctx); err != nil {
		return fmt.Errorf("sealing stored secrets: %w", err)
	} else if n > 0 {
		slog.Info("sealed stored secrets with the current master key", "count", n)
	}
	p := &mail.Poller{Store: a.store, Service: a.svc, RetryBackoff: time.Minute, OnPoll: onPoll}
	if cfg.SMTP.Relay != "" {
		p.Replier = &mail.Replier{Relay: cfg.SMTP.Relay, From: cfg.SMTP.ReplyFrom, TLS: &tls.Config{MinVersion: tls.VersionTLS12}}
	}
	if os.Getenv("DOCFLOW_FAULT") == "mail-after-commit" {
		// Fault injection for the tests that prove recovery (never set in
		// production): the process is killed once a message's documents
		// are committed, before the message is moved.
		p.AfterCommit = func(mail.Message) error {
			_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
			select {}
		}
	}
	s := &mail.Supervisor{Poller: p, List: a.store.EnabledMailboxes, Refresh: 30 * time.Second}
	go s.Run(ctx)
	return nil
}

// startSMTP receives mail for the tenants' inbound addresses, with
// STARTTLS when a certificate is configured.
func startSMTP(ctx context.Context, a *app, cfg config.Config) error {
	sc := mail.SMTPConfig{Addr: cfg.SMTP.Addr, Domain: cfg.SMTP.Domain}
	if cfg.SMTP.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.SMTP.TLSCert, cfg.SMTP.TLSKey)
		if err != nil {
			return fmt.Errorf("smtp tls: %w", err)
		}
		sc.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	srv := mail.NewSMTPServer(a.store, a.svc, sc)
	go func() {
		if err := srv.ListenAndServe(); err != nil && !errors.Is(err, smtp.ErrServerClosed) {
			slog.Error("smtp server stopped", "err", err)
		}
	}()
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	slog.Info("smtp receiving", "addr", cfg.SMTP.Addr, "domain", cfg.SMTP.Domain, "starttls", sc.TLS != nil)
	return nil
}

// ssoProvider is the desk's OpenID provider, or nil when single sign-on
// is not configured. The provider is contacted on the first sign-in.
func ssoProvider(c config.OIDC) (*oidc.Provider, error) {
	if !c.Enabled() {
		return nil, nil
	}
	roles := map[string]pipeline.Role{}
	for group, r := range c.RoleMap {
		roles[group] = pipeline.Role(r)
	}
	return oidc.New(oidc.Config{Issuer: c.Issuer, ClientID: c.ClientID, ClientSecret: c.ClientSecret,
		RedirectURL: c.RedirectURL, Scopes: c.Scopes,
		Claims: oidc.Claims{Tenant: c.TenantClaim, TenantMap: c.TenantMap, AllowedTenants: c.AllowedTenants,
			Role: c.RoleClaim, RoleMap: roles, Email: c.EmailClaim, Name: c.NameClaim}})
}

// retentionLoop purges, every hour, the documents of tenants past their
// retention period (several processes may run it: batches are taken with
// SKIP LOCKED).
func retentionLoop(ctx context.Context, svc *pipeline.Service) {
	for {
		if err := svc.PurgeAll(ctx); err != nil && ctx.Err() == nil {
			slog.Warn("retention purge failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Hour):
		}
	}
}
