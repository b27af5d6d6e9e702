package accounts_test

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/accounts/accountstest"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

func TestVerification(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		a, err := e.Accounts.Register(ctx, e.Registration(t, "Vera", "vera@example.org"))
		if err != nil {
			t.Fatal(err)
		}
		if a.Verified() {
			t.Fatal("account verified before the link was used")
		}
		mail := e.Mailer.Last(t, "vera@example.org", "verify")
		token := accountstest.Token(t, mail)
		var stored string
		db.QueryRow("SELECT token_hash FROM account_tokens WHERE account_id = $1", a.ID).Scan(&stored)
		if stored == token || stored != accounts.HashToken(token) {
			t.Errorf("token stored as %q; want only its hash", stored)
		}
		if err := e.Accounts.CheckToken(ctx, token, false); err != nil {
			t.Fatalf("CheckToken of a fresh link: %v", err)
		}
		if err := e.Accounts.CheckToken(ctx, token, true); !errors.Is(err, accounts.ErrTokenInvalid) {
			t.Errorf("verify token used for reset: %v, want ErrTokenInvalid", err)
		}
		got, err := e.Accounts.Verify(ctx, token)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Verified() || !got.EmailVerifiedAt.Equal(e.Clock.Now()) {
			t.Errorf("verified at %v, want %v", got.EmailVerifiedAt, e.Clock.Now())
		}
		if _, err := e.Accounts.Verify(ctx, token); !errors.Is(err, accounts.ErrTokenUsed) {
			t.Errorf("second use = %v, want ErrTokenUsed", err)
		}
		if _, err := e.Accounts.Verify(ctx, "nonsense"); !errors.Is(err, accounts.ErrTokenInvalid) {
			t.Errorf("unknown token = %v, want ErrTokenInvalid", err)
		}

		// An expired link is refused with its own error and changes nothing.
		if _, err := e.Accounts.Register(ctx, e.Registration(t, "Late", "late@example.org")); err != nil {
			t.Fatal(err)
		}
		late := accountstest.Token(t, e.Mailer.Last(t, "late@example.org", "verify"))
		e.Clock.Advance(accounts.VerifyTokenTTL)
		if _, err := e.Accounts.Verify(ctx, late); !errors.Is(err, accounts.ErrTokenExpired) || accounts.TokenErrorKey(err) != "err.token_expired" {
			t.Errorf("expired token = %v, want ErrTokenExpired", err)
		}
		la, _ := e.Accounts.ByEmail(ctx, e.Brand.ID, "late@example.org")
		if la.Verified() {
			t.Error("expired link verified the account")
		}
		// A new link can be asked for, and works.
		if err := e.Accounts.ResendVerification(ctx, la.ID); err != nil {
			t.Fatal(err)
		}
		fresh := accountstest.Token(t, e.Mailer.Last(t, "late@example.org", "verify"))
		if fresh == late {
			t.Fatal("resent link reuses the expired token")
		}
		if got, err := e.Accounts.Verify(ctx, fresh); err != nil || !got.Verified() {
			t.Errorf("verify with the resent link: %v", err)
		}
		before := len(e.Mailer.Sent())
		if err := e.Accounts.ResendVerification(ctx, la.ID); err != nil || len(e.Mailer.Sent()) != before {
			t.Errorf("resend for a verified account: %v, %d new mails", err, len(e.Mailer.Sent())-before)
		}
	})
}

func TestPolicy_M1_WelcomeMailHasFaxNumberAndLoginNeverPassword(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		for _, lang := range []string{"en", "nl"} {
			email := "welcome-" + lang + "@example.org"
			r := e.Registration(t, "Wim", email)
			r.Language = lang
			r.Password = "unique-Secret-" + lang + "-4711"
			if _, err := e.Accounts.Register(ctx, r); err != nil {
				t.Fatal(err)
			}
			for _, m := range e.Mailer.Sent() {
				if strings.Contains(m.Text, r.Password) {
					t.Errorf("%s mail contains the password", m.Kind)
				}
			}
			a, err := e.Accounts.Verify(ctx, accountstest.Token(t, e.Mailer.Last(t, email, "verify")))
			if err != nil {
				t.Fatal(err)
			}
			number, err := e.Accounts.FaxNumber(ctx, a.ID)
			if err != nil || number == "" {
				t.Fatalf("no fax number assigned on verification: %q, %v", number, err)
			}
			w := e.Mailer.Last(t, email, "welcome")
			for what, want := range map[string]string{"fax number": number, "login": email, "account number": a.Number} {
				if !strings.Contains(w.Text, want) {
					t.Errorf("%s welcome mail lacks the %s %q:\n%s", lang, what, want, w.Text)
				}
			}
			if strings.Contains(w.Text, r.Password) || strings.Contains(w.Subject, r.Password) {
				t.Errorf("%s welcome mail contains the password", lang)
			}
			if n := countKind(e.Mailer.Sent(), email, "welcome"); n != 1 {
				t.Errorf("%d welcome mails, want 1", n)
			}
		}
		if w := e.Mailer.Last(t, "welcome-nl@example.org", "welcome"); !strings.Contains(w.Text, "faxnummer") {
			t.Errorf("Dutch account got a welcome mail not in Dutch:\n%s", w.Text)
		}
	})
}

