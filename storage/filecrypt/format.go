package filecrypt

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/docflow/docflow/derrors"
)

// The stored object is a header followed by the segments of the file, each
// sealed with AES-256-GCM:
//
//	magic        4 bytes  0x89 'D' 'F' 'E'
//	format       1 byte   1
//	DEK version  4 bytes  big-endian: the tenant's data key that sealed it
//	salt        16 bytes  random: the file key is HKDF-SHA256(DEK, salt)
//	nonce prefix 7 bytes  random
//	segments     each min(64 KiB, rest) of plaintext + a 16-byte tag
//
// Segment i is sealed with the nonce prefix ‖ uint32(i) ‖ last (1 when it
// is the final segment, else 0), and authenticates the header and the file's
// key ("<tenant>/<sha256>") as associated data. So a flipped byte, a
// truncation (at a segment boundary or not), reordered or duplicated
// segments, a header edited to name another DEK version, and a file copied
// to another name or tenant all fail to open. Every file has at least one
// segment: an empty file is one empty final segment.
const (
	magic         = "\x89DFE"
	formatVersion = 1
	saltSize      = 16
	prefixSize    = 7
	headerSize    = len(magic) + 1 + 4 + saltSize + prefixSize
	segmentSize   = 64 << 10
	tagSize       = 16
)

// ErrUnreadable means a stored file does not open: it was altered,
// truncated, reordered or moved from another tenant or name, or its data
// key is gone. It is a permanent failure: retrying does not help.
var ErrUnreadable = fmt.Errorf("%w: the stored file does not open", derrors.Permanent)

// header is the parsed start of an encrypted file.
type header struct {
	dekVersion uint32
	salt       [saltSize]byte
	prefix     [prefixSize]byte
}

func (h header) marshal() []byte {
	b := make([]byte, 0, headerSize)
	b = append(b, magic...)
	b = append(b, formatVersion)
	b = binary.BigEndian.AppendUint32(b, h.dekVersion)
	b = append(b, h.salt[:]...)
	return append(b, h.prefix[:]...)
}

// isEncrypted reports whether raw starts like an encrypted file.
func isEncrypted(raw []byte) bool {
	return len(raw) >= len(magic) && string(raw[:len(magic)]) == magic
}

// parseHeader reads the header of an encrypted file.
func parseHeader(raw []byte) (header, error) {
	var h header
	if !isEncrypted(raw) {
		return h, errors.New("no encryption header")
	}
	if len(raw) < headerSize {
		return h, errors.New("truncated header")
	}
	if v := raw[len(magic)]; v != formatVersion {
		return h, fmt.Errorf("unknown format version %d", v)
	}
	rest := raw[len(magic)+1:]
	h.dekVersion = binary.BigEndian.Uint32(rest)
	copy(h.salt[:], rest[4:])
	copy(h.prefix[:], rest[4+saltSize:])
	if h.dekVersion == 0 {
		return h, errors.New("data key version 0")
	}
	return h, nil
}

// fileAEAD derives the file's own AES-256-GCM key from the data key and
// the file's salt, so that nonces never repeat under one key however many
// files a data key seals.
func fileAEAD(dek []byte, salt []byte) (cipher.AEAD, error) {
	key, err := hkdf.Key(sha256.New, dek, salt, "docflow file v1", 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func segmentNonce(prefix [prefixSize]byte, i uint32, last bool) []byte {
	n := make([]byte, 0, prefixSize+5)
	n = append(n, prefix[:]...)
	n = binary.BigEndian.AppendUint32(n, i)
	if last {
		return append(n, 1)
	}
	return append(n, 0)
}

// associated is what every segment authenticates besides its bytes.
func associated(hdr []byte, key string) []byte {
	return append(append(append([]byte{}, hdr...), 0), key...)
}

// seal encrypts plain, stored under key, with data key dek of the given
// version.
func seal(dek []byte, version uint32, key string, plain []byte) ([]byte, error) {
	h := header{dekVersion: version}
	if _, err := rand.Read(h.salt[:]); err != nil {
		return nil, err
	}
	if _, err := rand.Read(h.prefix[:]); err != nil {
		return nil, err
	}
	return sealWith(dek, h, key, plain)
}

// sealWith seals plain with the given header (its salt and nonce prefix
// must be fresh random bytes).
func sealWith(dek []byte, h header, key string, plain []byte) ([]byte, error) {
	aead, err := fileAEAD(dek, h.salt[:])
	if err != nil {
		return nil, err
	}
	n := max(1, (len(plain)+segmentSize-1)/segmentSize)
	if uint64(n) > 1<<32 {
		return nil, errors.New("filecrypt: file too large")
	}
	hdr := h.marshal()
	ad := associated(hdr, key)
	out := make([]byte, 0, len(hdr)+len(plain)+n*tagSize)
	out = append(out, hdr...)
	for i := range n {
		seg := plain[i*segmentSize : min(len(plain), (i+1)*segmentSize)]
		out = aead.Seal(out, segmentNonce(h.prefix, uint32(i), i == n-1), seg, ad)
	}
	return out, nil
}

// open decrypts raw, stored under key, with the data key its header names,
// which dekFor returns. A file that does not authenticate is ErrUnreadable;
// dekFor's errors are returned as they are.
func open(raw []byte, key string, dekFor func(version uint32) ([]byte, error)) ([]byte, error) {
	h, err := parseHeader(raw)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreadable, err)
	}
	body := raw[headerSize:]
	const sealedSize = segmentSize + tagSize
	n := (len(body) + sealedSize - 1) / sealedSize
	if n == 0 || len(body)-(n-1)*sealedSize < tagSize {
		return nil, fmt.Errorf("%w: truncated: the final segment is shorter than its tag", ErrUnreadable)
	}
	if uint64(n) > 1<<32 {
		return nil, fmt.Errorf("%w: too many segments", ErrUnreadable)
	}
	dek, err := dekFor(h.dekVersion)
	if err != nil {
		return nil, err
	}
	aead, err := fileAEAD(dek, h.salt[:])
	if err != nil {
		return nil, err
	}
	ad := associated(raw[:headerSize], key)
	out := make([]byte, 0, len(body)-n*tagSize)
	for i := range n {
		seg := body[i*sealedSize : min(len(body), (i+1)*sealedSize)]
		if out, err = aead.Open(out, segmentNonce(h.prefix, uint32(i), i == n-1), seg, ad); err != nil {
			return nil, fmt.Errorf("%w: segment %d of %d does not authenticate (altered, truncated, reordered, or sealed for another tenant, name or key)",
				ErrUnreadable, i+1, n)
		}
	}
	return out, nil
}
