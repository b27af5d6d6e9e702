-- The hourly limits of email to fax count an account's accepted and its
-- refused messages apart; this index answers both without reading rows.
CREATE INDEX email_inbound_account_status ON email_inbound (account_id, status, created_at);
