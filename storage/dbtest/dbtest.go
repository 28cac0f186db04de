// Package dbtest gives tests their own freshly migrated PostgreSQL and
// MariaDB databases, created on the real servers and dropped afterwards, so
// that test packages run in parallel without seeing each other's rows.
//
// Without a reachable server the tests skip, unless DOCFLOW_TEST_REQUIRE_DB
// is set (make test and CI set it), in which case they fail.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/docflow/docflow/storage/mariadb"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/go-sql-driver/mysql"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Server addresses, overridable for other set-ups.
var (
	postgresURL = env("DOCFLOW_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable")
	mariadbDSN  = env("DOCFLOW_TEST_MARIADB_DSN", "root@tcp(127.0.0.1:3306)/")
)

func env(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}

func unavailable(t testing.TB, what string, err error) {
	t.Helper()
	if os.Getenv("DOCFLOW_TEST_REQUIRE_DB") != "" {
		t.Fatalf("%s is required (DOCFLOW_TEST_REQUIRE_DB is set) but not reachable: %v", what, err)
	}
	t.Skipf("%s not reachable, skipping: %v", what, err)
}

func randomName() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return "docflow_test_" + hex.EncodeToString(b)
}

// PostgresURL creates a fresh, migrated PostgreSQL database (River's tables
// included) for the test and returns its URL; it is dropped at cleanup.
func PostgresURL(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin, err := pgxpool.New(ctx, postgresURL)
	if err == nil {
		err = admin.Ping(ctx)
	}
	if err != nil {
		unavailable(t, "PostgreSQL", err)
	}
	defer admin.Close()
	name := randomName()
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		admin, err := pgxpool.New(ctx, postgresURL)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
	})
	u, err := url.Parse(postgresURL)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	pool, err := postgres.Open(ctx, u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := postgres.Migrate(ctx, pool); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return u.String()
}

// Postgres returns a pool on a fresh, migrated database, closed at cleanup.
func Postgres(t testing.TB) *pgxpool.Pool {
	t.Helper()
	pool, err := postgres.Open(context.Background(), PostgresURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool
}

// MariaDBDSN creates a fresh, migrated MariaDB database for the test and
// returns its DSN; it is dropped at cleanup.
func MariaDBDSN(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	admin, err := sql.Open("mysql", mariadbDSN)
	if err == nil {
		err = admin.PingContext(ctx)
	}
	if err != nil {
		unavailable(t, "MariaDB", err)
	}
	defer admin.Close()
	name := randomName()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name+" CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"); err != nil {
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("mysql", mariadbDSN)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec("DROP DATABASE IF EXISTS " + name)
	})
	cfg, err := mysql.ParseDSN(mariadbDSN)
	if err != nil {
		t.Fatal(err)
	}
	cfg.DBName = name
	dsn := cfg.FormatDSN()
	db, err := mariadb.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := mariadb.Migrate(ctx, db); err != nil {
		t.Fatalf("migrate mariadb: %v", err)
	}
	return dsn
}

// MariaDB returns a connection pool on a fresh, migrated database.
func MariaDB(t testing.TB) *sql.DB {
	t.Helper()
	db, err := mariadb.Open(context.Background(), MariaDBDSN(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}
