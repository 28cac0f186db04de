package main

import (
	"context"
	"path/filepath"
	"time"

	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/storage/filecrypt"
	"github.com/docflow/docflow/storage/files"
	"github.com/docflow/docflow/storage/s3store"
)

// openRaw returns where sealed files are kept: the S3-compatible bucket
// when one is configured, else DataDir/files.
func openRaw(cfg config.Config) (filecrypt.Raw, error) {
	if !cfg.S3.Enabled() {
		return files.NewDisk(filepath.Join(cfg.DataDir, "files"))
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return s3store.New(ctx, s3store.Config{Endpoint: cfg.S3.Endpoint, Bucket: cfg.S3.Bucket,
		AccessKey: cfg.S3.AccessKey, SecretKey: cfg.S3.SecretKey, Region: cfg.S3.Region, TLS: cfg.S3.TLS})
}
