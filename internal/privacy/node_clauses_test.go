package privacy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/faxes"
	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

func TestPolicy_D1_ExportHoldsEverythingAndTheFaxPDFs(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		n := startNode(t, dbURL)
		ctx := context.Background()
		a, num := n.register(t, "Export Person", "export.person@example.org")
		if _, err := n.Faxes.Send(ctx, a.ID, faxes.SendRequest{To: num, Files: []faxes.Upload{{Name: "a.txt", Data: []byte("to myself")}}}); err != nil {
			t.Fatal(err)
		}
		n.settle(t)
		n.Privacy.SetChoices(ctx, a.ID, privacy.Choices{Newsletters: true, Contact: privacy.ContactEmail}, privacy.MethodPortal)
		token, err := n.Privacy.Export(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		// The link is the account's: another account's session cannot use it.
		b, _ := n.register(t, "Other Person", "other.person@example.org")
		if _, err := n.Privacy.Download(ctx, b.ID, token); !errors.Is(err, privacy.ErrExportExpired) {
			t.Errorf("another account downloading: %v", err)
		}
		rc, err := n.Privacy.Download(ctx, a.ID, token)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
		if err != nil {
			t.Fatal(err)
		}
		var pdfs int
		var data struct {
			Tables map[string][]map[string]any `json:"tables"`
		}
		for _, f := range zr.File {
			rc, _ := f.Open()
			body, _ := io.ReadAll(rc)
			rc.Close()
			switch {
			case f.Name == "data.json":
				if err := json.Unmarshal(body, &data); err != nil {
					t.Fatal(err)
				}
				for _, secret := range []string{"password_hash", "token_hash", "$argon2"} {
					if bytes.Contains(body, []byte(secret)) {
						t.Errorf("the export carries %q", secret)
					}
				}
			case strings.HasPrefix(f.Name, "faxes/") && bytes.HasPrefix(body, []byte("%PDF-")):
				pdfs++
			}
		}
		if pdfs != 2 {
			t.Errorf("export holds %d fax PDFs, want 2 (sent and received)", pdfs)
		}
		acct := data.Tables["accounts"]
		if len(acct) != 1 || acct[0]["email"] != "export.person@example.org" || acct[0]["gender"] != "female" {
			t.Errorf("accounts in export = %+v", acct)
		}
		for _, table := range []string{"faxes", "numbers", "privacy_choices", "consent_ledger", "mail_messages"} {
			if len(data.Tables[table]) == 0 {
				t.Errorf("export lacks %s", table)
			}
		}
		// The stored zip is sealed: its bytes are not a readable zip.
		var key string
		n.DB.QueryRowContext(ctx, "SELECT blob_key FROM privacy_exports WHERE account_id = $1", a.ID).Scan(&key)
		if r, err := n.Blobs.Get(ctx, key); err == nil {
			sealed, _ := io.ReadAll(r)
			r.Close()
			if bytes.Contains(sealed, []byte("export.person")) || bytes.HasPrefix(sealed, []byte("PK")) {
				t.Error("the export is stored in the clear")
			}
		} else {
			t.Fatal(err)
		}
	})
}

func TestPolicy_D1_ExportAndErasureNeedProofOfIdentity(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		n := startNode(t, dbURL)
		ctx := context.Background()
		a, _ := n.register(t, "Proof Person", "proof.person@example.org")
		p := n.Privacy
		if err := p.Confirm(ctx, a.ID, privacy.ActionErase, "wrong password", ""); !errors.Is(err, privacy.ErrNotConfirmed) {
			t.Errorf("wrong password: %v", err)
		}
		if err := p.Confirm(ctx, a.ID, privacy.ActionErase, "correct horse battery staple 7", ""); err != nil {
			t.Errorf("right password: %v", err)
		}
		if err := p.SendCode(ctx, a.ID, privacy.ActionExport); err != nil {
			t.Fatal(err)
		}
		code := codeRE.FindString(mailText(t, n, "proof.person@example.org", "confirmation code"))
		if err := p.Confirm(ctx, a.ID, privacy.ActionErase, "", code); !errors.Is(err, privacy.ErrNotConfirmed) {
			t.Errorf("an export code confirmed an erasure: %v", err)
		}
		if err := p.Confirm(ctx, a.ID, privacy.ActionExport, "", code); err != nil {
			t.Errorf("the emailed code %q: %v", code, err)
		}
		if err := p.Confirm(ctx, a.ID, privacy.ActionExport, "", code); !errors.Is(err, privacy.ErrNotConfirmed) {
			t.Errorf("the code worked twice: %v", err)
		}
		if err := p.Confirm(ctx, a.ID, privacy.ActionExport, "", ""); !errors.Is(err, privacy.ErrNotConfirmed) {
			t.Errorf("no proof at all: %v", err)
		}
	})
}

var codeRE = regexp.MustCompile(`\b[0-9]{6}\b`)

// mailText returns the text of the newest outbox message to addr whose
// subject contains subject.
func mailText(t *testing.T, n *node, addr, subject string) string {
	t.Helper()
	list, err := n.Mail.Recent(context.Background(), 100)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range list {
		if m.To == addr && strings.Contains(m.Subject, subject) {
			return m.Text
		}
	}
	t.Fatalf("no mail to %s about %q", addr, subject)
	return ""
}

