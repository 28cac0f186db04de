package s3store_test

import (
	"bytes"
	"context"
	"errors"
	"testing"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/storage/filecrypt"
	"github.com/docflow/docflow/storage/files"
	"github.com/docflow/docflow/storage/s3store/s3test"
)

const (
	tenant = "4f877a52-ca95-45fe-b9a2-a2984c8d968b"
	other  = "0c3a1d52-0000-45fe-b9a2-a2984c8d968b"
)

// raw is what the suite needs of a store: what filecrypt writes on, plus
// Put, which the disk and the bucket serve unencrypted too.
type raw interface {
	filecrypt.Raw
	Put(ctx context.Context, tenantID string, data []byte) (string, error)
}

// stores are the stores every behavioural test runs against.
var stores = []struct {
	name string
	open func(t *testing.T) raw
}{
	{"disk", func(t *testing.T) raw {
		d, err := files.NewDisk(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return d
	}},
	{"s3", func(t *testing.T) raw { return s3test.Start(t).Open(t) }},
	{"s3 without conditional writes", func(t *testing.T) raw { return s3test.StartWithoutConditions(t).Open(t) }},
}

// forEachStore runs test against each store, in parallel.
func forEachStore(t *testing.T, test func(t *testing.T, st raw)) {
	t.Helper()
	for _, s := range stores {
		t.Run(s.name, func(t *testing.T) {
			t.Parallel()
			test(t, s.open(t))
		})
	}
}

func TestPutGetDelete(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st raw) {
		ctx := context.Background()
		key, err := st.Put(ctx, tenant, []byte("contrat"))
		if err != nil || key != files.KeyOf(tenant, []byte("contrat")) {
			t.Fatalf("Put = %q, %v", key, err)
		}
		again, err := st.Put(ctx, tenant, []byte("contrat"))
		if err != nil || again != key {
			t.Fatalf("second Put = %q, %v; want the same key %q", again, err, key)
		}
		if got, err := st.Get(ctx, key); err != nil || string(got) != "contrat" {
			t.Fatalf("Get = %q, %v", got, err)
		}
		if k, _ := st.Put(ctx, other, []byte("contrat")); k == key {
			t.Error("two tenants share a key")
		}
		missing := tenant + "/" + string(bytes.Repeat([]byte("0"), 64))
		if _, err := st.Get(ctx, missing); !errors.Is(err, derrors.NotFound) {
			t.Errorf("missing file: %v, want NotFound", err)
		}
		for _, bad := range []string{"../../etc/passwd", tenant + "/../x", "", tenant + "/ZZ", "/" + tenant} {
			if _, err := st.Get(ctx, bad); !errors.Is(err, derrors.InvalidArgument) {
				t.Errorf("Get(%q) = %v, want InvalidArgument", bad, err)
			}
			if err := st.Delete(ctx, bad); !errors.Is(err, derrors.InvalidArgument) {
				t.Errorf("Delete(%q) = %v, want InvalidArgument", bad, err)
			}
		}
		if _, err := st.Put(ctx, "../x", []byte("contrat")); !errors.Is(err, derrors.InvalidArgument) {
			t.Errorf("Put for a malformed tenant: %v, want InvalidArgument", err)
		}
		for range 2 { // deleting twice is no error (a purge run again)
			if err := st.Delete(ctx, key); err != nil {
				t.Fatalf("Delete: %v", err)
			}
		}
		if _, err := st.Get(ctx, key); !errors.Is(err, derrors.NotFound) {
			t.Errorf("Get after Delete: %v, want NotFound", err)
		}
		if ok, err := st.Exists(key); ok || err != nil {
			t.Errorf("Exists after Delete = %v, %v", ok, err)
		}
	})
}

func TestWriteListAndReadPrefix(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st raw) {
		ctx := context.Background()
		k1, _ := st.Put(ctx, tenant, []byte("un"))
		k2 := files.KeyOf(tenant, []byte("deux"))
		if err := st.Write(k2, []byte("stored as something else")); err != nil {
			t.Fatal(err)
		}
		if got, _ := st.Get(ctx, k2); string(got) != "stored as something else" {
			t.Errorf("Get after Write = %q", got)
		}
		if ok, err := st.Exists(k2); !ok || err != nil {
			t.Errorf("Exists = %v, %v", ok, err)
		}
		keys, err := st.Keys(tenant)
		want := []string{k1, k2}
		if k1 > k2 {
			want = []string{k2, k1}
		}
		if err != nil || len(keys) != 2 || keys[0] != want[0] || keys[1] != want[1] {
			t.Fatalf("Keys = %v, %v; want %v", keys, err, want)
		}
		k3, _ := st.Put(ctx, other, []byte("trois"))
		if ts, err := st.Tenants(); err != nil || len(ts) != 2 || ts[0] != other || ts[1] != tenant {
			t.Errorf("Tenants = %v, %v; want [%s %s]", ts, err, other, tenant)
		}
		for n, want := range map[int]string{6: "stored", 100: "stored as something else", 0: ""} {
			if p, err := st.ReadPrefix(k2, n); err != nil || string(p) != want {
				t.Errorf("ReadPrefix(%d) = %q, %v; want %q", n, p, err, want)
			}
		}
		if err := st.Write(k3, []byte{}); err != nil {
			t.Fatal(err)
		}
		if p, err := st.ReadPrefix(k3, 8); err != nil || len(p) != 0 {
			t.Errorf("ReadPrefix of an empty file = %q, %v", p, err)
		}
		if _, err := st.ReadPrefix(files.KeyOf(tenant, nil), 8); !errors.Is(err, derrors.NotFound) {
			t.Errorf("ReadPrefix of a missing file: %v, want NotFound", err)
		}
		if _, err := st.Keys("../x"); !errors.Is(err, derrors.InvalidArgument) {
			t.Errorf("Keys of a malformed tenant: %v", err)
		}
		if keys, err := st.Keys("0c3a1d52-1111-45fe-b9a2-a2984c8d968b"); err != nil || len(keys) != 0 {
			t.Errorf("Keys of a tenant without files = %v, %v", keys, err)
		}
	})
}

