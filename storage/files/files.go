// Package files stores documents' bytes on local disk, content-addressed by
// their SHA-256 under a folder per tenant. Writes go to a temporary file
// that is renamed into place, so a file is either whole or absent.
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

// Put stores data for a tenant and returns its key, "<tenant>/<sha256>".
// Storing the same bytes again is a no-op.
func (d *Disk) Put(_ context.Context, tenantID string, data []byte) (string, error) {
	sum := sha256.Sum256(data)
	key := tenantID + "/" + hex.EncodeToString(sum[:])
	path, err := d.path(key)
	if err != nil {
		return "", err
	}
	if _, err := os.Stat(path); err == nil {
		return key, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", fmt.Errorf("files: %w", err)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".put-*")
	if err != nil {
		return "", fmt.Errorf("files: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return "", fmt.Errorf("files: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return "", fmt.Errorf("files: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("files: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("files: %w", err)
	}
	return key, nil
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
	m := keyPattern.FindStringSubmatch(key)
	if m == nil {
		return "", fmt.Errorf("%w: malformed file key %q", derrors.InvalidArgument, key)
	}
	return filepath.Join(d.root, m[1], m[2][:2], m[2]), nil
}
