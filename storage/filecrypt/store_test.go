package filecrypt_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/storage/dbtest"
	"github.com/docflow/docflow/storage/filecrypt"
	"github.com/docflow/docflow/storage/files"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

// marker stands for a worker's personal data inside a document.
const marker = "Élodie Lefèvre, taux horaire 13,45 EUR, NIR 2 94 03 75 120 005 22"

// bundle is one test's stores on a fresh database and folder.
type bundle struct {
	pool    *pgxpool.Pool
	dir     string // the files folder
	disk    *files.Disk
	master  []byte
	ring    *keyring.Keyring
	keys    *filecrypt.Keys
	store   *filecrypt.Store
	tenantA string
	tenantB string
}

func setup(t *testing.T) *bundle {
	t.Helper()
	ctx := context.Background()
	b := &bundle{pool: dbtest.Postgres(t), dir: filepath.Join(t.TempDir(), "files"), master: newKey(t)}
	pg := postgres.New(b.pool, nil)
	for _, id := range []*string{&b.tenantA, &b.tenantB} {
		tn, err := pg.CreateTenant(ctx, "Agence")
		if err != nil {
			t.Fatal(err)
		}
		*id = tn.ID
	}
	var err error
	if b.disk, err = files.NewDisk(b.dir); err != nil {
		t.Fatal(err)
	}
	if b.ring, err = keyring.New(b.master); err != nil {
		t.Fatal(err)
	}
	b.keys, b.store = b.open(b.ring)
	return b
}

// open returns keys and a store on the bundle's database and folder with
// another keyring, as a restarted process would have.
func (b *bundle) open(ring *keyring.Keyring) (*filecrypt.Keys, *filecrypt.Store) {
	keys := filecrypt.NewKeys(postgres.NewDataKeys(b.pool), ring)
	return keys, filecrypt.New(b.disk, keys)
}

