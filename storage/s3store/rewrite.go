package s3store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/storage/files"
	"github.com/minio/minio-go/v7"
)

var (
	tenantPattern = regexp.MustCompile(`^[0-9a-f-]{36}$`)
	sumPattern    = regexp.MustCompile(`^[0-9a-f]{64}$`)
)

// probePrefix holds New's probe objects, outside any tenant's prefix.
const probePrefix = ".docflow-probe/"

// Tenants returns the tenants that have files, sorted.
func (s *Store) Tenants() ([]string, error) {
	ctx, cancel := s.context()
	defer cancel()
	var out []string
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{}) {
		if obj.Err != nil {
			return nil, fmt.Errorf("s3store: listing %s: %w", s.bucket, obj.Err)
		}
		if t := strings.TrimSuffix(obj.Key, "/"); t != obj.Key && tenantPattern.MatchString(t) {
			out = append(out, t)
		}
	}
	sort.Strings(out)
	return out, nil
}

// Keys returns the keys of a tenant's files, sorted.
func (s *Store) Keys(tenantID string) ([]string, error) {
	if !tenantPattern.MatchString(tenantID) {
		return nil, fmt.Errorf("%w: malformed tenant id %q", derrors.InvalidArgument, tenantID)
	}
	ctx, cancel := s.context()
	defer cancel()
	var out []string
	opts := minio.ListObjectsOptions{Prefix: tenantID + "/", Recursive: true}
	for obj := range s.client.ListObjects(ctx, s.bucket, opts) {
		if obj.Err != nil {
			return nil, fmt.Errorf("s3store: listing %s/%s: %w", s.bucket, opts.Prefix, obj.Err)
		}
		if sumPattern.MatchString(strings.TrimPrefix(obj.Key, opts.Prefix)) {
			out = append(out, obj.Key)
		}
	}
	sort.Strings(out)
	return out, nil
}

// ReadPrefix returns the first n bytes of the object under key (fewer when
// it is shorter), with a ranged GET.
func (s *Store) ReadPrefix(key string, n int) ([]byte, error) {
	if _, _, err := files.SplitKey(key); err != nil {
		return nil, err
	}
	ctx, cancel := s.context()
	defer cancel()
	if n <= 0 {
		ok, err := s.exists(ctx, key)
		if err == nil && !ok {
			err = fmt.Errorf("file %q: %w", key, derrors.NotFound)
		}
		return []byte{}, err
	}
	opts := minio.GetObjectOptions{}
	if err := opts.SetRange(0, int64(n)-1); err != nil {
		return nil, err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, opts)
	if err != nil {
		return nil, s.wrap(key, err)
	}
	defer obj.Close()
	b, err := io.ReadAll(io.LimitReader(obj, int64(n)))
	if minio.ToErrorResponse(err).Code == minio.InvalidRange { // an empty object
		return []byte{}, nil
	}
	return b, s.wrap(key, err)
}

// Rewrite replaces the object under key with fn of its bytes. When fn
// returns nil bytes and no error the object is left as it is. The object
// is replaced only if it is still the one that was read (If-Match on its
// ETag): were it removed or replaced meanwhile (a purge, another rewrite),
// Rewrite leaves it and reports false. On an endpoint without conditional
// writes the ETag is checked just before the PUT instead (see the package
// documentation for the window this leaves).
func (s *Store) Rewrite(key string, fn func(old []byte) ([]byte, error)) (bool, error) {
	ctx, cancel := s.context()
	defer cancel()
	old, etag, err := s.get(ctx, key)
	if err != nil {
		return false, err
	}
	data, err := fn(old)
	if err != nil || data == nil {
		return false, err
	}
	if !s.conditional {
		info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
		if err != nil || info.ETag != etag {
			return false, nil
		}
	}
	opts := putOptions()
	if s.conditional {
		opts.SetMatchETag(strings.Trim(etag, `"`))
	}
	err = s.put(ctx, key, data, opts)
	if errors.Is(err, errPrecondition) || errors.Is(err, derrors.NotFound) {
		return false, nil
	}
	return err == nil, err
}

// probeConditional writes a probe object, then again with If-None-Match:
// *, and removes it: the endpoint honours conditional writes if it refuses
// the second write. The first proves that the bucket takes writes; any
// refusal of the second other than 412 (501 Not Implemented) means the
// endpoint does not honour them.
func (s *Store) probeConditional(ctx context.Context) (bool, error) {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	key := probePrefix + hex.EncodeToString(b)
	defer s.client.RemoveObject(context.WithoutCancel(ctx), s.bucket, key, minio.RemoveObjectOptions{})
	if err := s.put(ctx, key, []byte("probe"), putOptions()); err != nil {
		return false, err
	}
	opts := putOptions()
	opts.SetMatchETagExcept("*")
	err := s.put(ctx, key, []byte("probe"), opts)
	return errors.Is(err, errPrecondition), nil
}
