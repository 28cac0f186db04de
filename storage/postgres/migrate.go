package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/docflow/docflow/storage/migration"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/rivermigrate"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// Migration is one numbered schema change.
type Migration = migration.Migration

// Migrations returns the embedded migrations in order.
func Migrations() ([]Migration, error) { return migration.Load(migrationFS, "migrations") }

// Migrate applies River's migrations and then docflow's, each of ours in
// its own transaction, under an advisory lock so that two processes
// starting together do not race.
func Migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	const lockID = 0x646f63666c6f77 // "docflow"
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", lockID); err != nil {
		return err
	}
	defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", lockID) //nolint:errcheck
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), nil)
	if err != nil {
		return err
	}
	if _, err := migrator.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS docflow_migrations (
		version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return err
	}
	ms, err := Migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var n int
			if err := tx.QueryRow(ctx, "SELECT count(*) FROM docflow_migrations WHERE version = $1", m.Version).Scan(&n); err != nil || n > 0 {
				return err
			}
			if _, err := tx.Exec(ctx, m.Up); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, "INSERT INTO docflow_migrations (version, name) VALUES ($1, $2)", m.Version, m.Name)
			return err
		})
		if err != nil {
			return fmt.Errorf("migration %s: %w", m.Name, err)
		}
	}
	return nil
}

// CheckSchema returns an error when a migration has not been applied,
// River's or docflow's (docflow migrate applies both), so that a server
// does not start, nor report ready, on an outdated schema.
func CheckSchema(ctx context.Context, pool *pgxpool.Pool) error {
	if err := checkRiverSchema(ctx, pool); err != nil {
		return err
	}
	ms, err := Migrations()
	if err != nil {
		return err
	}
	var latest int
	err = pool.QueryRow(ctx, "SELECT coalesce(max(version), 0) FROM docflow_migrations").Scan(&latest)
	if err != nil {
		return fmt.Errorf("postgres schema is not migrated (run docflow migrate): %w", err)
	}
	if want := ms[len(ms)-1].Version; latest < want {
		return fmt.Errorf("postgres schema is at version %d, want %d: run docflow migrate", latest, want)
	}
	return nil
}

// ErrRiverSchema is CheckSchema's error when River's migrations are not
// all applied.
var ErrRiverSchema = errors.New("river schema is not migrated")

// checkRiverSchema returns an error when River's migrations are not all
// applied: River's inserts and workers would then fail on its tables.
func checkRiverSchema(ctx context.Context, pool *pgxpool.Pool) error {
	// River logs each validation that finds work left at Info; the error
	// returned says it, and readiness checks run often.
	quiet := slog.New(slog.DiscardHandler)
	migrator, err := rivermigrate.New(riverpgxv5.New(pool), &rivermigrate.Config{Logger: quiet})
	if err != nil {
		return fmt.Errorf("river migrations: %w", err)
	}
	res, err := migrator.Validate(ctx, nil)
	if err != nil {
		return fmt.Errorf("river schema cannot be checked (run docflow migrate): %w", err)
	}
	if !res.OK {
		return fmt.Errorf("%w (%s): run docflow migrate", ErrRiverSchema, strings.Join(res.Messages, "; "))
	}
	return nil
}
