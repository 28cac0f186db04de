package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/docflow/docflow/storage/s3store/s3test"
)

// TestOpenFilesOnS3 wires the file store from DOCFLOW_S3_* settings as
// serve does: files go, sealed, to the bucket and nothing to DataDir.
func TestOpenFilesOnS3(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv := s3test.Start(t)
	pool := dbtest.Postgres(t)
	tenant, err := postgres.New(pool, nil).CreateTenant(ctx, "Agence")
	if err != nil {
		t.Fatal(err)
	}
	master := make([]byte, keyring.KeySize)
	_, _ = rand.Read(master)
	ring, err := keyring.New(master)
	if err != nil {
		t.Fatal(err)
	}
	var env = map[string]string{"DOCFLOW_S3_ENDPOINT": "http://" + srv.Config.Endpoint, "DOCFLOW_S3_BUCKET": srv.Config.Bucket,
		"DOCFLOW_S3_ACCESS_KEY": "test", "DOCFLOW_S3_SECRET_KEY": "test-secret", "DOCFLOW_S3_REGION": "us-east-1",
		"DOCFLOW_DATA_DIR": t.TempDir()}
	cfg, err := config.FromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	fs, err := openFiles(cfg, pool, ring)
	if err != nil {
		t.Fatal(err)
	}
	doc := []byte(strings.Repeat("Contrat de mission, taux horaire 13,45 EUR. ", 50))
	key, err := fs.Put(ctx, tenant.ID, doc)
	if err != nil {
		t.Fatal(err)
	}
	if at := srv.Object(t, key); at == nil || bytes.Contains(at, []byte("Contrat")) {
		t.Fatalf("object in the bucket: %d bytes, sealed: %v", len(at), !bytes.Contains(at, []byte("Contrat")))
	}
	if got, err := fs.Get(ctx, key); err != nil || !bytes.Equal(got, doc) {
		t.Fatalf("Get = %d bytes, %v", len(got), err)
	}
	env["DOCFLOW_S3_BUCKET"] = "missing-bucket"
	cfg, _ = config.FromLookup(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if _, err := openFiles(cfg, pool, ring); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("a missing bucket: %v, want an error saying so", err)
	}
}
