package main

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/pipeline"
)

// demoKeys is the demo tenant with an uploader and a reviewer key.
type demoKeys struct {
	TenantID string `json:"tenant_id"`
	Uploader string `json:"uploader_key"`
	Reviewer string `json:"reviewer_key"`
}

// loadOrCreateDemo returns the demo keys saved in the data folder, checking
// that they still work, or creates a tenant and keys and saves them.
func loadOrCreateDemo(ctx context.Context, a *app, cfg config.Config) (demoKeys, error) {
	path := filepath.Join(cfg.DataDir, "demo.json")
	var d demoKeys
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		if json.Unmarshal(b, &d) == nil {
			if _, err := a.store.Authenticate(ctx, d.Uploader); err == nil {
				return d, nil
			}
		}
	case !errors.Is(err, fs.ErrNotExist):
		return d, err
	}
	t, err := a.store.CreateTenant(ctx, "Demo")
	if err != nil {
		return d, err
	}
	up, err := a.store.CreateAPIKey(ctx, t.ID, pipeline.RoleUploader)
	if err != nil {
		return d, err
	}
	rev, err := a.store.CreateAPIKey(ctx, t.ID, pipeline.RoleReviewer)
	if err != nil {
		return d, err
	}
	d = demoKeys{TenantID: t.ID, Uploader: up.Key, Reviewer: rev.Key}
	b, _ = json.MarshalIndent(d, "", "  ")
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return d, err
	}
	return d, os.WriteFile(path, b, 0o600)
}
