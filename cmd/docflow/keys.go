package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/docflow/docflow/config"
	"github.com/docflow/docflow/keyring"
	"github.com/docflow/docflow/storage/filecrypt"
	"github.com/docflow/docflow/storage/postgres"
	"github.com/jackc/pgx/v5/pgxpool"
)

const keysUsage = `usage:
  docflow keys rotate-master
  docflow keys rotate-tenant --tenant ID [--reencrypt]
  docflow keys reencrypt [--tenant ID]
  docflow keys retire --tenant ID --version N [--grace 5m]
  docflow keys list [--tenant ID]`

// openFiles returns the file store: files sealed under DataDir/files (or
// in the S3 bucket, when configured) with the tenants' data keys, kept in
// PostgreSQL wrapped by ring.
func openFiles(cfg config.Config, pool *pgxpool.Pool, ring *keyring.Keyring) (*filecrypt.Store, error) {
	disk, err := openRaw(cfg)
	if err != nil {
		return nil, err
	}
	return filecrypt.New(disk, filecrypt.NewKeys(postgres.NewDataKeys(pool), ring)), nil
}

// keyTools is what the keys commands work on.
type keyTools struct {
	pool  *pgxpool.Pool
	ring  *keyring.Keyring
	files *filecrypt.Store
}

func openKeyTools(ctx context.Context) (*keyTools, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	ring, err := loadKeyring(cfg)
	if err != nil {
		return nil, err
	}
	pool, err := postgres.Open(ctx, cfg.PostgresURL)
	if err != nil {
		return nil, err
	}
	fs, err := openFiles(cfg, pool, ring)
	if err != nil {
		pool.Close()
		return nil, err
	}
	return &keyTools{pool: pool, ring: ring, files: fs}, nil
}

var keysCommands = map[string]bool{"rotate-master": true, "rotate-tenant": true, "reencrypt": true, "retire": true, "list": true}

// keysCmd runs the key rotations (docs/security.md gives their steps).
func keysCmd(ctx context.Context, args []string, stdout io.Writer) error {
	if len(args) == 0 || !keysCommands[args[0]] {
		return errors.New(keysUsage)
	}
	fs := flag.NewFlagSet("keys "+args[0], flag.ContinueOnError)
	tenant := fs.String("tenant", "", "the tenant's id")
	reencrypt := fs.Bool("reencrypt", false, "re-encrypt the tenant's files with the new data key")
	version := fs.Int("version", 0, "the data key version to retire")
	grace := fs.Duration("grace", filecrypt.DefaultRetireGrace, "how long after its rotation a version may be retired")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	needTenant := args[0] == "rotate-tenant" || args[0] == "retire"
	if (needTenant && *tenant == "") || (args[0] == "retire" && *version <= 0) {
		return errors.New(keysUsage)
	}
	kt, err := openKeyTools(ctx)
	if err != nil {
		return err
	}
	defer kt.pool.Close()
	switch args[0] {
	case "rotate-master":
		return kt.rotateMaster(ctx, stdout)
	case "rotate-tenant":
		return kt.rotateTenant(ctx, *tenant, *reencrypt, stdout)
	case "reencrypt":
		return kt.reencrypt(ctx, *tenant, stdout)
	case "retire":
		kt.files.Keys().RetireGrace = *grace
		if err := kt.files.Retire(ctx, *tenant, *version); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "data key version %d of tenant %s retired: its key is erased; running processes stop opening files with it within %s\n",
			*version, *tenant, filecrypt.DefaultKeyTTL)
		return nil
	default:
		return kt.list(ctx, *tenant, stdout)
	}
}

// rotateMaster re-wraps the data keys and re-seals the stored secrets with
// the current master key, after which older ones can be dropped.
func (kt *keyTools) rotateMaster(ctx context.Context, stdout io.Writer) error {
	r, err := kt.files.Keys().RewrapAll(ctx)
	if err != nil {
		return fmt.Errorf("re-wrapping data keys (%d of %d done): %w", r.Rewrapped, r.Keys, err)
	}
	store := postgres.New(kt.pool, nil)
	store.SetKeyring(kt.ring)
	n, err := store.ResealSecrets(ctx)
	if err != nil {
		return fmt.Errorf("re-sealing secrets: %w", err)
	}
	fmt.Fprintf(stdout, "master key %s: %d of %d data keys re-wrapped, %d secrets (mailbox passwords, webhook secrets) re-sealed; older master keys can be removed from DOCFLOW_OLD_MASTER_KEYS\n",
		kt.ring.CurrentKeyID(), r.Rewrapped, r.Keys, n)
	return nil
}

// rotateTenant makes a new data key version for a tenant, and re-encrypts
// the tenant's files with it when asked.
func (kt *keyTools) rotateTenant(ctx context.Context, tenantID string, reencrypt bool, stdout io.Writer) error {
	dk, err := kt.files.Keys().RotateTenant(ctx, tenantID)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "tenant %s: data key version %d is current; running processes use it within %s\n",
		tenantID, dk.Version, filecrypt.DefaultCurrentTTL)
	if !reencrypt {
		return nil
	}
	return kt.reencrypt(ctx, tenantID, stdout)
}

func (kt *keyTools) reencrypt(ctx context.Context, tenantID string, stdout io.Writer) error {
	r, err := kt.files.Reencrypt(ctx, tenantID)
	fmt.Fprintf(stdout, "%d files looked at, %d re-encrypted (%d were plain text), %d failed\n", r.Files, r.Rewritten, r.Plaintext, r.Failed)
	return err
}

// list prints the data keys, and a tenant's files by version.
func (kt *keyTools) list(ctx context.Context, tenantID string, stdout io.Writer) error {
	keys, err := kt.files.Keys().List(ctx, tenantID)
	if err != nil {
		return err
	}
	for _, dk := range keys {
		state, _ := keyring.SealedKeyID(dk.Wrapped)
		state = "wrapped by master key " + state
		if dk.RetiredAt != nil {
			state = "retired " + dk.RetiredAt.Format(time.RFC3339)
		}
		fmt.Fprintf(stdout, "tenant %s  version %d  created %s  %s\n", dk.TenantID, dk.Version, dk.CreatedAt.Format(time.RFC3339), state)
	}
	if tenantID == "" {
		return nil
	}
	census, err := kt.files.Census(ctx, tenantID)
	if err != nil {
		return err
	}
	versions := make([]int, 0, len(census))
	for v := range census {
		versions = append(versions, v)
	}
	sort.Ints(versions)
	for _, v := range versions {
		what := fmt.Sprintf("data key version %d", v)
		if v == 0 {
			what = "plain text"
		}
		fmt.Fprintf(stdout, "files sealed with %s: %d\n", what, census[v])
	}
	return nil
}
