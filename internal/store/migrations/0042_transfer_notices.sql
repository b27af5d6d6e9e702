-- Business transfers (B1): each notice sent to a brand's users before
-- any personal data may move, and from when it may.
CREATE TABLE transfer_notices (
	id {{id}},
	brand_id BIGINT NOT NULL REFERENCES brands(id),
	sent_at BIGINT NOT NULL,
	move_after BIGINT NOT NULL,
	recipients INTEGER NOT NULL
);
