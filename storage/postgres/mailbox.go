package postgres

import (
	"context"
	"errors"
	"fmt"
	"github.com/docflow/docflow/keyring"
	"strings"
	"time"

	"github.com/docflow/docflow/derrors"
	"github.com/docflow/docflow/mail"
	"github.com/docflow/docflow/pipeline"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
)

var _ mail.Store = (*Store)(nil)

const mailboxColumns = `id, tenant_id, name, host, port, tls_mode, username, password, folder, processed_folder,
	failed_folder, poll_interval_ms, max_attempts, enabled`

func (s *Store) scanMailbox(row pgx.Row) (mail.Mailbox, error) {
	var mb mail.Mailbox
	var tlsMode string
	var intervalMS int64
	err := row.Scan(&mb.ID, &mb.TenantID, &mb.Name, &mb.Host, &mb.Port, &tlsMode, &mb.Username, &mb.Password,
		&mb.Folder, &mb.ProcessedFolder, &mb.FailedFolder, &intervalMS, &mb.MaxAttempts, &mb.Enabled)
	mb.TLS, mb.PollInterval = mail.TLSMode(tlsMode), time.Duration(intervalMS)*time.Millisecond
	if err != nil {
		return mb, err
	}
	mb.Password, err = s.openSecret(mb.Password, passwordContext(mb.ID))
	return mb, err
}

func passwordContext(mailboxID string) string { return "mailbox:" + mailboxID + ":password" }

// sealSecret seals a secret for the database.
func (s *Store) sealSecret(plain, context string) (string, error) {
	if s.keys == nil {
		return "", fmt.Errorf("%w: no master key is configured to seal secrets", derrors.Permanent)
	}
	return s.keys.Seal(plain, context)
}

// openSecret opens a sealed secret; a value stored before secrets were
// sealed is returned as it is (ResealSecrets seals it).
func (s *Store) openSecret(v, context string) (string, error) {
	if !keyring.IsSealed(v) {
		return v, nil
	}
	if s.keys == nil {
		return "", fmt.Errorf("%w: no master key is configured to open secrets", derrors.Permanent)
	}
	return s.keys.Open(v, context)
}

// CreateMailbox stores a tenant's IMAP mailbox, its password sealed with
// the store's keyring.
func (s *Store) CreateMailbox(ctx context.Context, mb mail.Mailbox) (mail.Mailbox, error) {
	if mb.ID == "" {
		mb.ID = uuid.NewString()
	}
	if err := normalizeMailbox(&mb); err != nil {
		return mail.Mailbox{}, err
	}
	sealed, err := s.sealSecret(mb.Password, passwordContext(mb.ID))
	if err != nil {
		return mail.Mailbox{}, err
	}
	row := s.pool.QueryRow(ctx, `INSERT INTO mailboxes (id, tenant_id, name, host, port, tls_mode, username, password,
		folder, processed_folder, failed_folder, poll_interval_ms, max_attempts, enabled)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING `+mailboxColumns,
		mb.ID, mb.TenantID, mb.Name, mb.Host, mb.Port, string(mb.TLS), mb.Username, sealed, mb.Folder,
		mb.ProcessedFolder, mb.FailedFolder, mb.PollInterval.Milliseconds(), mb.MaxAttempts, mb.Enabled)
	return s.scanMailbox(row)
}

func normalizeMailbox(mb *mail.Mailbox) error {
	if mb.Folder == "" {
		mb.Folder = "INBOX"
	}
	if mb.ProcessedFolder == "" || mb.FailedFolder == "" || mb.Host == "" || mb.Port <= 0 || mb.Port > 65535 {
		return fmt.Errorf("%w: a mailbox needs a host, a port, a processed and a failed folder", derrors.InvalidArgument)
	}
	if mb.PollInterval <= 0 {
		mb.PollInterval = time.Minute
	}
	if mb.MaxAttempts <= 0 {
		mb.MaxAttempts = 5
	}
	if mb.TLS == "" {
		mb.TLS = mail.TLS
	}
	return nil
}

