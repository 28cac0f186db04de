package files

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/docflow/docflow/derrors"
)

func TestWriteListAndRewrite(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const tenant = "4f877a52-ca95-45fe-b9a2-a2984c8d968b"
	k1, _ := d.Put(ctx, tenant, []byte("un"))
	k2 := KeyOf(tenant, []byte("deux"))
	if err := d.Write(k2, []byte("stored as something else")); err != nil {
		t.Fatal(err)
	}
	if ok, err := d.Exists(k2); !ok || err != nil {
		t.Errorf("Exists = %v, %v", ok, err)
	}
	keys, err := d.Keys(tenant)
	if err != nil || len(keys) != 2 || (keys[0] != k1 && keys[1] != k1) {
		t.Fatalf("Keys = %v, %v", keys, err)
	}
	if ts, _ := d.Tenants(); len(ts) != 1 || ts[0] != tenant {
		t.Errorf("Tenants = %v", ts)
	}
	if p, _ := d.ReadPrefix(k2, 6); string(p) != "stored" {
		t.Errorf("ReadPrefix = %q", p)
	}
	done, err := d.Rewrite(k1, func(old []byte) ([]byte, error) { return append(old, '!'), nil })
	if got, _ := d.Get(ctx, k1); !done || err != nil || string(got) != "un!" {
		t.Errorf("Rewrite = %v, %v; file %q", done, err, got)
	}
	if done, _ := d.Rewrite(k1, func([]byte) ([]byte, error) { return nil, nil }); done {
		t.Error("Rewrite with nothing to write reported a change")
	}
	// A file replaced while it is rewritten is left as the other writer left it.
	done, err = d.Rewrite(k1, func(old []byte) ([]byte, error) {
		if err := d.Write(k1, []byte("replaced")); err != nil {
			t.Fatal(err)
		}
		return []byte("stale"), nil
	})
	if got, _ := d.Get(ctx, k1); done || err != nil || string(got) != "replaced" {
		t.Errorf("Rewrite of a replaced file = %v, %v; file %q", done, err, got)
	}
	// A file removed while it is rewritten stays removed.
	path, _ := d.path(k2)
	done, err = d.Rewrite(k2, func(old []byte) ([]byte, error) { return bytes.ToUpper(old), os.Remove(path) })
	if ok, _ := d.Exists(k2); done || ok {
		t.Errorf("Rewrite of a removed file = %v, %v; exists %v", done, err, ok)
	}
	if _, err := d.Rewrite(k2, nil); !errors.Is(err, derrors.NotFound) {
		t.Errorf("Rewrite of a missing file: %v, want NotFound", err)
	}
	if _, err := d.Keys("../x"); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("Keys of a malformed tenant: %v", err)
	}
	if keys, err := d.Keys("0c3a1d52-0000-45fe-b9a2-a2984c8d968b"); err != nil || len(keys) != 0 {
		t.Errorf("Keys of a tenant without files = %v, %v", keys, err)
	}
}
