package pipeline_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/pipeline/testdocs"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/google/uuid"
)

// purgeHookStore runs a hook once a purge batch is committed, before the
// service deletes the batch's orphan files: an upload arriving then.
type purgeHookStore struct {
	*postgres.Store
	afterBatch func()
}

func (s *purgeHookStore) PurgeDocuments(ctx context.Context, tenantID string, cutoff time.Time, limit int) (int, []string, error) {
	n, keys, err := s.Store.PurgeDocuments(ctx, tenantID, cutoff, limit)
	if n > 0 && s.afterBatch != nil {
		s.afterBatch()
		s.afterBatch = nil
	}
	return n, keys, err
}

// A document past retention is purged; the same bytes are uploaded again
// while the purge runs (after its batch committed, before the files are
// deleted). The new, accepted document keeps the content-addressed file
// it shares with the purged one, and is processed to its end.
func TestPurgeKeepsTheFileOfAConcurrentUpload(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st, tenant := stageStack(t)
	admin := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleAdmin}
	if err := st.Service.UpdateSettings(ctx, admin, pipeline.TenantSettings{RetentionDays: 1}); err != nil {
		t.Fatal(err)
	}
	up := pipeline.Principal{KeyID: uuid.NewString(), TenantID: tenant, Role: pipeline.RoleUploader}
	data := testdocs.Contract(testdocs.ValidContract("CM-2026-033001"))
	old := uploadProcess(t, st, up, "c.txt", data)
	if old.Status != pipeline.StatusCommitted {
		t.Fatalf("old document is %s", old.Status)
	}

	svc := *st.Service
	svc.Now = func() time.Time { return time.Now().AddDate(0, 0, 3) }
	var fresh pipeline.Document
	svc.Store = &purgeHookStore{Store: st.Store, afterBatch: func() {
		d, created, err := st.Service.Upload(ctx, up, "again.txt", strings.NewReader(data))
		if err != nil || !created {
			t.Errorf("upload during purge: created %v, %v", created, err)
		}
		fresh = d
	}}
	res, err := svc.Purge(ctx, tenant)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("purge: %+v; new document %s with storage key %s", res, fresh.ID, fresh.StorageKey)
	if _, err := st.Service.Files.Get(ctx, fresh.StorageKey); err != nil {
		t.Errorf("the file of the new, accepted document %s is gone: %v", fresh.ID, err)
	}
	if err := st.Service.Process(ctx, tenant, fresh.ID, false); err != nil {
		t.Errorf("processing the new document: %v", err)
	}
	d, _ := st.Store.Document(ctx, tenant, fresh.ID)
	if d.Status != pipeline.StatusCommitted {
		t.Errorf("new document ended %s (%s: %s), want committed", d.Status, d.ErrorCode, d.ErrorMessage)
	}
}
