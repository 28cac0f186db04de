package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/docflow/docflow/account"
	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/pipeline"
)

// demoKeys is the demo tenant with an uploader and a reviewer key.
type demoKeys struct {
	TenantID string `json:"tenant_id"`
	Uploader string `json:"uploader_key"`
	Reviewer string `json:"reviewer_key"`
	// DeskEmail and DeskPassword sign a demo reviewer into the review desk.
	DeskEmail    string `json:"desk_email"`
	DeskPassword string `json:"desk_password"`
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
				if d.DeskEmail != "" {
					return d, nil
				}
				// Made by an older docflow: add the desk's reviewer.
				if err := addDeskReviewer(ctx, a, &d); err != nil {
					return d, err
				}
				return d, saveDemo(path, cfg.DataDir, d)
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
	if err := addDeskReviewer(ctx, a, &d); err != nil {
		return d, err
	}
	return d, saveDemo(path, cfg.DataDir, d)
}

// addDeskReviewer creates the demo reviewer of the review desk with a
// random password.
func addDeskReviewer(ctx context.Context, a *app, d *demoKeys) error {
	pw := make([]byte, 12)
	if _, err := rand.Read(pw); err != nil {
		return err
	}
	d.DeskEmail, d.DeskPassword = "reviewer@demo.example", base64.RawURLEncoding.EncodeToString(pw)
	hash, err := account.HashPassword(d.DeskPassword)
	if err != nil {
		return err
	}
	_, err = a.store.CreateUser(ctx, account.User{TenantID: d.TenantID, Email: d.DeskEmail, Name: "Demo Reviewer",
		Role: pipeline.RoleReviewer, PasswordHash: hash})
	return err
}

// saveDemo keeps the demo's keys in the data folder, readable by its owner only.
func saveDemo(path, dir string, d demoKeys) error {
	b, _ := json.MarshalIndent(d, "", "  ")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	return os.WriteFile(path, b, 0o600)
}
