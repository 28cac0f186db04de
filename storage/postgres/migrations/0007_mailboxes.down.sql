DROP TABLE mail_failures;
DROP TABLE mail_messages;
DROP TABLE mailboxes;
