package privacy_test

import (
	"context"
	"database/sql"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/internal/faxes"
	"github.com/faxhaven/faxhaven/internal/keys"
	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// letter is the text Alice faxes; its words must not survive her erasure.
const letter = "Quarterly figures for Vandermeer Holdings, strictly confidential"

// seedEverywhere gives the account a row in every table the registry ties
// to accounts, content in the blob store and mail in the outbox.
func seedEverywhere(t *testing.T, n *node, accountID int64, email, number string) {
	t.Helper()
	ctx := context.Background()
	p := n.Privacy
	if err := n.Faxes.SetRecipient(ctx, accountID, number, email, "pdf"); err != nil {
		t.Fatal(err)
	}
	if err := n.Faxes.AddSender(ctx, accountID, email); err != nil {
		t.Fatal(err)
	}
	if _, err := n.Faxes.SetEmailSettings(ctx, accountID, "auto", true, false); err != nil {
		t.Fatal(err)
	}
	f, err := n.Faxes.Send(ctx, accountID, faxes.SendRequest{To: number, Files: []faxes.Upload{{Name: "figures.txt", Data: []byte(letter)}}})
	if err != nil {
		t.Fatal(err)
	}
	n.settle(t)
	if _, err := n.Accounts.SessionStore().Create(ctx, "account", accountID, true); err != nil {
		t.Fatal(err)
	}
	sealed, err := n.Keys.Seal(ctx, accountID, []byte(letter), nil)
	if err != nil {
		t.Fatal(err)
	}
	now := store.Micros(n.Clock.Now())
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{"INSERT INTO email_inbound (account_id, sender, payload, status, created_at) VALUES ($1, $2, $3, 'done', $4)", []any{accountID, email, sealed, now}},
		{"INSERT INTO fax_email_origin (fax_id, inbound_id, sender) VALUES ($1, 1, $2)", []any{f.ID, email}},
	} {
		if _, err := n.DB.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%s: %v", q.sql, err)
		}
	}
	if err := p.SetChoices(ctx, accountID, privacy.Choices{Newsletters: true, OpenTracking: true, Contact: "phone", Phone: number}, "portal"); err != nil {
		t.Fatal(err)
	}
	in, err := n.Faxes.List(ctx, accountID, faxes.In, 0, 10)
	if err != nil || len(in) == 0 {
		t.Fatalf("inbox = %v, %v", in, err)
	}
	if err := p.ReportJunk(ctx, accountID, in[0].ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Refer(ctx, accountID, "Aurelia's friend", "friend.of.aurelia@example.net"); err != nil {
		t.Fatal(err)
	}
	if err := p.RequestEmailChange(ctx, accountID, "aurelia.next@example.org", func(tok string) string { return "https://localhost/e?token=" + tok }); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Export(ctx, accountID); err != nil {
		t.Fatal(err)
	}
	// A legal case named the account and its hold was released.
	legal := n.staffMember(t, staff.Legal)
	c, err := p.OpenCase(ctx, legal, privacy.CaseIntake{BrandID: 1, Instrument: privacy.Subpoena, Reference: "2026-CV-118",
		Requester: "Example County Court", Accounts: []int64{accountID}})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Hold(ctx, legal, c.ID, accountID); err != nil {
		t.Fatal(err)
	}
	if err := p.ReleaseHolds(ctx, legal, c.ID); err != nil {
		t.Fatal(err)
	}
	// Support looked at the account: the audit log records it.
	m := n.staffMember(t, staff.Support)
	if err := n.Staff.Open(ctx, m, staff.Access{Action: staff.ActionViewAccount, SubjectKind: "account", SubjectID: accountID,
		Ground: "ticket 4711", Detail: "name, email"}, func(*sql.Tx) error { return nil }); err != nil {
		t.Fatal(err)
	}
	// Every table that holds account rows has one now.
	for _, tb := range privacy.Registry {
		if tb.Owner == "" || tb.Name == "erasures" { // erasures is written by erasure itself
			continue
		}
		var c int
		if err := n.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+tb.Name+" WHERE "+tb.Owner, accountID).Scan(&c); err != nil {
			t.Fatal(err)
		}
		if c == 0 {
			t.Errorf("seeding left %s empty for the account; seed it so erasure is tested there", tb.Name)
		}
	}
}

