package filecrypt

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"

	"github.com/docflow/docflow/derrors"
)

const (
	tenantA = "4f877a52-ca95-45fe-b9a2-a2984c8d968b"
	tenantB = "0c3a1d52-0000-45fe-b9a2-a2984c8d968b"
)

func randomBytes(t testing.TB, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// fixedKey opens with one data key, version 1.
func fixedKey(dek []byte) func(uint32) ([]byte, error) {
	return func(v uint32) ([]byte, error) {
		if v != 1 {
			return nil, fmt.Errorf("%w: no data key version %d", ErrUnreadable, v)
		}
		return dek, nil
	}
}

func TestSealOpenRoundTrip(t *testing.T) {
	t.Parallel()
	dek := randomBytes(t, 32)
	for _, n := range []int{0, 1, 100, segmentSize - 1, segmentSize, segmentSize + 1, 3 * segmentSize, 5<<20 + 123} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			t.Parallel()
			plain := randomBytes(t, n)
			key := tenantA + "/" + "ab"
			sealed, err := seal(dek, 1, key, plain)
			if err != nil {
				t.Fatal(err)
			}
			segments := max(1, (n+segmentSize-1)/segmentSize)
			if want := headerSize + n + segments*tagSize; len(sealed) != want {
				t.Errorf("sealed size = %d, want %d", len(sealed), want)
			}
			got, err := open(sealed, key, fixedKey(dek))
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("open = %d bytes, %v; want the %d bytes sealed", len(got), err, n)
			}
			again, _ := seal(dek, 1, key, plain)
			if bytes.Equal(again[:headerSize], sealed[:headerSize]) {
				t.Error("two seals share salt and nonce prefix")
			}
		})
	}
}

func TestOpenRefusesTampering(t *testing.T) {
	t.Parallel()
	dek := randomBytes(t, 32)
	key := tenantA + "/0123"
	plain := randomBytes(t, 3*segmentSize+500) // four segments
	sealed, err := seal(dek, 1, key, plain)
	if err != nil {
		t.Fatal(err)
	}
	const seg = segmentSize + tagSize
	segment := func(i int) []byte { return sealed[headerSize+i*seg : min(len(sealed), headerSize+(i+1)*seg)] }
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	flip := func(at int) []byte {
		b := bytes.Clone(sealed)
		b[at] ^= 0x01
		return b
	}
	hdr := sealed[:headerSize]
	cases := []struct {
		name string
		raw  []byte
		key  string
		dek  []byte
	}{
		{"a flipped byte in the first segment", flip(headerSize + 10), key, dek},
		{"a flipped byte in the last tag", flip(len(sealed) - 1), key, dek},
		{"a flipped salt", flip(len(magic) + 5 + 2), key, dek},
		{"a flipped nonce prefix", flip(headerSize - 1), key, dek},
		{"another format version", flip(len(magic)), key, dek},
		{"another DEK version", flip(len(magic) + 4), key, dek},
		{"truncated by a byte", sealed[:len(sealed)-1], key, dek},
		{"truncated to whole segments", sealed[:headerSize+3*seg], key, dek},
		{"truncated to the header", sealed[:headerSize], key, dek},
		{"truncated inside the header", sealed[:headerSize-3], key, dek},
		{"two segments swapped", join(hdr, segment(1), segment(0), segment(2), segment(3)), key, dek},
		{"a segment dropped", join(hdr, segment(0), segment(2), segment(3)), key, dek},
		{"a segment repeated", join(hdr, segment(0), segment(1), segment(1), segment(2), segment(3)), key, dek},
		{"a segment appended", join(sealed, segment(3)), key, dek},
		{"copied to another tenant", sealed, tenantB + "/0123", dek},
		{"copied to another name", sealed, tenantA + "/4567", dek},
		{"opened with another key", sealed, key, randomBytes(t, 32)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			got, err := open(c.raw, c.key, fixedKey(c.dek))
			if !errors.Is(err, ErrUnreadable) || !errors.Is(err, derrors.Permanent) {
				t.Fatalf("open = %d bytes, %v; want ErrUnreadable", len(got), err)
			}
		})
	}
}

// FuzzOpen feeds arbitrary stored bytes to open: it must refuse all but
// what seal made, without panicking (a forgery would need the key).
func FuzzOpen(f *testing.F) {
	dek := bytes.Repeat([]byte{7}, 32)
	key := tenantA + "/00"
	genuine := map[string]bool{}
	for _, n := range []int{0, 10, 300} {
		// A fixed salt and prefix, so that every fuzzing process makes the
		// same seeds.
		sealed, err := sealWith(dek, header{dekVersion: 1, salt: [saltSize]byte{byte(n)}}, key, make([]byte, n))
		if err != nil {
			f.Fatal(err)
		}
		genuine[string(sealed)] = true
		f.Add(sealed)
	}
	f.Add([]byte(magic))
	f.Add([]byte("plain text"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if got, err := open(raw, key, fixedKey(dek)); err == nil && !genuine[string(raw)] {
			t.Fatalf("forged bytes opened to %q", got)
		}
	})
}

func TestLRUForgetsTheLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	c := newLRU[int, string](2)
	c.put(1, "a")
	c.put(2, "b")
	c.get(1)
	c.put(3, "c")
	if _, ok := c.get(2); ok {
		t.Error("2, the least recently used, is kept")
	}
	if v, ok := c.get(1); !ok || v != "a" {
		t.Errorf("1 = %q, %v", v, ok)
	}
	if c.len() != 2 {
		t.Errorf("%d entries, want at most 2", c.len())
	}
	c.remove(1)
	if _, ok := c.get(1); ok || c.len() != 1 {
		t.Error("removed entry kept")
	}
}

// BenchmarkSealOpen measures the cipher alone, on a 4 MiB file.
func BenchmarkSealOpen(b *testing.B) {
	dek, plain := randomBytes(b, 32), randomBytes(b, 4<<20)
	key := tenantA + "/00"
	sealed, err := seal(dek, 1, key, plain)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("seal", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			if _, err := seal(dek, 1, key, plain); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("open", func(b *testing.B) {
		b.SetBytes(int64(len(plain)))
		for b.Loop() {
			if _, err := open(sealed, key, fixedKey(dek)); err != nil {
				b.Fatal(err)
			}
		}
	})
}
