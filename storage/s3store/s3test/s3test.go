// Package s3test runs a real S3 API server (gofakes3, in memory) for the
// tests of storage/s3store and of what is wired on it.
package s3test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/docflow/docflow/storage/s3store"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Bucket is the bucket Start makes.
const Bucket = "docflow-test"

// Server is an S3 endpoint serving one bucket, stopped at the test's end.
type Server struct {
	// Config reaches the bucket.
	Config   s3store.Config
	backend  *s3mem.Backend
	readOnly atomic.Bool
}

// SetReadOnly makes the bucket refuse writes (403 AccessDenied), as a
// bucket policy or an exhausted quota would, or take them again.
func (s *Server) SetReadOnly(ro bool) { s.readOnly.Store(ro) }

// Start serves an empty bucket on a loopback port for the test.
func Start(t testing.TB) *Server {
	t.Helper()
	return start(t, false)
}

// StartWithoutConditions is Start for an endpoint that ignores
// conditional writes (If-Match, If-None-Match), as some S3-compatible
// stores do: the headers are dropped before the server sees them.
func StartWithoutConditions(t testing.TB) *Server {
	t.Helper()
	return start(t, true)
}

func start(t testing.TB, dropConditions bool) *Server {
	t.Helper()
	backend := s3mem.New()
	if err := backend.CreateBucket(Bucket); err != nil {
		t.Fatal(err)
	}
	handler := gofakes3.New(backend).Server()
	if dropConditions {
		next := handler
		handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut {
				r.Header.Del("If-Match")
				r.Header.Del("If-None-Match")
			}
			next.ServeHTTP(w, r)
		})
	}
	s := &Server{backend: backend}
	inner := handler
	handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.readOnly.Load() && r.Method == http.MethodPut {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		inner.ServeHTTP(w, r)
	})
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	s.Config = s3store.Config{Endpoint: srv.Listener.Addr().String(),
		Bucket: Bucket, AccessKey: "test", SecretKey: "test-secret", Region: "us-east-1"}
	return s
}

// Open returns a store on the server's bucket.
func (s *Server) Open(t testing.TB) *s3store.Store {
	t.Helper()
	st, err := s3store.New(context.Background(), s.Config)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Keys returns the keys of every object in the bucket, read on the
// server's side.
func (s *Server) Keys(t testing.TB) []string {
	t.Helper()
	res, err := s.backend.ListBucket(Bucket, &gofakes3.Prefix{}, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, c := range res.Contents {
		out = append(out, c.Key)
	}
	return out
}

// Object returns the bytes stored under key, read on the server's side
// (not through the S3 API), or nil when there are none.
func (s *Server) Object(t testing.TB, key string) []byte {
	t.Helper()
	obj, err := s.backend.GetObject(Bucket, key, nil)
	if err != nil {
		return nil
	}
	defer obj.Contents.Close()
	b, err := io.ReadAll(obj.Contents)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
