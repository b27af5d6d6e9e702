// Package privacy makes Faxhaven's privacy policy true in code: the data
// registry (what is stored, why, on what basis and for how long), a user's
// export and erasure, retention, the consent ledger and the user's choices,
// junk-fax blocking, referrals, surveys, children's accounts, aggregate
// statistics and the register of processors and transfers.
//
// The registry is the single declaration of personal data (architecture
// principle 5). A test reads the schema of a migrated database and fails
// when a column is not declared here, so no column can start holding
// personal data unnoticed. Erasure, export, retention and the privacy page
// all read the registry.
package privacy

import (
	"fmt"
	"sort"
	"time"

	"github.com/faxhaven/faxhaven/internal/numbers"
)

// Category is the kind of data a column holds.
type Category string

// The categories of the registry. None marks a column that identifies
// nobody (a status, a count, a foreign key to another declared row).
const (
	Contact     Category = "contact"     // name, address, phone: how to reach the person
	Demographic Category = "demographic" // optional profile answers (C2)
	Billing     Category = "billing"     // plan and billing records
	Content     Category = "content"     // faxes, mail, what the user sends and receives
	Technical   Category = "technical"   // sessions, tokens, keys, logs
	Legal       Category = "legal"       // legal cases, consent, audit records
	None        Category = "none"        // identifies nobody
)

// Basis is the legal ground for keeping a piece of data (GDPR article 6).
type Basis string

// The legal bases in use.
const (
	Contract   Basis = "contract"   // needed to provide the service the user asked for
	Consent    Basis = "consent"    // the user chose it and can withdraw it
	LegalDuty  Basis = "legal duty" // the law requires it
	Legitimate Basis = "legitimate" // the service's legitimate interest (security, abuse)
	NoBasis    Basis = ""           // for None columns
)

// Column declares one stored column.
type Column struct {
	Name     string
	Category Category
	Purpose  string // why it is kept, in plain words
}

// Table declares a table: its columns, whose data it holds, and how long
// it is kept.
type Table struct {
	Name    string
	Basis   Basis
	Columns []Column
	// Retention says in plain words how long rows are kept; Period is the
	// same as a duration where a fixed one applies (0: see Retention).
	Retention string
	Period    time.Duration
	// Owner is the SQL condition selecting one account's rows, with $1 the
	// account ID; "" when rows belong to no account.
	Owner string
	// Kept, when not "", is why an account's rows survive its erasure.
	Kept string
	// Erase is the statement that erases one account's rows ($1 the
	// account ID, and $2, if it uses it, the time of erasure in stored
	// form) when deleting them is not right; "" means DELETE with Owner.
	Erase string
}

// Identifying reports whether any column of t can identify a person.
func (t *Table) Identifying() bool {
	for _, c := range t.Columns {
		if c.Category != None {
			return true
		}
	}
	return false
}

// Column returns the declaration of the named column, or nil.
func (t *Table) Column(name string) *Column {
	for i := range t.Columns {
		if t.Columns[i].Name == name {
			return &t.Columns[i]
		}
	}
	return nil
}

func none(names ...string) []Column {
	out := make([]Column, len(names))
	for i, n := range names {
		out[i] = Column{Name: n, Category: None}
	}
	return out
}