func TestRewrite(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st raw) {
		ctx := context.Background()
		k1, _ := st.Put(ctx, tenant, []byte("un"))
		k2, _ := st.Put(ctx, tenant, []byte("deux"))
		done, err := st.Rewrite(k1, func(old []byte) ([]byte, error) { return append(old, '!'), nil })
		if got, _ := st.Get(ctx, k1); !done || err != nil || string(got) != "un!" {
			t.Errorf("Rewrite = %v, %v; file %q", done, err, got)
		}
		if done, _ := st.Rewrite(k1, func([]byte) ([]byte, error) { return nil, nil }); done {
			t.Error("Rewrite with nothing to write reported a change")
		}
		failure := errors.New("does not open")
		if done, err := st.Rewrite(k1, func([]byte) ([]byte, error) { return []byte("x"), failure }); done || !errors.Is(err, failure) {
			t.Errorf("Rewrite whose fn fails = %v, %v", done, err)
		}
		// A file replaced while it is rewritten is left as the other writer left it.
		done, err = st.Rewrite(k1, func(old []byte) ([]byte, error) {
			if err := st.Write(k1, []byte("replaced")); err != nil {
				t.Fatal(err)
			}
			return []byte("stale"), nil
		})
		if got, _ := st.Get(ctx, k1); done || err != nil || string(got) != "replaced" {
			t.Errorf("Rewrite of a replaced file = %v, %v; file %q", done, err, got)
		}
		// A file removed while it is rewritten stays removed.
		done, err = st.Rewrite(k2, func(old []byte) ([]byte, error) { return bytes.ToUpper(old), st.Delete(ctx, k2) })
		if ok, _ := st.Exists(k2); done || ok {
			t.Errorf("Rewrite of a removed file = %v, %v; exists %v", done, err, ok)
		}
		done, err = st.Rewrite(k2, func(old []byte) ([]byte, error) { return nil, nil })
		if !errors.Is(err, derrors.NotFound) || done {
			t.Errorf("Rewrite of a missing file = %v, %v; want NotFound", done, err)
		}
	})
}

// TestLargeFile stores a file past S3 clients' multipart threshold (16
// MiB): it goes in one PUT, so conditions and atomicity hold for it too.
func TestLargeFile(t *testing.T) {
	t.Parallel()
	forEachStore(t, func(t *testing.T, st raw) {
		ctx := context.Background()
		data := bytes.Repeat([]byte("0123456789abcdef"), 17<<20/16)
		key, err := st.Put(ctx, tenant, data)
		if err != nil {
			t.Fatal(err)
		}
		done, err := st.Rewrite(key, func(old []byte) ([]byte, error) { return append(old, '!'), nil })
		got, _ := st.Get(ctx, key)
		if !done || err != nil || len(got) != len(data)+1 || !bytes.Equal(got[:len(data)], data) {
			t.Errorf("Rewrite of a large file = %v, %v; %d bytes", done, err, len(got))
		}
	})
}

// TestPingWritesAProbe: readiness writes and removes a probe object, so a
// bucket that exists but takes no file (a policy, a quota) is not ready,
// and nothing is left behind.
func TestPingWritesAProbe(t *testing.T) {
	t.Parallel()
	srv := s3test.Start(t)
	st := srv.Open(t)
	before := len(srv.Keys(t))
	if err := st.Ping(context.Background()); err != nil {
		t.Fatalf("Ping on a writable bucket: %v", err)
	}
	if keys := srv.Keys(t); len(keys) != before {
		t.Errorf("Ping left objects behind: %v", keys)
	}
	srv.SetReadOnly(true)
	if err := st.Ping(context.Background()); err == nil {
		t.Error("Ping on a bucket that refuses writes: ready")
	}
	srv.SetReadOnly(false)
	if err := st.Ping(context.Background()); err != nil {
		t.Errorf("Ping once writable again: %v", err)
	}
}
