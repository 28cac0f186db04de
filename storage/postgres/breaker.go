package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// BreakerState keeps the model provider's circuit breakers in PostgreSQL,
// one row per breaker name, so that the worker processes of a deployment
// share them; it implements crosscheck.BreakerState. Every time is the
// caller's (no now() of the server's).
type BreakerState struct{ pool *pgxpool.Pool }

// NewBreakerState returns the shared breaker state on pool's database.
func NewBreakerState(pool *pgxpool.Pool) BreakerState { return BreakerState{pool: pool} }

// Load returns the end of the breaker's cooldown (zero while it is closed
// or was never recorded) and when it last opened or closed.
func (s BreakerState) Load(ctx context.Context, name string) (openUntil, changedAt time.Time, err error) {
	var until *time.Time
	err = s.pool.QueryRow(ctx, "SELECT open_until, updated_at FROM llm_breakers WHERE name = $1", name).Scan(&until, &changedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if until != nil {
		openUntil = *until
	}
	return openUntil, changedAt, nil
}

// Opened records that the breaker opened at at for a cooldown until
// until, and drops any claim of a probe.
func (s BreakerState) Opened(ctx context.Context, name string, at, until time.Time) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO llm_breakers (name, open_until, probe_until, updated_at) VALUES ($1, $2, NULL, $3)
		ON CONFLICT (name) DO UPDATE SET open_until = $2, probe_until = NULL, updated_at = $3`, name, until, at)
	return err
}

// Closed records that the breaker closed at at.
func (s BreakerState) Closed(ctx context.Context, name string, at time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE llm_breakers SET open_until = NULL, probe_until = NULL, updated_at = $2
		WHERE name = $1`, name, at)
	return err
}

// ReleaseProbe gives back the probe claim that ended at until, if it is
// still the one recorded (the database keeps microseconds).
func (s BreakerState) ReleaseProbe(ctx context.Context, name string, until time.Time) error {
	_, err := s.pool.Exec(ctx, `UPDATE llm_breakers SET probe_until = NULL
		WHERE name = $1 AND probe_until BETWEEN $2::timestamptz - interval '1 millisecond' AND $2::timestamptz + interval '1 millisecond'`,
		name, until)
	return err
}

// ClaimProbe claims the probe of the half-open breaker until until and
// reports whether the caller got it: only when the breaker is open, its
// cooldown has ended by now, and no earlier claim runs past now. It is one
// conditional UPDATE: of concurrent claimants, the row lock lets one
// through, and the others find the condition false once it committed.
func (s BreakerState) ClaimProbe(ctx context.Context, name string, now, until time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE llm_breakers SET probe_until = $3
		WHERE name = $1 AND open_until IS NOT NULL AND open_until <= $2 AND (probe_until IS NULL OR probe_until <= $2)`,
		name, now, until)
	if err != nil {
		return false, err
	}
	return tag.RowsAffected() == 1, nil
}
