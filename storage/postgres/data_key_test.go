package postgres_test

import (
	"context"
	"errors"
	"testing"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/filecrypt"
	"github.com/docflow/docflow/storage/postgres"
)

func TestDataKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	pool := dbtest.Postgres(t)
	st, dks := postgres.New(pool, nil), postgres.NewDataKeys(pool)
	a, _ := st.CreateTenant(ctx, "A")
	b, _ := st.CreateTenant(ctx, "B")
	for _, k := range []filecrypt.DataKey{{TenantID: a.ID, Version: 1, Wrapped: "w1"}, {TenantID: a.ID, Version: 2, Wrapped: "w2"}, {TenantID: b.ID, Version: 1, Wrapped: "wb"}} {
		if err := dks.InsertDataKey(ctx, k); err != nil {
			t.Fatal(err)
		}
	}
	if err := dks.InsertDataKey(ctx, filecrypt.DataKey{TenantID: a.ID, Version: 2, Wrapped: "x"}); !errors.Is(err, derrors.Conflict) {
		t.Errorf("a version inserted twice: %v, want Conflict", err)
	}
	if err := dks.InsertDataKey(ctx, filecrypt.DataKey{TenantID: "00000000-0000-0000-0000-000000000000", Version: 1, Wrapped: "x"}); !errors.Is(err, derrors.NotFound) {
		t.Errorf("a key of a missing tenant: %v, want NotFound", err)
	}
	mine, err := dks.DataKeys(ctx, a.ID)
	if err != nil || len(mine) != 2 || mine[0].Version != 1 || mine[1].Wrapped != "w2" || mine[0].CreatedAt.IsZero() {
		t.Fatalf("tenant A's keys = %+v, %v", mine, err)
	}
	if all, _ := dks.DataKeys(ctx, ""); len(all) != 3 {
		t.Errorf("%d keys in all, want 3", len(all))
	}
	if _, err := dks.DataKeys(ctx, "not-a-uuid"); !errors.Is(err, derrors.NotFound) {
		t.Errorf("keys of a malformed tenant id: %v, want NotFound", err)
	}
	// Re-wrapping replaces only what was read.
	if ok, err := dks.RewrapDataKey(ctx, a.ID, 1, "stale", "w1'"); ok || err != nil {
		t.Errorf("re-wrap of a changed value = %v, %v; want false", ok, err)
	}
	if ok, err := dks.RewrapDataKey(ctx, a.ID, 1, "w1", "w1'"); !ok || err != nil {
		t.Errorf("re-wrap = %v, %v; want true", ok, err)
	}
	// The newest version cannot be retired; an older one is, and erased.
	if err := dks.RetireDataKey(ctx, a.ID, 2); !errors.Is(err, derrors.Conflict) {
		t.Errorf("retiring the newest version: %v, want Conflict", err)
	}
	if err := dks.RetireDataKey(ctx, a.ID, 1); err != nil {
		t.Fatal(err)
	}
	mine, _ = dks.DataKeys(ctx, a.ID)
	if mine[0].RetiredAt == nil || mine[0].Wrapped != "" {
		t.Errorf("retired key = %+v, want erased", mine[0])
	}
	if ok, _ := dks.RewrapDataKey(ctx, a.ID, 1, "", "back"); ok {
		t.Error("a retired key was re-wrapped")
	}
}
