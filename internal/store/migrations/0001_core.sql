-- Brands are the co-brand sites (P0, X1): every account, number and policy
-- text belongs to one.
CREATE TABLE brands (
	id {{id}},
	slug TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	host TEXT NOT NULL UNIQUE,
	fax_domain TEXT NOT NULL,
	color_primary TEXT NOT NULL,
	color_accent TEXT NOT NULL,
	mail_from TEXT NOT NULL,
	created_at BIGINT NOT NULL
);

-- Policy versions per brand; the accepted one is recorded on the account (P1).
CREATE TABLE policy_versions (
	id {{id}},
	brand_id BIGINT NOT NULL REFERENCES brands(id),
	version TEXT NOT NULL,
	published_at BIGINT NOT NULL,
	material BOOLEAN NOT NULL DEFAULT FALSE,
	text_en TEXT NOT NULL,
	text_nl TEXT NOT NULL,
	UNIQUE (brand_id, version)
);

-- Accounts: the account number is the user's unique identifier (C2).
-- Demographics are optional and never required (C2).
CREATE TABLE accounts (
	id {{id}},
	brand_id BIGINT NOT NULL REFERENCES brands(id),
	account_number TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	email TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	language TEXT NOT NULL DEFAULT 'en',
	email_verified_at BIGINT NOT NULL DEFAULT 0,
	marketing_opt_in BOOLEAN NOT NULL,
	policy_version TEXT NOT NULL,
	policy_accepted_at BIGINT NOT NULL,
	gender TEXT NOT NULL DEFAULT '',
	occupation TEXT NOT NULL DEFAULT '',
	income_band TEXT NOT NULL DEFAULT '',
	plan TEXT NOT NULL DEFAULT 'free',
	status TEXT NOT NULL DEFAULT 'active',
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	UNIQUE (brand_id, email)
);

-- Single-use tokens mailed to users (email verification, password reset).
-- Only a hash of the token is stored.
CREATE TABLE account_tokens (
	token_hash TEXT PRIMARY KEY,
	account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	purpose TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	used_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX account_tokens_account ON account_tokens (account_id);

-- Login sessions of users and staff. Only a hash of the cookie value is
-- stored. persistent marks "remember me" (C4).
CREATE TABLE sessions (
	token_hash TEXT PRIMARY KEY,
	subject_kind TEXT NOT NULL,
	subject_id BIGINT NOT NULL,
	persistent BOOLEAN NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	last_seen_at BIGINT NOT NULL
);
CREATE INDEX sessions_subject ON sessions (subject_kind, subject_id);

-- Failed login attempts, keyed by a keyed hash of the account email or of
-- the truncated client address, for rate limiting across nodes.
CREATE TABLE login_failures (
	id {{id}},
	key_hash TEXT NOT NULL,
	at BIGINT NOT NULL
);
CREATE INDEX login_failures_key ON login_failures (key_hash, at);

-- Staff: admin, support, billing, legal.
CREATE TABLE staff (
	id {{id}},
	email TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	role TEXT NOT NULL,
	password_hash TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	disabled_at BIGINT NOT NULL DEFAULT 0
);

-- Append-only audit log: who opened which person's data, when and why
-- (Sec1, U2). Triggers in the dialect files forbid UPDATE and DELETE.
CREATE TABLE audit_log (
	id {{id}},
	at BIGINT NOT NULL,
	actor_kind TEXT NOT NULL,
	actor_id BIGINT NOT NULL,
	action TEXT NOT NULL,
	subject_kind TEXT NOT NULL,
	subject_id BIGINT NOT NULL,
	ground TEXT NOT NULL,
	detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_subject ON audit_log (subject_kind, subject_id);

-- Fax numbers: a brand's pool; account_id is set once assigned.
CREATE TABLE numbers (
	id {{id}},
	brand_id BIGINT NOT NULL REFERENCES brands(id),
	e164 TEXT NOT NULL UNIQUE,
	carrier TEXT NOT NULL,
	account_id BIGINT REFERENCES accounts(id),
	assigned_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX numbers_account ON numbers (account_id);

-- Faxes, in and out. idempotency_key makes a retried submission or a
-- replayed inbound call land once.
CREATE TABLE faxes (
	id {{id}},
	account_id BIGINT NOT NULL REFERENCES accounts(id),
	direction TEXT NOT NULL,
	status TEXT NOT NULL,
	local_number TEXT NOT NULL,
	remote_number TEXT NOT NULL,
	remote_id TEXT NOT NULL DEFAULT '',
	pages INTEGER NOT NULL DEFAULT 0,
	resolution TEXT NOT NULL DEFAULT '',
	cover_note TEXT NOT NULL DEFAULT '',
	attempts INTEGER NOT NULL DEFAULT 0,
	reason_code TEXT NOT NULL DEFAULT '',
	reason_detail TEXT NOT NULL DEFAULT '',
	idempotency_key TEXT NOT NULL UNIQUE,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL,
	completed_at BIGINT NOT NULL DEFAULT 0,
	deleted_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX faxes_account ON faxes (account_id, direction, created_at);

-- Files of a fax: the documents a sender uploaded, the encoded fax pages
-- (TIFF) and the PDF. Content lives in the blob store, encrypted with the
-- account's key.
CREATE TABLE fax_files (
	id {{id}},
	fax_id BIGINT NOT NULL REFERENCES faxes(id) ON DELETE CASCADE,
	kind TEXT NOT NULL,
	seq INTEGER NOT NULL,
	name TEXT NOT NULL,
	content_type TEXT NOT NULL,
	size BIGINT NOT NULL,
	blob_key TEXT NOT NULL,
	UNIQUE (fax_id, kind, seq)
);
