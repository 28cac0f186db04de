package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

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
	if len(args) < 1 || args[0] != "create" {
		return errors.New("usage: docflow apikey create --tenant ID --role uploader|reviewer|admin [--json]")
	}
	fs := flag.NewFlagSet("apikey create", flag.ContinueOnError)
	tenant := fs.String("tenant", "", "the tenant's id")
	role := fs.String("role", "", "uploader, reviewer or admin")
	asJSON := fs.Bool("json", false, "print the key as JSON")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *tenant == "" || !pipeline.ValidRole(pipeline.Role(*role)) {
		return errors.New("usage: docflow apikey create --tenant ID --role uploader|reviewer|admin [--json]")
	}
	a, err := openAdmin(ctx)
	if err != nil {
		return err
	}
	defer a.Close()
	k, err := a.store.CreateAPIKey(ctx, *tenant, pipeline.Role(*role))
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(k)
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
