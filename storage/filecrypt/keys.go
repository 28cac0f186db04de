package filecrypt

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/keyring"
)

// Defaults of Keys.
const (
	// DefaultCurrentTTL is how long a process seals with the current
	// version it looked up before looking again.
	DefaultCurrentTTL = 30 * time.Second
	// DefaultRetireGrace is how long after a rotation the version it
	// replaced can be retired: well past DefaultCurrentTTL plus the time a
	// write takes, so that no process still seals new files with it.
	DefaultRetireGrace = 5 * time.Minute
	// DefaultKeyTTL is how long a process opens files with a data key it
	// unwrapped before it reads the version's row again: a version retired
	// by another process (docflow keys retire) stops opening files in
	// every running process at most this long after the retirement.
	DefaultKeyTTL = time.Minute
	// cacheSize bounds the unwrapped keys (and current versions) kept.
	cacheSize = 4096
)

// Keys hands out the tenants' data keys (DEKs): it makes a tenant's first
// key when the tenant first stores a file, unwraps keys with the master
// keyring and keeps them in a bounded cache, rotates them, and re-wraps
// them when the master key changes.
type Keys struct {
	store KeyStore
	ring  *keyring.Keyring
	// CurrentTTL is how long a tenant's current version is used before it
	// is looked up again: after a rotation made by another process, this
	// one seals new files with the previous version for at most that long.
	CurrentTTL time.Duration
	// RetireGrace is how long after a rotation the replaced version can be
	// retired (see DefaultRetireGrace).
	RetireGrace time.Duration
	// KeyTTL bounds how long an unwrapped key is used from the cache
	// before its version is read again from the store, so that a version
	// retired by another process no longer opens files here past that
	// bound (see DefaultKeyTTL). A retirement made through this Keys
	// takes effect here at once.
	KeyTTL time.Duration

	mu      sync.Mutex
	deks    *lru[dekID, cachedDEK]
	current *lru[string, currentDEK]
}

type dekID struct {
	tenant  string
	version int
}

// cachedDEK is an unwrapped key, used until it is read again from the
// store (Keys.KeyTTL).
type cachedDEK struct {
	key   []byte
	until time.Time
}

type currentDEK struct {
	version int
	key     []byte
	until   time.Time
}

// NewKeys returns the data keys kept in store, wrapped by ring.
func NewKeys(store KeyStore, ring *keyring.Keyring) *Keys {
	return &Keys{store: store, ring: ring, CurrentTTL: DefaultCurrentTTL, RetireGrace: DefaultRetireGrace, KeyTTL: DefaultKeyTTL,
		deks: newLRU[dekID, cachedDEK](cacheSize), current: newLRU[string, currentDEK](cacheSize)}
}

// dekContext is what a wrapped key is sealed with: a wrapped key copied to
// another tenant's or version's row does not open.
func dekContext(tenantID string, version int) string {
	return "tenant:" + tenantID + ":dek:" + strconv.Itoa(version)
}

// Current returns the version and key new files of the tenant are sealed
// with, making version 1 when the tenant has no key yet.
func (k *Keys) Current(ctx context.Context, tenantID string) (int, []byte, error) {
	k.mu.Lock()
	c, ok := k.current.get(tenantID)
	k.mu.Unlock()
	if ok && time.Now().Before(c.until) {
		return c.version, c.key, nil
	}
	return k.lookupCurrent(ctx, tenantID)
}

// lookupCurrent reads the current version from the store, bypassing the
// cache.
func (k *Keys) lookupCurrent(ctx context.Context, tenantID string) (int, []byte, error) {
	for range 2 {
		keys, err := k.store.DataKeys(ctx, tenantID)
		if err != nil {
			return 0, nil, err
		}
		if cur, ok := newest(keys); ok {
			key, err := k.unwrap(cur)
			if err != nil {
				return 0, nil, err
			}
			k.setCurrent(tenantID, cur.Version, key)
			return cur.Version, key, nil
		}
		dk, key, err := k.create(ctx, tenantID, 1)
		if errors.Is(err, derrors.Conflict) {
			continue // another process made it: read it
		}
		if err != nil {
			return 0, nil, err
		}
		return dk.Version, key, nil
	}
	return 0, nil, fmt.Errorf("filecrypt: tenant %s: no data key could be made", tenantID)
}

// newest returns the newest version, the current one, if any.
func newest(keys []DataKey) (DataKey, bool) {
	var cur DataKey
	for _, dk := range keys {
		if dk.Version > cur.Version {
			cur = dk
		}
	}
	return cur, cur.Version > 0 && cur.RetiredAt == nil
}

