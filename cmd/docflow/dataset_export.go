package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/evals/dataset"
)

// datasetCmd: docflow dataset export --tenant ID --dir DIR
//
// It writes, in the spec's dataset layout, every document of the tenant
// that a person reviewed and approved, with its fields as approved and the
// rule codes that fire on them: the reviewers' corrections become test
// cases for the evaluation harness.
func datasetCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) < 1 || args[0] != "export" {
		return errors.New("usage: docflow dataset export --tenant ID --dir DIR")
	}
	fs := flag.NewFlagSet("dataset export", flag.ContinueOnError)
	tenant := fs.String("tenant", "", "the tenant's id")
	dir := fs.String("dir", "", "the folder to write (must not hold a manifest)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *tenant == "" || *dir == "" {
		return errors.New("usage: docflow dataset export --tenant ID --dir DIR")
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	a, err := openApp(ctx, cfg, 0)
	if err != nil {
		return err
	}
	defer a.Close()
	n, err := dataset.ExportReviewed(ctx, a.svc.Store, a.svc.Files, *tenant, *dir)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%d reviewed documents written to %s\n", n, *dir)
	return nil
}
