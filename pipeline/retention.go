package pipeline

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/docflow/docflow/derrors"
)

// RetentionStore purges what is kept about documents past retention.
type RetentionStore interface {
	// RetentionTenants lists the tenants that set a retention period.
	RetentionTenants(ctx context.Context) ([]string, error)
	// PurgeDocuments purges at most limit of the tenant's documents
	// received before cutoff that reached a final status: their fields,
	// file names, messages and every copy of their content in the
	// database, and the personal details of their audit entries. It
	// returns the storage keys no document uses any more.
	PurgeDocuments(ctx context.Context, tenantID string, cutoff time.Time, limit int) (purged int, orphanKeys []string, err error)
	// DeleteOrphan calls remove for a storage key if no document uses it,
	// under a lock that the creation of a document with that key takes
	// too: a document stored meanwhile keeps its file. It reports whether
	// it removed it.
	DeleteOrphan(ctx context.Context, key string, remove func(context.Context, string) error) (bool, error)
}

// FileRemover deletes stored files (implemented by the file stores).
type FileRemover interface {
	Delete(ctx context.Context, key string) error
}

// PurgeResult counts what a purge did.
type PurgeResult struct {
	Documents int
	Files     int
}

// Purge purges the tenant's documents past its retention period (settings
// retention_days; none set keeps everything), in batches, and deletes the
// files no document uses any more. Committed records in the system of
// record (MariaDB) are the HR platform's and are not touched.
func (s *Service) Purge(ctx context.Context, tenantID string) (res PurgeResult, err error) {
	defer derrors.Wrap(&err, "purge(%s)", tenantID)
	rs, ok := s.Store.(RetentionStore)
	if !ok {
		return res, fmt.Errorf("%w: the store cannot purge", derrors.Permanent)
	}
	settings, err := s.Store.TenantSettings(ctx, tenantID)
	if err != nil || settings.RetentionDays <= 0 {
		return res, err
	}
	cutoff := s.now().AddDate(0, 0, -settings.RetentionDays)
	for {
		n, keys, err := rs.PurgeDocuments(ctx, tenantID, cutoff, 200)
		if err != nil {
			return res, err
		}
		res.Documents += n
		for _, k := range keys {
			fr, ok := s.Files.(FileRemover)
			if !ok {
				return res, fmt.Errorf("%w: the file store cannot delete", derrors.Permanent)
			}
			removed, err := rs.DeleteOrphan(ctx, k, fr.Delete)
			if err != nil {
				return res, fmt.Errorf("deleting a purged file: %w", err)
			}
			if removed {
				res.Files++
			}
		}
		if n < 200 {
			return res, nil
		}
	}
}

// PurgeAll purges every tenant that set a retention period.
func (s *Service) PurgeAll(ctx context.Context) error {
	rs, ok := s.Store.(RetentionStore)
	if !ok {
		return nil
	}
	tenants, err := rs.RetentionTenants(ctx)
	if err != nil {
		return err
	}
	for _, t := range tenants {
		res, err := s.Purge(ctx, t)
		if err != nil {
			return err
		}
		if res.Documents > 0 {
			slog.Info("retention: purged documents", "tenant", t, "documents", res.Documents, "files", res.Files)
		}
	}
	return nil
}
