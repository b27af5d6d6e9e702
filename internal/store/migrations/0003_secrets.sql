-- Secrets every node of a cluster shares, made once by whichever node
-- starts first: keys for the keyed hashes of rate limits and logs.
CREATE TABLE secrets (
	name TEXT PRIMARY KEY,
	value {{bytes}} NOT NULL,
	created_at BIGINT NOT NULL
);
