// Package keyring seals small secrets kept in the database (mailbox
// passwords, and later webhook secrets) with AES-256-GCM under the
// deployment's master key, so that a copy of the database does not reveal
// them. A sealed value names the key that sealed it, so that older keys can
// still open what they sealed while new values use the current key.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the size of a master key: 32 bytes (AES-256).
const KeySize = 32

// prefix starts every sealed value.
const prefix = "sealed:v1:"

// ErrNotSealed is returned by Open for a value that was not sealed.
var ErrNotSealed = errors.New("keyring: the value is not sealed")

// Keyring seals with its current key and opens with any of its keys.
type Keyring struct {
	current string
	keys    map[string]cipher.AEAD
}

// New returns a keyring sealing with current and opening with current and
// the older keys.
func New(current []byte, older ...[]byte) (*Keyring, error) {
	k := &Keyring{keys: map[string]cipher.AEAD{}}
	for i, key := range append([][]byte{current}, older...) {
		if len(key) != KeySize {
			return nil, fmt.Errorf("keyring: a key must be %d bytes, key %d has %d", KeySize, i, len(key))
		}
		block, err := aes.NewCipher(key)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		aead, err := cipher.NewGCM(block)
		if err != nil {
			return nil, fmt.Errorf("keyring: %w", err)
		}
		id := KeyID(key)
		if i == 0 {
			k.current = id
		}
		k.keys[id] = aead
	}
	return k, nil
}

// KeyID names a key without revealing it: the first 8 bytes of its
// SHA-256, in hex.
func KeyID(key []byte) string {
	sum := sha256.Sum256(append([]byte("docflow keyring id\x00"), key...))
	return hex.EncodeToString(sum[:8])
}

// Seal encrypts plaintext. The context (say "mailbox:ID:password") is
// authenticated with it: a sealed value copied to another row or purpose
// does not open.
func (k *Keyring) Seal(plaintext, context string) (string, error) {
	aead := k.keys[k.current]
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("keyring: %w", err)
	}
	out := aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return prefix + k.current + ":" + base64.RawStdEncoding.EncodeToString(out), nil
}

// Open decrypts a value Seal returned for the same context.
func (k *Keyring) Open(sealed, context string) (string, error) {
	rest, ok := strings.CutPrefix(sealed, prefix)
	if !ok {
		return "", ErrNotSealed
	}
	id, b64, ok := strings.Cut(rest, ":")
	if !ok {
		return "", errors.New("keyring: malformed sealed value")
	}
	aead, ok := k.keys[id]
	if !ok {
		return "", fmt.Errorf("keyring: the value was sealed with key %s, which this keyring does not hold", id)
	}
	data, err := base64.RawStdEncoding.DecodeString(b64)
	if err != nil || len(data) < aead.NonceSize() {
		return "", errors.New("keyring: malformed sealed value")
	}
	plain, err := aead.Open(nil, data[:aead.NonceSize()], data[aead.NonceSize():], []byte(context))
	if err != nil {
		return "", fmt.Errorf("keyring: the value does not open (wrong key or context): %w", err)
	}
	return string(plain), nil
}

// IsSealed reports whether v looks like a sealed value.
func IsSealed(v string) bool { return strings.HasPrefix(v, prefix) }

// CurrentKeyID names the key new values are sealed with.
func (k *Keyring) CurrentKeyID() string { return k.current }

// ParseKey decodes a master key given in base64 (standard or URL, padded
// or not) or hex.
func ParseKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	if b, err := hex.DecodeString(s); err == nil && len(b) == KeySize {
		return b, nil
	}
	return nil, fmt.Errorf("keyring: a master key is %d bytes in base64 or hex (make one with: openssl rand -base64 32)", KeySize)
}

// LoadOrCreateFile reads the master key from path, or, when the file does
// not exist, makes a random key and writes it there readable by its owner
// only. It suits a single machine; a deployment of several machines gives
// every process the same key through configuration.
func LoadOrCreateFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return ParseKey(string(b))
	}
	if !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	key := make([]byte, KeySize)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	// The key is written whole to a file of its own, then linked to its
	// name, which fails if the name exists: the file appears complete or
	// not at all, never empty (a crash, another process reading it while
	// it is written).
	tmp, err := os.CreateTemp(filepath.Dir(path), ".master-key-*")
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n"); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, os.ErrExist) {
		return LoadOrCreateFile(path) // another process made it meanwhile
	} else if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return key, nil
}

// SealedKeyID names the key that sealed v, without opening it; ok is false
// when v is not a sealed value. Rotations use it to find what an older key
// sealed.
func SealedKeyID(v string) (id string, ok bool) {
	rest, ok := strings.CutPrefix(v, prefix)
	if !ok {
		return "", false
	}
	id, _, ok = strings.Cut(rest, ":")
	return id, ok
}
