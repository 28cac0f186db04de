package postgres_test

import (
	"context"
	"testing"

	"github.com/docflow/docflow/events"
	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/postgres"
)

// TestResealSecretsResealsWebhookSecrets: after a master key rotation,
// ResealSecrets moves the webhooks' signing secrets (deleted webhooks'
// too) to the new key, with their own sealing context, and counts them;
// the old key is then no longer needed.
func TestResealSecretsResealsWebhookSecrets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Postgres(t)
	st := postgres.New(pool, nil)
	tn, err := st.CreateTenant(ctx, "Hooks")
	if err != nil {
		t.Fatal(err)
	}
	k1, key1 := newKeyring(t)
	st.SetKeyring(k1)
	var hooks []events.Webhook
	for range 2 {
		wh, err := st.CreateWebhook(ctx, "test", events.Webhook{TenantID: tn.ID, URL: "https://example.com/hook", Enabled: true})
		if err != nil {
			t.Fatal(err)
		}
		hooks = append(hooks, wh)
	}
	if err := st.DeleteWebhook(ctx, "test", tn.ID, hooks[1].ID); err != nil {
		t.Fatal(err)
	}

	k2, key2 := newKeyring(t, key1)
	st.SetKeyring(k2)
	if n, err := st.ResealSecrets(ctx); err != nil || n != len(hooks) {
		t.Fatalf("ResealSecrets = %d, %v; want %d (the webhook secrets)", n, err, len(hooks))
	}
	if n, err := st.ResealSecrets(ctx); err != nil || n != 0 {
		t.Errorf("a second ResealSecrets = %d, %v; want 0", n, err)
	}
	onlyNew, err := keyring.New(key2)
	if err != nil {
		t.Fatal(err)
	}
	for _, wh := range hooks {
		var sealed string
		if err := pool.QueryRow(ctx, "SELECT secret FROM webhooks WHERE id = $1", wh.ID).Scan(&sealed); err != nil {
			t.Fatal(err)
		}
		if got, err := onlyNew.Open(sealed, "webhook-secret:"+wh.ID); err != nil || got != wh.Secret {
			t.Errorf("webhook %s: the new master key alone opens its secret as %q, %v; want %q", wh.ID, got, err, wh.Secret)
		}
	}

	// A secret stored in plain text is sealed too.
	if _, err := pool.Exec(ctx, "UPDATE webhooks SET secret = 'legacy-plain' WHERE id = $1", hooks[0].ID); err != nil {
		t.Fatal(err)
	}
	st.SetKeyring(onlyNew)
	if n, err := st.ResealSecrets(ctx); err != nil || n != 1 {
		t.Errorf("ResealSecrets of a plain webhook secret = %d, %v; want 1", n, err)
	}
	var sealed string
	if err := pool.QueryRow(ctx, "SELECT secret FROM webhooks WHERE id = $1", hooks[0].ID).Scan(&sealed); err != nil {
		t.Fatal(err)
	}
	if got, err := onlyNew.Open(sealed, "webhook-secret:"+hooks[0].ID); err != nil || got != "legacy-plain" {
		t.Errorf("plain webhook secret sealed as %q: opens to %q, %v", sealed, got, err)
	}
}
