package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/storage/dbtest"
)

// TestKeysCommands rotates a tenant's data key with re-encryption, then the
// master key, as an operator would, and reads the file after each step.
func TestKeysCommands(t *testing.T) {
	t.Setenv("DOCFLOW_POSTGRES_URL", dbtest.PostgresURL(t))
	t.Setenv("DOCFLOW_MARIADB_DSN", dbtest.MariaDBDSN(t))
	t.Setenv("DOCFLOW_DATA_DIR", t.TempDir())
	newKey := func() string {
		k := make([]byte, keyring.KeySize)
		_, _ = rand.Read(k)
		return base64.StdEncoding.EncodeToString(k)
	}
	oldMaster, newMaster := newKey(), newKey()
	t.Setenv("DOCFLOW_MASTER_KEY", oldMaster)
	ctx := context.Background()
	var out, errb bytes.Buffer
	keys := func(args ...string) (string, error) {
		out.Reset()
		err := run(ctx, append([]string{"keys"}, args...), &out, &errb)
		return out.String(), err
	}
	if err := run(ctx, []string{"tenant", "create", "Agence", "--json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var tn struct{ ID string }
	_ = json.Unmarshal(out.Bytes(), &tn)
	doc := []byte("Contrat de mission n° CM-2026-000042, Élodie Lefèvre")
	key := storeFile(t, tn.ID, doc)

	if got, err := keys("rotate-tenant", "--tenant", tn.ID, "--reencrypt"); err != nil || !strings.Contains(got, "version 2 is current") || !strings.Contains(got, "1 re-encrypted") {
		t.Fatalf("rotate-tenant = %q, %v", got, err)
	}
	if got, err := keys("list", "--tenant", tn.ID); err != nil || !strings.Contains(got, "files sealed with data key version 2: 1") {
		t.Errorf("list = %q, %v", got, err)
	}
	if got, err := keys("retire", "--tenant", tn.ID, "--version", "1", "--grace", "0s"); err != nil || !strings.Contains(got, "retired") {
		t.Errorf("retire = %q, %v", got, err)
	}
	readFile(t, key, doc)

	t.Setenv("DOCFLOW_MASTER_KEY", newMaster)
	t.Setenv("DOCFLOW_OLD_MASTER_KEYS", oldMaster)
	if got, err := keys("rotate-master"); err != nil || !strings.Contains(got, "1 of 1 data keys re-wrapped") {
		t.Fatalf("rotate-master = %q, %v", got, err)
	}
	t.Setenv("DOCFLOW_OLD_MASTER_KEYS", "")
	readFile(t, key, doc)

	for _, bad := range [][]string{{}, {"rotate-tenant"}, {"retire", "--tenant", tn.ID}, {"spin"}} {
		if _, err := keys(bad...); err == nil {
			t.Errorf("keys %v succeeded", bad)
		}
	}
}

// storeFile stores data for a tenant with the keys commands' wiring.
func storeFile(t *testing.T, tenantID string, data []byte) string {
	t.Helper()
	kt, err := openKeyTools(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer kt.pool.Close()
	key, err := kt.files.Put(context.Background(), tenantID, data)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// readFile reads a stored file in a fresh process's wiring.
func readFile(t *testing.T, key string, want []byte) {
	t.Helper()
	kt, err := openKeyTools(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer kt.pool.Close()
	got, err := kt.files.Get(context.Background(), key)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Get = %q, %v; want %q", got, err, want)
	}
}