func countKind(all []accountstest.Sent, to, kind string) int {
	n := 0
	for _, m := range all {
		if m.To == to && m.Kind == kind {
			n++
		}
	}
	return n
}

func TestPasswordReset(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		a := e.Verified(t, "Rita", "rita@example.org")
		before := len(e.Mailer.Sent())
		if err := e.Accounts.RequestReset(ctx, e.Brand.ID, "nobody@example.org"); err != nil {
			t.Fatalf("reset for unknown address: %v, want nil", err)
		}
		if len(e.Mailer.Sent()) != before {
			t.Fatal("reset for an unknown address sent mail")
		}
		_, ss, err := e.Accounts.Login(ctx, e.Brand.ID, "rita@example.org", "correct horse battery", "192.0.2.1", true)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Accounts.RequestReset(ctx, e.Brand.ID, "RITA@example.org"); err != nil {
			t.Fatal(err)
		}
		token := accountstest.Token(t, e.Mailer.Last(t, "rita@example.org", "reset"))
		var verr *accounts.ValidationError
		if _, err := e.Accounts.ResetPassword(ctx, token, "short"); !errors.As(err, &verr) || verr.Field("password") != "err.password_short" {
			t.Fatalf("weak new password = %v", err)
		}
		if _, err := e.Accounts.ResetPassword(ctx, token, "a brand new secret"); err != nil {
			t.Fatalf("reset after a refused weak password: %v", err)
		}
		if _, err := e.Accounts.ResetPassword(ctx, token, "another new secret"); !errors.Is(err, accounts.ErrTokenUsed) {
			t.Errorf("second reset with one link = %v, want ErrTokenUsed", err)
		}
		if _, _, err := e.Accounts.Session(ctx, ss.Token); !errors.Is(err, accounts.ErrNoSession) {
			t.Errorf("session survived a password reset: %v", err)
		}
		if _, _, err := e.Accounts.Login(ctx, e.Brand.ID, "rita@example.org", "a brand new secret", "192.0.2.1", false); err != nil {
			t.Errorf("login with the new password: %v", err)
		}
		if _, _, err := e.Accounts.Login(ctx, e.Brand.ID, "rita@example.org", "correct horse battery", "192.0.2.1", false); !errors.Is(err, accounts.ErrInvalidCredentials) {
			t.Errorf("old password still works: %v", err)
		}
		// Reset links expire after an hour.
		e.Accounts.RequestReset(ctx, e.Brand.ID, "rita@example.org")
		late := accountstest.Token(t, e.Mailer.Last(t, "rita@example.org", "reset"))
		e.Clock.Advance(accounts.ResetTokenTTL + time.Second)
		if _, err := e.Accounts.ResetPassword(ctx, late, "yet another secret"); !errors.Is(err, accounts.ErrTokenExpired) {
			t.Errorf("expired reset link = %v", err)
		}
		_ = a
	})
}

func TestChangePasswordEndsOtherSessions(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		a := e.Verified(t, "Carl", "carl@example.org")
		_, phone, _ := e.Accounts.Login(ctx, e.Brand.ID, "carl@example.org", "correct horse battery", "192.0.2.1", true)
		_, laptop, _ := e.Accounts.Login(ctx, e.Brand.ID, "carl@example.org", "correct horse battery", "192.0.2.1", false)
		var verr *accounts.ValidationError
		err := e.Accounts.ChangePassword(ctx, a.ID, "wrong current pw", "my new long secret", laptop.Token)
		if !errors.As(err, &verr) || verr.Field("current") != "err.password_wrong" {
			t.Fatalf("wrong current password = %v", err)
		}
		if err := e.Accounts.ChangePassword(ctx, a.ID, "correct horse battery", "my new long secret", laptop.Token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.Accounts.Session(ctx, laptop.Token); err != nil {
			t.Errorf("the session that changed the password ended: %v", err)
		}
		if _, _, err := e.Accounts.Session(ctx, phone.Token); !errors.Is(err, accounts.ErrNoSession) {
			t.Errorf("other session survived the change: %v", err)
		}
	})
}

