package s3store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"strings"
	"testing"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/filecrypt"
	"github.com/docflow/docflow/storage/files"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/docflow/docflow/storage/s3store/s3test"
)

// marker stands for a worker's personal data inside a document.
const marker = "Élodie Lefèvre, taux horaire 13,45 EUR, NIR 2 94 03 75 120 005 22"

func document(n int) []byte {
	b := bytes.Repeat([]byte("lorem ipsum "), n/12+1)[:n]
	copy(b, marker)
	copy(b[n-len(marker):], marker)
	return b
}

// TestFilecryptOnS3 runs filecrypt's key properties with the bucket as
// the raw store: what the bucket holds is sealed, tampering is refused,
// and a tenant key rotation re-encrypts, through conditional rewrites,
// every object, after which the old version is retired and shreds copies.
func TestFilecryptOnS3(t *testing.T) {
	t.Parallel()
	for name, start := range map[string]func(testing.TB) *s3test.Server{
		"conditional writes": s3test.Start, "without conditional writes": s3test.StartWithoutConditions,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			testFilecryptOnS3(t, start(t))
		})
	}
}

func testFilecryptOnS3(t *testing.T, srv *s3test.Server) {
	ctx := context.Background()
	pool := dbtest.Postgres(t)
	pg := postgres.New(pool, nil)
	var tenants [2]string
	for i := range tenants {
		tn, err := pg.CreateTenant(ctx, "Agence")
		if err != nil {
			t.Fatal(err)
		}
		tenants[i] = tn.ID
	}
	master := make([]byte, keyring.KeySize)
	_, _ = rand.Read(master)
	ring, err := keyring.New(master)
	if err != nil {
		t.Fatal(err)
	}
	bucket := srv.Open(t)
	open := func() (*filecrypt.Keys, *filecrypt.Store) {
		keys := filecrypt.NewKeys(postgres.NewDataKeys(pool), ring)
		keys.RetireGrace = 0
		return keys, filecrypt.New(bucket, keys)
	}
	keys, store := open()
	mustGet := func(key string, want []byte) {
		t.Helper()
		if got, err := store.Get(ctx, key); err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Get(%s) = %d bytes, %v; want the %d bytes stored", key, len(got), err, len(want))
		}
	}

	// Sealed at rest, named by the plain bytes, stored once.
	var docs [][]byte
	var stored []string
	for _, n := range []int{len(marker) * 2, 4096, 200 << 10} {
		doc := document(n)
		key, err := store.Put(ctx, tenants[0], doc)
		if err != nil || key != files.KeyOf(tenants[0], doc) {
			t.Fatalf("Put = %q, %v", key, err)
		}
		at := srv.Object(t, key)
		if bytes.Contains(at, []byte(marker)) || bytes.Contains(at, []byte("lorem")) || !bytes.HasPrefix(at, []byte("\x89DFE")) {
			t.Fatalf("%d-byte document: the object in the bucket is not sealed", n)
		}
		if again, _ := store.Put(ctx, tenants[0], doc); again != key || !bytes.Equal(srv.Object(t, key), at) {
			t.Error("storing the same bytes again rewrote the object")
		}
		mustGet(key, doc)
		docs, stored = append(docs, doc), append(stored, key)
	}

	// Tampered objects do not open.
	sealed := srv.Object(t, stored[0])
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)/2] ^= 0x80
	for what, c := range map[string]struct {
		key string
		raw []byte
	}{
		"a flipped byte":           {stored[0], flipped},
		"copied to another tenant": {files.KeyOf(tenants[1], docs[0]), sealed},
		"other plain bytes":        {stored[0], []byte("a forged contract")},
	} {
		if err := bucket.Write(c.key, c.raw); err != nil {
			t.Fatal(err)
		}
		if _, err := store.Get(ctx, c.key); !errors.Is(err, filecrypt.ErrUnreadable) {
			t.Errorf("%s: Get = %v, want ErrUnreadable", what, err)
		}
	}
	if err := bucket.Write(stored[0], sealed); err != nil {
		t.Fatal(err)
	}
	// A plain object stored before encryption reads, and is sealed by Reencrypt.
	legacy := document(900)
	legacyKey := files.KeyOf(tenants[0], legacy)
	if err := bucket.Write(legacyKey, legacy); err != nil {
		t.Fatal(err)
	}
	mustGet(legacyKey, legacy)
	docs, stored = append(docs, legacy), append(stored, legacyKey)

	// Rotation, re-encryption through conditional rewrites, retirement.
	backup := srv.Object(t, stored[1])
	if _, err := keys.RotateTenant(ctx, tenants[0]); err != nil {
		t.Fatal(err)
	}
	r, err := store.Reencrypt(ctx, tenants[0])
	if err != nil || r.Files != 4 || r.Rewritten != 4 || r.Plaintext != 1 {
		t.Fatalf("re-encryption = %+v, %v; want 4 of 4 files rewritten, 1 from plain text", r, err)
	}
	if c, err := store.Census(ctx, tenants[0]); err != nil || c[2] != 4 || len(c) != 1 {
		t.Fatalf("census after re-encryption = %v, %v; want 4 files on version 2", c, err)
	}
	if bytes.Contains(srv.Object(t, legacyKey), []byte(marker)) {
		t.Error("the plain object is still plain after re-encryption")
	}
	if err := store.Retire(ctx, tenants[0], 1); err != nil {
		t.Fatalf("retiring version 1: %v", err)
	}
	_, store = open() // a restarted process, nothing cached
	for i, key := range stored {
		mustGet(key, docs[i])
	}
	if err := bucket.Write(stored[1], backup); err != nil {
		t.Fatal(err)
	}
	if _, err := store.Get(ctx, stored[1]); !errors.Is(err, filecrypt.ErrUnreadable) || !strings.Contains(err.Error(), "retired") {
		t.Errorf("a copy sealed with a retired version: %v, want ErrUnreadable", err)
	}

	// A purge removes the object.
	if err := store.Delete(ctx, stored[0]); err != nil {
		t.Fatal(err)
	}
	if srv.Object(t, stored[0]) != nil {
		t.Error("the purged object is still in the bucket")
	}
	if _, err := store.Get(ctx, stored[0]); !errors.Is(err, derrors.NotFound) {
		t.Errorf("purged file: %v, want NotFound", err)
	}
}

func TestConditionalWritesAreProbed(t *testing.T) {
	t.Parallel()
	if !s3test.Start(t).Open(t).Conditional() {
		t.Error("an endpoint with conditional writes was probed without")
	}
	if s3test.StartWithoutConditions(t).Open(t).Conditional() {
		t.Error("an endpoint ignoring conditional writes was probed with")
	}
}
