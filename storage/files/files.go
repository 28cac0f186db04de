// Package files stores documents' bytes on local disk, content-addressed by
// their SHA-256 under a folder per tenant. Writes go to a temporary file
// that is renamed into place, so a file is either whole or absent. Disk
// keeps the bytes it is given: storage/filecrypt wraps it to encrypt them.
package files

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"syscall"

	"github.com/docflow/docflow/derrors"
)

// Disk is a content-addressed store under a root folder.
type Disk struct {
	root string
}

// NewDisk returns a store under root, creating the folder.
func NewDisk(root string) (*Disk, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return &Disk{root: root}, nil
}

var keyPattern = regexp.MustCompile(`^([0-9a-f-]{36})/([0-9a-f]{64})$`)

// tempPrefix starts the names of files being written.
const tempPrefix = ".put-"

// Put stores data for a tenant and returns its key, "<tenant>/<sha256>".
// Storing the same bytes again is a no-op.
func (d *Disk) Put(_ context.Context, tenantID string, data []byte) (string, error) {
	key := KeyOf(tenantID, data)
	if ok, err := d.Exists(key); err != nil || ok {
		return key, err
	}
	return key, d.Write(key, data)
}

// KeyOf is the key Put gives data of a tenant: "<tenant>/<sha256 of data>".
// Stores that keep other bytes than data (encrypted ones) name them so too.
func KeyOf(tenantID string, data []byte) string {
	sum := sha256.Sum256(data)
	return tenantID + "/" + hex.EncodeToString(sum[:])
}

// SplitKey returns the tenant and the SHA-256 (in hex) a key names, or an
// InvalidArgument error for anything that is not a key.
func SplitKey(key string) (tenantID, sum string, err error) {
	m := keyPattern.FindStringSubmatch(key)
	if m == nil {
		return "", "", fmt.Errorf("%w: malformed file key %q", derrors.InvalidArgument, key)
	}
	return m[1], m[2], nil
}

// Exists reports whether a file is stored under key.
func (d *Disk) Exists(key string) (bool, error) {
	path, err := d.path(key)
	if err != nil {
		return false, err
	}
	_, err = os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("files: %w", err)
	}
	return true, nil
}

// Write stores data under key, replacing any file there: it writes a
// temporary file, syncs it and renames it into place, so that readers see
// the old file or the new one, never a part.
func (d *Disk) Write(key string, data []byte) error {
	path, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	tmp, err := d.writeTemp(filepath.Dir(path), data)
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("files: %w", err)
	}
	return nil
}

// writeTemp writes data to a new synced temporary file in dir and returns
// its path.
func (d *Disk) writeTemp(dir string, data []byte) (string, error) {
	tmp, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return "", fmt.Errorf("files: %w", full(err))
	}
	_, err = tmp.Write(data)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", fmt.Errorf("files: %w", full(err))
	}
	return tmp.Name(), nil
}

// Get returns the bytes stored under key.
func (d *Disk) Get(_ context.Context, key string) ([]byte, error) {
	path, err := d.path(key)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("file %q: %w", key, derrors.NotFound)
	}
	return b, err
}

// path maps a key to its file, refusing anything that is not a key.
func (d *Disk) path(key string) (string, error) {
	tenantID, sum, err := SplitKey(key)
	if err != nil {
		return "", err
	}
	return filepath.Join(d.root, tenantID, sum[:2], sum), nil
}

// full marks a write that failed for want of space (or quota) as
// derrors.StorageFull, which the API answers 507 storage_full.
func full(err error) error {
	if errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) {
		return fmt.Errorf("%w: %w", derrors.StorageFull, err)
	}
	return err
}