func (k *Keys) setCurrent(tenantID string, version int, key []byte) {
	k.mu.Lock()
	defer k.mu.Unlock()
	now := time.Now()
	k.current.put(tenantID, currentDEK{version: version, key: key, until: now.Add(k.CurrentTTL)})
	k.deks.put(dekID{tenantID, version}, cachedDEK{key: key, until: now.Add(k.KeyTTL)})
}

// Version returns the key of one version of the tenant's data key. A
// version that does not exist or was retired is ErrUnreadable; one that
// does not unwrap (its master key is not configured) is a plain error.
// A key is taken from the cache for at most KeyTTL after it was read from
// the store, so a version that another process retired stops opening here
// within KeyTTL.
func (k *Keys) Version(ctx context.Context, tenantID string, version int) ([]byte, error) {
	id := dekID{tenantID, version}
	k.mu.Lock()
	c, ok := k.deks.get(id)
	if ok && !time.Now().Before(c.until) {
		k.deks.remove(id) // stale: read the version's row again
		ok = false
	}
	k.mu.Unlock()
	if ok {
		return c.key, nil
	}
	keys, err := k.store.DataKeys(ctx, tenantID)
	if err != nil {
		return nil, err
	}
	for _, dk := range keys {
		if dk.Version != version {
			continue
		}
		if dk.RetiredAt != nil {
			return nil, fmt.Errorf("%w: data key version %d of tenant %s was retired", ErrUnreadable, version, tenantID)
		}
		key, err := k.unwrap(dk)
		if err != nil {
			return nil, err
		}
		k.mu.Lock()
		k.deks.put(id, cachedDEK{key: key, until: time.Now().Add(k.KeyTTL)})
		k.mu.Unlock()
		return key, nil
	}
	return nil, fmt.Errorf("%w: tenant %s has no data key version %d", ErrUnreadable, tenantID, version)
}

// unwrap opens a wrapped key with the master keyring.
func (k *Keys) unwrap(dk DataKey) ([]byte, error) {
	plain, err := k.ring.Open(dk.Wrapped, dekContext(dk.TenantID, dk.Version))
	if err != nil {
		return nil, fmt.Errorf("filecrypt: data key version %d of tenant %s: %w", dk.Version, dk.TenantID, err)
	}
	if len(plain) != 32 {
		return nil, fmt.Errorf("filecrypt: data key version %d of tenant %s has %d bytes, want 32", dk.Version, dk.TenantID, len(plain))
	}
	return []byte(plain), nil
}

// create makes a random key, stores it wrapped as the given version and
// makes it the current one.
func (k *Keys) create(ctx context.Context, tenantID string, version int) (DataKey, []byte, error) {
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return DataKey{}, nil, err
	}
	wrapped, err := k.ring.Seal(string(key), dekContext(tenantID, version))
	if err != nil {
		return DataKey{}, nil, err
	}
	dk := DataKey{TenantID: tenantID, Version: version, Wrapped: wrapped}
	if err := k.store.InsertDataKey(ctx, dk); err != nil {
		return DataKey{}, nil, err
	}
	k.setCurrent(tenantID, version, key)
	return dk, key, nil
}

// List returns a tenant's data keys (every tenant's when tenantID is "").
func (k *Keys) List(ctx context.Context, tenantID string) ([]DataKey, error) {
	return k.store.DataKeys(ctx, tenantID)
}

// RotateTenant makes a new version of the tenant's data key, which seals
// the tenant's new files from now on (in other processes, within
// CurrentTTL). Files sealed with older versions still open; Store.Reencrypt
// moves them to the new one, after which Store.Retire erases the old.
//
// It refuses, with ErrWrongMasterKey and before anything is written, when
// the master keyring does not open the tenant's current version (or, for
// a tenant without one, another tenant's live key): a version made under
// the wrong master key (say one freshly made in DATA_DIR/master.key
// because DOCFLOW_MASTER_KEY was not set) would become current and no
// server could unwrap it.
func (k *Keys) RotateTenant(ctx context.Context, tenantID string) (DataKey, error) {
	keys, err := k.store.DataKeys(ctx, tenantID)
	if err != nil {
		return DataKey{}, err
	}
	next := 1
	for _, dk := range keys {
		next = max(next, dk.Version+1)
	}
	if err := k.checkRing(ctx, keys); err != nil {
		return DataKey{}, fmt.Errorf("filecrypt: rotating the data key of tenant %s: %w", tenantID, err)
	}
	dk, _, err := k.create(ctx, tenantID, next)
	if err != nil {
		return DataKey{}, fmt.Errorf("filecrypt: rotating the data key of tenant %s: %w", tenantID, err)
	}
	return dk, nil
}

