package postgres

import (
	"context"
	"time"

	"github.com/docflow/docflow/pipeline"
	"github.com/jackc/pgx/v5"
)

var _ pipeline.RetentionStore = (*Store)(nil)

// auditKeep are the audit details kept when a purged document's entries
// are redacted: statuses, codes and counts, nothing a person wrote or a
// document said.
var auditKeep = []string{"status", "refusal", "document_type", "issues", "reasons", "children", "stage", "code"}

// RetentionTenants lists the tenants with a retention period.
func (s *Store) RetentionTenants(ctx context.Context) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT id FROM tenants WHERE coalesce((settings->>'retention_days')::int, 0) > 0 ORDER BY id`)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// DeleteOrphan removes a file no document uses, under the file key's lock
// (lockFileKey), which CreateDocument and Resubmit take too.
func (s *Store) DeleteOrphan(ctx context.Context, key string, remove func(context.Context, string) error) (bool, error) {
	removed := false
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		if err := lockFileKey(ctx, tx, key); err != nil {
			return err
		}
		var used bool
		if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM documents WHERE storage_key = $1)`, key).Scan(&used); err != nil || used {
			return err
		}
		removed = true
		return remove(ctx, key)
	})
	return removed && err == nil, err
}

// lockFileKey serialises, until tx ends, the creation of documents that
// use a stored file and the deletion of that file by a purge: the purge
// deletes only a file that no document committed before it uses, and an
// upload that stored its file before the deletion stores it again after
// its document is committed (pipeline.Service.Upload).
func lockFileKey(ctx context.Context, tx pgx.Tx, key string) error {
	_, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1, hashtext($2))", fileKeyLockClass, key)
	return err
}

// fileKeyLockClass is the first key of lockFileKey's advisory locks.
const fileKeyLockClass int32 = 0x66696c65 // "file"

// PurgeDocuments purges a batch of the tenant's documents past cutoff in
// one transaction (see pipeline.RetentionStore). Documents still in
// processing or review are left until they end.
func (s *Store) PurgeDocuments(ctx context.Context, tenantID string, cutoff time.Time, limit int) (int, []string, error) {
	var n int
	var orphans []string
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, storage_key FROM documents
			WHERE tenant_id = $1 AND received_at < $2 AND purged_at IS NULL
				AND status IN ('committed', 'rejected', 'refused', 'failed')
			ORDER BY received_at LIMIT $3 FOR UPDATE SKIP LOCKED`, tenantID, cutoff, limit)
		if err != nil {
			return err
		}
		var ids, keys []string
		for rows.Next() {
			var id, key string
			if err := rows.Scan(&id, &key); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
			if key != "" {
				keys = append(keys, key)
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(ids) == 0 {
			return err
		}
		n = len(ids)
		for _, q := range []string{
			// Issues keep their code, severity and fields; their messages
			// quote the document.
			`UPDATE documents SET fields = '{}', confidence = '{}', file_name = 'purged',
				issues = coalesce((SELECT jsonb_agg(jsonb_build_object('code', i->'code', 'severity', i->'severity', 'fields', i->'fields'))
					FROM jsonb_array_elements(issues) i), '[]'),
				refusal_message = '', error_message = '', storage_key = '', sha256 = 'purged:' || id::text,
				purged_at = now(), updated_at = now()
				WHERE tenant_id = $1 AND id = ANY($2)`,
			`UPDATE extraction_runs SET fields = '{}' WHERE tenant_id = $1 AND document_id = ANY($2)`,
			`UPDATE corrections SET extracted = NULL, corrected = NULL WHERE tenant_id = $1 AND document_id = ANY($2)`,
			`UPDATE review_tasks SET reason = '' WHERE tenant_id = $1 AND document_id = ANY($2)`,
			`DELETE FROM document_embeddings WHERE tenant_id = $1 AND document_id = ANY($2)`,
			`UPDATE mail_messages SET subject = '', from_addr = '' WHERE tenant_id = $1 AND document_id = ANY($2)`,
		} {
			if _, err := tx.Exec(ctx, q, tenantID, ids); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE audit_log SET redacted_at = now(),
			details = (SELECT coalesce(jsonb_object_agg(k, v), '{}') FROM jsonb_each(details) AS e(k, v) WHERE k = ANY($3))
			WHERE tenant_id = $1 AND document_id = ANY($2) AND redacted_at IS NULL`, tenantID, ids, auditKeep); err != nil {
			return err
		}
		for _, id := range ids {
			if err := s.audit(ctx, tx, pipeline.AuditEntry{TenantID: tenantID, Actor: "retention", Action: "document.purged",
				DocumentID: id, Details: map[string]any{"cutoff": cutoff.UTC().Format(time.RFC3339)}}); err != nil {
				return err
			}
		}
		// What the model answered and failures of mail past the period.
		if _, err := tx.Exec(ctx, `DELETE FROM llm_cache WHERE tenant_id = $1 AND created_at < $2`, tenantID, cutoff); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE mail_failures SET subject = '' WHERE tenant_id = $1 AND last_failed_at < $2`, tenantID, cutoff); err != nil {
			return err
		}
		for _, k := range keys {
			var used bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM documents WHERE storage_key = $1)`, k).Scan(&used); err != nil {
				return err
			}
			if !used {
				orphans = append(orphans, k)
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	return n, orphans, nil
}