func TestPolicy_U2_ContentOpensOnlyOnARecordedGround(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		n := startNode(t, dbURL)
		ctx := context.Background()
		a, num := n.register(t, "Conduit User", "conduit.user@example.org")
		f, err := n.Faxes.Send(ctx, a.ID, faxes.SendRequest{To: num, Files: []faxes.Upload{{Name: "a.txt", Data: []byte("private")}}})
		if err != nil {
			t.Fatal(err)
		}
		n.settle(t)
		support, legal := n.staffMember(t, staff.Support), n.staffMember(t, staff.Legal)
		for _, tt := range []struct {
			name   string
			actor  *staff.Member
			ground privacy.Ground
			ref    string
		}{
			{"support role", support, privacy.GroundLegalObligation, "case 12"},
			{"curiosity", legal, privacy.Ground("curiosity"), "case 12"},
			{"no case or ticket", legal, privacy.GroundUrgentSafety, ""},
		} {
			if _, err := n.Privacy.OpenFaxContent(ctx, tt.actor, a.ID, f.ID, tt.ground, tt.ref); err == nil {
				t.Errorf("%s: content opened", tt.name)
			}
		}
		if trail, _ := n.Staff.AuditTrail(ctx, "fax", f.ID); len(trail) != 0 {
			t.Fatalf("refused openings left audit records: %+v", trail)
		}
		pdf, err := n.Privacy.OpenFaxContent(ctx, legal, a.ID, f.ID, privacy.GroundLegalObligation, "case 12")
		if err != nil || !bytes.HasPrefix(pdf, []byte("%PDF-")) {
			t.Fatalf("opening on a legal ground: %d bytes, %v", len(pdf), err)
		}
		trail, err := n.Staff.AuditTrail(ctx, "fax", f.ID)
		if err != nil || len(trail) != 1 || trail[0].ActorID != legal.ID || trail[0].Ground != "legal obligation: case 12" {
			t.Errorf("audit trail = %+v, %v", trail, err)
		}
	})
}

func TestPolicy_J1_BlockedSenderRefusedAtDelivery(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		n := startNode(t, dbURL)
		ctx := context.Background()
		spammer, spamNum := n.register(t, "Spam Sender", "spam.sender@example.org")
		victim, victimNum := n.register(t, "Spam Victim", "spam.victim@example.org")
		send := func() *faxes.Fax {
			f, err := n.Faxes.Send(ctx, spammer.ID, faxes.SendRequest{To: victimNum, Files: []faxes.Upload{{Name: "a.txt", Data: []byte("BUY TONER")}}})
			if err != nil {
				t.Fatal(err)
			}
			n.settle(t)
			return f
		}
		send()
		in, _ := n.Faxes.List(ctx, victim.ID, faxes.In, 0, 10)
		if len(in) != 1 {
			t.Fatalf("inbox before blocking: %d faxes", len(in))
		}
		if err := n.Privacy.ReportJunk(ctx, victim.ID, in[0].ID, true); err != nil {
			t.Fatal(err)
		}
		f := send()
		if in, _ := n.Faxes.List(ctx, victim.ID, faxes.In, 0, 10); len(in) != 1 {
			t.Errorf("inbox after blocking %s: %d faxes, want still 1", spamNum, len(in))
		}
		got, _ := n.Faxes.Get(ctx, spammer.ID, f.ID)
		if got.Status == faxes.Delivered {
			t.Errorf("the blocked fax was delivered: %+v", got)
		}
	})
}

// Registration records the marketing choice as the ledger's first entry,
// marks an invited friend as joined, and refuses a deleted child's address.
func TestPolicy_K1_RegistrationRefusesDeletedChildsAddress(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		n := startNode(t, dbURL)
		ctx := context.Background()
		inviter, _ := n.register(t, "Ina Inviter", "ina@example.org")
		if _, err := n.Privacy.Refer(ctx, inviter.ID, "Kim", "kim.kid@example.org"); err != nil {
			t.Fatal(err)
		}
		kid, _ := n.register(t, "Kim Kid", "kim.kid@example.org")
		if sent, joined, _ := n.Privacy.ReferralStats(ctx, inviter.ID); sent != 1 || joined != 1 {
			t.Errorf("referral after the friend registered: %d sent, %d joined", sent, joined)
		}
		l, err := n.Privacy.Ledger(ctx, kid.ID)
		if err != nil || len(l) != 1 || l[0].Purpose != privacy.PurposeMarketing || l[0].Method != privacy.MethodRegistration || !l[0].Granted {
			t.Errorf("ledger after registration = %+v, %v", l, err)
		}
		if err := n.Privacy.FlagChild(ctx, n.staffMember(t, staff.Support), kid.ID, "ticket 7: parent wrote in"); err != nil {
			t.Fatal(err)
		}
		b, _ := n.Brands.BySlug(ctx, "default")
		p, _ := n.Brands.CurrentPolicy(ctx, b.ID)
		no := false
		_, err = n.Accounts.Register(ctx, accounts.Registration{BrandID: b.ID, Name: "Kim Again", Email: "Kim.Kid@example.org",
			Password: "correct horse battery staple 7", Marketing: &no, AcceptPolicy: true, PolicyVersion: p.Version})
		var verr *accounts.ValidationError
		if !errors.As(err, &verr) || verr.Field("email") != "err.email_refused" {
			t.Errorf("registering the child's address again: %v", err)
		}
	})
}

// The node schedules the retention job and it runs (RT1).
func TestPolicy_RT1_RetentionJobRunsOnTheNode(t *testing.T) {
	n := startNode(t, storetest.SQLiteURL(t))
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		var done int
		n.DB.QueryRow("SELECT COUNT(*) FROM river_job WHERE kind = 'privacy_retention' AND state = 'completed'").Scan(&done)
		if done > 0 {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("no completed privacy_retention job 20 s after the node started")
}
