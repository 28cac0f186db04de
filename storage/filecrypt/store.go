// Package filecrypt encrypts stored files at rest with envelope
// encryption: each tenant has data keys (DEKs), random 32-byte keys kept
// in PostgreSQL wrapped by the deployment's master keyring, in versions of
// which the newest seals new files; each file is sealed with AES-256-GCM
// in 64 KiB segments under a key derived from the DEK and a per-file salt,
// with a header naming the DEK version, so that files sealed before a
// rotation still open. Files stay named by the SHA-256 of their plain
// bytes, so uploads dedupe as before, and files stored before encryption
// existed (plain, without a header) still read until Reencrypt seals them.
//
// See docs/security.md for the design, the rotations and their steps.
package filecrypt

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/storage/files"
)

// Store is a pipeline.Files that seals what it stores on a Raw store: a
// files.Disk or an S3 bucket (storage/s3store).
type Store struct {
	disk Raw
	keys *Keys
}

var _ pipeline.Files = (*Store)(nil)

// New returns a store sealing files on disk (a files.Disk or another Raw
// store) with the tenants' keys.
func New(disk Raw, keys *Keys) *Store {
	return &Store{disk: disk, keys: keys}
}

// Keys returns the data keys the store seals with.
func (s *Store) Keys() *Keys { return s.keys }

// Put seals data with the tenant's current data key and stores it under
// "<tenant>/<sha256 of data>". Storing the same bytes again is a no-op.
func (s *Store) Put(ctx context.Context, tenantID string, data []byte) (string, error) {
	key := files.KeyOf(tenantID, data)
	if ok, err := s.disk.Exists(key); err != nil || ok {
		return key, err
	}
	version, dek, err := s.keys.Current(ctx, tenantID)
	if err != nil {
		return "", err
	}
	sealed, err := seal(dek, uint32(version), key, data)
	if err != nil {
		return "", err
	}
	return key, s.disk.Write(key, sealed)
}

// Get returns the plain bytes stored under key. A file that does not open
// is ErrUnreadable (and derrors.Permanent); a missing one derrors.NotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	raw, err := s.disk.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	plain, _, err := s.decrypt(ctx, key, raw)
	return plain, err
}

// Delete removes the file stored under key (a purge); a file already gone
// is not an error. Copies of it elsewhere (backups) stay sealed, and are
// shredded when the data key version that sealed them is retired.
func (s *Store) Delete(ctx context.Context, key string) error {
	return s.disk.Delete(ctx, key)
}

// decrypt opens raw, the stored bytes of key, and tells whether they were
// stored in plain text. Bytes without a header are a file stored before
// encryption: they are returned when they hash to the file's name, so a
// plain file planted in place of another is refused.
func (s *Store) decrypt(ctx context.Context, key string, raw []byte) (data []byte, legacy bool, err error) {
	tenantID, sum, err := files.SplitKey(key)
	if err != nil {
		return nil, false, err
	}
	if !isEncrypted(raw) {
		if plainMatches(raw, sum) {
			return raw, true, nil
		}
		return nil, false, fmt.Errorf("filecrypt: file %s: %w: no encryption header, and not the plain bytes its name hashes", key, ErrUnreadable)
	}
	plain, err := open(raw, key, func(v uint32) ([]byte, error) { return s.keys.Version(ctx, tenantID, int(v)) })
	if err != nil {
		if plainMatches(raw, sum) { // a plain file that starts like a header
			return raw, true, nil
		}
		return nil, false, fmt.Errorf("filecrypt: file %s: %w", key, err)
	}
	return plain, false, nil
}

// plainMatches reports whether data hashes to sum, a hex SHA-256.
func plainMatches(data []byte, sum string) bool {
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:]) == sum
}
