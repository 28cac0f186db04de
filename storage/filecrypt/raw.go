package filecrypt

import (
	"context"

	"github.com/docflow/docflow/storage/files"
)

// Raw is where a Store keeps the sealed bytes, content-addressed under
// "<tenant>/<sha256 of the plain bytes>" (files.KeyOf): *files.Disk on
// local disk, *s3store.Store in an S3-compatible bucket. Both pass the
// same behavioural suite (storage/s3store's tests).
type Raw interface {
	// Exists reports whether something is stored under key.
	Exists(key string) (bool, error)
	// Write stores data under key, replacing what is there; readers see
	// the old bytes or the new ones, never a part.
	Write(key string, data []byte) error
	// Get returns the bytes under key; missing ones are derrors.NotFound.
	Get(ctx context.Context, key string) ([]byte, error)
	// Delete removes what is under key; a key already gone is no error.
	Delete(ctx context.Context, key string) error
	// Tenants returns the tenants that have files, sorted.
	Tenants() ([]string, error)
	// Keys returns the keys of a tenant's files, sorted.
	Keys(tenantID string) ([]string, error)
	// ReadPrefix returns the first n bytes under key (fewer when shorter).
	ReadPrefix(key string, n int) ([]byte, error)
	// Rewrite replaces the bytes under key with fn of them, only if they
	// are still the ones read (else it reports false and leaves them);
	// fn returning nil bytes and no error leaves them as they are.
	Rewrite(key string, fn func(old []byte) ([]byte, error)) (bool, error)
}

var _ Raw = (*files.Disk)(nil)
