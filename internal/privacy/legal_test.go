package privacy_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// readyIntake is a civil subpoena that passes every check.
func readyIntake(brandID int64, accountIDs ...int64) privacy.CaseIntake {
	return privacy.CaseIntake{BrandID: brandID, Instrument: privacy.Subpoena, Reference: "CV-2026-0412", Requester: "Example & Partners LLP",
		Accounts: accountIDs, InstrumentValid: true, ComplaintCopy: true, FeesAccepted: true,
		ThresholdGround: "the requester sued John Doe and the complaint names the fax number"}
}

func TestPolicy_L3_SubpoenaWaitsTwoWeeks(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		legal := w.member(t, staff.Legal)
		acct := w.account(t, "Carla Subscriber")
		c, err := w.p.OpenCase(ctx, legal, readyIntake(w.brand.ID, acct))
		if err != nil {
			t.Fatal(err)
		}
		// The subscriber is told at intake, with the earliest release date.
		notices := w.mail.to(emailOf("Carla Subscriber"), "legal_notice")
		if len(notices) != 1 || !strings.Contains(notices[0].Text, start.Add(14*24*time.Hour).Format("2006-01-02")) ||
			!strings.Contains(notices[0].Text, "CV-2026-0412") {
			t.Fatalf("notices at intake = %+v", notices)
		}
		w.clk.Advance(14*24*time.Hour - time.Minute)
		if _, err := w.p.Release(ctx, legal, c.ID); !errors.Is(err, privacy.ErrNotYet) {
			t.Fatalf("release a minute before 14 days: %v, want ErrNotYet", err)
		}
		w.clk.Advance(time.Minute)
		d, err := w.p.Release(ctx, legal, c.ID)
		if err != nil {
			t.Fatalf("release after 14 days: %v", err)
		}
		// The package is a zip with a manifest naming every file in it.
		zr, err := zip.NewReader(bytes.NewReader(d.Zip), int64(len(d.Zip)))
		if err != nil {
			t.Fatal(err)
		}
		files := map[string]string{}
		for _, f := range zr.File {
			rc, _ := f.Open()
			b, _ := io.ReadAll(rc)
			rc.Close()
			files[f.Name] = string(b)
		}
		var m privacy.Manifest
		if err := json.Unmarshal([]byte(files["manifest.json"]), &m); err != nil {
			t.Fatalf("manifest: %v", err)
		}
		if m.Case != c.ID || len(m.Files) != 1 || !strings.Contains(files[m.Files[0]], emailOf("Carla Subscriber")) {
			t.Fatalf("manifest %+v, files %v", m, files)
		}
		got, _ := w.p.CaseByID(ctx, c.ID)
		if got.Status != privacy.CaseReleased {
			t.Errorf("status after release = %q", got.Status)
		}
	})
}

func TestPolicy_L3_ObjectionHaltsRelease(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		legal := w.member(t, staff.Legal)
		acct := w.account(t, "Olga Objector")
		c, err := w.p.OpenCase(ctx, legal, readyIntake(w.brand.ID, acct))
		if err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(3 * 24 * time.Hour)
		if err := w.p.Object(ctx, legal, c.ID, acct); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(30 * 24 * time.Hour)
		if _, err := w.p.Release(ctx, legal, c.ID); !errors.Is(err, privacy.ErrObjected) {
			t.Fatalf("release after an objection: %v, want ErrObjected", err)
		}
	})
}

func TestPolicy_L3_EarlyReleaseNeedsGroundAndDocument(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		legal := w.member(t, staff.Legal)
		acct := w.account(t, "Uri Urgent")
		in := readyIntake(w.brand.ID, acct)
		in.Instrument = privacy.Warrant
		c, err := w.p.OpenCase(ctx, legal, in)
		if err != nil {
			t.Fatal(err)
		}
		if err := w.p.RecordEarlyGround(ctx, legal, c.ID, "imminent danger to life", ""); err == nil {
			t.Fatal("an early ground without its document was accepted")
		}
		if _, err := w.p.Release(ctx, legal, c.ID); !errors.Is(err, privacy.ErrNotYet) {
			t.Fatalf("release on day 0 without a ground: %v", err)
		}
		if err := w.p.RecordEarlyGround(ctx, legal, c.ID, "imminent danger to life", "emergency-order-17.pdf"); err != nil {
			t.Fatal(err)
		}
		d, err := w.p.Release(ctx, legal, c.ID)
		if err != nil {
			t.Fatalf("release with a recorded early ground: %v", err)
		}
		if d.Manifest.EarlyGround != "imminent danger to life" {
			t.Errorf("manifest does not state the early ground: %+v", d.Manifest)
		}
	})
}