func TestSessions(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		e.Verified(t, "Sam", "sam@example.org")
		login := func(remember bool) *accounts.Session {
			t.Helper()
			_, ss, err := e.Accounts.Login(ctx, e.Brand.ID, "sam@example.org", "correct horse battery", "192.0.2.1", remember)
			if err != nil {
				t.Fatal(err)
			}
			if len(ss.Token) < 43 {
				t.Fatalf("session token %q is short", ss.Token)
			}
			var n int
			db.QueryRow("SELECT COUNT(*) FROM sessions WHERE token_hash = $1", ss.Token).Scan(&n)
			if n != 0 {
				t.Fatal("session token stored in the clear")
			}
			return ss
		}
		browser, remembered := login(false), login(true)
		if browser.Persistent || !remembered.Persistent {
			t.Fatalf("persistent flags %v, %v", browser.Persistent, remembered.Persistent)
		}
		if !remembered.ExpiresAt.Equal(e.Clock.Now().Add(accounts.DefaultRemember)) {
			t.Errorf("remembered session expires %v", remembered.ExpiresAt)
		}
		// Used within the idle timeout, a browser session lives on.
		for i := 0; i < 3; i++ {
			e.Clock.Advance(accounts.DefaultIdleTimeout - time.Minute)
			if _, _, err := e.Accounts.Session(ctx, browser.Token); err != nil {
				t.Fatalf("active browser session ended after %d periods: %v", i+1, err)
			}
		}
		// Left alone, it ends; the remembered one does not.
		e.Clock.Advance(accounts.DefaultIdleTimeout)
		if _, _, err := e.Accounts.Session(ctx, browser.Token); !errors.Is(err, accounts.ErrNoSession) {
			t.Errorf("idle browser session = %v, want ErrNoSession", err)
		}
		if _, _, err := e.Accounts.Session(ctx, remembered.Token); err != nil {
			t.Errorf("remembered session ended when idle: %v", err)
		}
		e.Clock.Advance(accounts.DefaultRemember)
		if _, _, err := e.Accounts.Session(ctx, remembered.Token); !errors.Is(err, accounts.ErrNoSession) {
			t.Errorf("remembered session outlived its 30 days: %v", err)
		}
		// Logout ends a session on the server.
		s := login(true)
		if err := e.Accounts.Logout(ctx, s.Token); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.Accounts.Session(ctx, s.Token); !errors.Is(err, accounts.ErrNoSession) {
			t.Errorf("session after logout = %v", err)
		}
	})
}

func TestLoginRateLimit(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		e.Verified(t, "Lou", "lou@example.org")
		e.Verified(t, "Max", "max@example.org")
		try := func(email, pw, addr string) error {
			_, _, err := e.Accounts.Login(ctx, e.Brand.ID, email, pw, addr, false)
			return err
		}
		// Unknown email, wrong password: the same error.
		for _, c := range [][2]string{{"ghost@example.org", "whatever pw 1"}, {"lou@example.org", "wrong password"}} {
			if err := try(c[0], c[1], "198.51.100.7"); err != accounts.ErrInvalidCredentials {
				t.Errorf("login %s = %v, want ErrInvalidCredentials", c[0], err)
			}
		}
		for i := 1; i < accounts.DefaultPerLogin; i++ {
			try("lou@example.org", "wrong password", "203.0.113.9")
		}
		// Locked: even the right password gets the same answer.
		if err := try("lou@example.org", "correct horse battery", "203.0.113.50"); err != accounts.ErrInvalidCredentials {
			t.Fatalf("locked account with right password = %v, want ErrInvalidCredentials", err)
		}
		if err := try("max@example.org", "correct horse battery", "203.0.113.50"); err != nil {
			t.Errorf("another account locked too: %v", err)
		}
		e.Clock.Advance(accounts.DefaultWindow + time.Second)
		if err := try("lou@example.org", "correct horse battery", "203.0.113.50"); err != nil {
			t.Errorf("still locked after the window: %v", err)
		}
		// Per network: many accounts guessed from one /24 lock that network.
		for i := 0; i < accounts.DefaultPerAddress; i++ {
			try("guess"+string(rune('a'+i%26))+"@example.org", "guessing pw", "192.0.2."+string(rune('1'+i%9)))
		}
		if err := try("max@example.org", "correct horse battery", "192.0.2.200"); err != accounts.ErrInvalidCredentials {
			t.Errorf("login from a guessing network = %v, want ErrInvalidCredentials", err)
		}
		if err := try("max@example.org", "correct horse battery", "192.0.3.1"); err != nil {
			t.Errorf("login from another network refused: %v", err)
		}
		// Only keyed hashes are stored.
		rows, _ := db.Query("SELECT key_hash FROM login_failures")
		defer rows.Close()
		for rows.Next() {
			var k string
			rows.Scan(&k)
			if strings.Contains(k, "@") || strings.Contains(k, "192.0") || len(k) != 64 {
				t.Errorf("login_failures key %q is not a keyed hash", k)
			}
		}
	})
}

