DROP INDEX mail_messages_reply_pending;
ALTER TABLE mail_messages DROP COLUMN from_addr, DROP COLUMN subject, DROP COLUMN reply_state, DROP COLUMN replied_at;
