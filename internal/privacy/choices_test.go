package privacy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

func TestPolicy_O1_EveryChoiceInAppendOnlyLedger(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		a := w.account(t, "Lena Ledger")
		if err := w.p.SetMarketing(ctx, a, true, privacy.MethodPortal); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(time.Hour)
		if err := w.p.SetChoices(ctx, a, privacy.Choices{Newsletters: true, OpenTracking: true, Contact: privacy.ContactEmail}, privacy.MethodPortal); err != nil {
			t.Fatal(err)
		}
		if err := w.p.SetMarketing(ctx, a, false, privacy.MethodUnsubscribe); err != nil {
			t.Fatal(err)
		}
		got, err := w.p.Ledger(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		want := []struct {
			purpose string
			granted bool
			method  string
		}{{privacy.PurposeMarketing, true, privacy.MethodPortal}, {privacy.PurposeNewsletters, true, privacy.MethodPortal},
			{privacy.PurposeOpenTracking, true, privacy.MethodPortal}, {privacy.PurposeMarketing, false, privacy.MethodUnsubscribe}}
		if len(got) != len(want) {
			t.Fatalf("ledger = %+v", got)
		}
		for i, r := range got {
			if r.Purpose != want[i].purpose || r.Granted != want[i].granted || r.Method != want[i].method || r.PolicyVersion != "v1" {
				t.Errorf("ledger[%d] = %+v, want %+v under v1", i, r, want[i])
			}
		}
		if !got[1].At.Equal(start.Add(time.Hour)) {
			t.Errorf("ledger time = %v, want %v", got[1].At, start.Add(time.Hour))
		}
		// Nobody can rewrite or remove the history.
		if _, err := db.Exec("UPDATE consent_ledger SET granted = TRUE"); err == nil {
			t.Error("the consent ledger accepted an UPDATE")
		}
		if _, err := db.Exec("DELETE FROM consent_ledger"); err == nil {
			t.Error("the consent ledger accepted a DELETE")
		}
	})
}

func TestPolicy_O2_PartnerOffersOnlyToConsentingFreeUsers(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		never := w.account(t, "Never Chose")
		yes := w.account(t, "Free Yes")
		paid := w.account(t, "Paid Yes", "plan=paid")
		closed := w.account(t, "Closed Yes", "status=closed")
		for _, a := range []int64{yes, paid, closed} {
			if err := w.p.SetChoices(ctx, a, privacy.Choices{PartnerOffers: true, Contact: privacy.ContactEmail}, privacy.MethodPortal); err != nil {
				t.Fatal(err)
			}
		}
		got, err := w.p.PartnerOfferRecipients(ctx, w.brand.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != yes {
			t.Fatalf("recipients = %v, want only the consenting free user %d (never %d, paid %d, closed %d)", got, yes, never, paid, closed)
		}
		// Consent is as easy to withdraw as to give, free plan or not.
		if err := w.p.SetChoices(ctx, yes, privacy.Choices{Contact: privacy.ContactEmail}, privacy.MethodPortal); err != nil {
			t.Fatal(err)
		}
		if got, _ := w.p.PartnerOfferRecipients(ctx, w.brand.ID); len(got) != 0 {
			t.Errorf("after withdrawal recipients = %v", got)
		}
	})
}

func TestPolicy_C6_NoPixelUnlessTrackingOn(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		a := w.account(t, "Pia Pixel")
		if px, err := w.p.Pixel(ctx, a, 77, "https://fax.example"); err != nil || px != "" {
			t.Fatalf("never chosen: pixel %q, %v", px, err)
		}
		w.p.SetChoices(ctx, a, privacy.Choices{OpenTracking: true, Contact: privacy.ContactEmail}, privacy.MethodPortal)
		px, err := w.p.Pixel(ctx, a, 77, "https://fax.example")
		if err != nil || !strings.Contains(string(px), "<img") {
			t.Fatalf("tracking on: pixel %q, %v", px, err)
		}
		// Pseudonymous: it names neither the person nor the account.
		for _, leak := range []string{"pia", "N-Pia", "77"} {
			if strings.Contains(strings.ToLower(string(px)), strings.ToLower(leak)) {
				t.Errorf("pixel %q contains %q", px, leak)
			}
		}
		w.p.SetChoices(ctx, a, privacy.Choices{OpenTracking: false, Contact: privacy.ContactEmail}, privacy.MethodPortal)
		if px, _ := w.p.Pixel(ctx, a, 77, "https://fax.example"); px != "" {
			t.Errorf("tracking switched off: pixel %q", px)
		}
	})
}

