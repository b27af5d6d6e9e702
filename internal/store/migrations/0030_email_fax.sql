-- Email to fax: the addresses an account may send faxes from by email,
-- the account's email-to-fax settings, inbound messages waiting to become
-- faxes, and which faxes came by email (so the sender hears how they went).

-- Registered sending addresses, lower-cased. A message is accepted for
-- sending only from one of these, and only when it passes DMARC.
CREATE TABLE email_senders (
	id {{id}},
	account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	address TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	UNIQUE (account_id, address)
);
CREATE INDEX email_senders_address ON email_senders (address);

-- Per-account settings. token_hash is the SHA-256 (hex) of a secret the
-- subject must carry, or '' when none is required. body_note is auto (a
-- body with text becomes the cover note), always or never.
CREATE TABLE email_fax_settings (
	account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL DEFAULT '',
	body_note TEXT NOT NULL DEFAULT 'auto',
	updated_at BIGINT NOT NULL
);

-- Accepted messages. payload is the parsed message (recipients, subject,
-- note, attachments), sealed with the account's key; it is emptied once
-- the faxes are queued. status is queued, done or failed.
CREATE TABLE email_inbound (
	id {{id}},
	account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	sender TEXT NOT NULL,
	payload {{bytes}} NOT NULL,
	status TEXT NOT NULL,
	error TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	done_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX email_inbound_account ON email_inbound (account_id, created_at);

-- Faxes sent on behalf of an email: whom to tell the outcome.
CREATE TABLE fax_email_origin (
	fax_id BIGINT PRIMARY KEY REFERENCES faxes(id) ON DELETE CASCADE,
	inbound_id BIGINT NOT NULL,
	sender TEXT NOT NULL,
	notified_at BIGINT NOT NULL DEFAULT 0
);
