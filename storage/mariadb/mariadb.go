// Package mariadb is the system of record in MariaDB: the contracts and
// timesheets (with their entries) that the rest of the HR platform reads,
// keyed by the document they came from, the tenant on every row. Commits
// are idempotent upserts, so a commit job that runs twice writes once; in
// the same transaction they keep the summary tables in step (hours per
// worker, client and ISO week; hours and amounts per contract and month),
// which RebuildSummaries can recompute from the base tables.
package mariadb

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strings"

	"github.com/docflow/docflow/storage/migration"
	"github.com/go-sql-driver/mysql"
)

// Records implements pipeline.Records on a MariaDB database.
type Records struct {
	db *sql.DB
}

// New returns Records over db.
func New(db *sql.DB) *Records { return &Records{db: db} }

// Open connects to MariaDB with a go-sql-driver DSN and checks the
// connection. It sets parseTime so that DATE columns scan as time.Time.
func Open(ctx context.Context, dsn string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("mariadb: %w", err)
	}
	cfg.ParseTime = true
	db, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		return nil, fmt.Errorf("mariadb: %w", err)
	}
	db.SetMaxOpenConns(20)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("mariadb: %w", err)
	}
	return db, nil
}

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migrate applies the embedded migrations that are not yet applied, in
// order, under a named lock. MariaDB commits DDL implicitly, so each
// statement of a migration counts on its own and migrations are written to
// be applied once, recorded right after (0002 on is written to survive a
// second run too).
func Migrate(ctx context.Context, db *sql.DB) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	var got sql.NullInt64
	if err := conn.QueryRowContext(ctx, "SELECT GET_LOCK('docflow_migrate', 60)").Scan(&got); err != nil || got.Int64 != 1 {
		return fmt.Errorf("mariadb: migration lock: %v", err)
	}
	defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT RELEASE_LOCK('docflow_migrate')") //nolint:errcheck
	if _, err := conn.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS docflow_migrations (
		version INT PRIMARY KEY, name VARCHAR(255) NOT NULL, applied_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6))`); err != nil {
		return err
	}
	ms, err := migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		var n int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM docflow_migrations WHERE version = ?", m.Version).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			continue
		}
		for _, stmt := range statements(m.Up) {
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("mariadb migration %s: %w", m.Name, err)
			}
		}
		if after := afterMigration[m.Version]; after != nil {
			if err := after(ctx, conn); err != nil {
				return fmt.Errorf("mariadb migration %s: %w", m.Name, err)
			}
		}
		if _, err := conn.ExecContext(ctx, "INSERT INTO docflow_migrations (version, name) VALUES (?, ?)", m.Version, m.Name); err != nil {
			return err
		}
	}
	return nil
}

// CheckSchema returns an error when a migration has not been applied.
func CheckSchema(ctx context.Context, db *sql.DB) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	var latest int
	if err := db.QueryRowContext(ctx, "SELECT coalesce(max(version), 0) FROM docflow_migrations").Scan(&latest); err != nil {
		return fmt.Errorf("mariadb schema is not migrated (run docflow migrate): %w", err)
	}
	if want := ms[len(ms)-1].Version; latest < want {
		return fmt.Errorf("mariadb schema is at version %d, want %d: run docflow migrate", latest, want)
	}
	return nil
}

// afterMigration holds the Go steps that complete a migration, run after
// its statements and before it is recorded; like the statements, they may
// run again.
var afterMigration = map[int]func(ctx context.Context, conn *sql.Conn) error{
	// 0002_summaries: key the existing timesheets and fill the summaries.
	2: func(ctx context.Context, conn *sql.Conn) error { return rebuildSummaries(ctx, conn, "") },
}

func migrations() ([]migration.Migration, error) { return migration.Load(migrationFS, "migrations") }

// statements splits a migration file into statements at semicolons that
// end a line, dropping comment lines.
func statements(src string) []string {
	var out []string
	var cur strings.Builder
	for _, line := range strings.Split(src, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "--") {
			continue
		}
		cur.WriteString(line)
		cur.WriteString("\n")
		if strings.HasSuffix(strings.TrimSpace(line), ";") {
			if s := strings.TrimSpace(cur.String()); s != ";" {
				out = append(out, strings.TrimSuffix(s, ";"))
			}
			cur.Reset()
		}
	}
	if s := strings.TrimSpace(cur.String()); s != "" {
		out = append(out, s)
	}
	return out
}

// DB returns the underlying database, for tests and tools.
func (r *Records) DB() *sql.DB { return r.db }