func TestPolicy_M3_ContactByEmailOrPhone(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		a := w.account(t, "Phone Person")
		if c, _ := w.p.ChoicesOf(ctx, a); c.Contact != privacy.ContactEmail {
			t.Errorf("default contact = %q, want email", c.Contact)
		}
		for _, tt := range []struct {
			c  privacy.Choices
			ok bool
		}{
			{privacy.Choices{Contact: privacy.ContactPhone, Phone: "+31 20 555 0101"}, true},
			{privacy.Choices{Contact: privacy.ContactPhone}, false},
			{privacy.Choices{Contact: "pigeon"}, false},
			{privacy.Choices{Contact: privacy.ContactEmail, FaxRetentionDays: 99999}, false},
		} {
			err := w.p.SetChoices(ctx, a, tt.c, privacy.MethodPortal)
			if (err == nil) != tt.ok {
				t.Errorf("SetChoices(%+v) = %v", tt.c, err)
			}
		}
		if c, _ := w.p.ChoicesOf(ctx, a); c.Contact != privacy.ContactPhone || c.Phone != "+31 20 555 0101" {
			t.Errorf("stored choices = %+v", c)
		}
	})
}

func TestPolicy_N1_NewUseOnlyWithConsentUnderNewVersion(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		optedIn := w.account(t, "Opted In", "marketing=true")
		optedOut := w.account(t, "Opted Out")
		closed := w.account(t, "Closed Account", "marketing=true", "status=closed")
		old := w.account(t, "Old Consent")
		b := &brands.Service{DB: db, Clock: w.clk}
		if err := b.PublishPolicy(ctx, brands.Policy{BrandID: w.brand.ID, Version: "v2", Material: true, TextEN: "New: fax analytics.", TextNL: "Nieuw: faxanalyse."}); err != nil {
			t.Fatal(err)
		}
		n, err := w.p.NotifyPolicyChange(ctx, w.brand.ID, "v2", "https://localhost/privacy")
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 || len(w.mail.to(emailOf("Opted In"), "policy_change")) != 1 {
			t.Errorf("policy mail to %d users; opted-in got %d", n, len(w.mail.to(emailOf("Opted In"), "policy_change")))
		}
		for _, name := range []string{"Opted Out", "Closed Account"} {
			if len(w.mail.to(emailOf(name), "policy_change")) != 0 {
				t.Errorf("%s was contacted about the change", name)
			}
		}
		// A yes given under v1 does not cover a use v2 introduces.
		w.p.Record(ctx, old, "analytics", true, privacy.MethodPortal)
		if err := w.p.ConsentToNewUse(ctx, optedIn, "analytics", "v2", true, privacy.MethodEmail); err != nil {
			t.Fatal(err)
		}
		w.p.ConsentToNewUse(ctx, closed, "analytics", "v2", true, privacy.MethodEmail)
		got, err := w.p.MayUseNewly(ctx, w.brand.ID, "analytics", "v2")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0] != optedIn {
			t.Errorf("may use newly = %v, want only %d (out %d, closed %d, old %d)", got, optedIn, optedOut, closed, old)
		}
		// Withdrawing consent ends the new use.
		w.p.ConsentToNewUse(ctx, optedIn, "analytics", "v2", false, privacy.MethodPortal)
		if got, _ := w.p.MayUseNewly(ctx, w.brand.ID, "analytics", "v2"); len(got) != 0 {
			t.Errorf("after withdrawal = %v", got)
		}
	})
}