func cols(groups ...[]Column) []Column {
	var out []Column
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

// Periods of the retention schedule (RT1).
const (
	DefaultFaxRetention  = 90 * 24 * time.Hour // faxes, unless the user or brand says otherwise
	UnverifiedRetention  = 30 * 24 * time.Hour // accounts whose address was never confirmed
	MailRetention        = 30 * 24 * time.Hour // sent mail in the outbox
	ReferralWindow       = 30 * 24 * time.Hour // a friend's details after the invitation
	ExportLifetime       = 7 * 24 * time.Hour  // an export's download link
	InboundMailRetention = 7 * 24 * time.Hour  // email-to-fax messages once done
	AuditRetention       = 6 * 365 * 24 * time.Hour
)

// Registry declares every table of the service's schema and every column
// in it. The schema test keeps it complete.
var Registry = []Table{
	{Name: "schema_migrations", Columns: none("version", "name", "applied_at"), Retention: "for the life of the installation"},
	{Name: "brands", Columns: none("id", "slug", "name", "host", "fax_domain", "color_primary", "color_accent", "mail_from", "created_at",
		"fax_retention_days"),
		Retention: "for the life of the brand"},
	{Name: "policy_versions", Columns: none("id", "brand_id", "version", "published_at", "material", "text_en", "text_nl"),
		Retention: "for the life of the brand"},
	{Name: "secrets", Columns: none("name", "value", "created_at"), Retention: "for the life of the installation"},
	{Name: "accounts", Basis: Contract, Owner: "id = $1",
		Retention: "until the account is deleted; unconfirmed accounts after 30 days",
		Columns: cols(none("id", "brand_id", "language", "email_verified_at", "plan", "status", "created_at", "updated_at"),
			[]Column{
				{"account_number", Contact, "your account's unique identifier (C2)"},
				{"name", Contact, "to address you"},
				{"email", Contact, "to log you in and write to you about your service"},
				{"password_hash", Technical, "to check your password; the password itself is never stored"},
				{"marketing_opt_in", Legal, "your choice about offers by email (O1)"},
				{"policy_version", Legal, "which privacy policy you accepted (P1)"},
				{"policy_accepted_at", Legal, "when you accepted it (P1)"},
				{"gender", Demographic, "optional, for aggregate statistics only (C2, G1)"},
				{"occupation", Demographic, "optional, for aggregate statistics only (C2, G1)"},
				{"income_band", Demographic, "optional, for aggregate statistics only (C2, G1)"},
			})},
	{Name: "account_tokens", Basis: Contract, Owner: "account_id = $1", Retention: "a day after the link expires or is used",
		Columns: cols(none("account_id", "purpose", "created_at", "expires_at", "used_at"),
			[]Column{{"token_hash", Technical, "to check a link we emailed you; only a hash is kept"}})},
	{Name: "sessions", Basis: Contract, Owner: "subject_kind = 'account' AND subject_id = $1",
		Retention: "until you log out, 12 hours, or 30 days with \"remember me\"",
		Columns: cols(none("subject_kind", "subject_id", "persistent", "created_at", "expires_at", "last_seen_at"),
			[]Column{{"token_hash", Technical, "to keep you logged in; only a hash is kept"}})},
	{Name: "login_failures", Basis: Legitimate, Retention: "15 minutes", Period: 15 * time.Minute,
		Columns: cols(none("id", "at"), []Column{{"key_hash", Technical, "to slow down password guessing; a keyed hash, not your address"}})},
	{Name: "staff", Basis: Contract, Retention: "while the staff member works for the operator",
		Columns: cols(none("id", "role", "created_at", "disabled_at", "must_change_password"),
			[]Column{{"email", Contact, "staff login"}, {"name", Contact, "staff name"}, {"password_hash", Technical, "staff login"}})},
	{Name: "audit_log", Basis: LegalDuty, Retention: "6 years, for accountability (Sec1, U2)", Period: AuditRetention,
		Owner: "subject_kind = 'account' AND subject_id = $1", Kept: "accountability: the record of who looked at your data and why (Sec1); it holds IDs, not your details",
		Columns: cols(none("id", "at", "actor_kind", "actor_id", "action", "subject_kind", "subject_id"),
			[]Column{{"ground", Legal, "why staff looked at data"}, {"detail", Legal, "which fields staff saw"}})},
	{Name: "numbers", Basis: Contract, Owner: "account_id = $1", Retention: "while assigned to you; then back to the pool",
		Erase: numbers.ReleaseSQL,
		Columns: cols(none("id", "brand_id", "carrier", "assigned_at", "released_at"),
			[]Column{{"e164", Contact, "your fax number"}, {"account_id", Contact, "which account the number belongs to"}})},
	{Name: "faxes", Basis: Contract, Owner: "account_id = $1",
		Retention: "90 days unless you or your brand chose otherwise; deleted with your account", Period: DefaultFaxRetention,
		Columns: cols(none("id", "account_id", "direction", "status", "pages", "resolution", "attempts", "reason_code",
			"idempotency_key", "created_at", "updated_at", "completed_at", "deleted_at"),
			[]Column{{"local_number", Contact, "your fax number on this fax"},
				{"remote_number", Contact, "the other party's number, to send or show the fax"},
				{"remote_id", Contact, "the other party's fax ID"},
				{"cover_note", Content, "the cover page you wrote"},
				{"reason_detail", Technical, "why a fax failed"}})},
	{Name: "fax_files", Basis: Contract, Owner: "fax_id IN (SELECT id FROM faxes WHERE account_id = $1)", Retention: "with the fax",
		Columns: cols(none("id", "fax_id", "kind", "seq", "content_type", "size", "blob_key"),
			[]Column{{"name", Content, "the name of a file you sent"}})},
	{Name: "account_keys", Basis: Contract, Owner: "account_id = $1", Retention: "until the account is deleted; then destroyed",
		Kept: "the shredded key's stamp, so no new key is made for an erased account; it holds no key and no data",
		Columns: cols(none("account_id", "key_id", "created_at", "destroyed_at"),
			[]Column{{"wrapped", Technical, "your data key, wrapped; destroying it makes your content unreadable, backups included"}})},
	{Name: "mail_messages", Basis: Contract, Owner: "account_id = $1", Retention: "30 days after sending", Period: MailRetention,
		Columns: cols(none("id", "account_id", "sealed", "status", "attempts", "created_at", "sent_at"),
			[]Column{{"sender", Contact, "who the mail is from"}, {"recipients", Contact, "who the mail is to"},
				{"subject", Content, "the subject of service mail"}, {"raw", Content, "the message, sealed with your key"},
				{"subject_sealed", Content, "the subject, sealed with your key"}, {"last_error", Technical, "why delivery failed"}})},
	{Name: "email_senders", Basis: Contract, Owner: "account_id = $1", Retention: "until you remove the address",
		Columns: cols(none("id", "account_id", "created_at"), []Column{{"address", Contact, "addresses allowed to send faxes by email"}})},
	{Name: "email_fax_settings", Basis: Contract, Owner: "account_id = $1", Retention: "until the account is deleted",
		Columns: cols(none("account_id", "body_note", "updated_at"), []Column{{"token_hash", Technical, "hash of your email-to-fax secret"}})},
	{Name: "email_inbound", Basis: Contract, Owner: "account_id = $1", Retention: "7 days after the faxes are queued", Period: InboundMailRetention,
		Columns: cols(none("id", "account_id", "status", "created_at", "done_at"),
			[]Column{{"sender", Contact, "who emailed the fax"}, {"payload", Content, "the message, sealed with your key"}, {"error", Technical, "why it failed"}})},
	{Name: "fax_email_origin", Basis: Contract, Owner: "fax_id IN (SELECT id FROM faxes WHERE account_id = $1)", Retention: "with the fax",
		Columns: cols(none("fax_id", "inbound_id", "notified_at"), []Column{{"sender", Contact, "whom to tell how the fax went"}})},
	{Name: "fax_email_recipients", Basis: Contract, Owner: "account_id = $1", Retention: "until you remove the address",
		Columns: cols(none("id", "account_id", "format", "failing_at", "created_at"),
			[]Column{{"number", Contact, "your fax number"}, {"address", Contact, "where received faxes go"}, {"failing_reason", Technical, "why delivery failed"}})},

	// Issue 7's own tables.
	{Name: "privacy_choices", Basis: Consent, Owner: "account_id = $1", Retention: "until the account is deleted",
		Columns: cols(none("account_id", "newsletters", "partner_offers", "open_tracking", "contact_channel", "fax_retention_days", "updated_at"),
			[]Column{{"phone", Contact, "to call you back for support, if you prefer the phone (M3)"}})},
	{Name: "consent_ledger", Basis: LegalDuty, Owner: "account_id = $1", Retention: "6 years, as proof of consent",
		Kept: "proof of what you consented to and when; it holds your account ID only",
		Columns: cols(none("id", "purpose", "granted", "policy_version", "method", "at"),
			[]Column{{"account_id", Legal, "whose choice it was"}})},
	{Name: "legal_cases", Basis: LegalDuty, Retention: "6 years after the case closes",
		Columns: cols(none("id", "brand_id", "instrument", "received_at", "instrument_valid", "complaint_copy", "fees_accepted",
			"status", "research_minutes", "pages", "courier", "closed_at"),
			[]Column{{"reference", Legal, "the court's or authority's reference"}, {"requester", Legal, "who asked"},
				{"threshold_ground", Legal, "why the L5 threshold is met"}, {"early_ground", Legal, "why release may not wait (L3)"},
				{"early_document", Legal, "the order compelling early release"}})},
	{Name: "legal_case_accounts", Basis: LegalDuty, Owner: "account_id = $1", Retention: "with the case",
		Kept:    "a legal case names the account; the case file is kept for the legal period",
		Columns: cols(none("case_id", "notified_at", "objected_at"), []Column{{"account_id", Legal, "which account a request names"}})},
	{Name: "legal_case_documents", Basis: LegalDuty, Retention: "with the case",
		Columns: cols(none("id", "case_id", "kind", "added_at", "blob_key"), []Column{{"name", Legal, "document name"}})},
	{Name: "legal_holds", Basis: LegalDuty, Owner: "account_id = $1", Retention: "until the hold is released",
		Kept:    "a legal hold suspends erasure of the data it names",
		Columns: cols(none("id", "case_id", "placed_at", "released_at"), []Column{{"account_id", Legal, "whose data is held"}})},
	{Name: "junk_reports", Basis: Legitimate, Owner: "account_id = $1", Retention: "1 year", Period: 365 * 24 * time.Hour,
		Columns: cols(none("id", "account_id", "fax_id", "at"), []Column{{"sender", Contact, "the junk sender's number or fax ID"}})},
	{Name: "blocked_senders", Basis: Contract, Owner: "account_id = $1", Retention: "until you unblock the sender",
		Columns: cols(none("account_id", "created_at"), []Column{{"sender", Contact, "a sender you blocked"}})},
	{Name: "brand_blocklist", Basis: Legitimate, Retention: "until an admin removes it",
		Columns: cols(none("brand_id", "status", "reports", "updated_at"), []Column{{"sender", Contact, "a junk sender many users reported"}})},
	{Name: "referrals", Basis: Consent, Owner: "account_id = $1", Retention: "30 days after the invitation (R1)", Period: ReferralWindow,
		Columns: cols(none("id", "account_id", "brand_id", "sent_at", "joined_at", "expires_at"),
			[]Column{{"friend_sealed", Contact, "your friend's name and address, sealed, to send one invitation"},
				{"friend_hash", Contact, "a keyed hash of the address, to see whether they joined"}})},
	{Name: "survey_answers", Basis: Consent, Retention: "2 years; not linked to you", Period: 2 * 365 * 24 * time.Hour,
		Columns: cols(none("id", "brand_id", "survey", "at"), []Column{{"answers", Content, "survey answers, stored apart from identity (Q1)"}})},
	{Name: "child_blocks", Basis: LegalDuty, Retention: "indefinitely: a keyed hash only (K1)",
		Columns: cols(none("brand_id", "at"), []Column{{"email_hash", Technical, "keyed hash of a child's address, so it cannot register again"}})},
	{Name: "erasures", Basis: LegalDuty, Owner: "account_id = $1", Retention: "6 years, as proof of erasure",
		Kept:    "proof that the account was erased and of what was kept; it holds the account ID only",
		Columns: cols(none("id", "requested_at", "done_at", "kept"), []Column{{"account_id", Legal, "which account was erased"}})},
	{Name: "transfer_notices", Columns: none("id", "brand_id", "sent_at", "move_after", "recipients"),
		Retention: "for the life of the brand"},
	{Name: "email_changes", Basis: Contract, Owner: "account_id = $1", Retention: "a day, or until the new address is confirmed",
		Period: EmailChangeTTL,
		Columns: cols(none("account_id", "expires_at"), []Column{{"new_email", Contact, "the address you want to change to, until you confirm it"},
			{"token_hash", Technical, "hash of the confirmation link"}})},
	{Name: "privacy_exports", Basis: Contract, Owner: "account_id = $1", Retention: "7 days", Period: ExportLifetime,
		Columns: cols(none("id", "account_id", "blob_key", "created_at", "expires_at"), []Column{{"token_hash", Technical, "hash of your download link"}})},
}

// Lookup returns the declaration of the named table, or nil.
func Lookup(table string) *Table {
	for i := range Registry {
		if Registry[i].Name == table {
			return &Registry[i]
		}
	}
	return nil
}

// Undeclared compares a schema (table -> columns) with the registry and
// returns one line per column or table that is not declared, and per
// declaration the schema lacks, sorted.
func Undeclared(schema map[string][]string) []string {
	var out []string
	for table, columns := range schema {
		t := Lookup(table)
		if t == nil {
			out = append(out, fmt.Sprintf("table %s is not in the privacy registry; declare it in internal/privacy/registry.go", table))
			continue
		}
		seen := map[string]bool{}
		for _, c := range columns {
			seen[c] = true
			if t.Column(c) == nil {
				out = append(out, fmt.Sprintf("column %s.%s is not in the privacy registry; declare its category, or None if it identifies nobody", table, c))
			}
		}
		for _, c := range t.Columns {
			if !seen[c.Name] {
				out = append(out, fmt.Sprintf("column %s.%s is declared but not in the schema; remove the declaration", table, c.Name))
			}
		}
	}
	for _, t := range Registry {
		if _, ok := schema[t.Name]; !ok {
			out = append(out, fmt.Sprintf("table %s is declared but not in the schema", t.Name))
		}
	}
	sort.Strings(out)
	return out
}