func newKey(t testing.TB) []byte {
	t.Helper()
	k := make([]byte, keyring.KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

// document is n bytes with the marker at its start, middle and end.
func document(n int) []byte {
	b := bytes.Repeat([]byte("lorem ipsum "), n/12+1)[:n]
	for _, at := range []int{0, n / 2, n - len(marker)} {
		if at >= 0 && at+len(marker) <= n {
			copy(b[at:], marker)
		}
	}
	return b
}

func (b *bundle) put(t *testing.T, tenantID string, data []byte) string {
	t.Helper()
	key, err := b.store.Put(context.Background(), tenantID, data)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// raw returns the bytes on disk under key.
func (b *bundle) raw(t *testing.T, key string) []byte {
	t.Helper()
	tenant, sum, _ := files.SplitKey(key)
	data, err := os.ReadFile(filepath.Join(b.dir, tenant, sum[:2], sum))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func (b *bundle) writeRaw(t *testing.T, key string, data []byte) {
	t.Helper()
	tenant, sum, _ := files.SplitKey(key)
	path := filepath.Join(b.dir, tenant, sum[:2], sum)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func (b *bundle) mustGet(t *testing.T, key string, want []byte) {
	t.Helper()
	got, err := b.store.Get(context.Background(), key)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("Get(%s) = %d bytes, %v; want the %d bytes stored", key, len(got), err, len(want))
	}
}

func TestFilesAndKeysAreNotStoredInPlainText(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	for _, n := range []int{len(marker), 4096, 200 << 10} {
		doc := document(n)
		key := b.put(t, b.tenantA, doc)
		raw := b.raw(t, key)
		if bytes.Contains(raw, []byte(marker)) || bytes.Contains(raw, []byte("lorem")) {
			t.Errorf("%d-byte document: the file on disk shows its text", n)
		}
		if !bytes.HasPrefix(raw, []byte("\x89DFE")) {
			t.Errorf("%d-byte document: no encryption header on disk", n)
		}
		b.mustGet(t, key, doc)
	}
	_, dek, err := b.keys.Current(ctx, b.tenantA)
	if err != nil {
		t.Fatal(err)
	}
	var wrapped string
	if err := b.pool.QueryRow(ctx, "SELECT wrapped FROM tenant_data_keys WHERE tenant_id = $1", b.tenantA).Scan(&wrapped); err != nil {
		t.Fatal(err)
	}
	for _, clear := range []string{string(dek), hex.EncodeToString(dek), base64.StdEncoding.EncodeToString(dek), base64.RawStdEncoding.EncodeToString(dek)} {
		if strings.Contains(wrapped, clear) {
			t.Fatal("the data key is stored in the clear")
		}
	}
	if id, ok := keyring.SealedKeyID(wrapped); !ok || id != b.ring.CurrentKeyID() {
		t.Errorf("stored data key %q is not sealed by the master key", wrapped[:20])
	}
}

func TestRoundTrip(t *testing.T) {
	t.Parallel()
	b := setup(t)
	big := make([]byte, 7<<20+321) // several MiB, not a whole number of segments
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{
		"empty": {}, "one byte": {'x'}, "small": document(1000), "one segment": document(64 << 10), "large": big,
	} {
		t.Run(name, func(t *testing.T) {
			key := b.put(t, b.tenantA, data)
			if want := files.KeyOf(b.tenantA, data); key != want {
				t.Errorf("key = %s, want the plain bytes' hash %s", key, want)
			}
			b.mustGet(t, key, data)
			before := b.raw(t, key)
			if again := b.put(t, b.tenantA, data); again != key || !bytes.Equal(b.raw(t, key), before) {
				t.Error("storing the same bytes again rewrote the file or changed its key")
			}
		})
	}
	if _, err := b.store.Get(context.Background(), files.KeyOf(b.tenantA, []byte("never stored"))); !errors.Is(err, derrors.NotFound) {
		t.Errorf("missing file: %v, want NotFound", err)
	}
	gone := b.put(t, b.tenantA, []byte("purged"))
	if err := b.store.Delete(context.Background(), gone); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.Get(context.Background(), gone); !errors.Is(err, derrors.NotFound) {
		t.Errorf("deleted file: %v, want NotFound", err)
	}
}

func TestTamperedFilesDoNotOpen(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc := document(3*64<<10 + 10)
	key := b.put(t, b.tenantA, doc)
	sealed := b.raw(t, key)
	b.put(t, b.tenantB, document(10)) // tenant B has a data key of its own
	const seg = 64<<10 + 16
	hdr := 32
	swapped := bytes.Clone(sealed)
	copy(swapped[hdr:], sealed[hdr+seg:hdr+2*seg])
	copy(swapped[hdr+seg:], sealed[hdr:hdr+seg])
	flipped := bytes.Clone(sealed)
	flipped[len(flipped)/2] ^= 0x80
	for _, c := range []struct {
		name string
		key  string
		raw  []byte
	}{
		{"a flipped byte", key, flipped},
		{"truncated", key, sealed[:len(sealed)-100]},
		{"truncated to whole segments", key, sealed[:hdr+2*seg]},
		{"segments swapped", key, swapped},
		{"copied to another tenant", files.KeyOf(b.tenantB, doc), sealed},
		{"copied under another name", files.KeyOf(b.tenantA, []byte("autre")), sealed},
		{"replaced by other plain bytes", key, []byte("a forged contract")},
	} {
		t.Run(c.name, func(t *testing.T) {
			b.writeRaw(t, c.key, c.raw)
			got, err := b.store.Get(context.Background(), c.key)
			if !errors.Is(err, filecrypt.ErrUnreadable) || !errors.Is(err, derrors.Permanent) {
				t.Fatalf("Get = %d bytes, %v; want ErrUnreadable", len(got), err)
			}
			if !strings.Contains(err.Error(), c.key) || !strings.Contains(err.Error(), "does not") {
				t.Errorf("error %q does not say which file failed and why", err)
			}
			t.Log(err)
		})
	}
}

func TestTenantKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.keys.RetireGrace = 0
	var docs [][]byte
	var keys []string
	for i := range 5 {
		docs = append(docs, document(1000*(i+1)+i))
		keys = append(keys, b.put(t, b.tenantA, docs[i]))
	}
	other := b.put(t, b.tenantB, document(77))
	backup := b.raw(t, keys[0]) // a copy of a file sealed with version 1
	census := func() map[int]int {
		c, err := b.store.Census(ctx, b.tenantA)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	if c := census(); c[1] != 5 || len(c) != 1 {
		t.Fatalf("census before rotation = %v, want 5 files on version 1", c)
	}
	dk, err := b.keys.RotateTenant(ctx, b.tenantA)
	if err != nil || dk.Version != 2 {
		t.Fatalf("rotation = version %d, %v; want 2", dk.Version, err)
	}
	newDoc := document(5555)
	keys, docs = append(keys, b.put(t, b.tenantA, newDoc)), append(docs, newDoc)
	if c := census(); c[1] != 5 || c[2] != 1 {
		t.Fatalf("census after rotation = %v, want 5 files on version 1 and the new one on 2", c)
	}
	for i, key := range keys {
		b.mustGet(t, key, docs[i])
	}
	if err := b.store.Retire(ctx, b.tenantA, 1); !errors.Is(err, derrors.Conflict) {
		t.Fatalf("retiring version 1 while 5 files use it: %v, want Conflict", err)
	}
	r, err := b.store.Reencrypt(ctx, b.tenantA)
	if err != nil || r.Files != 6 || r.Rewritten != 5 || r.Plaintext != 0 {
		t.Fatalf("re-encryption = %+v, %v; want 5 of 6 files rewritten", r, err)
	}
	if c := census(); c[2] != 6 || len(c) != 1 {
		t.Fatalf("census after re-encryption = %v, want 6 files on version 2", c)
	}
	if r, _ := b.store.Reencrypt(ctx, b.tenantA); r.Rewritten != 0 {
		t.Errorf("a second re-encryption rewrote %d files", r.Rewritten)
	}
	if err := b.store.Retire(ctx, b.tenantA, 2); !errors.Is(err, derrors.Conflict) {
		t.Errorf("retiring the current version: %v, want Conflict", err)
	}
	if err := b.store.Retire(ctx, b.tenantA, 1); err != nil {
		t.Fatalf("retiring version 1: %v", err)
	}
	// A restarted process, with nothing cached, reads every file.
	_, b.store = b.open(b.ring)
	for i, key := range keys {
		b.mustGet(t, key, docs[i])
	}
	b.mustGet(t, other, document(77))
	var erased bool
	if err := b.pool.QueryRow(ctx, "SELECT wrapped IS NULL FROM tenant_data_keys WHERE tenant_id = $1 AND version = 1", b.tenantA).Scan(&erased); err != nil || !erased {
		t.Errorf("retired version 1 still has its key (%v)", err)
	}
	// A copy of a file sealed with the retired version is shredded.
	b.writeRaw(t, keys[0], backup)
	if _, err := b.store.Get(ctx, keys[0]); !errors.Is(err, filecrypt.ErrUnreadable) || !strings.Contains(err.Error(), "retired") {
		t.Errorf("a file sealed with a retired version: %v, want ErrUnreadable saying it was retired", err)
	}
}

func TestRetireWaitsForTheGracePeriod(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	b.put(t, b.tenantA, document(100))
	if _, err := b.keys.RotateTenant(ctx, b.tenantA); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.Reencrypt(ctx, b.tenantA); err != nil {
		t.Fatal(err)
	}
	// Other processes may seal with version 1 for a while after rotation.
	if err := b.store.Retire(ctx, b.tenantA, 1); !errors.Is(err, derrors.Conflict) || !strings.Contains(err.Error(), "replaced") {
		t.Errorf("retiring right after rotation: %v, want Conflict", err)
	}
	if err := b.store.Retire(ctx, b.tenantA, 9); !errors.Is(err, derrors.NotFound) {
		t.Errorf("retiring a missing version: %v, want NotFound", err)
	}
}

func TestMasterKeyRotation(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	docA, docB := document(70000), document(123)
	keyA, keyB := b.put(t, b.tenantA, docA), b.put(t, b.tenantB, docB)
	if _, err := b.keys.RotateTenant(ctx, b.tenantA); err != nil { // tenant A has 2 versions
		t.Fatal(err)
	}
	// Step 1: the new master key is current, the old one still opens.
	next := newKey(t)
	both, err := keyring.New(next, b.master)
	if err != nil {
		t.Fatal(err)
	}
	keys, _ := b.open(both)
	r, err := keys.RewrapAll(ctx)
	if err != nil || r.Keys != 3 || r.Rewrapped != 3 {
		t.Fatalf("re-wrap = %+v, %v; want 3 of 3 keys", r, err)
	}
	if r, _ := keys.RewrapAll(ctx); r.Rewrapped != 0 {
		t.Errorf("a second re-wrap changed %d keys", r.Rewrapped)
	}
	// Step 2: the old master key is gone; a fresh process reads everything.
	only, err := keyring.New(next)
	if err != nil {
		t.Fatal(err)
	}
	_, b.store = b.open(only)
	b.mustGet(t, keyA, docA)
	b.mustGet(t, keyB, docB)
	rows, err := b.pool.Query(ctx, "SELECT wrapped FROM tenant_data_keys")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			t.Fatal(err)
		}
		if id, _ := keyring.SealedKeyID(w); id != keyring.KeyID(next) {
			t.Errorf("a data key is still wrapped by master key %s", id)
		}
	}
	// The old master key alone no longer opens the data keys.
	old, _ := keyring.New(b.master)
	_, stale := b.open(old)
	if _, err := stale.Get(ctx, keyB); err == nil || errors.Is(err, filecrypt.ErrUnreadable) {
		t.Errorf("Get with the old master key alone: %v, want a (retryable) key error", err)
	}
}

func TestPlainFilesFromBeforeEncryption(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	doc := document(90000)
	key, err := b.disk.Put(ctx, b.tenantA, doc) // as the store did before
	if err != nil {
		t.Fatal(err)
	}
	// A plain file that starts like an encrypted one still reads.
	odd := append([]byte("\x89DFE\x01"), document(50)...)
	oddKey, _ := b.disk.Put(ctx, b.tenantA, odd)
	b.mustGet(t, key, doc)
	b.mustGet(t, oddKey, odd)
	if again := b.put(t, b.tenantA, doc); again != key {
		t.Errorf("storing a legacy file's bytes again gave key %s, want %s", again, key)
	}
	r, err := b.store.Reencrypt(ctx, "") // every tenant
	if err != nil || r.Rewritten != 2 || r.Plaintext != 2 {
		t.Fatalf("re-encryption = %+v, %v; want 2 plain files sealed", r, err)
	}
	if bytes.Contains(b.raw(t, key), []byte(marker)) {
		t.Error("the legacy file is still in plain text after re-encryption")
	}
	b.mustGet(t, key, doc)
	b.mustGet(t, oddKey, odd)
}

func TestConcurrentFirstPutsMakeOneKey(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	var wg sync.WaitGroup
	keys := make([]string, 8)
	for i := range keys {
		wg.Go(func() {
			// Separate Keys, as separate processes would have.
			_, store := b.open(b.ring)
			key, err := store.Put(ctx, b.tenantA, document(100+i))
			if err != nil {
				t.Error(err)
			}
			keys[i] = key
		})
	}
	wg.Wait()
	var n int
	if err := b.pool.QueryRow(ctx, "SELECT count(*) FROM tenant_data_keys WHERE tenant_id = $1", b.tenantA).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d data keys made (%v), want 1", n, err)
	}
	for i, key := range keys {
		b.mustGet(t, key, document(100+i))
	}
}

func TestPutRefusesAMalformedTenant(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.store.Put(context.Background(), "../../etc", []byte("x")); !errors.Is(err, derrors.InvalidArgument) {
		t.Errorf("Put with a malformed tenant: %v, want InvalidArgument", err)
	}
}

// TestRetirementReachesRunningProcessesWithinKeyTTL: a process that cached
// a data key before another process (docflow keys retire) retired its
// version stops opening files sealed with it, a restored backup among
// them, once KeyTTL has passed; the default bound is one minute.
func TestRetirementReachesRunningProcessesWithinKeyTTL(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := setup(t)
	if b.keys.KeyTTL != filecrypt.DefaultKeyTTL || filecrypt.DefaultKeyTTL > time.Minute {
		t.Errorf("KeyTTL = %s (default %s), want the documented bound of at most 1m", b.keys.KeyTTL, filecrypt.DefaultKeyTTL)
	}
	b.keys.RetireGrace = 0
	doc := document(4000)
	key := b.put(t, b.tenantA, doc)
	backup := b.raw(t, key)

	// The serve process: reads the file, caching version 1.
	workerKeys, worker := b.open(b.ring)
	const ttl = 300 * time.Millisecond
	workerKeys.KeyTTL = ttl
	if _, err := worker.Get(ctx, key); err != nil {
		t.Fatal(err)
	}
	cached := time.Now()
	// The operator rotates, re-encrypts and retires version 1 (keys CLI).
	if _, err := b.keys.RotateTenant(ctx, b.tenantA); err != nil {
		t.Fatal(err)
	}
	if _, err := b.store.Reencrypt(ctx, b.tenantA); err != nil {
		t.Fatal(err)
	}
	if err := b.store.Retire(ctx, b.tenantA, 1); err != nil {
		t.Fatal(err)
	}
	// A backup copy sealed with version 1 is put back.
	b.writeRaw(t, key, backup)
	time.Sleep(time.Until(cached.Add(ttl + 50*time.Millisecond)))
	if got, err := worker.Get(ctx, key); !errors.Is(err, filecrypt.ErrUnreadable) {
		t.Fatalf("KeyTTL after caching it, the running process still opens a file sealed with retired version 1 (%d bytes, err %v)", len(got), err)
	}
}
