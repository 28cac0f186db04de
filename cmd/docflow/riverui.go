package main

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/desk"
	"github.com/docflow/docflow/pipeline"
	"github.com/jackc/pgx/v5"
	"github.com/riverqueue/river"
	"riverqueue.com/riverui"
)

// riverUIPath is where River UI is served: under the desk's prefix, so
// that the desk's session cookie (path /desk/) reaches it.
const riverUIPath = desk.Prefix + "riverui/"

// mountRiverUI serves River UI, the operators' view of the queues (jobs of
// every tenant: their states, errors, retries, cancellation), at
// /desk/riverui/ behind the desk's sign-in, to the admins of the
// operators' tenant (DOCFLOW_RIVERUI_TENANT) only; /riverui/ redirects
// there. Without that setting River UI is not mounted: a tenant's admin
// must not see other tenants' jobs.
func mountRiverUI(ctx context.Context, mux *http.ServeMux, client *river.Client[pgx.Tx], accounts desk.Accounts, cfg config.Config) error {
	if cfg.RiverUITenant == "" {
		return nil
	}
	ui, err := riverui.NewHandler(&riverui.HandlerOpts{Endpoints: riverui.NewEndpoints(client, nil),
		Logger: slog.Default(), Prefix: riverUIPath, JobListHideArgsByDefault: true})
	if err != nil {
		return err
	}
	if err := ui.Start(ctx); err != nil {
		return err
	}
	guarded, err := desk.RequireRole(accounts, desk.Options{SecureCookies: cfg.SecureCookies},
		pipeline.RoleAdmin, cfg.RiverUITenant, ui)
	if err != nil {
		return err
	}
	mux.Handle(riverUIPath, guarded)
	mux.Handle("/riverui/", http.RedirectHandler(riverUIPath, http.StatusSeeOther))
	return nil
}