func TestPolicy_B1_TransferWaitsForNoticeToEveryUser(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		admin := w.member(t, staff.Admin)
		w.account(t, "Transfer Active")
		w.account(t, "Transfer Optout")
		w.account(t, "Transfer Closed", "status=closed")
		if err := w.p.TransferMayProceed(ctx, w.brand.ID); !errors.Is(err, privacy.ErrTransferTooSoon) {
			t.Fatalf("before any notice: %v", err)
		}
		n, err := w.p.AnnounceTransfer(ctx, admin, w.brand.ID, "Faxhaven Example B.V. takes over the service; the policy stays the same.",
			start.Add(30*24*time.Hour), "https://localhost/privacy")
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("notices sent to %d users, want all 3", n)
		}
		for _, name := range []string{"Transfer Active", "Transfer Optout", "Transfer Closed"} {
			if len(w.mail.to(emailOf(name), "transfer")) != 1 {
				t.Errorf("%s got no transfer notice", name)
			}
		}
		if err := w.p.TransferMayProceed(ctx, w.brand.ID); !errors.Is(err, privacy.ErrTransferTooSoon) {
			t.Errorf("before the notice's date: %v", err)
		}
		w.clk.Advance(31 * 24 * time.Hour)
		if err := w.p.TransferMayProceed(ctx, w.brand.ID); err != nil {
			t.Errorf("after the date: %v", err)
		}
		// Someone who joined after the notice was never told.
		w.account(t, "Late Joiner")
		if err := w.p.TransferMayProceed(ctx, w.brand.ID); !errors.Is(err, privacy.ErrTransferTooSoon) {
			t.Errorf("with an untold user: %v", err)
		}
	})
}

func TestPolicy_M2_AnnouncementsReachEveryoneAndAreNotPromotion(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		w.account(t, "Announce Optout")
		w.account(t, "Announce Optin", "marketing=true")
		if _, err := w.p.Announce(ctx, w.brand.ID, "promotion", "50% off", "Upgrade now"); err == nil {
			t.Error("a promotion was sent as a service announcement")
		}
		n, err := w.p.Announce(ctx, w.brand.ID, "maintenance", "Maintenance on Sunday", "The service is down from 02:00 to 03:00 UTC.")
		if err != nil || n != 2 {
			t.Fatalf("announce = %d, %v", n, err)
		}
		m := w.mail.to(emailOf("Announce Optout"), "announcement")
		if len(m) != 1 || !strings.Contains(m[0].Text, "cannot be switched off") {
			t.Errorf("opted-out user's announcement = %+v", m)
		}
	})
}

func TestPolicy_Q1_SurveyAnswersApartFromIdentity(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		w.clk.Set(start.Add(13*time.Hour + 17*time.Minute))
		if err := w.p.Answer(ctx, w.brand.ID, "2026-q1", map[string]string{"useful": "yes", "skip": " "}); err != nil {
			t.Fatal(err)
		}
		if err := w.p.Answer(ctx, w.brand.ID, "2026-q1", map[string]string{"useful": ""}); err != nil {
			t.Fatal(err)
		}
		var answers string
		var at int64
		if err := db.QueryRow("SELECT answers, at FROM survey_answers").Scan(&answers, &at); err != nil {
			t.Fatal(err)
		}
		if answers != `{"useful":"yes"}` || store.Time(at).Hour() != 0 {
			t.Errorf("stored %q at %v; want only the given answer, at day precision", answers, store.Time(at))
		}
		if n := w.count(t, "SELECT COUNT(*) FROM survey_answers"); n != 1 {
			t.Errorf("an empty response stored a row: %d rows", n)
		}
		if privacy.Lookup("survey_answers").Owner != "" {
			t.Error("survey answers are declared as tied to an account")
		}
	})
}

func TestPolicy_G1_AggregatesSuppressSmallCells(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		add := func(n int, occ string) {
			for i := 0; i < n; i++ {
				w.account(t, occ+" "+string(rune('a'+i/26))+string(rune('a'+i%26)), "occupation="+occ)
			}
		}
		add(12, "student")
		add(10, "employed")
		add(3, "retired")
		a, err := w.p.Demographics(ctx, w.brand.ID, "occupation")
		if err != nil {
			t.Fatal(err)
		}
		// Only the retired cell is small; alone it could be worked out from
		// the total, so the smallest shown cell is hidden with it.
		if len(a.Cells) != 1 || a.Cells[0] != (privacy.Cell{Value: "student", Count: 12}) || a.Suppressed != 13 {
			t.Errorf("aggregate = %+v", a)
		}
		add(9, "other")
		a, _ = w.p.Demographics(ctx, w.brand.ID, "occupation")
		for _, c := range a.Cells {
			if c.Count < privacy.MinCell {
				t.Errorf("cell %+v is below %d", c, privacy.MinCell)
			}
		}
		if len(a.Cells) != 2 || a.Suppressed != 12 {
			t.Errorf("aggregate with two small cells = %+v", a)
		}
		if _, err := w.p.Demographics(ctx, w.brand.ID, "email"); err == nil {
			t.Error("aggregating a non-demographic field was allowed")
		}
	})
}

