package postgres_test

import (
	"context"
	"testing"

	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/postgres"
)

func TestEnabledMailboxes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := postgres.New(dbtest.Postgres(t), nil)
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
}