func TestTruncateIP(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.77", "192.0.2.0/24"},
		{"192.0.2.77:4431", "192.0.2.0/24"},
		{"[2001:db8:1234:5678::1]:443", "2001:db8:1234::/48"},
		{"2001:db8:1234:5678::1", "2001:db8:1234::/48"},
		{"::ffff:198.51.100.9", "198.51.100.0/24"},
		{"fe80::1%eth0", "fe80::/48"},
		{"not an ip", "invalid"},
		{"", "invalid"},
	}
	for _, tt := range tests {
		if got := accounts.TruncateIP(tt.in); got != tt.want {
			t.Errorf("TruncateIP(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzTruncateIP checks that whatever a client sends as its address, the
// logged form never carries the host part of it.
func FuzzTruncateIP(f *testing.F) {
	for _, s := range []string{"192.0.2.77", "[2001:db8::1]:80", "::ffff:10.1.2.3", "fe80::1%eth0", "1.2.3.4:5", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := accounts.TruncateIP(s)
		if got == "invalid" {
			return
		}
		p, err := netip.ParsePrefix(got)
		if err != nil {
			t.Fatalf("TruncateIP(%q) = %q, not a prefix", s, got)
		}
		if want := map[bool]int{true: 24, false: 48}[p.Addr().Is4()]; p.Bits() != want || p.Masked() != p {
			t.Fatalf("TruncateIP(%q) = %q, want a /%d network", s, got, want)
		}
	})
}

func TestPrune(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		e.Verified(t, "Pru", "pru@example.org")
		count := func(table string) int {
			var n int
			db.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n)
			return n
		}
		_, kept, _ := e.Accounts.Login(ctx, e.Brand.ID, "pru@example.org", "correct horse battery", "192.0.2.1", true)
		e.Accounts.Login(ctx, e.Brand.ID, "pru@example.org", "correct horse battery", "192.0.2.1", false)
		e.Accounts.Login(ctx, e.Brand.ID, "pru@example.org", "wrong password!", "192.0.2.1", false)
		if count("sessions") != 2 || count("login_failures") != 2 || count("account_tokens") != 1 {
			t.Fatalf("setup: %d sessions, %d failures, %d tokens", count("sessions"), count("login_failures"), count("account_tokens"))
		}
		if err := e.Accounts.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		if count("sessions") != 2 || count("login_failures") != 2 || count("account_tokens") != 1 {
			t.Fatal("prune removed live rows")
		}
		e.Clock.Advance(25 * time.Hour)
		if err := e.Accounts.Prune(ctx); err != nil {
			t.Fatal(err)
		}
		if count("sessions") != 1 || count("login_failures") != 0 || count("account_tokens") != 0 {
			t.Errorf("after a day: %d sessions, %d failures, %d tokens; want 1, 0, 0", count("sessions"), count("login_failures"), count("account_tokens"))
		}
		if _, _, err := e.Accounts.Session(ctx, kept.Token); err != nil {
			t.Errorf("remembered session pruned: %v", err)
		}
	})
}

func TestMailsPerHourAreCapped(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		e.Verified(t, "Flo", "flo@example.org")
		resets := func() int { return countKind(e.Mailer.Sent(), "flo@example.org", "reset") }
		for i := 0; i < accounts.MaxMailsPerHour+2; i++ {
			if err := e.Accounts.RequestReset(ctx, e.Brand.ID, "flo@example.org"); err != nil {
				t.Fatal(err)
			}
		}
		if n := resets(); n != accounts.MaxMailsPerHour {
			t.Fatalf("%d reset mails in an hour, want %d", n, accounts.MaxMailsPerHour)
		}
		e.Clock.Advance(time.Hour)
		e.Accounts.RequestReset(ctx, e.Brand.ID, "flo@example.org")
		if n := resets(); n != accounts.MaxMailsPerHour+1 {
			t.Errorf("no reset mail an hour later (%d in all)", n)
		}

		a, err := e.Accounts.Register(ctx, e.Registration(t, "Vic", "vic@example.org"))
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < accounts.MaxMailsPerHour+2; i++ {
			e.Accounts.ResendVerification(ctx, a.ID)
		}
		if n := countKind(e.Mailer.Sent(), "vic@example.org", "verify"); n != accounts.MaxMailsPerHour {
			t.Errorf("%d verification mails in an hour, want %d", n, accounts.MaxMailsPerHour)
		}
	})
}