func TestPolicy_K1_ChildAccountDeletedAndCannotReturn(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		support := w.member(t, staff.Support)
		kid := w.account(t, "Kid Under Thirteen")
		if err := w.p.FlagChild(ctx, support, kid, "ticket 99: parent wrote in"); err != nil {
			t.Fatal(err)
		}
		if w.count(t, "SELECT COUNT(*) FROM accounts WHERE id = $1", kid) != 0 {
			t.Error("the child's account still exists")
		}
		if err := w.p.CheckRegistration(ctx, w.brand.ID, "  "+strings.ToUpper(emailOf("Kid Under Thirteen"))); !errors.Is(err, privacy.ErrChildBlocked) {
			t.Errorf("registering the address again: %v", err)
		}
		if err := w.p.CheckRegistration(ctx, w.brand.ID, "someone.else@example.org"); err != nil {
			t.Errorf("another address: %v", err)
		}
		// Only a keyed hash remains, not the address.
		if w.count(t, "SELECT COUNT(*) FROM child_blocks WHERE email_hash LIKE '%example%'") != 0 {
			t.Error("the child block holds the address")
		}
	})
}

func TestPolicy_R1_FriendGetsOneInvitationThenDetailsRemoved(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		a := w.account(t, "Ref Errer")
		b := w.account(t, "Other Referrer")
		if _, err := w.p.Refer(ctx, a, "Frida Friend", "Frida@Example.net"); err != nil {
			t.Fatal(err)
		}
		if _, err := w.p.Refer(ctx, a, "Frida", "frida@example.net"); !errors.Is(err, privacy.ErrAlreadyInvited) {
			t.Errorf("second invitation by the same user: %v", err)
		}
		if _, err := w.p.Refer(ctx, b, "Frida", "frida@example.net"); !errors.Is(err, privacy.ErrAlreadyInvited) {
			t.Errorf("second invitation by another user: %v", err)
		}
		if _, err := w.p.Refer(ctx, a, "Existing", emailOf("Other Referrer")); !errors.Is(err, privacy.ErrAlreadyInvited) {
			t.Errorf("inviting an existing user: %v", err)
		}
		if got := w.mail.to("frida@example.net", "referral"); len(got) != 1 {
			t.Fatalf("friend got %d invitations", len(got))
		}
		// Stored sealed: neither name nor address in the clear.
		if w.count(t, "SELECT COUNT(*) FROM referrals WHERE friend_hash LIKE '%frida%'") != 0 {
			t.Error("the referral holds the address in the clear")
		}
		w.clk.Advance(10 * 24 * time.Hour)
		if err := w.p.Joined(ctx, w.brand.ID, "frida@example.net"); err != nil {
			t.Fatal(err)
		}
		if sent, joined, _ := w.p.ReferralStats(ctx, a); sent != 1 || joined != 1 {
			t.Errorf("stats = %d sent, %d joined", sent, joined)
		}
		w.clk.Advance(21 * 24 * time.Hour)
		if _, err := w.p.Retain(ctx); err != nil {
			t.Fatal(err)
		}
		if n := w.count(t, "SELECT COUNT(*) FROM referrals"); n != 0 {
			t.Errorf("%d referrals kept after the window", n)
		}
	})
}

func TestPolicy_J1_ReportsBlockAndBrandReview(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		users := []int64{w.account(t, "Junk One"), w.account(t, "Junk Two"), w.account(t, "Junk Three")}
		bystander := w.account(t, "Junk Bystander")
		const spam = "+18005550199"
		for i, u := range users {
			f := w.fax(t, u, "in", spam, "CHEAP TONER")
			if err := w.p.ReportJunk(ctx, u, f, i == 0); err != nil {
				t.Fatal(err)
			}
		}
		// The reporter who blocked is protected; the others are not yet.
		if b, _ := w.p.Blocked(ctx, users[0], spam, ""); !b {
			t.Error("the blocking user still receives the sender")
		}
		if b, _ := w.p.Blocked(ctx, users[1], spam, ""); b {
			t.Error("a user who only reported is blocked before admin review")
		}
		p, err := w.p.Proposals(ctx, w.brand.ID)
		if err != nil || len(p) != 1 || p[0].Sender != "tel:"+spam || p[0].Reports != 3 || p[0].Status != privacy.BlockProposed {
			t.Fatalf("proposals = %+v, %v", p, err)
		}
		if err := w.p.Review(ctx, w.brand.ID, p[0].Sender, privacy.BlockActive); err != nil {
			t.Fatal(err)
		}
		if b, _ := w.p.Blocked(ctx, bystander, spam, ""); !b {
			t.Error("the brand-wide block does not reach other users")
		}
		// Blocking by fax ID works when the number is withheld.
		if err := w.p.Block(ctx, bystander, "", "cheap toner"); err != nil {
			t.Fatal(err)
		}
		if b, _ := w.p.Blocked(ctx, bystander, "", "CHEAP TONER"); !b {
			t.Error("a fax-ID block does not match")
		}
		// Only received faxes can be reported.
		out := w.fax(t, bystander, "out", "+3120999", "")
		if err := w.p.ReportJunk(ctx, bystander, out, false); err == nil {
			t.Error("a sent fax was reported as junk")
		}
	})
}