// scanDB returns "table.column" for every value in every table (the job
// queue's included) that contains one of needles.
func scanDB(t *testing.T, db *store.DB, needles []string) []string {
	t.Helper()
	ctx := context.Background()
	q := "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
	if db.Dialect == store.SQLite {
		q = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
	}
	rows, err := db.QueryContext(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var s string
		rows.Scan(&s)
		tables = append(tables, s)
	}
	rows.Close()
	var hits []string
	for _, tb := range tables {
		r, err := db.QueryContext(ctx, "SELECT * FROM "+tb)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := r.Columns()
		vals := make([]sql.RawBytes, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		for r.Next() {
			if err := r.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			for i, v := range vals {
				for _, nd := range needles {
					if strings.Contains(strings.ToLower(string(v)), strings.ToLower(nd)) {
						hits = append(hits, tb+"."+cols[i]+" holds "+nd)
					}
				}
			}
		}
		r.Close()
	}
	return hits
}

func TestPolicy_D1_ErasureLeavesOnlyLegalExceptions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		n := startNode(t, dbURL)
		ctx := context.Background()
		const name, email = "Aurelia Vandermeer", "aurelia.vandermeer@example.org"
		alice, aliceNum := n.register(t, name, email)
		bob, bobNum := n.register(t, "Bob Bystander", "bob.bystander@example.org")
		seedEverywhere(t, n, alice.ID, email, aliceNum)
		sealed, err := n.Keys.Seal(ctx, alice.ID, []byte("still readable?"), nil)
		if err != nil {
			t.Fatal(err)
		}
		needles := []string{name, email, alice.Number, aliceNum, strings.TrimPrefix(aliceNum, "+"), "friend.of.aurelia", "aurelia.next", letter}
		if hits := scanDB(t, n.DB, needles); len(hits) < 5 {
			t.Fatalf("before erasure the scan finds only %v; the seeding or the scan is broken", hits)
		}
		var before []string
		filepath.WalkDir(n.BlobDir, func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() {
				before = append(before, p)
			}
			return nil
		})

		e, err := n.Privacy.Erase(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		if e.Pending {
			t.Fatal("erasure is pending though every hold was released")
		}
		n.settle(t)

		// Only the number remains, back in the brand's pool and pointing
		// at nobody.
		for _, h := range scanDB(t, n.DB, needles) {
			if strings.HasPrefix(h, "numbers.e164 ") {
				continue
			}
			t.Errorf("after erasure %s", h)
		}
		var owner sql.NullInt64
		if err := n.DB.QueryRowContext(ctx, "SELECT account_id FROM numbers WHERE e164 = $1", aliceNum).Scan(&owner); err != nil || owner.Valid {
			t.Errorf("alice's number still belongs to %v (%v)", owner, err)
		}
		// Her content is gone from the blob store; what is left is Bob's
		// or nobody's, and no file holds her words in the clear.
		left := 0
		for _, p := range before {
			b, err := os.ReadFile(p)
			if err != nil {
				continue
			}
			left++
			if strings.Contains(string(b), letter) || strings.Contains(string(b), email) {
				t.Errorf("blob %s holds her data in the clear", p)
			}
		}
		if left != 0 {
			t.Errorf("%d of %d blob files are left; all were hers", left, len(before))
		}
		// The key is shredded: a sealed copy (as in a backup) is unreadable.
		if _, err := n.Keys.Open(ctx, alice.ID, sealed, nil); !errors.Is(err, keys.ErrKeyDestroyed) {
			t.Errorf("opening her sealed data after erasure: %v, want ErrKeyDestroyed", err)
		}
		// What stays says why.
		var kept string
		if err := n.DB.QueryRowContext(ctx, "SELECT kept FROM erasures WHERE account_id = $1 AND done_at > 0", alice.ID).Scan(&kept); err != nil {
			t.Fatal(err)
		}
		for _, tb := range []string{"audit_log", "consent_ledger", "legal_case_accounts", "erasures"} {
			if !strings.Contains(kept, tb+": ") {
				t.Errorf("the erasure record does not give the reason %s stays: %q", tb, kept)
			}
		}
		// Bob is untouched.
		if b, err := n.Accounts.ByID(ctx, bob.ID); err != nil || b.Email != "bob.bystander@example.org" {
			t.Errorf("bob after alice's erasure: %+v, %v", b, err)
		}
		if got, _ := n.Accounts.FaxNumber(ctx, bob.ID); got != bobNum {
			t.Errorf("bob's number = %q, want %q", got, bobNum)
		}
		// Erasing again is harmless.
		if _, err := n.Privacy.Erase(ctx, alice.ID); err != nil {
			t.Errorf("second erasure: %v", err)
		}
	})
}
