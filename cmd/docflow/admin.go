package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/docflow/docflow/authz"
	"io"
	"strings"
	"time"

	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/pipeline"
)

func migrate(ctx context.Context, stdout io.Writer) error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if err := migrateAll(ctx, cfg); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "migrations applied")
	return nil
}

// tenantCmd: docflow tenant create NAME [--json]
func tenantCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) < 1 || args[0] != "create" {
		return errors.New("usage: docflow tenant create NAME [--json]")
	}
	fs := flag.NewFlagSet("tenant create", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "print the tenant as JSON")
	if err := fs.Parse(reorder(args[1:])); err != nil {
		return err
	}
	name := strings.Join(fs.Args(), " ")
	if name == "" {
		return errors.New("usage: docflow tenant create NAME [--json]")
	}
	a, err := openAdmin(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	t, err := a.store.CreateTenant(ctx, name)
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(t)
	}
	fmt.Fprintf(stdout, "tenant %s created: %s\n", t.Name, t.ID)
	return nil
}

// apikeyCmd: docflow apikey create --tenant ID --role ROLE [--json]
func apikeyCmd(ctx context.Context, args []string, stdout io.Writer) error {
	const usage = "usage: docflow apikey create --tenant ID --role uploader|reviewer|admin|auditor [--name N] [--scopes a,b] [--expires-in-days D] [--json]"
	if len(args) < 1 || args[0] != "create" {
		return errors.New(usage)
	}
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
	tenant := fs.String("tenant", "", "the tenant's id")
	role := fs.String("role", "", "uploader, reviewer, admin or auditor")
	name := fs.String("name", "", "what the key is for")
	scopes := fs.String("scopes", "", "comma-separated actions of the authorisation matrix the key is limited to (e.g. document.upload)")
	days := fs.Int("expires-in-days", 0, "the key's life in days; 0 never expires")
	asJSON := fs.Bool("json", false, "print the key as JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *tenant == "" || !pipeline.ValidRole(pipeline.Role(*role)) || *days < 0 {
		return errors.New(usage)
	}
	spec := pipeline.KeySpec{TenantID: *tenant, Role: pipeline.Role(*role), Name: *name, CreatedBy: "cli"}
	for _, sc := range strings.Split(*scopes, ",") {
		if sc = strings.TrimSpace(sc); sc == "" {
			continue
		}
		if !authz.Can(spec.Role, authz.Action(sc)) {
			return fmt.Errorf("scope %q: not an action that role %s may take", sc, spec.Role)
		}
		spec.Scopes = append(spec.Scopes, sc)
	}
	if *days > 0 {
		at := time.Now().UTC().AddDate(0, 0, *days)
		spec.ExpiresAt = &at
	}
	a, err := openAdmin(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	k, err := a.store.CreateKey(ctx, spec)
	if err != nil {
		return err
	}
	if *asJSON {
		out := map[string]any{"id": k.ID, "key": k.Key, "tenant_id": k.TenantID, "role": k.Role}
		if k.Name != "" {
			out["name"] = k.Name
		}
		if len(k.Scopes) > 0 {
			out["scopes"] = k.Scopes
		}
		if k.ExpiresAt != nil {
			out["expires_at"] = k.ExpiresAt
		}
		return json.NewEncoder(stdout).Encode(out)
	}
	fmt.Fprintf(stdout, "API key %s (%s) for tenant %s:\n%s\nKeep it: it is not shown again.\n", k.ID, k.Role, k.TenantID, k.Key)
	return nil
}

func openAdmin(ctx context.Context) (*app, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	return openApp(ctx, cfg, 0)
}

// reorder moves flags before positional arguments, so that
// "tenant create Acme --json" parses like "tenant create --json Acme".
func reorder(args []string) []string {
	var flags, rest []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			flags = append(flags, a)
		} else {
			rest = append(rest, a)
		}
	}
	return append(flags, rest...)
}
