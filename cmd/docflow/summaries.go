package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/storage/mariadb"
)

// summariesCmd: docflow summaries rebuild [--tenant ID]
//
// It recomputes the summary tables from the base tables, for one tenant or
// all; commits keep them up to date, so this repairs or backfills them.
func summariesCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) < 1 || args[0] != "rebuild" {
		return errors.New("usage: docflow summaries rebuild [--tenant ID]")
	}
	fs := flag.NewFlagSet("summaries rebuild", flag.ContinueOnError)
	tenant := fs.String("tenant", "", "the tenant's id (default: all tenants)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	db, err := mariadb.Open(ctx, cfg.MariaDBDSN)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := mariadb.New(db).RebuildSummaries(ctx, *tenant); err != nil {
		return err
	}
	who := "all tenants"
	if *tenant != "" {
		who = "tenant " + *tenant
	}
	fmt.Fprintf(stdout, "summaries rebuilt for %s\n", who)
	return nil
}
