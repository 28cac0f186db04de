package mariadb_test

import (
	"context"
	"testing"

	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/mariadb"
)

func TestMigrateTwiceAndCheckSchema(t *testing.T) {
	t.Parallel()
	db := dbtest.MariaDB(t)
	ctx := context.Background()
	if err := mariadb.Migrate(ctx, db); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	if err := mariadb.CheckSchema(ctx, db); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ExecContext(ctx, "DELETE FROM docflow_migrations"); err != nil {
		t.Fatal(err)
	}
	if err := mariadb.CheckSchema(ctx, db); err == nil {
		t.Error("CheckSchema accepts an outdated schema")
	}
}
