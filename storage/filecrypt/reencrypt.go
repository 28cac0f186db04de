package filecrypt

import (
	"context"
	"errors"
	"fmt"

	"github.com/docflow/docflow/derrors"
)

// Report is what Reencrypt did.
type Report struct {
	Files     int // files looked at
	Rewritten int // sealed again with the current data key
	Plaintext int // of those, files stored before encryption existed
	Failed    int // files that did not open (see the error)
}

// Reencrypt seals again, with the tenant's current data key, every file of
// the tenant sealed with an older version or stored in plain text; with
// tenantID "" it does so for every tenant having files. Each file is
// replaced atomically (temporary file, rename), so readers see the old
// file or the new one, and both open while the old version is live. It can
// run beside the service and be run again: files already sealed with the
// current version are left alone. A file that does not open is counted,
// reported in the error, and left as it is.
func (s *Store) Reencrypt(ctx context.Context, tenantID string) (Report, error) {
	tenants := []string{tenantID}
	if tenantID == "" {
		var err error
		if tenants, err = s.disk.Tenants(); err != nil {
			return Report{}, err
		}
	}
	var r Report
	var errs []error
	for _, t := range tenants {
		if err := s.reencryptTenant(ctx, t, &r, &errs); err != nil {
			if ctx.Err() != nil {
				return r, err
			}
			errs = append(errs, fmt.Errorf("tenant %s: %w", t, err))
		}
	}
	if len(errs) > 10 {
		errs = append(errs[:10], fmt.Errorf("and %d more", len(errs)-10))
	}
	return r, errors.Join(errs...)
}

func (s *Store) reencryptTenant(ctx context.Context, tenantID string, r *Report, errs *[]error) error {
	keys, err := s.disk.Keys(tenantID)
	if err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	version, dek, err := s.keys.lookupCurrent(ctx, tenantID) // not cached: see another process's rotation
	if err != nil {
		return err
	}
	for _, key := range keys {
		if err := ctx.Err(); err != nil {
			return err
		}
		r.Files++
		if current, err := s.sealedWith(key, version); err != nil || current {
			if err != nil && !errors.Is(err, derrors.NotFound) {
				r.Failed++
				*errs = append(*errs, err)
			}
			continue
		}
		plain := false
		done, err := s.disk.Rewrite(key, func(old []byte) ([]byte, error) {
			if h, err := parseHeader(old); err == nil && int(h.dekVersion) == version {
				return nil, nil
			}
			data, legacy, err := s.decrypt(ctx, key, old)
			if err != nil {
				return nil, err
			}
			plain = legacy
			return seal(dek, uint32(version), key, data)
		})
		switch {
		case errors.Is(err, derrors.NotFound): // removed meanwhile
		case err != nil:
			r.Failed++
			*errs = append(*errs, err)
		case done:
			r.Rewritten++
			if plain {
				r.Plaintext++
			}
		}
	}
	return nil
}

// sealedWith reports whether the file under key is sealed with the given
// data key version, from its header alone.
func (s *Store) sealedWith(key string, version int) (bool, error) {
	b, err := s.disk.ReadPrefix(key, headerSize)
	if err != nil {
		return false, err
	}
	h, err := parseHeader(b)
	return err == nil && int(h.dekVersion) == version, nil
}

// Census counts a tenant's files by the data key version that sealed them;
// version 0 counts files in plain text (or without a readable header).
func (s *Store) Census(ctx context.Context, tenantID string) (map[int]int, error) {
	keys, err := s.disk.Keys(tenantID)
	if err != nil {
		return nil, err
	}
	out := map[int]int{}
	for _, key := range keys {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		b, err := s.disk.ReadPrefix(key, headerSize)
		if errors.Is(err, derrors.NotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		h, _ := parseHeader(b)
		out[int(h.dekVersion)]++
	}
	return out, nil
}

// Retire erases a version of the tenant's data key, once no file uses it:
// it refuses (derrors.Conflict) the current version, a version replaced
// less than Keys.RetireGrace ago, and one that files still use (run
// Reencrypt first). Files sealed with a retired version no longer open, so
// the erasure also shreds copies of them (backups of the files folder).
// Retiring a retired version does nothing.
func (s *Store) Retire(ctx context.Context, tenantID string, version int) error {
	ok, err := s.keys.checkRetirable(ctx, tenantID, version)
	if err != nil || !ok {
		return err
	}
	census, err := s.Census(ctx, tenantID)
	if err != nil {
		return err
	}
	if n := census[version]; n > 0 {
		return fmt.Errorf("%w: %d files of tenant %s are sealed with data key version %d: re-encrypt them first", derrors.Conflict, n, tenantID, version)
	}
	return s.keys.retire(ctx, tenantID, version)
}
