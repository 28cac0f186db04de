// Package postgres keeps documents, their processing state, extraction
// runs, review tasks, tenants, API keys and the audit log in PostgreSQL,
// and applies the schema migrations (River's included). Every state change
// that needs a next job enqueues it in the same transaction.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/pipeline"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
)

// Enqueuer inserts a job inside a PostgreSQL transaction.
type Enqueuer interface {
	EnqueueTx(ctx context.Context, tx pgx.Tx, job pipeline.Job) error
}

// Store implements pipeline.Store on a pgx pool.
type Store struct {
	pool  *pgxpool.Pool
	queue Enqueuer
	keys  *keyring.Keyring
}

var _ pipeline.Store = (*Store)(nil)

// New returns a Store; queue enqueues the jobs that state changes need.
func New(pool *pgxpool.Pool, queue Enqueuer) *Store {
	return &Store{pool: pool, queue: queue}
}

// SetKeyring gives the store the keyring that seals the secrets it keeps
// (mailbox passwords). Without one, the store refuses to keep a secret.
func (s *Store) SetKeyring(k *keyring.Keyring) { s.keys = k }

// Open connects to PostgreSQL and checks the connection.
func Open(ctx context.Context, url string) (*pgxpool.Pool, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if cfg.ConnConfig.ConnectTimeout == 0 {
		// A server that does not answer (not one that refuses) would hold
		// each new connection for the kernel's TCP timeout, minutes: an
		// outage then looks like a hang. connect_timeout in the URL wins.
		cfg.ConnConfig.ConnectTimeout = DefaultConnectTimeout
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: %w", err)
	}
	return pool, nil
}

// DefaultConnectTimeout bounds a new connection's set-up when the URL has
// no connect_timeout.
const DefaultConnectTimeout = 5 * time.Second

// WithTx runs fn in one transaction, committed when fn returns nil.
func WithTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, fn)
}

// withAsyncTx runs fn in one transaction that commits without waiting for
// its WAL to reach disk. It is for the pipeline's own progress records,
// which a job records before River records the job's completion: WAL is
// flushed in order, so River's durable completion makes them durable too,
// and a crash before it reruns the job, which writes them again. Never for
// what answers a person or a client (uploads, decisions).
func withAsyncTx(ctx context.Context, pool *pgxpool.Pool, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit TO OFF"); err != nil {
			return err
		}
		return fn(tx)
	})
}

// notFound turns pgx.ErrNoRows into derrors.NotFound.
func notFound(err error, what string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, derrors.NotFound)
	}
	return err
}

// isUniqueViolation reports whether err is a unique-constraint violation.
func isUniqueViolation(err error, constraint string) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505" && (constraint == "" || pe.ConstraintName == constraint)
}

// isInvalidID reports whether err comes from a malformed uuid.
func isInvalidID(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "22P02"
}

// queryAll runs a query and scans every row with scan; no row gives an
// empty, non-nil slice.
func queryAll[T any](ctx context.Context, s *Store, scan func(pgx.Row) (T, error), sql string, args ...any) ([]T, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (T, error) { return scan(r) })
}
