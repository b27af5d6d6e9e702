-- Subjects of account mail can name third parties (a fax's sender), so for
-- account mail the subject is stored sealed with the account's key here and
-- the clear subject column stays empty. NULL for service mail.
ALTER TABLE mail_messages ADD COLUMN subject_sealed {{bytes}};
