package privacy_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

func TestPolicy_RT1_RetentionDeletesEachCategoryWhenItsPeriodEnds(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		keeper := w.account(t, "Kees Keeper") // keeps faxes 365 days
		def := w.account(t, "Dora Default")   // the 90-day default
		short := w.account(t, "Saskia Short") // 7 days
		ghost := w.account(t, "Ghost Unverified", "verified=0")
		if err := w.p.SetChoices(ctx, keeper, privacy.Choices{Contact: privacy.ContactEmail, FaxRetentionDays: 365}, privacy.MethodPortal); err != nil {
			t.Fatal(err)
		}
		if err := w.p.SetChoices(ctx, short, privacy.Choices{Contact: privacy.ContactEmail, FaxRetentionDays: 7}, privacy.MethodPortal); err != nil {
			t.Fatal(err)
		}
		fk, fd, fs := w.fax(t, keeper, "in", "+3120111", ""), w.fax(t, def, "in", "+3120222", ""), w.fax(t, short, "in", "+3120333", "")
		if _, err := w.p.Refer(ctx, def, "Rita Referred", "rita@example.net"); err != nil {
			t.Fatal(err)
		}
		token, err := w.p.Export(ctx, def)
		if err != nil {
			t.Fatal(err)
		}
		alive := func(id int64) bool { return w.count(t, "SELECT COUNT(*) FROM faxes WHERE id = $1", id) == 1 }

		// Day 8: only the 7-day fax is gone.
		w.clk.Advance(8 * 24 * time.Hour)
		r, err := w.p.Retain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if alive(fs) || !alive(fd) || !alive(fk) || r.Faxes != 1 {
			t.Fatalf("day 8: short %v default %v keeper %v (report %+v)", alive(fs), alive(fd), alive(fk), r)
		}
		// The export link lived 7 days: its row and blob are gone.
		if r.Exports != 1 || w.count(t, "SELECT COUNT(*) FROM privacy_exports") != 0 {
			t.Errorf("day 8: exports deleted %d, left %d", r.Exports, w.count(t, "SELECT COUNT(*) FROM privacy_exports"))
		}
		if _, err := w.p.Download(ctx, def, token); err == nil {
			t.Error("an expired export can still be downloaded")
		}
		// Day 31: the referral window and the unverified account are over.
		w.clk.Advance(23 * 24 * time.Hour)
		if r, err = w.p.Retain(ctx); err != nil {
			t.Fatal(err)
		}
		if r.Referrals != 1 || w.count(t, "SELECT COUNT(*) FROM referrals") != 0 {
			t.Errorf("day 31: referrals deleted %d", r.Referrals)
		}
		if r.Unverified != 1 || w.count(t, "SELECT COUNT(*) FROM accounts WHERE id = $1", ghost) != 0 {
			t.Errorf("day 31: unverified account left (report %+v)", r)
		}
		// Day 91: the default period is over; the keeper's fax stays.
		w.clk.Advance(60 * 24 * time.Hour)
		if _, err = w.p.Retain(ctx); err != nil {
			t.Fatal(err)
		}
		if alive(fd) || !alive(fk) {
			t.Errorf("day 91: default %v keeper %v", alive(fd), alive(fk))
		}
		w.clk.Advance(275 * 24 * time.Hour)
		if _, err = w.p.Retain(ctx); err != nil {
			t.Fatal(err)
		}
		if alive(fk) {
			t.Error("day 366: the 365-day fax is still there")
		}
	})
}

func TestPolicy_RT1_BrandSettingBetweenUserAndDefault(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		if err := w.p.SetBrandFaxRetention(ctx, w.brand.ID, 30); err != nil {
			t.Fatal(err)
		}
		plain := w.account(t, "Brand Default")
		own := w.account(t, "Own Choice")
		w.p.SetChoices(ctx, own, privacy.Choices{Contact: privacy.ContactEmail, FaxRetentionDays: 60}, privacy.MethodPortal)
		fp, fo := w.fax(t, plain, "in", "+3120777", ""), w.fax(t, own, "in", "+3120778", "")
		w.clk.Advance(31 * 24 * time.Hour)
		if _, err := w.p.Retain(ctx); err != nil {
			t.Fatal(err)
		}
		if w.count(t, "SELECT COUNT(*) FROM faxes WHERE id = $1", fp) != 0 || w.count(t, "SELECT COUNT(*) FROM faxes WHERE id = $1", fo) != 1 {
			t.Error("day 31: the brand's 30 days did not apply, or overrode the user's 60")
		}
		if err := w.p.SetBrandFaxRetention(ctx, w.brand.ID, -5); err == nil {
			t.Error("a negative brand retention was accepted")
		}
	})
}

func TestPolicy_RT1_LegalHoldSuspendsRetentionAndErasure(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		w := newWorld(t, db)
		ctx := context.Background()
		legal := w.member(t, staff.Legal)
		held := w.account(t, "Hilde Held")
		f := w.fax(t, held, "in", "+3120444", "")
		c, err := w.p.OpenCase(ctx, legal, readyIntake(w.brand.ID, held))
		if err != nil {
			t.Fatal(err)
		}
		if err := w.p.Hold(ctx, legal, c.ID, held); err != nil {
			t.Fatal(err)
		}
		w.clk.Advance(200 * 24 * time.Hour)
		if _, err := w.p.Retain(ctx); err != nil {
			t.Fatal(err)
		}
		if w.count(t, "SELECT COUNT(*) FROM faxes WHERE id = $1", f) != 1 {
			t.Fatal("retention deleted a fax under legal hold")
		}
		// The user asks to be erased: closed and logged out now, erased later.
		e, err := w.p.Erase(ctx, held)
		if err != nil {
			t.Fatal(err)
		}
		if !e.Pending || !strings.Contains(e.Kept[len(e.Kept)-1].Reason, "legal hold") {
			t.Fatalf("erasure under hold = %+v", e)
		}
		if w.count(t, "SELECT COUNT(*) FROM accounts WHERE id = $1 AND status = 'closed'", held) != 1 {
			t.Fatal("the held account is not closed")
		}
		if err := w.p.ReleaseHolds(ctx, legal, c.ID); err != nil {
			t.Fatal(err)
		}
		r, err := w.p.Retain(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if r.Erasures != 1 || w.count(t, "SELECT COUNT(*) FROM accounts WHERE id = $1", held) != 0 ||
			w.count(t, "SELECT COUNT(*) FROM faxes WHERE id = $1", f) != 0 {
			t.Errorf("after the hold's release: report %+v", r)
		}
	})
}
