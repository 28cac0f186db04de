package keyring

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"strings"
	"testing"
)

// Keys of the fuzz targets: fixed, so that the committed corpus holds
// values that really open.
var (
	fuzzKey = bytes.Repeat([]byte{0x42}, KeySize)
	fuzzOld = bytes.Repeat([]byte{0x17}, KeySize)
)

// fuzzSeals are values sealed under fuzzKey and fuzzOld, by context.
var fuzzSeals = map[string]string{
	"mailbox:1:password": "hunter2",
	"webhook:9:secret":   "",
	"mailbox:2:password": "pâté\x00\xff",
}

// FuzzOpen checks that sealed values open only with their key and context:
// any other string, a tampered value, or a value moved to another context
// gives an error, never a plaintext; and SealedKeyID agrees with Open.
func FuzzOpen(f *testing.F) {
	k, err := New(fuzzKey, fuzzOld)
	if err != nil {
		f.Fatal(err)
	}
	old, err := New(fuzzOld)
	if err != nil {
		f.Fatal(err)
	}
	for ctx, plain := range fuzzSeals {
		for _, kr := range []*Keyring{k, old} {
			s, err := kr.Seal(plain, ctx)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(s, ctx)
			f.Add(s, ctx+"x")
			f.Add(s[:len(s)-1], ctx)
		}
	}
	f.Add("sealed:v1:", "")
	f.Add("sealed:v1:0000000000000000:AAAA", "mailbox:1:password")
	f.Add("plain password", "mailbox:1:password")
	f.Fuzz(func(t *testing.T, sealed, context string) {
		plain, err := k.Open(sealed, context)
		if !IsSealed(sealed) && err != ErrNotSealed {
			t.Fatalf("Open(%q) of a value not sealed: %q, %v", sealed, plain, err)
		}
		id, sealedOK := SealedKeyID(sealed)
		if err != nil {
			return
		}
		// It opened: then it was sealed here, for this context, by a key
		// of the keyring, and it gives back what was sealed.
		want, known := fuzzSeals[context]
		if !known || plain != want {
			t.Fatalf("Open(%q, %q) = %q: a value that was never sealed opened", sealed, context, plain)
		}
		if !sealedOK || (id != KeyID(fuzzKey) && id != KeyID(fuzzOld)) {
			t.Fatalf("SealedKeyID(%q) = %q, %v", sealed, id, sealedOK)
		}
	})
}

// FuzzParseKey checks master-key parsing: a key parsed is KeySize bytes and
// makes a keyring; the encodings of a key parse back to it; and a value
// that is not a key is refused without echoing it in the error.
func FuzzParseKey(f *testing.F) {
	f.Add(base64.StdEncoding.EncodeToString(fuzzKey))
	f.Add(base64.RawURLEncoding.EncodeToString(fuzzOld) + "\n")
	f.Add(hex.EncodeToString(fuzzKey))
	f.Add(" " + hex.EncodeToString(fuzzOld)[:63] + " ")
	f.Add("not a key")
	f.Add(strings.Repeat("A", 44))
	f.Fuzz(func(t *testing.T, s string) {
		key, err := ParseKey(s)
		if err != nil {
			if len(strings.TrimSpace(s)) >= 8 && strings.Contains(err.Error(), strings.TrimSpace(s)) {
				t.Fatalf("the error shows the value: %v", err)
			}
			return
		}
		if len(key) != KeySize {
			t.Fatalf("ParseKey(%q) = %d bytes", s, len(key))
		}
		if _, err := New(key); err != nil {
			t.Fatalf("New of a parsed key: %v", err)
		}
		for _, enc := range []string{base64.StdEncoding.EncodeToString(key), base64.RawURLEncoding.EncodeToString(key), hex.EncodeToString(key)} {
			if again, err := ParseKey(enc); err != nil || !bytes.Equal(again, key) {
				t.Fatalf("ParseKey(%q) = %x, %v; want %x", enc, again, err, key)
			}
		}
	})
}
