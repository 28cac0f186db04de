package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/stacktest"
	"github.com/docflow/docflow/pipeline/testdocs"
)

func waitStatus(t *testing.T, st *stacktest.Stack, tenant, id string, want pipeline.Status) pipeline.Document {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		d, err := st.Store.Document(context.Background(), tenant, id)
		if err != nil {
			t.Fatal(err)
		}
		if d.Status == want {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("document %s is %s, want %s", id, d.Status, want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestRetentionPurge(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, tenant, up := stackTenant(t, stacktest.Options{}, "Agence Oubli")
	admin := pipeline.Principal{KeyID: "admin", TenantID: tenant, Role: pipeline.RoleAdmin}
	if err := st.Service.UpdateSettings(ctx, admin, pipeline.TenantSettings{RetentionDays: -1}); err == nil {
		t.Error("a negative retention was accepted")
	}
	if err := st.Service.UpdateSettings(ctx, admin, pipeline.TenantSettings{RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	start := time.Now().UTC()
	clock := start
	st.Service.Now = func() time.Time { return clock }

	oldData := []byte(testdocs.Contract(testdocs.ValidContract("CM-2026-011001")))
	old, _, err := st.Service.Upload(ctx, up, "contrat Élodie Lefèvre.txt", strings.NewReader(string(oldData)))
	if err != nil {
		t.Fatal(err)
	}
	old = waitStatus(t, st, tenant, old.ID, pipeline.StatusCommitted)
	// In review when the period ends: kept until it is decided.
	bad := testdocs.ValidContract("CM-2026-011002")
	bad.HourlyRate = testdocs.Num(9.5)
	pending, _, err := st.Service.Upload(ctx, up, "contrat sous le SMIC.txt", strings.NewReader(testdocs.Contract(bad)))
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, st, tenant, pending.ID, pipeline.StatusInReview)
	clock = start.AddDate(0, 0, 35)
	recent, _, err := st.Service.Upload(ctx, up, "récent.txt", strings.NewReader(testdocs.Contract(testdocs.ValidContract("CM-2026-011003"))))
	if err != nil {
		t.Fatal(err)
	}
	waitStatus(t, st, tenant, recent.ID, pipeline.StatusCommitted)

	auditBefore := count(t, st, "SELECT count(*) FROM audit_log")
	clock = start.AddDate(0, 0, 40)
	res, err := st.Service.Purge(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	if res.Documents != 1 || res.Files != 1 {
		t.Fatalf("purge = %+v, want the old document and its file", res)
	}
	got, err := st.Store.Document(ctx, tenant, old.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != pipeline.StatusCommitted || got.FileName != "purged" || len(got.Fields.Map()) != 0 {
		t.Errorf("purged document = %s %q fields %v", got.Status, got.FileName, got.Fields.Map())
	}
	if _, err := st.Service.Files.Get(ctx, old.StorageKey); !errors.Is(err, derrors.NotFound) {
		t.Errorf("the purged file is still readable: %v", err)
	}
	// Nothing of the document's content is left in the database.
	for _, q := range []string{
		"SELECT count(*) FROM documents WHERE fields::text LIKE '%Lefèvre%' OR file_name LIKE '%Lefèvre%'",
		"SELECT count(*) FROM audit_log WHERE details::text LIKE '%Lefèvre%'",
		"SELECT count(*) FROM extraction_runs WHERE fields::text LIKE '%Lefèvre%'",
	} {
		// The recent document names the same worker: look at the old one only.
		q = strings.Replace(q, "WHERE", "WHERE ("+idFilter(q, old.ID)+") AND (", 1) + ")"
		if n := count(t, st, q); n != 0 {
			t.Errorf("%s = %d", q, n)
		}
	}
	if n := count(t, st, "SELECT count(*) FROM audit_log"); n != auditBefore+1 {
		t.Errorf("audit entries %d -> %d, want one more (the purge) and none lost", auditBefore, n)
	}
	if n := count(t, st, "SELECT count(*) FROM audit_log WHERE action = 'document.purged' AND document_id = '"+old.ID+"'"); n != 1 {
		t.Errorf("%d purge entries", n)
	}
	for _, id := range []string{pending.ID, recent.ID} {
		if d, _ := st.Store.Document(ctx, tenant, id); d.FileName == "purged" {
			t.Errorf("document %s (%s) was purged", id, d.Status)
		}
	}
	// The audit trail is still append-only.
	if _, err := st.Pool.Exec(ctx, "UPDATE audit_log SET actor = 'someone' WHERE document_id = $1", old.ID); err == nil {
		t.Error("an audit entry was changed")
	}
	if _, err := st.Pool.Exec(ctx, "DELETE FROM audit_log WHERE document_id = $1", old.ID); err == nil {
		t.Error("an audit entry was deleted")
	}
	// The same bytes sent again are a new document, not the purged one.
	again, created, err := st.Service.Upload(ctx, up, "encore.txt", strings.NewReader(string(oldData)))
	if err != nil || !created || again.ID == old.ID {
		t.Errorf("upload after purge = %s created %v, %v", again.ID, created, err)
	}
	if res, err := st.Service.Purge(ctx, tenant); err != nil || res.Documents != 0 {
		t.Errorf("second purge = %+v, %v", res, err)
	}
}

func idFilter(q, id string) string {
	if strings.Contains(q, "FROM documents") {
		return "id = '" + id + "'"
	}
	return "document_id = '" + id + "'"
}

func count(t *testing.T, st *stacktest.Stack, q string) int {
	t.Helper()
	var n int
	if err := st.Pool.QueryRow(context.Background(), q).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}
