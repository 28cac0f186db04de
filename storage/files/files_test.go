package files

import (
	"context"
	"errors"
	"testing"

	"github.com/docflow/docflow/derrors"
)

func TestPutGet(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d, err := NewDisk(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const tenant = "4f877a52-ca95-45fe-b9a2-a2984c8d968b"
	key, err := d.Put(ctx, tenant, []byte("contrat"))
	if err != nil {
		t.Fatal(err)
	}
	again, err := d.Put(ctx, tenant, []byte("contrat"))
	if err != nil || again != key {
		t.Fatalf("second Put = %q, %v; want the same key %q", again, err, key)
	}
	got, err := d.Get(ctx, key)
	if err != nil || string(got) != "contrat" {
		t.Fatalf("Get = %q, %v", got, err)
	}
	other, _ := d.Put(ctx, "0c3a1d52-0000-45fe-b9a2-a2984c8d968b", []byte("contrat"))
	if other == key {
		t.Error("two tenants share a key")
	}
	if _, err := d.Get(ctx, tenant+"/"+"0000000000000000000000000000000000000000000000000000000000000000"); !errors.Is(err, derrors.NotFound) {
		t.Errorf("missing file: %v, want NotFound", err)
	}
	for _, bad := range []string{"../../etc/passwd", tenant + "/../x", "", tenant + "/ZZ"} {
		if _, err := d.Get(ctx, bad); !errors.Is(err, derrors.InvalidArgument) {
			t.Errorf("Get(%q) = %v, want InvalidArgument", bad, err)
		}
	}
}
