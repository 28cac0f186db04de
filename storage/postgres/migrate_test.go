package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
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

// TestCheckSchemaRefusesRiverBehind: CheckSchema (serve's start-up check
// and readiness) refuses a database whose River migrations are not all
// applied, naming them, and accepts it again once docflow migrate ran.
func TestCheckSchemaRefusesRiverBehind(t *testing.T) {
	t.Parallel()
	pool := dbtest.Postgres(t)
	ctx := context.Background()
	m, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionDown, &rivermigrate.MigrateOpts{MaxSteps: 1}); err != nil {
		t.Fatal(err)
	}
	err = postgres.CheckSchema(ctx, pool)
	if err == nil {
		t.Fatal("CheckSchema accepts a database missing River's latest migration")
	}
	latest := m.AllVersions()[len(m.AllVersions())-1].Version
	if !errors.Is(err, postgres.ErrRiverSchema) {
		t.Errorf("CheckSchema error %v, want ErrRiverSchema", err)
	}
	if msg := err.Error(); !strings.Contains(msg, "river") || !strings.Contains(msg, fmt.Sprint(latest)) || !strings.Contains(msg, "docflow migrate") {
		t.Errorf("CheckSchema error %q, want it to name River's migration %d and docflow migrate", msg, latest)
	}
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatal(err)
	}
	if err := postgres.CheckSchema(ctx, pool); err != nil {
		t.Errorf("after docflow migrate: %v", err)
	}
}
