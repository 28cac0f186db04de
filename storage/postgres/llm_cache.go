package postgres

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// LLMCache keeps the model's valid answers per tenant; it implements
// llm.Cache.
type LLMCache struct{ pool *pgxpool.Pool }

// NewLLMCache returns the answer cache on pool's database.
func NewLLMCache(pool *pgxpool.Pool) LLMCache { return LLMCache{pool: pool} }

// Get returns the answer stored under key for the tenant.
func (c LLMCache) Get(ctx context.Context, tenantID, key string) (string, bool, error) {
	var content string
	err := c.pool.QueryRow(ctx, "SELECT content FROM llm_cache WHERE tenant_id = $1 AND key = $2", tenantID, key).Scan(&content)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", false, nil
	}
	return content, err == nil, err
}

// Put stores an answer; the first one stored for a key stays.
func (c LLMCache) Put(ctx context.Context, tenantID, key, content string) error {
	_, err := c.pool.Exec(ctx, `INSERT INTO llm_cache (tenant_id, key, content) VALUES ($1, $2, $3)
		ON CONFLICT (tenant_id, key) DO NOTHING`, tenantID, key, content)
	return err
}