// ErrWrongMasterKey is returned by RotateTenant when the master keyring
// does not open the existing data keys.
var ErrWrongMasterKey = errors.New("the master key does not open the existing data keys")

// checkRing makes sure the keyring opens the current version among keys,
// a tenant's; when the tenant has no live version, it tries another
// tenant's live key instead (none at all: nothing to check).
func (k *Keys) checkRing(ctx context.Context, keys []DataKey) error {
	cur, ok := newest(keys)
	if !ok {
		all, err := k.store.DataKeys(ctx, "")
		if err != nil {
			return err
		}
		i := slices.IndexFunc(all, func(dk DataKey) bool { return dk.RetiredAt == nil && dk.Wrapped != "" })
		if i < 0 {
			return nil
		}
		cur = all[i]
	}
	if _, err := k.unwrap(cur); err != nil {
		id, _ := keyring.SealedKeyID(cur.Wrapped)
		return fmt.Errorf("%w (%v): data key version %d of tenant %s is wrapped by master key %s, and this process has master key %s; set DOCFLOW_MASTER_KEY (and DOCFLOW_OLD_MASTER_KEYS) as the servers have them",
			ErrWrongMasterKey, err, cur.Version, cur.TenantID, id, k.ring.CurrentKeyID())
	}
	return nil
}

// Rewrap is what RewrapAll did.
type Rewrap struct {
	Keys      int // live data keys
	Rewrapped int // wrapped again with the current master key
}

// RewrapAll wraps every live data key that an older master key wrapped
// with the current one: the step of a master key rotation. No file is
// rewritten. Once it ran, the older master keys can be dropped from
// DOCFLOW_OLD_MASTER_KEYS. A key that does not unwrap is reported and the
// others are still re-wrapped.
func (k *Keys) RewrapAll(ctx context.Context) (Rewrap, error) {
	keys, err := k.store.DataKeys(ctx, "")
	if err != nil {
		return Rewrap{}, err
	}
	var r Rewrap
	var errs []error
	for _, dk := range keys {
		if dk.RetiredAt != nil {
			continue
		}
		r.Keys++
		if id, _ := keyring.SealedKeyID(dk.Wrapped); id == k.ring.CurrentKeyID() {
			continue
		}
		ok, err := k.rewrap(ctx, dk)
		if err != nil {
			errs = append(errs, err)
		} else if ok {
			r.Rewrapped++
		}
	}
	return r, errors.Join(errs...)
}

func (k *Keys) rewrap(ctx context.Context, dk DataKey) (bool, error) {
	key, err := k.unwrap(dk)
	if err != nil {
		return false, err
	}
	next, err := k.ring.Seal(string(key), dekContext(dk.TenantID, dk.Version))
	if err != nil {
		return false, err
	}
	return k.store.RewrapDataKey(ctx, dk.TenantID, dk.Version, dk.Wrapped, next)
}

// checkRetirable refuses to retire a version that is current, unknown, or
// was replaced less than RetireGrace ago. It reports false when the
// version is already retired.
func (k *Keys) checkRetirable(ctx context.Context, tenantID string, version int) (bool, error) {
	keys, err := k.store.DataKeys(ctx, tenantID)
	if err != nil {
		return false, err
	}
	var target *DataKey
	var replaced time.Time // when the next version was made
	for i, dk := range keys {
		switch {
		case dk.Version == version:
			target = &keys[i]
		case dk.Version > version && (replaced.IsZero() || dk.CreatedAt.Before(replaced)):
			replaced = dk.CreatedAt
		}
	}
	switch {
	case target == nil:
		return false, fmt.Errorf("tenant %s has no data key version %d: %w", tenantID, version, derrors.NotFound)
	case target.RetiredAt != nil:
		return false, nil
	case replaced.IsZero():
		return false, fmt.Errorf("%w: data key version %d is tenant %s's current one: rotate first", derrors.Conflict, version, tenantID)
	case time.Since(replaced) < k.RetireGrace:
		return false, fmt.Errorf("%w: data key version %d of tenant %s was replaced %s ago; processes may still seal with it for up to %s",
			derrors.Conflict, version, tenantID, time.Since(replaced).Round(time.Second), k.RetireGrace)
	}
	return true, nil
}

// retire erases a version's wrapped key and forgets it.
func (k *Keys) retire(ctx context.Context, tenantID string, version int) error {
	if err := k.store.RetireDataKey(ctx, tenantID, version); err != nil {
		return err
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.deks.remove(dekID{tenantID, version})
	return nil
}
