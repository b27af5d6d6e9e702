-- Fax to email: per number of an account, the addresses received faxes
-- go to and in which form (pdf, tiff or notice: a link, no content).
-- failing_at and failing_reason are set when a delivery status
-- notification reports the address as failing, and cleared when the user
-- saves the address again.
CREATE TABLE fax_email_recipients (
	id {{id}},
	account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	number TEXT NOT NULL,
	address TEXT NOT NULL,
	format TEXT NOT NULL DEFAULT 'pdf',
	failing_at BIGINT NOT NULL DEFAULT 0,
	failing_reason TEXT NOT NULL DEFAULT '',
	created_at BIGINT NOT NULL,
	UNIQUE (number, address)
);
CREATE INDEX fax_email_recipients_account ON fax_email_recipients (account_id);
