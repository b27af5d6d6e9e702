-- A brand's default fax retention in days (RT1); 0 means the service's
-- default. A user's own choice (privacy_choices) overrides it.
ALTER TABLE brands ADD COLUMN fax_retention_days INTEGER NOT NULL DEFAULT 0;
