package filecrypt_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/pipeline"
	"github.com/docflow/docflow/storage/filecrypt"
	"github.com/docflow/docflow/storage/files"
)

// memoryKeys is a KeyStore in memory, for benchmarks without a database.
type memoryKeys struct {
	mu   sync.Mutex
	keys []filecrypt.DataKey
}

func (m *memoryKeys) DataKeys(_ context.Context, tenantID string) ([]filecrypt.DataKey, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []filecrypt.DataKey
	for _, k := range m.keys {
		if tenantID == "" || k.TenantID == tenantID {
			out = append(out, k)
		}
	}
	return out, nil
}

func (m *memoryKeys) InsertDataKey(_ context.Context, k filecrypt.DataKey) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, o := range m.keys {
		if o.TenantID == k.TenantID && o.Version == k.Version {
			return derrors.Conflict
		}
	}
	k.CreatedAt = time.Now()
	m.keys = append(m.keys, k)
	return nil
}

func (m *memoryKeys) RewrapDataKey(context.Context, string, int, string, string) (bool, error) {
	return false, nil
}

func (m *memoryKeys) RetireDataKey(context.Context, string, int) error { return nil }

const benchTenant = "4f877a52-ca95-45fe-b9a2-a2984c8d968b"

func benchStores(b *testing.B) map[string]pipeline.Files {
	disk, err := files.NewDisk(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	ring, err := keyring.New(newKey(b))
	if err != nil {
		b.Fatal(err)
	}
	return map[string]pipeline.Files{"plain": disk, "encrypted": filecrypt.New(disk, filecrypt.NewKeys(&memoryKeys{}, ring))}
}

var benchSizes = []int{4 << 10, 256 << 10, 4 << 20, 25 << 20}

// BenchmarkPut stores new files (each write is synced to disk).
func BenchmarkPut(b *testing.B) {
	for _, size := range benchSizes {
		for _, name := range []string{"plain", "encrypted"} {
			b.Run(fmt.Sprintf("%s/%dKiB", name, size>>10), func(b *testing.B) {
				store := benchStores(b)[name]
				data := document(size)
				b.SetBytes(int64(size))
				for i := 0; b.Loop(); i++ {
					binary.BigEndian.PutUint64(data, uint64(i)) // a new file each time
					if _, err := store.Put(context.Background(), benchTenant, data); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// BenchmarkGet reads a stored file back.
func BenchmarkGet(b *testing.B) {
	for _, size := range benchSizes {
		for _, name := range []string{"plain", "encrypted"} {
			b.Run(fmt.Sprintf("%s/%dKiB", name, size>>10), func(b *testing.B) {
				store := benchStores(b)[name]
				key, err := store.Put(context.Background(), benchTenant, document(size))
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(size))
				for b.Loop() {
					if _, err := store.Get(context.Background(), key); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
}
