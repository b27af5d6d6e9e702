-- Outbound mail. raw holds the whole RFC 5322 message, sealed with the
-- account's data key when account_id is not 0 (sealed = TRUE). status is
-- queued, sent, kept (no relay: shown in the local outbox), failed or
-- bounced. Each row is queued together with its delivery job.
CREATE TABLE mail_messages (
	id {{id}},
	account_id BIGINT NOT NULL DEFAULT 0,
	sender TEXT NOT NULL,
	recipients TEXT NOT NULL,
	subject TEXT NOT NULL,
	raw {{bytes}} NOT NULL,
	sealed BOOLEAN NOT NULL,
	status TEXT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	last_error TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	sent_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX mail_messages_status ON mail_messages (status, id);
CREATE INDEX mail_messages_account ON mail_messages (account_id, id);
