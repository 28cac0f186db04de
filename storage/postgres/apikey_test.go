package postgres_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/postgres"
)

func TestAPIKeyLifecycle(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := postgres.New(dbtest.Postgres(t), nil)
	a, _ := st.CreateTenant(ctx, "A")
	b, _ := st.CreateTenant(ctx, "B")
	admin := pipeline.Principal{KeyID: "admin-key", TenantID: a.ID, Role: pipeline.RoleAdmin}
	past := time.Now().Add(-time.Hour)
	expired, err := st.CreateKey(ctx, pipeline.KeySpec{TenantID: a.ID, Role: pipeline.RoleUploader, ExpiresAt: &past})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, expired.Key); !errors.Is(err, derrors.Unauthenticated) {
		t.Errorf("an expired key authenticated: %v", err)
	}
	k, err := st.CreateKey(ctx, pipeline.KeySpec{TenantID: a.ID, Role: pipeline.RoleUploader, Name: "scanner", Scopes: []string{"document.upload"}, CreatedBy: "admin-key"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := st.Authenticate(ctx, k.Key)
	if err != nil || !slices.Equal(p.Scopes, []string{"document.upload"}) || p.Role != pipeline.RoleUploader || p.TenantID != a.ID {
		t.Fatalf("principal = %+v, %v", p, err)
	}
	got, err := st.APIKey(ctx, a.ID, k.ID)
	if err != nil || got.LastUsedAt == nil || got.Name != "scanner" || got.Key != "" {
		t.Errorf("key = %+v, %v; want last used set, no secret", got, err)
	}
	// Rotation with a grace period: both work, then the old one ends.
	nk, err := st.RotateAPIKey(ctx, admin, k.ID, time.Hour)
	if err != nil || nk.Key == "" || nk.Name != "scanner" || !slices.Equal(nk.Scopes, k.Scopes) {
		t.Fatalf("rotated = %+v, %v", nk, err)
	}
	for _, secret := range []string{k.Key, nk.Key} {
		if _, err := st.Authenticate(ctx, secret); err != nil {
			t.Errorf("during the grace period: %v", err)
		}
	}
	if old, _ := st.APIKey(ctx, a.ID, k.ID); old.RotatedTo != nk.ID || old.ExpiresAt == nil {
		t.Errorf("old key = %+v", old)
	}
	if _, err := st.RotateAPIKey(ctx, admin, k.ID, 0); !errors.Is(err, derrors.Conflict) {
		t.Errorf("rotating a rotated key: %v", err)
	}
	nk2, err := st.RotateAPIKey(ctx, admin, nk.ID, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, nk.Key); !errors.Is(err, derrors.Unauthenticated) {
		t.Errorf("a key rotated without grace still works: %v", err)
	}
	// Revocation, and tenant B cannot touch A's keys.
	if _, err := st.RevokeAPIKey(ctx, pipeline.Principal{KeyID: "b", TenantID: b.ID, Role: pipeline.RoleAdmin}, nk2.ID); !errors.Is(err, derrors.NotFound) {
		t.Errorf("tenant B revoking A's key: %v", err)
	}
	if _, err := st.RevokeAPIKey(ctx, admin, nk2.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Authenticate(ctx, nk2.Key); !errors.Is(err, derrors.Unauthenticated) {
		t.Errorf("a revoked key works: %v", err)
	}
	keys, _ := st.APIKeys(ctx, a.ID)
	if len(keys) != 4 {
		t.Errorf("%d keys listed, want 4", len(keys))
	}
	if bk, _ := st.APIKeys(ctx, b.ID); len(bk) != 0 {
		t.Errorf("tenant B lists %d keys", len(bk))
	}
}