func TestPolicy_L2_ReleaseNeedsValidInstrumentAndFeeTerms(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		legal := w.member(t, staff.Legal)
		acct := w.account(t, "Ivo Intake")
		for _, tt := range []struct {
			name   string
			break_ func(*privacy.CaseIntake)
		}{
			{"instrument not valid", func(c *privacy.CaseIntake) { c.InstrumentValid = false }},
			{"fee terms not accepted", func(c *privacy.CaseIntake) { c.FeesAccepted = false }},
		} {
			in := readyIntake(w.brand.ID, acct)
			tt.break_(&in)
			c, err := w.p.OpenCase(ctx, legal, in)
			if err != nil {
				t.Fatal(err)
			}
			w.clk.Advance(15 * 24 * time.Hour)
			if _, err := w.p.Release(ctx, legal, c.ID); !errors.Is(err, privacy.ErrChecks) {
				t.Errorf("%s: release = %v, want ErrChecks", tt.name, err)
			}
		}
		if _, err := w.p.OpenCase(ctx, legal, privacy.CaseIntake{BrandID: w.brand.ID, Instrument: "letter", Reference: "x", Requester: "y", Accounts: []int64{acct}}); err == nil {
			t.Error("a request without a lawful instrument was opened")
		}
	})
}

func TestPolicy_L5_SubpoenaNeedsComplaintAndThreshold(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		legal := w.member(t, staff.Legal)
		acct := w.account(t, "Tess Threshold")
		for _, tt := range []struct {
			name   string
			break_ func(*privacy.CaseIntake)
		}{
			{"no complaint copy", func(c *privacy.CaseIntake) { c.ComplaintCopy = false }},
			{"no threshold ground", func(c *privacy.CaseIntake) { c.ThresholdGround = " " }},
		} {
			in := readyIntake(w.brand.ID, acct)
			tt.break_(&in)
			c, err := w.p.OpenCase(ctx, legal, in)
			if err != nil {
				t.Fatal(err)
			}
			w.clk.Advance(15 * 24 * time.Hour)
			if _, err := w.p.Release(ctx, legal, c.ID); !errors.Is(err, privacy.ErrChecks) {
				t.Errorf("%s: release = %v, want ErrChecks", tt.name, err)
			}
			// Once the documents arrive the operator can decide to release.
			if err := w.p.RecordChecks(ctx, legal, c.ID, true, true, true, "the suit implicates the customer"); err != nil {
				t.Fatal(err)
			}
			if _, err := w.p.Release(ctx, legal, c.ID); err != nil {
				t.Errorf("%s: release after the checks were completed: %v", tt.name, err)
			}
		}
	})
}

func TestPolicy_L4_FeeInvoice(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		legal := w.member(t, staff.Legal)
		c, err := w.p.OpenCase(ctx, legal, readyIntake(w.brand.ID, w.account(t, "Fee Payer")))
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			minutes, pages int
			courier        bool
			total          int64
			text           string
		}{
			{60, 0, false, 9000, "Total: USD 90.00"},
			{150, 40, true, 22500 + 1000 + 2200, "Total: USD 257.00"},
			{20, 3, false, 3000 + 75, "Total: USD 30.75"},
		} {
			if err := w.p.RecordWork(ctx, legal, c.ID, tt.minutes, tt.pages, tt.courier); err != nil {
				t.Fatal(err)
			}
			inv, err := w.p.Invoice(ctx, c.ID)
			if err != nil {
				t.Fatal(err)
			}
			if inv.TotalCents != tt.total || !strings.Contains(inv.String(), tt.text) {
				t.Errorf("%d min, %d pages, courier %v: total %d, text %q; want %d", tt.minutes, tt.pages, tt.courier, inv.TotalCents, inv.String(), tt.total)
			}
			if inv.Due.Sub(inv.Issued) != 15*24*time.Hour {
				t.Errorf("due %v after issue, want 15 days", inv.Due.Sub(inv.Issued))
			}
		}
	})
}

