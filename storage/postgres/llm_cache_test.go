package postgres_test

import (
	"context"
	"testing"

	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/postgres"
)

func TestLLMCacheIsPerTenant(t *testing.T) {
	t.Parallel()
	pool := dbtest.Postgres(t)
	ctx := context.Background()
	st := postgres.New(pool, nil)
	a, err := st.CreateTenant(ctx, "A")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := st.CreateTenant(ctx, "B")
	c := postgres.NewLLMCache(pool)
	if err := c.Put(ctx, a.ID, "k", `{"x": 1}`); err != nil {
		t.Fatal(err)
	}
	if err := c.Put(ctx, a.ID, "k", `{"x": 2}`); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := c.Get(ctx, a.ID, "k"); err != nil || !ok || v != `{"x": 1}` {
		t.Errorf("Get = %q %v %v, want the first answer", v, ok, err)
	}
	if _, ok, err := c.Get(ctx, b.ID, "k"); err != nil || ok {
		t.Errorf("tenant B reads tenant A's answer (%v)", err)
	}
}
