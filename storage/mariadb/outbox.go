package mariadb

import (
	"context"
	"database/sql"
	"encoding/json"
	"strings"
	"time"

	"github.com/docflow/docflow/events"
)

// writeOutbox writes an event in the commit's transaction. The event's id
// is unique: a commit that runs again leaves the one row.
func writeOutbox(ctx context.Context, tx *sql.Tx, e events.Event) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (event_id, tenant_id, document_id, type, payload, occurred_at)
		VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE id = id`,
		e.ID, e.TenantID, e.DocumentID, e.Type, string(e.JSON()), e.OccurredAt)
	return err
}

// PendingOutbox returns up to limit events not yet relayed, oldest first.
func (r *Records) PendingOutbox(ctx context.Context, limit int) ([]events.Event, error) {
	rows, err := r.db.QueryContext(ctx, "SELECT payload FROM outbox WHERE relayed_at IS NULL ORDER BY id LIMIT ?", limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []events.Event
	for rows.Next() {
		var payload string
		if err := rows.Scan(&payload); err != nil {
			return nil, err
		}
		var e events.Event
		if err := json.Unmarshal([]byte(payload), &e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// MarkRelayed records that the events are in the event log, and purges
// the rows relayed more than a day ago.
func (r *Records) MarkRelayed(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, 0, len(ids)+1)
	args = append(args, time.Now().UTC())
	for _, id := range ids {
		args = append(args, id)
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(ids)), ", ")
	if _, err := r.db.ExecContext(ctx, "UPDATE outbox SET relayed_at = ? WHERE event_id IN ("+marks+")", args...); err != nil {
		return err
	}
	_, err := r.db.ExecContext(ctx, "DELETE FROM outbox WHERE relayed_at < ? LIMIT 1000", time.Now().UTC().Add(-24*time.Hour))
	return err
}