// UpdateMailbox replaces a mailbox's settings (mb.ID and mb.TenantID name
// it); an empty password keeps the stored one.
func (s *Store) UpdateMailbox(ctx context.Context, mb mail.Mailbox) (mail.Mailbox, error) {
	if err := normalizeMailbox(&mb); err != nil {
		return mail.Mailbox{}, err
	}
	sealed := ""
	if mb.Password != "" {
		var err error
		if sealed, err = s.sealSecret(mb.Password, passwordContext(mb.ID)); err != nil {
			return mail.Mailbox{}, err
		}
	}
	row := s.pool.QueryRow(ctx, `UPDATE mailboxes SET name = $3, host = $4, port = $5, tls_mode = $6, username = $7,
		password = CASE WHEN $8 = '' THEN password ELSE $8 END, folder = $9, processed_folder = $10, failed_folder = $11,
		poll_interval_ms = $12, max_attempts = $13, enabled = $14, updated_at = now()
		WHERE tenant_id = $1 AND id = $2 RETURNING `+mailboxColumns,
		mb.TenantID, mb.ID, mb.Name, mb.Host, mb.Port, string(mb.TLS), mb.Username, sealed, mb.Folder,
		mb.ProcessedFolder, mb.FailedFolder, mb.PollInterval.Milliseconds(), mb.MaxAttempts, mb.Enabled)
	out, err := s.scanMailbox(row)
	if isInvalidID(err) {
		return out, fmt.Errorf("mailbox %q: %w", mb.ID, derrors.NotFound)
	}
	return out, notFound(err, "mailbox")
}

// ResealSecrets seals the stored secrets kept in plain text (stored
// before secrets were sealed) and seals again, with the current key, those
// sealed with an older key: the mailboxes' passwords and the webhooks'
// signing secrets (deleted webhooks' too). After a key rotation, once this
// ran, the older key can be dropped. It returns how many values it changed.
func (s *Store) ResealSecrets(ctx context.Context) (int, error) {
	if s.keys == nil {
		return 0, fmt.Errorf("%w: no master key is configured", derrors.Permanent)
	}
	n := 0
	for _, c := range []struct {
		what, table, column string
		context             func(id string) string
	}{
		{"mailbox", "mailboxes", "password", passwordContext},
		{"webhook", "webhooks", "secret", webhookSecretContext},
	} {
		m, err := s.resealColumn(ctx, c.what, c.table, c.column, c.context)
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// resealColumn re-seals with the current key the values of one column of
// secrets whose rows are keyed by id, each sealed with sealContext(id).
func (s *Store) resealColumn(ctx context.Context, what, table, column string, sealContext func(id string) string) (int, error) {
	rows, err := s.pool.Query(ctx, "SELECT id, "+column+" FROM "+table)
	if err != nil {
		return 0, err
	}
	type row struct{ id, value string }
	var todo []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.value); err != nil {
			rows.Close()
			return 0, err
		}
		if !strings.HasPrefix(r.value, "sealed:v1:"+s.keys.CurrentKeyID()+":") {
			todo = append(todo, r)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	n := 0
	for _, r := range todo {
		plain, err := s.openSecret(r.value, sealContext(r.id))
		if err != nil {
			return n, fmt.Errorf("%s %s: %w", what, r.id, err)
		}
		sealed, err := s.keys.Seal(plain, sealContext(r.id))
		if err != nil {
			return n, err
		}
		tag, err := s.pool.Exec(ctx, "UPDATE "+table+" SET "+column+" = $2 WHERE id = $1 AND "+column+" = $3", r.id, sealed, r.value)
		if err != nil {
			return n, err
		}
		n += int(tag.RowsAffected())
	}
	return n, nil
}

// Mailbox returns one of the tenant's mailboxes.
func (s *Store) Mailbox(ctx context.Context, tenantID, id string) (mail.Mailbox, error) {
	mb, err := s.scanMailbox(s.pool.QueryRow(ctx, "SELECT "+mailboxColumns+" FROM mailboxes WHERE tenant_id = $1 AND id = $2", tenantID, id))
	if isInvalidID(err) {
		return mb, fmt.Errorf("mailbox %q: %w", id, derrors.NotFound)
	}
	return mb, notFound(err, "mailbox")
}

// Mailboxes lists the tenant's mailboxes.
func (s *Store) Mailboxes(ctx context.Context, tenantID string) ([]mail.Mailbox, error) {
	return s.mailboxes(ctx, "SELECT "+mailboxColumns+" FROM mailboxes WHERE tenant_id = $1 ORDER BY created_at, id", tenantID)
}

// EnabledMailboxes lists every tenant's enabled mailboxes, for the pollers
// of a worker process.
func (s *Store) EnabledMailboxes(ctx context.Context) ([]mail.Mailbox, error) {
	return s.mailboxes(ctx, "SELECT "+mailboxColumns+" FROM mailboxes WHERE enabled ORDER BY created_at, id")
}

func (s *Store) mailboxes(ctx context.Context, query string, args ...any) ([]mail.Mailbox, error) {
	return queryAll(ctx, s, s.scanMailbox, query, args...)
}

// LockMailbox takes a session advisory lock for the mailbox's poll on a
// connection of its own, released by unlock.
func (s *Store) LockMailbox(ctx context.Context, mailboxID string) (func(), bool, error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, false, err
	}
	key := "docflow mailbox poll " + mailboxID
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock(hashtextextended($1, 0))", key).Scan(&ok); err != nil || !ok {
		conn.Release()
		return nil, false, err
	}
	return func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(hashtextextended($1, 0))", key); err != nil {
			conn.Conn().Close(context.Background()) //nolint:errcheck // closing the session releases the lock
		}
		conn.Release()
	}, true, nil
}

