-- A staff member created with a generated one-time password must choose
-- their own at the first login.
ALTER TABLE staff ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE;
