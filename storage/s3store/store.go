// Package s3store keeps documents' bytes in a bucket of any S3-compatible
// object store (AWS S3, MinIO, Ceph RGW, Garage...), with the keys, the
// meaning and the rewrite helpers of storage/files' Disk, so that
// storage/filecrypt seals files on either (filecrypt.Raw). Objects are
// named "<tenant>/<sha256>" in the bucket, as files are on disk.
//
// Writes are single PUTs (no multipart upload), so an object is whole or
// absent. Put asks for If-None-Match: * and Rewrite for If-Match: <ETag>
// (conditional writes: AWS S3 since 2024, MinIO, Ceph RGW); New probes
// whether the endpoint honours them. Where it does not, Rewrite checks the
// ETag just before writing instead, which leaves a short window in which
// a concurrent delete (a purge) can be undone by a re-encryption: run
// `docflow keys reencrypt` outside the retention purge there.
package s3store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/storage/files"
	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

// DefaultTimeout bounds one call to the endpoint made by a method that
// takes no context (the rewrite helpers, Exists, Write).
const DefaultTimeout = time.Minute

// Config locates the bucket.
type Config struct {
	// Endpoint is host[:port] of the S3 API, e.g. s3.eu-west-3.amazonaws.com
	// or minio.storage.svc:9000.
	Endpoint string
	// Bucket holds the files; it must exist.
	Bucket string
	// AccessKey and SecretKey sign the requests; when both are empty the
	// credentials come from the environment (AWS_ACCESS_KEY_ID...,
	// MINIO_ACCESS_KEY...) or the instance's IAM role.
	AccessKey, SecretKey string
	// Region of the bucket; empty lets the client ask the endpoint.
	Region string
	// TLS speaks HTTPS to the endpoint.
	TLS bool
	// Transport, when set, carries the requests (tests, custom CAs).
	Transport http.RoundTripper
	// Timeout bounds each call made without a context (DefaultTimeout).
	Timeout time.Duration
}

// Store is a content-addressed store in one bucket.
type Store struct {
	client      *minio.Client
	bucket      string
	timeout     time.Duration
	conditional bool // the endpoint honours If-Match and If-None-Match on PUT
}

// New connects to the endpoint, checks that the bucket exists and probes
// whether the endpoint honours conditional writes.
func New(ctx context.Context, cfg Config) (*Store, error) {
	creds := credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, "")
	if cfg.AccessKey == "" && cfg.SecretKey == "" {
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.EnvMinio{}, &credentials.IAM{}})
	}
	client, err := minio.New(cfg.Endpoint, &minio.Options{Creds: creds, Secure: cfg.TLS,
		Region: cfg.Region, Transport: cfg.Transport})
	if err != nil {
		return nil, fmt.Errorf("s3store: endpoint %q: %w", cfg.Endpoint, err)
	}
	s := &Store{client: client, bucket: cfg.Bucket, timeout: cfg.Timeout}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	ok, err := client.BucketExists(ctx, cfg.Bucket)
	if err != nil {
		return nil, fmt.Errorf("s3store: bucket %q at %s: %w", cfg.Bucket, cfg.Endpoint, err)
	}
	if !ok {
		return nil, fmt.Errorf("s3store: bucket %q does not exist at %s: create it first", cfg.Bucket, cfg.Endpoint)
	}
	if s.conditional, err = s.probeConditional(ctx); err != nil {
		return nil, fmt.Errorf("s3store: bucket %q is not writable: %w", cfg.Bucket, err)
	}
	return s, nil
}

// Conditional reports whether the endpoint honours conditional writes
// (If-Match, If-None-Match on PUT), as probed by New.
func (s *Store) Conditional() bool { return s.conditional }

// Put stores data for a tenant and returns its key, "<tenant>/<sha256>".
// Storing the same bytes again is a no-op.
func (s *Store) Put(ctx context.Context, tenantID string, data []byte) (string, error) {
	key := files.KeyOf(tenantID, data)
	if _, _, err := files.SplitKey(key); err != nil {
		return "", err
	}
	ok, err := s.exists(ctx, key)
	if err != nil || ok {
		return key, err
	}
	opts := putOptions()
	if s.conditional {
		opts.SetMatchETagExcept("*") // If-None-Match: *: another writer's copy stays
	}
	if err := s.put(ctx, key, data, opts); err != nil && !errors.Is(err, errPrecondition) {
		return "", err
	}
	return key, nil
}

// Exists reports whether an object is stored under key.
func (s *Store) Exists(key string) (bool, error) {
	ctx, cancel := s.context()
	defer cancel()
	return s.exists(ctx, key)
}

func (s *Store) exists(ctx context.Context, key string) (bool, error) {
	if _, _, err := files.SplitKey(key); err != nil {
		return false, err
	}
	_, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err = s.wrap(key, err); errors.Is(err, derrors.NotFound) {
		return false, nil
	}
	return err == nil, err
}

// Write stores data under key, replacing any object there; a PUT is
// atomic, so readers see the old bytes or the new ones.
func (s *Store) Write(key string, data []byte) error {
	if _, _, err := files.SplitKey(key); err != nil {
		return err
	}
	ctx, cancel := s.context()
	defer cancel()
	return s.put(ctx, key, data, putOptions())
}

// Get returns the bytes stored under key; a missing object is
// derrors.NotFound.
func (s *Store) Get(ctx context.Context, key string) ([]byte, error) {
	data, _, err := s.get(ctx, key)
	return data, err
}

// Delete removes the object under key; one already gone is not an error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if _, _, err := files.SplitKey(key); err != nil {
		return err
	}
	err := s.wrap(key, s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{}))
	if errors.Is(err, derrors.NotFound) {
		return nil
	}
	return err
}

// get returns the object's bytes and its ETag.
func (s *Store) get(ctx context.Context, key string) ([]byte, string, error) {
	if _, _, err := files.SplitKey(key); err != nil {
		return nil, "", err
	}
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, "", s.wrap(key, err)
	}
	defer obj.Close()
	data, err := io.ReadAll(obj)
	if err != nil {
		return nil, "", s.wrap(key, err)
	}
	info, err := obj.Stat()
	if err != nil {
		return nil, "", s.wrap(key, err)
	}
	return data, info.ETag, nil
}

// put writes data under key in one PUT with opts.
func (s *Store) put(ctx context.Context, key string, data []byte, opts minio.PutObjectOptions) error {
	// minio-go sends an empty body with a streaming signature as chunked
	// without a chunk, which servers refuse: sign it whole instead.
	opts.DisableContentSha256 = len(data) == 0
	_, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)), opts)
	return s.wrap(key, err)
}

// putOptions are the options of every write: one PUT, never a multipart
// upload, so that an object is whole or absent and conditions apply.
func putOptions() minio.PutObjectOptions {
	return minio.PutObjectOptions{ContentType: "application/octet-stream", DisableMultipart: true}
}

// context bounds a call made by a method without a context.
func (s *Store) context() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.timeout)
}

// Ping reports whether the bucket takes a file (readiness): a probe
// object is written and removed, so that a bucket that exists but has
// become read-only (a policy, a quota) is not ready.
func (s *Store) Ping(ctx context.Context) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("s3store: bucket %q does not exist", s.bucket)
	}
	key := probePrefix + "ready-" + uuid.NewString()
	if err := s.put(ctx, key, []byte("probe"), putOptions()); err != nil {
		return fmt.Errorf("s3store: bucket %q takes no file: %w", s.bucket, err)
	}
	return s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{})
}