func TestPolicy_L1_EveryStepAuditedAndOnlyLegalStaff(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		legal := w.member(t, staff.Legal)
		support := w.member(t, staff.Support)
		acct := w.account(t, "Audited Person")
		if _, err := w.p.OpenCase(ctx, support, readyIntake(w.brand.ID, acct)); !errors.Is(err, staff.ErrForbidden) {
			t.Fatalf("support opening a legal case: %v, want ErrForbidden", err)
		}
		c, err := w.p.OpenCase(ctx, legal, readyIntake(w.brand.ID, acct))
		if err != nil {
			t.Fatal(err)
		}
		w.p.RecordWork(ctx, legal, c.ID, 30, 2, false)
		w.p.Hold(ctx, legal, c.ID, acct)
		w.clk.Advance(15 * 24 * time.Hour)
		if _, err := w.p.Release(ctx, legal, c.ID); err != nil {
			t.Fatal(err)
		}
		trail, err := w.staff.AuditTrail(ctx, "legal_case", c.ID)
		if err != nil {
			t.Fatal(err)
		}
		var steps []string
		for _, e := range trail {
			if e.ActorID != legal.ID {
				t.Errorf("audit entry by %d, want the legal member %d", e.ActorID, legal.ID)
			}
			steps = append(steps, e.Action+":"+e.Detail)
		}
		all := strings.Join(steps, "\n")
		for _, want := range []string{"legal_case:work", "legal_case:hold on account", "view_account:disclosure"} {
			if !strings.Contains(all, want) {
				t.Errorf("audit trail lacks %q:\n%s", want, all)
			}
		}
		if n := w.count(t, "SELECT COUNT(*) FROM audit_log WHERE action = 'legal_case' AND detail LIKE 'intake%'"); n != 1 {
			t.Errorf("%d intake audit records, want 1", n)
		}
	})
}

func TestPolicy_L1_TransparencyReportCountsOnly(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		legal := w.member(t, staff.Legal)
		a, b := w.account(t, "Transparent One"), w.account(t, "Transparent Two")
		c1, _ := w.p.OpenCase(ctx, legal, readyIntake(w.brand.ID, a, b))
		w.p.OpenCase(ctx, legal, readyIntake(w.brand.ID, a))
		in := readyIntake(w.brand.ID, b)
		in.Instrument = privacy.Warrant
		w.p.OpenCase(ctx, legal, in)
		w.clk.Advance(15 * 24 * time.Hour)
		if _, err := w.p.Release(ctx, legal, c1.ID); err != nil {
			t.Fatal(err)
		}
		rows, err := w.p.Transparency(ctx, w.brand.ID, start.Add(-time.Hour), start.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := []privacy.TransparencyRow{{Instrument: privacy.Subpoena, Received: 2, Released: 1, Accounts: 3}, {Instrument: privacy.Warrant, Received: 1, Accounts: 1}}
		if len(rows) != len(want) {
			t.Fatalf("report = %+v, want %+v", rows, want)
		}
		for i := range want {
			if rows[i] != want[i] {
				t.Errorf("row %d = %+v, want %+v", i, rows[i], want[i])
			}
		}
	})
}

func TestPolicy_L2_CaseDocumentsFiledAndAudited(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		legal := w.member(t, staff.Legal)
		c, err := w.p.OpenCase(ctx, legal, readyIntake(w.brand.ID, w.account(t, "Doc Subject")))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.p.AddDocument(ctx, legal, c.ID, "complaint", "complaint.pdf", strings.NewReader("%PDF-1.4 complaint")); err != nil {
			t.Fatal(err)
		}
		if err := w.p.AddDocument(ctx, legal, c.ID, "", "x.pdf", strings.NewReader("x")); err == nil {
			t.Error("a document without its kind was filed")
		}
		docs, err := w.p.Documents(ctx, c.ID)
		if err != nil || len(docs) != 1 || docs[0] != [2]string{"complaint", "complaint.pdf"} {
			t.Fatalf("documents = %v, %v", docs, err)
		}
		var key string
		db.QueryRow("SELECT blob_key FROM legal_case_documents WHERE case_id = $1", c.ID).Scan(&key)
		rc, err := w.blobs.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(rc)
		rc.Close()
		if string(body) != "%PDF-1.4 complaint" {
			t.Errorf("stored document = %q", body)
		}
		if n := w.count(t, "SELECT COUNT(*) FROM audit_log WHERE subject_kind = 'legal_case' AND subject_id = $1 AND detail = 'document complaint'", c.ID); n != 1 {
			t.Errorf("%d audit records of the filing, want 1", n)
		}
	})
}
