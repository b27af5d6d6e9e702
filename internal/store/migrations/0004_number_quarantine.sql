-- When a number was last given back to the pool: it rests before another
-- account may get it, so faxes meant for its old holder do not reach a
-- stranger.
ALTER TABLE numbers ADD COLUMN released_at BIGINT NOT NULL DEFAULT 0;
