-- A user's pending change of email address (D1): the new address waits
-- here until a link mailed to it is followed; only the link's hash is
-- kept. Rows expire after a day.
CREATE TABLE email_changes (
	account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
	new_email TEXT NOT NULL,
	token_hash TEXT NOT NULL UNIQUE,
	expires_at BIGINT NOT NULL
);