const recordedColumns = `m.id, m.mailbox_id, m.uidvalidity, m.uid, m.message_id, m.document_id, d.status, m.state, m.received_at`

type queryer interface {
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func findMessage(ctx context.Context, q queryer, m mail.Message) (mail.Recorded, bool, error) {
	var r mail.Recorded
	var uidv, uid int64
	var status string
	err := q.QueryRow(ctx, `SELECT `+recordedColumns+` FROM mail_messages m JOIN documents d ON d.id = m.document_id
		WHERE (m.mailbox_id = $1 AND m.uidvalidity = $2 AND m.uid = $3) OR (m.tenant_id = $4 AND m.dedupe_key = $5)
		ORDER BY (m.mailbox_id = $1 AND m.uidvalidity = $2 AND m.uid = $3) DESC LIMIT 1`,
		m.MailboxID, int64(m.UIDValidity), int64(m.UID), m.TenantID, m.DedupeKey()).
		Scan(&r.ID, &r.MailboxID, &uidv, &uid, &r.MessageID, &r.DocumentID, &status, &r.State, &r.ReceivedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return mail.Recorded{}, false, nil
	}
	r.UIDValidity, r.UID, r.DocumentStatus = uint32(uidv), uint32(uid), pipeline.Status(status)
	return r, err == nil, err
}

// FindMessage returns the message recorded at m's place or with its dedupe key.
func (s *Store) FindMessage(ctx context.Context, m mail.Message) (mail.Recorded, bool, error) {
	return findMessage(ctx, s.pool, m)
}

// IntakeMessage records the message with its email document and the
// document's process job in one transaction (see mail.Store). Concurrent
// intakes of the same message are serialised on its dedupe key.
func (s *Store) IntakeMessage(ctx context.Context, m mail.Message, d pipeline.Document) (mail.Recorded, bool, error) {
	var rec mail.Recorded
	created := false
	err := WithTx(ctx, s.pool, func(tx pgx.Tx) error {
		created = false
		if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", m.TenantID+" "+m.DedupeKey()); err != nil {
			return err
		}
		existing, found, err := findMessage(ctx, tx, m)
		if err != nil {
			return err
		}
		if found {
			rec = existing
			return nil
		}
		docID := d.ID
		if d.Status != pipeline.StatusRefused && d.SHA256 != "" {
			// The same bytes from the tenant are one document (as Upload does).
			var id string
			err := tx.QueryRow(ctx, `SELECT id FROM documents WHERE tenant_id = $1 AND sha256 = $2
				AND parent_id IS NULL AND status <> 'refused'`, d.TenantID, d.SHA256).Scan(&id)
			if err == nil {
				docID = id
			} else if !errors.Is(err, pgx.ErrNoRows) {
				return err
			}
		}
		if docID == d.ID {
			if err := insertDocument(ctx, tx, d); err != nil {
				return err
			}
			if err := s.audit(ctx, tx, pipeline.AuditEntry{TenantID: d.TenantID, Actor: "mail", Action: "document.received",
				DocumentID: d.ID, Details: map[string]any{"file_name": d.FileName, "sha256": d.SHA256, "status": d.Status,
					"refusal": d.Refusal, "mailbox": m.MailboxID, "uidvalidity": m.UIDValidity, "uid": m.UID, "message_id": m.MessageID}}); err != nil {
				return err
			}
			if d.Status != pipeline.StatusRefused {
				if err := s.queue.EnqueueTx(ctx, tx, pipeline.Job{Kind: pipeline.JobProcess, TenantID: d.TenantID, DocumentID: d.ID}); err != nil {
					return err
				}
			}
		}
		rec = mail.Recorded{ID: uuid.NewString(), MailboxID: m.MailboxID, UIDValidity: m.UIDValidity, UID: m.UID,
			MessageID: m.MessageID, DocumentID: docID, State: "stored"}
		err = tx.QueryRow(ctx, `INSERT INTO mail_messages (id, tenant_id, mailbox_id, uidvalidity, uid, message_id, sha256,
			dedupe_key, document_id, state, from_addr, subject) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'stored', $10, $11)
			RETURNING received_at`,
			rec.ID, m.TenantID, m.MailboxID, int64(m.UIDValidity), int64(m.UID), m.MessageID, m.SHA256, m.DedupeKey(), docID,
			m.From, m.Subject).
			Scan(&rec.ReceivedAt)
		if err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, "SELECT status FROM documents WHERE id = $1", docID).Scan(&rec.DocumentStatus); err != nil {
			return err
		}
		created = true
		return nil
	})
	if err != nil && (isUniqueViolation(err, "mail_messages_place") || isUniqueViolation(err, "mail_messages_dedupe")) {
		existing, found, ferr := s.FindMessage(ctx, m)
		if ferr == nil && found {
			return existing, false, nil
		}
	}
	if err != nil {
		return mail.Recorded{}, false, err
	}
	return rec, created, nil
}

