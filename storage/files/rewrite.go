package files

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"

	"github.com/docflow/docflow/derrors"
)

var (
	tenantDirPattern = regexp.MustCompile(`^[0-9a-f-]{36}$`)
	sumPattern       = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// Tenants returns the tenants that have files, sorted.
func (d *Disk) Tenants() ([]string, error) {
	entries, err := os.ReadDir(d.root)
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && tenantDirPattern.MatchString(e.Name()) {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// Keys returns the keys of a tenant's files, sorted. Files being written
// are left out.
func (d *Disk) Keys(tenantID string) ([]string, error) {
	if !tenantDirPattern.MatchString(tenantID) {
		return nil, fmt.Errorf("%w: malformed tenant id %q", derrors.InvalidArgument, tenantID)
	}
	dirs, err := os.ReadDir(filepath.Join(d.root, tenantID))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	var out []string
	for _, dir := range dirs {
		if !dir.IsDir() {
			continue
		}
		entries, err := os.ReadDir(filepath.Join(d.root, tenantID, dir.Name()))
		if err != nil {
			return nil, fmt.Errorf("files: %w", err)
		}
		for _, e := range entries {
			if e.Type().IsRegular() && sumPattern.MatchString(e.Name()) && e.Name()[:2] == dir.Name() {
				out = append(out, tenantID+"/"+e.Name())
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// ReadPrefix returns the first n bytes of the file under key (fewer when
// the file is shorter), to look at a header without reading the file.
func (d *Disk) ReadPrefix(key string, n int) ([]byte, error) {
	f, err := d.open(key)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b := make([]byte, n)
	m, err := io.ReadFull(f, b)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("files: %w", err)
	}
	return b[:m], nil
}

// Rewrite replaces the file under key with fn of its bytes, atomically
// (temporary file, sync, rename). When fn returns nil bytes and no error
// the file is left as it is. The file is replaced only if it is still the
// one that was read: were it removed or replaced meanwhile (a purge,
// another rewrite), Rewrite leaves it and reports false.
func (d *Disk) Rewrite(key string, fn func(old []byte) ([]byte, error)) (bool, error) {
	f, err := d.open(key)
	if err != nil {
		return false, err
	}
	before, err := f.Stat()
	if err != nil {
		f.Close()
		return false, fmt.Errorf("files: %w", err)
	}
	old, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return false, fmt.Errorf("files: %w", err)
	}
	data, err := fn(old)
	if err != nil || data == nil {
		return false, err
	}
	path := f.Name()
	tmp, err := d.writeTemp(filepath.Dir(path), data)
	if err != nil {
		return false, err
	}
	defer os.Remove(tmp)
	now, err := os.Stat(path)
	if err != nil || !os.SameFile(before, now) || !now.ModTime().Equal(before.ModTime()) || now.Size() != before.Size() {
		return false, nil
	}
	if err := os.Rename(tmp, path); err != nil {
		return false, fmt.Errorf("files: %w", err)
	}
	return true, nil
}

// open opens the file under key; a missing file is derrors.NotFound.
func (d *Disk) open(key string) (*os.File, error) {
	path, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("file %q: %w", key, derrors.NotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	return f, nil
}