func TestPolicy_T1_ProcessorRegisterShowsBasisAndNoReuse(t *testing.T) {
	if len(privacy.Processors) == 0 {
		t.Fatal("the processor register is empty")
	}
	for _, p := range append(append([]privacy.Processor{}, privacy.Processors...), privacy.Transfers...) {
		if p.MayReuse {
			t.Errorf("%s may reuse data", p.Name)
		}
		if p.Basis == "" || p.Data == "" || p.Condition == "" {
			t.Errorf("%s lacks its basis, data or condition: %+v", p.Name, p)
		}
	}
}

func TestPolicy_O3_UnsubscribeLinkSwitchesOffAndIsRecorded(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		a := w.account(t, "Una Unsub", "marketing=true")
		other := w.account(t, "Other Person")
		w.p.SetChoices(ctx, a, privacy.Choices{Newsletters: true, Contact: privacy.ContactEmail}, privacy.MethodPortal)
		tok, err := w.p.UnsubscribeToken(a, privacy.PurposeNewsletters)
		if err != nil {
			t.Fatal(err)
		}
		if p, err := w.p.Unsubscribe(ctx, tok); err != nil || p != privacy.PurposeNewsletters {
			t.Fatalf("unsubscribe = %q, %v", p, err)
		}
		if c, _ := w.p.ChoicesOf(ctx, a); c.Newsletters {
			t.Error("newsletters still on after the link")
		}
		mk, _ := w.p.UnsubscribeToken(a, privacy.PurposeMarketing)
		w.p.Unsubscribe(ctx, mk)
		if w.count(t, "SELECT COUNT(*) FROM accounts WHERE id = $1 AND marketing_opt_in", a) != 0 {
			t.Error("marketing still on after the link")
		}
		l, _ := w.p.Ledger(ctx, a)
		if last := l[len(l)-1]; last.Method != privacy.MethodUnsubscribe || last.Granted {
			t.Errorf("last ledger entry = %+v", last)
		}
		// A token cannot be bent to another account or forged.
		other1, _ := w.p.UnsubscribeToken(other, privacy.PurposeNewsletters)
		forged := []byte(tok)
		forged[len(forged)-1] ^= 1
		for _, bad := range []string{"", "x", string(forged), other1[:len(other1)-2] + tok[len(tok)-2:]} {
			if _, err := w.p.Unsubscribe(ctx, bad); !errors.Is(err, privacy.ErrBadUnsubscribe) {
				t.Errorf("Unsubscribe(%q) = %v, want ErrBadUnsubscribe", bad, err)
			}
		}
		if _, err := w.p.UnsubscribeToken(a, privacy.PurposeOpenTracking); err == nil {
			t.Error("a token for a purpose links cannot switch off")
		}
	})
}

func FuzzUnsubscribe(f *testing.F) {
	w := newWorld(f, storetest.Open(f, storetest.SQLiteURL(f)))
	good, _ := w.p.UnsubscribeToken(1, privacy.PurposeMarketing)
	f.Add(good)
	f.Add("")
	f.Add("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
	f.Fuzz(func(t *testing.T, tok string) {
		if tok == good {
			return
		}
		if _, err := w.p.Unsubscribe(context.Background(), tok); !errors.Is(err, privacy.ErrBadUnsubscribe) {
			t.Fatalf("Unsubscribe(%q) = %v, want ErrBadUnsubscribe", tok, err)
		}
	})
}