// MarkMoved records that the message left the polled folder.
func (s *Store) MarkMoved(ctx context.Context, recordID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE mail_messages SET state = 'moved', moved_at = coalesce(moved_at, now()) WHERE id = $1`, recordID)
	return err
}

const failureColumns = `mailbox_id, uidvalidity, uid, message_id, subject, attempts, reason, first_failed_at, last_failed_at, parked_at`

func scanFailure(row pgx.Row) (mail.Failure, error) {
	var f mail.Failure
	var uidv, uid int64
	err := row.Scan(&f.MailboxID, &uidv, &uid, &f.MessageID, &f.Subject, &f.Attempts, &f.Reason,
		&f.FirstFailedAt, &f.LastFailedAt, &f.ParkedAt)
	f.UIDValidity, f.UID = uint32(uidv), uint32(uid)
	return f, err
}

// MailFailure returns the failures recorded for m's place.
func (s *Store) MailFailure(ctx context.Context, m mail.Message) (mail.Failure, bool, error) {
	f, err := scanFailure(s.pool.QueryRow(ctx, "SELECT "+failureColumns+
		" FROM mail_failures WHERE mailbox_id = $1 AND uidvalidity = $2 AND uid = $3", m.MailboxID, int64(m.UIDValidity), int64(m.UID)))
	if errors.Is(err, pgx.ErrNoRows) {
		return mail.Failure{}, false, nil
	}
	return f, err == nil, err
}

// RecordFailure counts a failed intake of m with its reason.
func (s *Store) RecordFailure(ctx context.Context, m mail.Message, reason string) (int, error) {
	var attempts int
	err := s.pool.QueryRow(ctx, `INSERT INTO mail_failures (tenant_id, mailbox_id, uidvalidity, uid, message_id, subject, attempts, reason)
		VALUES ($1, $2, $3, $4, $5, $6, 1, $7)
		ON CONFLICT (mailbox_id, uidvalidity, uid) DO UPDATE SET attempts = mail_failures.attempts + 1,
			reason = EXCLUDED.reason, last_failed_at = now(),
			message_id = coalesce(nullif(EXCLUDED.message_id, ''), mail_failures.message_id),
			subject = coalesce(nullif(EXCLUDED.subject, ''), mail_failures.subject)
		RETURNING attempts`,
		m.TenantID, m.MailboxID, int64(m.UIDValidity), int64(m.UID), m.MessageID, m.Subject, reason).Scan(&attempts)
	return attempts, err
}

// MarkParked records that m was moved to the failed folder.
func (s *Store) MarkParked(ctx context.Context, m mail.Message) error {
	_, err := s.pool.Exec(ctx, `UPDATE mail_failures SET parked_at = coalesce(parked_at, now())
		WHERE mailbox_id = $1 AND uidvalidity = $2 AND uid = $3`, m.MailboxID, int64(m.UIDValidity), int64(m.UID))
	return err
}

// MailFailures lists the tenant's failed messages with their reasons, newest first.
func (s *Store) MailFailures(ctx context.Context, tenantID, mailboxID string) ([]mail.Failure, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+failureColumns+` FROM mail_failures
		WHERE tenant_id = $1 AND ($2 = '' OR mailbox_id::text = $2) ORDER BY last_failed_at DESC`, tenantID, mailboxID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []mail.Failure{}
	for rows.Next() {
		f, err := scanFailure(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// MailMessages lists the messages taken from one of the tenant's
// mailboxes, newest first, with their documents' status and parts.
func (s *Store) MailMessages(ctx context.Context, tenantID, mailboxID string) ([]mail.Taken, error) {
	if _, err := s.Mailbox(ctx, tenantID, mailboxID); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT m.uidvalidity, m.uid, m.message_id, m.state, m.received_at, m.moved_at,
			coalesce(m.reply_state, ''), m.document_id::text, d.status,
			coalesce((SELECT json_agg(json_build_object('document_id', c.id, 'file_name', c.file_name, 'status', c.status)
				ORDER BY c.received_at, c.file_name) FROM documents c WHERE c.parent_id = d.id), '[]')
		FROM mail_messages m JOIN documents d ON d.id = m.document_id AND d.tenant_id = m.tenant_id
		WHERE m.tenant_id = $1 AND m.mailbox_id = $2 ORDER BY m.received_at DESC LIMIT 500`, tenantID, mailboxID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []mail.Taken{}
	for rows.Next() {
		var t mail.Taken
		var uidv, uid int64
		var state string
		if err := rows.Scan(&uidv, &uid, &t.MessageID, &state, &t.ReceivedAt, &t.MovedAt, &t.Reply, &t.DocumentID,
			&t.DocumentStatus, &t.Parts); err != nil {
			return nil, err
		}
		t.UIDValidity, t.UID = uint32(uidv), uint32(uid)
		t.Derive(state == "moved")
		out = append(out, t)
	}
	return out, rows.Err()
}

