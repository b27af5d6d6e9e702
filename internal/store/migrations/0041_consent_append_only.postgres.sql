CREATE FUNCTION consent_ledger_append_only() RETURNS trigger AS $$
BEGIN
	RAISE EXCEPTION 'consent_ledger is append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER consent_ledger_no_change BEFORE UPDATE OR DELETE ON consent_ledger
	FOR EACH ROW EXECUTE FUNCTION consent_ledger_append_only();
