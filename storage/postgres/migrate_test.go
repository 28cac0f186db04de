package postgres_test

import (
	"context"
	"testing"

	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/postgres"
)

func TestMigrationsAreNumberedOnce(t *testing.T) {
	t.Parallel()
	ms, err := postgres.Migrations()
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range ms {
		if m.Version != i+1 {
			t.Errorf("migration %s has number %d, want %d (no gaps)", m.Name, m.Version, i+1)
		}
	}
}

func TestMigrateTwiceAndCheckSchema(t *testing.T) {
	t.Parallel()
	pool := dbtest.Postgres(t) // migrated once
	ctx := context.Background()
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if err := postgres.CheckSchema(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, "DELETE FROM docflow_migrations WHERE version = (SELECT max(version) FROM docflow_migrations)"); err != nil {
		t.Fatal(err)
	}
	if err := postgres.CheckSchema(ctx, pool); err == nil {
		t.Error("CheckSchema accepts an outdated schema")
	}
	var n int
	if err := pool.QueryRow(ctx, "SELECT count(*) FROM river_migration").Scan(&n); err != nil || n == 0 {
		t.Errorf("River's migrations are not applied: %v", err)
	}
}