var _ mail.ReplyStore = (*Store)(nil)

// PendingReplies lists the mailbox's messages whose answer is not decided,
// with their email document and the documents it carried.
func (s *Store) PendingReplies(ctx context.Context, mailboxID string) ([]mail.Pending, error) {
	rows, err := s.pool.Query(ctx, `SELECT m.id, m.tenant_id, m.from_addr, m.subject, m.message_id,
			d.file_name, d.document_type, d.status, d.refusal, d.refusal_message,
			coalesce((SELECT json_agg(json_build_object('file_name', c.file_name, 'type', c.document_type, 'status', c.status,
				'refusal', c.refusal, 'refusal_message', c.refusal_message) ORDER BY c.received_at, c.file_name)
				FROM documents c WHERE c.parent_id = d.id), '[]')
		FROM mail_messages m JOIN documents d ON d.id = m.document_id AND d.tenant_id = m.tenant_id
		WHERE m.mailbox_id = $1 AND m.reply_state IS NULL ORDER BY m.received_at LIMIT 200`, mailboxID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []mail.Pending
	for rows.Next() {
		var p mail.Pending
		var parts []struct {
			FileName       string `json:"file_name"`
			Type           string `json:"type"`
			Status         string `json:"status"`
			Refusal        string `json:"refusal"`
			RefusalMessage string `json:"refusal_message"`
		}
		var status string
		if err := rows.Scan(&p.RecordID, &p.TenantID, &p.From, &p.Subject, &p.MessageID, &p.Email.FileName, &p.Email.Type,
			&status, &p.Email.Refusal, &p.Email.RefusalMessage, &parts); err != nil {
			return nil, err
		}
		p.Email.Status = pipeline.Status(status)
		for _, c := range parts {
			p.Parts = append(p.Parts, mail.PendingDoc{FileName: c.FileName, Type: c.Type, Status: pipeline.Status(c.Status),
				Refusal: c.Refusal, RefusalMessage: c.RefusalMessage})
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// SetReplyState decides a message's answer once.
func (s *Store) SetReplyState(ctx context.Context, recordID, state string) (bool, error) {
	q := `UPDATE mail_messages SET reply_state = $2, replied_at = CASE WHEN $2 = 'sent' THEN now() END
		WHERE id = $1 AND reply_state IS NULL`
	if state == "failed" { // a claimed answer whose sending failed
		q = `UPDATE mail_messages SET reply_state = $2 WHERE id = $1 AND reply_state = 'sent'`
	}
	tag, err := s.pool.Exec(ctx, q, recordID, state)
	return tag.RowsAffected() == 1, err
}

// SkipReplies decides the mailbox's pending answers as not needed.
func (s *Store) SkipReplies(ctx context.Context, mailboxID string) error {
	_, err := s.pool.Exec(ctx, `UPDATE mail_messages SET reply_state = 'not_needed' WHERE mailbox_id = $1 AND reply_state IS NULL`, mailboxID)
	return err
}
