-- 0009_mail_senders: who sent each message taken in, and whether the
-- sender was answered (tenants may ask for a reply to mail that carried
-- nothing usable). reply_state NULL means not decided yet.
ALTER TABLE mail_messages
    ADD COLUMN from_addr   text NOT NULL DEFAULT '',
    ADD COLUMN subject     text NOT NULL DEFAULT '',
    ADD COLUMN reply_state text CHECK (reply_state IN ('sent', 'not_needed', 'skipped', 'failed')),
    ADD COLUMN replied_at  timestamptz;
-- Messages taken before this migration are not answered.
UPDATE mail_messages SET reply_state = 'not_needed';
CREATE INDEX mail_messages_reply_pending ON mail_messages (mailbox_id) WHERE reply_state IS NULL;
