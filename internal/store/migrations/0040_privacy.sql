-- Privacy (issue 7). Every column here is declared in the data registry
-- (internal/privacy), which says what it holds, why and for how long.

-- A user's current choices (O1-O4, C6, M3) and data settings (RT1). The
-- history of every choice is in consent_ledger.
CREATE TABLE privacy_choices (
	account_id BIGINT PRIMARY KEY REFERENCES accounts(id) ON DELETE CASCADE,
	newsletters BOOLEAN NOT NULL DEFAULT FALSE,
	partner_offers BOOLEAN NOT NULL DEFAULT FALSE,
	open_tracking BOOLEAN NOT NULL DEFAULT FALSE,
	contact_channel TEXT NOT NULL DEFAULT 'email',
	phone TEXT NOT NULL DEFAULT '',
	fax_retention_days INTEGER NOT NULL DEFAULT 0,
	updated_at BIGINT NOT NULL
);

-- Append-only ledger of consent: every choice, with the policy version it
-- was given under, when and how (O1, N1). It holds no identity beyond the
-- account ID. Triggers in the dialect files forbid UPDATE and DELETE.
CREATE TABLE consent_ledger (
	id {{id}},
	account_id BIGINT NOT NULL,
	purpose TEXT NOT NULL,
	granted BOOLEAN NOT NULL,
	policy_version TEXT NOT NULL,
	method TEXT NOT NULL,
	at BIGINT NOT NULL
);
CREATE INDEX consent_ledger_account ON consent_ledger (account_id, purpose, id);

-- Legal requests (L1-L5): one case per subpoena, court order or warrant.
-- Money is in cents, time in minutes.
CREATE TABLE legal_cases (
	id {{id}},
	brand_id BIGINT NOT NULL REFERENCES brands(id),
	instrument TEXT NOT NULL,
	reference TEXT NOT NULL,
	requester TEXT NOT NULL,
	received_at BIGINT NOT NULL,
	instrument_valid BOOLEAN NOT NULL DEFAULT FALSE,
	complaint_copy BOOLEAN NOT NULL DEFAULT FALSE,
	fees_accepted BOOLEAN NOT NULL DEFAULT FALSE,
	threshold_ground TEXT NOT NULL DEFAULT '',
	early_ground TEXT NOT NULL DEFAULT '',
	early_document TEXT NOT NULL DEFAULT '',
	status TEXT NOT NULL,
	research_minutes INTEGER NOT NULL DEFAULT 0,
	pages INTEGER NOT NULL DEFAULT 0,
	courier BOOLEAN NOT NULL DEFAULT FALSE,
	closed_at BIGINT NOT NULL DEFAULT 0
);

-- The accounts a case names, when the subscriber was told (L3) and when
-- they objected.
CREATE TABLE legal_case_accounts (
	case_id BIGINT NOT NULL REFERENCES legal_cases(id),
	account_id BIGINT NOT NULL,
	notified_at BIGINT NOT NULL DEFAULT 0,
	objected_at BIGINT NOT NULL DEFAULT 0,
	PRIMARY KEY (case_id, account_id)
);

-- Documents of a case (the instrument, the complaint, a gag order); the
-- content is in the blob store under blob_key.
CREATE TABLE legal_case_documents (
	id {{id}},
	case_id BIGINT NOT NULL REFERENCES legal_cases(id),
	kind TEXT NOT NULL,
	name TEXT NOT NULL,
	blob_key TEXT NOT NULL,
	added_at BIGINT NOT NULL
);

-- Legal holds suspend retention and erasure for the account they name
-- until released.
CREATE TABLE legal_holds (
	id {{id}},
	case_id BIGINT NOT NULL REFERENCES legal_cases(id),
	account_id BIGINT NOT NULL,
	placed_at BIGINT NOT NULL,
	released_at BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX legal_holds_account ON legal_holds (account_id, released_at);

-- Junk fax (J1): reports by users, senders they blocked, and the brand's
-- block list that admins review. sender is a caller number or a fax ID.
CREATE TABLE junk_reports (
	id {{id}},
	account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	fax_id BIGINT NOT NULL,
	sender TEXT NOT NULL,
	at BIGINT NOT NULL,
	UNIQUE (account_id, fax_id)
);
CREATE INDEX junk_reports_sender ON junk_reports (sender);
CREATE TABLE blocked_senders (
	account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	sender TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	PRIMARY KEY (account_id, sender)
);
CREATE TABLE brand_blocklist (
	brand_id BIGINT NOT NULL REFERENCES brands(id),
	sender TEXT NOT NULL,
	status TEXT NOT NULL,
	reports INTEGER NOT NULL,
	updated_at BIGINT NOT NULL,
	PRIMARY KEY (brand_id, sender)
);

-- Tell a friend (R1): the friend's name and address sealed with the
-- referrer's key, a keyed hash of the address to see whether they joined
-- and to invite them only once.
CREATE TABLE referrals (
	id {{id}},
	account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	brand_id BIGINT NOT NULL,
	friend_sealed {{bytes}} NOT NULL,
	friend_hash TEXT NOT NULL,
	sent_at BIGINT NOT NULL,
	joined_at BIGINT NOT NULL DEFAULT 0,
	expires_at BIGINT NOT NULL,
	UNIQUE (brand_id, friend_hash)
);

-- Survey answers (Q1), stored apart from identity: no account column.
CREATE TABLE survey_answers (
	id {{id}},
	brand_id BIGINT NOT NULL,
	survey TEXT NOT NULL,
	answers TEXT NOT NULL,
	at BIGINT NOT NULL
);

-- Children (K1): keyed hashes of addresses of deleted child accounts, so
-- the address cannot register again; the address itself is not kept.
CREATE TABLE child_blocks (
	brand_id BIGINT NOT NULL,
	email_hash TEXT NOT NULL,
	at BIGINT NOT NULL,
	PRIMARY KEY (brand_id, email_hash)
);

-- Erasures (D1): when an account was erased and what was kept and why.
CREATE TABLE erasures (
	id {{id}},
	account_id BIGINT NOT NULL,
	requested_at BIGINT NOT NULL,
	done_at BIGINT NOT NULL DEFAULT 0,
	kept TEXT NOT NULL DEFAULT ''
);

-- Exports (D1): a zip in the blob store, sealed with the account's key,
-- fetched by an expiring link whose token is stored only as a hash.
CREATE TABLE privacy_exports (
	id {{id}},
	account_id BIGINT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
	token_hash TEXT NOT NULL UNIQUE,
	blob_key TEXT NOT NULL,
	created_at BIGINT NOT NULL,
	expires_at BIGINT NOT NULL
);
