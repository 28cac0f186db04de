package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/docflow/docflow/events"
	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/filecrypt"
	"github.com/docflow/docflow/storage/postgres"
)

// keysEnv points the commands at fresh databases and a fresh data folder
// (the master key is each test's to set).
func keysEnv(t *testing.T) {
	t.Helper()
	t.Setenv("DOCFLOW_POSTGRES_URL", dbtest.PostgresURL(t))
	t.Setenv("DOCFLOW_MARIADB_DSN", dbtest.MariaDBDSN(t))
	t.Setenv("DOCFLOW_DATA_DIR", t.TempDir())
}

// newKey returns a random master key, base64-encoded as the settings take it.
func newKey() string {
	k := make([]byte, keyring.KeySize)
	_, _ = rand.Read(k)
	return base64.StdEncoding.EncodeToString(k)
}

// TestKeysCommands rotates a tenant's data key with re-encryption, then the
// master key, as an operator would, and reads the file after each step.
func TestKeysCommands(t *testing.T) {
	keysEnv(t)
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

// TestRotateMasterResealsWebhookSecrets: after `keys rotate-master`, which
// says the older master keys can be removed, the webhooks' signing secrets
// open with the new master key alone, and the printed total counts them.
func TestRotateMasterResealsWebhookSecrets(t *testing.T) {
	pgURL := dbtest.PostgresURL(t)
	t.Setenv("DOCFLOW_POSTGRES_URL", pgURL)
	t.Setenv("DOCFLOW_MARIADB_DSN", dbtest.MariaDBDSN(t))
	t.Setenv("DOCFLOW_DATA_DIR", t.TempDir())
	newKey := func() []byte {
		k := make([]byte, keyring.KeySize)
		_, _ = rand.Read(k)
		return k
	}
	oldMaster, newMaster := newKey(), newKey()
	enc := base64.StdEncoding.EncodeToString
	t.Setenv("DOCFLOW_MASTER_KEY", enc(oldMaster))
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"tenant", "create", "Agence", "--json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var tn struct{ ID string }
	if err := json.Unmarshal(out.Bytes(), &tn); err != nil {
		t.Fatal(err)
	}

	pool, err := postgres.Open(ctx, pgURL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	store := postgres.New(pool, nil)
	oldRing, err := keyring.New(oldMaster)
	if err != nil {
		t.Fatal(err)
	}
	store.SetKeyring(oldRing)
	wh, err := store.CreateWebhook(ctx, "test", events.Webhook{TenantID: tn.ID, URL: "https://example.com/hook", Enabled: true})
	if err != nil {
		t.Fatal(err)
	}

	t.Setenv("DOCFLOW_MASTER_KEY", enc(newMaster))
	t.Setenv("DOCFLOW_OLD_MASTER_KEYS", enc(oldMaster))
	out.Reset()
	if err := run(ctx, []string{"keys", "rotate-master"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), " 1 secrets (") {
		t.Errorf("rotate-master printed %q, want the webhook secret counted among 1 re-sealed secret", out.String())
	}
	var sealed string
	if err := pool.QueryRow(ctx, "SELECT secret FROM webhooks WHERE id = $1", wh.ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	newRing, err := keyring.New(newMaster)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := newRing.Open(sealed, "webhook-secret:"+wh.ID); err != nil || got != wh.Secret {
		id, _ := keyring.SealedKeyID(sealed)
		t.Fatalf("after rotate-master the webhook secret (sealed by key %s) opens with the new master key alone as %q, %v; want the secret", id, got, err)
	}
}

// TestRotateTenantRefusesWrongMasterKey: `keys rotate-tenant` run with a
// master key that does not open the tenant's data keys (DOCFLOW_MASTER_KEY
// unset in the operator's shell makes a fresh one in DATA_DIR/master.key)
// refuses with an error naming the master key and makes no new version,
// so the servers keep storing files.
func TestRotateTenantRefusesWrongMasterKey(t *testing.T) {
	keysEnv(t)
	master, wrong := newKey(), newKey()
	t.Setenv("DOCFLOW_MASTER_KEY", master)
	ctx := context.Background()
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"tenant", "create", "Agence", "--json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var tn struct{ ID string }
	if err := json.Unmarshal(out.Bytes(), &tn); err != nil {
		t.Fatal(err)
	}
	storeFile(t, tn.ID, []byte("first file"))

	for name, env := range map[string]string{"a wrong DOCFLOW_MASTER_KEY": wrong, "DOCFLOW_MASTER_KEY unset": ""} {
		t.Setenv("DOCFLOW_MASTER_KEY", env)
		out.Reset()
		err := run(ctx, []string{"keys", "rotate-tenant", "--tenant", tn.ID}, &out, &errb)
		if !errors.Is(err, filecrypt.ErrWrongMasterKey) || !strings.Contains(err.Error(), "DOCFLOW_MASTER_KEY") {
			t.Errorf("rotate-tenant with %s = %v (printed %q); want %v naming DOCFLOW_MASTER_KEY", name, err, out.String(), filecrypt.ErrWrongMasterKey)
		}
	}

	t.Setenv("DOCFLOW_MASTER_KEY", master)
	kt, err := openKeyTools(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer kt.pool.Close()
	if keys, err := kt.files.Keys().List(ctx, tn.ID); err != nil || len(keys) != 1 {
		t.Errorf("after the refused rotations the tenant has %d data key versions (%v), want 1", len(keys), err)
	}
	if _, err := kt.files.Put(ctx, tn.ID, []byte("second file")); err != nil {
		t.Fatalf("after the refused rotations, the server's uploads fail: %v", err)
	}
	// With the right master key the rotation goes through.
	out.Reset()
	if err := run(ctx, []string{"keys", "rotate-tenant", "--tenant", tn.ID}, &out, &errb); err != nil {
		t.Fatalf("rotate-tenant with the right master key: %v", err)
	}
}
