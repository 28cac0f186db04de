package keyring

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func key(t *testing.T) []byte {
	t.Helper()
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	t.Parallel()
	k1, k2 := key(t), key(t)
	old, err := New(k1)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := old.Seal("s3cret-imap", "mailbox:1:password")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(sealed, "s3cret") || !IsSealed(sealed) {
		t.Fatalf("sealed value %q shows the secret or is not marked", sealed)
	}
	again, _ := old.Seal("s3cret-imap", "mailbox:1:password")
	if again == sealed {
		t.Error("two seals of one value are equal: the nonce is not random")
	}
	if got, err := old.Open(sealed, "mailbox:1:password"); err != nil || got != "s3cret-imap" {
		t.Fatalf("Open = %q, %v", got, err)
	}
	if _, err := old.Open(sealed, "mailbox:2:password"); err == nil {
		t.Error("a value opened under another context")
	}
	// Rotation: the new keyring seals with k2 and still opens k1's values.
	rotated, err := New(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := rotated.Open(sealed, "mailbox:1:password"); err != nil || got != "s3cret-imap" {
		t.Errorf("rotated Open = %q, %v", got, err)
	}
	fresh, _ := rotated.Seal("x", "c")
	if !strings.Contains(fresh, rotated.CurrentKeyID()) || rotated.CurrentKeyID() == old.CurrentKeyID() {
		t.Errorf("new value %q not sealed with the new key", fresh)
	}
	if _, err := old.Open(fresh, "c"); err == nil || !strings.Contains(err.Error(), "does not hold") {
		t.Errorf("the old keyring opened a value of the new key: %v", err)
	}
	if _, err := old.Open("plain", "c"); err != ErrNotSealed {
		t.Errorf("Open(plain) = %v, want ErrNotSealed", err)
	}
	tampered := sealed[:len(sealed)-2] + "AA"
	if _, err := old.Open(tampered, "mailbox:1:password"); err == nil {
		t.Error("a tampered value opened")
	}
}

func TestKeys(t *testing.T) {
	t.Parallel()
	if _, err := New([]byte("short")); err == nil {
		t.Error("a short key was accepted")
	}
	k := key(t)
	for _, s := range []string{base64.StdEncoding.EncodeToString(k), base64.RawURLEncoding.EncodeToString(k), " " + base64.StdEncoding.EncodeToString(k) + "\n"} {
		if got, err := ParseKey(s); err != nil || !bytes.Equal(got, k) {
			t.Errorf("ParseKey(%q) = %x, %v", s, got, err)
		}
	}
	if _, err := ParseKey("not a key"); err == nil {
		t.Error("ParseKey accepted garbage")
	}
	path := filepath.Join(t.TempDir(), "sub", "master.key")
	a, err := LoadOrCreateFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, err := LoadOrCreateFile(path)
	if err != nil || !bytes.Equal(a, b) {
		t.Fatalf("the key file was not read back: %v", err)
	}
	if st, err := os.Stat(path); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("key file mode = %v, %v; want 0600", st.Mode(), err)
	}
}

func TestSealedKeyID(t *testing.T) {
	t.Parallel()
	k1, k2 := key(t), key(t)
	ring, err := New(k2, k1)
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := ring.Seal("x", "c")
	if err != nil {
		t.Fatal(err)
	}
	if id, ok := SealedKeyID(sealed); !ok || id != KeyID(k2) || id != ring.CurrentKeyID() {
		t.Errorf("SealedKeyID = %q, %v; want the current key %q", id, ok, KeyID(k2))
	}
	for _, v := range []string{"", "plain", "sealed:v1:nokey"} {
		if id, ok := SealedKeyID(v); ok {
			t.Errorf("SealedKeyID(%q) = %q, true; want false", v, id)
		}
	}
}

// TestLoadOrCreateFileAtOnce: processes starting together on a new data
// folder all get the one key made, never an error from reading a key
// file that another is still writing; no temporary file stays behind.
func TestLoadOrCreateFileAtOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	keys := make([][]byte, 16)
	errs := make([]error, len(keys))
	var wg sync.WaitGroup
	for i := range keys {
		wg.Add(1)
		go func() {
			defer wg.Done()
			keys[i], errs[i] = LoadOrCreateFile(path)
		}()
	}
	wg.Wait()
	for i := range keys {
		if errs[i] != nil || !bytes.Equal(keys[i], keys[0]) {
			t.Fatalf("start %d: key %x, %v; want the one key %x", i, keys[i], errs[i], keys[0])
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the data folder, want the key file alone", len(entries))
	}
}
