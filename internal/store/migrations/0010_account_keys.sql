-- Per-account data keys (principle 5). Each account's AES-256 key is stored
-- wrapped (AES-GCM) under the master key named by key_id, so a master key
-- can be rotated by rewrapping. Destroying an account's key empties wrapped
-- and stamps destroyed_at: everything sealed with it becomes unreadable.
-- No foreign key: the row must outlive the account it shreds.
CREATE TABLE account_keys (
	account_id BIGINT PRIMARY KEY,
	key_id TEXT NOT NULL,
	wrapped {{bytes}} NOT NULL,
	created_at BIGINT NOT NULL,
	destroyed_at BIGINT NOT NULL DEFAULT 0
);
