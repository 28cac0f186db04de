package postgres_test

import (
	"context"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/postgres"
)

func newKeyring(t *testing.T, older ...[]byte) (*keyring.Keyring, []byte) {
	t.Helper()
	key := make([]byte, keyring.KeySize)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	k, err := keyring.New(key, older...)
	if err != nil {
		t.Fatal(err)
	}
	return k, key
}

func TestEnabledMailboxes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := postgres.New(dbtest.Postgres(t), nil)
	k, _ := newKeyring(t)
	st.SetKeyring(k)
	a, _ := st.CreateTenant(ctx, "A")
	b, _ := st.CreateTenant(ctx, "B")
	for _, mb := range []mail.Mailbox{
		{TenantID: a.ID, Host: "imap.a.example", Port: 993, TLS: "tls", Username: "u", Folder: "INBOX", ProcessedFolder: "Done", FailedFolder: "Failed", Enabled: true},
		{TenantID: b.ID, Host: "imap.b.example", Port: 993, TLS: "tls", Username: "u", Folder: "INBOX", ProcessedFolder: "Done", FailedFolder: "Failed", Enabled: true},
		{TenantID: b.ID, Host: "imap.off.example", Port: 993, TLS: "tls", Username: "u", Folder: "INBOX", ProcessedFolder: "Done", FailedFolder: "Failed", Enabled: false},
	} {
		if _, err := st.CreateMailbox(ctx, mb); err != nil {
			t.Fatal(err)
		}
	}
	boxes, err := st.EnabledMailboxes(ctx)
	if err != nil || len(boxes) != 2 {
		t.Fatalf("enabled mailboxes = %d (%v), want 2", len(boxes), err)
	}
	mine, _ := st.Mailboxes(ctx, a.ID)
	if len(mine) != 1 || mine[0].Host != "imap.a.example" {
		t.Errorf("tenant A's mailboxes = %+v", mine)
	}
	// Disabling it through an update takes it off the pollers' list.
	off := mine[0]
	off.Enabled, off.Password = false, ""
	if _, err := st.UpdateMailbox(ctx, off); err != nil {
		t.Fatal(err)
	}
	if boxes, _ := st.EnabledMailboxes(ctx); len(boxes) != 1 {
		t.Errorf("%d enabled mailboxes after disabling one, want 1", len(boxes))
	}
	off.TenantID = b.ID // another tenant cannot change it
	if _, err := st.UpdateMailbox(ctx, off); err == nil {
		t.Error("tenant B updated tenant A's mailbox")
	}
}

func TestMailboxPasswordsAreSealed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Postgres(t)
	st := postgres.New(pool, nil)
	tn, _ := st.CreateTenant(ctx, "Sealed")
	mb := mail.Mailbox{TenantID: tn.ID, Host: "imap.example", Port: 993, Username: "u", Password: "pl41n-s3cret",
		ProcessedFolder: "Done", FailedFolder: "Failed", Enabled: true}
	if _, err := st.CreateMailbox(ctx, mb); err == nil {
		t.Fatal("a password was stored without a master key")
	}
	k1, key1 := newKeyring(t)
	st.SetKeyring(k1)
	created, err := st.CreateMailbox(ctx, mb)
	if err != nil {
		t.Fatal(err)
	}
	raw := func() string {
		var v string
		if err := pool.QueryRow(ctx, "SELECT password FROM mailboxes WHERE id = $1", created.ID).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := raw(); strings.Contains(v, "pl41n") || !keyring.IsSealed(v) {
		t.Fatalf("the database holds %q", v)
	}
	if got, err := st.Mailbox(ctx, tn.ID, created.ID); err != nil || got.Password != "pl41n-s3cret" {
		t.Fatalf("read back %q, %v", got.Password, err)
	}
	// Key rotation: a keyring with a new key and the old one opens the
	// value; ResealSecrets moves it to the new key, after which the old key
	// is no longer needed.
	k2, key2 := newKeyring(t, key1)
	st.SetKeyring(k2)
	if n, err := st.ResealSecrets(ctx); err != nil || n != 1 {
		t.Fatalf("ResealSecrets = %d, %v; want 1", n, err)
	}
	if n, _ := st.ResealSecrets(ctx); n != 0 {
		t.Errorf("a second ResealSecrets changed %d values", n)
	}
	onlyNew, err := keyring.New(key2)
	if err != nil {
		t.Fatal(err)
	}
	st.SetKeyring(onlyNew)
	if got, err := st.Mailbox(ctx, tn.ID, created.ID); err != nil || got.Password != "pl41n-s3cret" {
		t.Errorf("after rotation read back %q, %v", got.Password, err)
	}
	// A password stored in plain text before sealing existed is sealed.
	if _, err := pool.Exec(ctx, "UPDATE mailboxes SET password = 'legacy-plain' WHERE id = $1", created.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := st.ResealSecrets(ctx); err != nil || n != 1 || strings.Contains(raw(), "legacy") {
		t.Errorf("ResealSecrets of a plain value = %d, %v; stored %q", n, err, raw())
	}
}
