package web

import (
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/internal/accounts/accountstest"
	"github.com/faxhaven/faxhaven/internal/faxes"
	"github.com/faxhaven/faxhaven/internal/mail"
	"github.com/faxhaven/faxhaven/internal/numbers"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// emailPages serves the email settings page the way Handler serves every
// page (identify, headers, body limit), on a server with a fax service.
func emailPages(t *testing.T, db *store.DB) (*accountstest.Env, *browser, string) {
	t.Helper()
	e := accountstest.New(t, db)
	fs := &faxes.Service{DB: db, Clock: e.Clock, Numbers: &numbers.Service{DB: db, Clock: e.Clock}, Brands: e.Brands, Logger: slog.New(slog.DiscardHandler)}
	st := &staff.Service{DB: db, Clock: e.Clock, Params: accountstest.FastParams, Sessions: e.Accounts.SessionStore(), Limiter: e.Accounts.LoginLimiter()}
	srv, err := New(Deps{DB: db, Brands: e.Brands, Accounts: e.Accounts, Staff: st, Outbox: memOutbox{e.Mailer}, Faxes: fs, Clock: e.Clock,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	srv.faxEmailRoutes(mux)
	hs := httptest.NewServer(srv.observe(srv.identify(srv.headers(srv.limitBody(mux)))))
	t.Cleanup(hs.Close)
	a := e.Verified(t, "Alice", "alice@example.com")
	_, sess, err := e.Accounts.Login(ctx, e.Brand.ID, "alice@example.com", "correct horse battery", "127.0.0.1", false)
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(hs.URL)
	jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: sess.Token, Path: "/"}})
	b := &browser{t: t, env: &testEnv{HTTP: hs}, header: http.Header{"Origin": {hs.URL}}, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	nums, err := fs.Numbers.ForAccount(ctx, db, a.ID)
	if err != nil || len(nums) == 0 {
		t.Fatalf("account has no number: %v", err)
	}
	return e, b, nums[0].E164
}

func TestFaxEmailSettingsPage(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		_, b, number := emailPages(t, db)
		page := b.get("/account/email").want(t, http.StatusOK).Body
		if !strings.Contains(page, "@fax.localhost") || !strings.Contains(page, strings.TrimPrefix(number, "+")) {
			t.Errorf("the page does not say how to address mail to fax:\n%s", page)
		}

		b.post("/account/email/senders", url.Values{"address": {"Alice <Alice@Example.ORG>"}}).want(t, http.StatusSeeOther)
		if page = b.get("/account/email").Body; !strings.Contains(page, "alice@example.org") {
			t.Fatal("the sending address is not listed")
		}
		res := b.post("/account/email/senders", url.Values{"address": {"not an address"}}).want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, "is not an email address") {
			t.Errorf("a bad address is not named: %s", res.Body)
		}

		// A new secret is shown once; afterwards only that one is set.
		res = b.post("/account/email/settings", url.Values{"body_note": {"never"}, "token": {"new"}}).want(t, http.StatusOK)
		if !strings.Contains(res.Body, `<code>fh-`) {
			t.Fatal("the new secret is not shown")
		}
		page = b.get("/account/email").Body
		if strings.Contains(page, "<code>fh-") || !strings.Contains(page, "must carry your secret") || !strings.Contains(page, `value="never" checked`) {
			t.Fatal("the settings were not kept, or the secret is shown again")
		}

		b.post("/account/email/recipients", url.Values{"number": {number}, "address": {"office@example.com"}, "format": {"notice"}}).want(t, http.StatusSeeOther)
		page = b.get("/account/email").Body
		if !strings.Contains(page, "office@example.com") || !strings.Contains(page, "Notice only") {
			t.Fatal("the recipient is not listed with its form")
		}
		res = b.post("/account/email/recipients", url.Values{"number": {"+31201234567"}, "address": {"x@example.com"}, "format": {"pdf"}}).want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, "is not one of your numbers") {
			t.Errorf("another number was accepted: %s", res.Body)
		}
		if _, err := db.Exec("UPDATE fax_email_recipients SET failing_at = 1764150000000000, failing_reason = '5.1.1 user unknown'"); err != nil {
			t.Fatal(err)
		}
		if page = b.get("/account/email").Body; !strings.Contains(page, "bounced") || !strings.Contains(page, "5.1.1 user unknown") {
			t.Fatal("a failing address is not shown as failing")
		}
		b.post("/account/email/senders", url.Values{"address": {"alice@example.org"}, "action": {"remove"}}).want(t, http.StatusSeeOther)
		if page = b.get("/account/email").Body; strings.Contains(page, "alice@example.org") {
			t.Fatal("the removed address is still listed")
		}
	})
}

func TestFaxEmailPageNeedsLogin(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		_, b, _ := emailPages(t, db)
		b.c.Jar, _ = cookiejar.New(nil)
		if res := b.get("/account/email"); res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(res.Header.Get("Location"), "/login") {
			t.Fatalf("without a session: %d to %q", res.StatusCode, res.Header.Get("Location"))
		}
	})
}

func TestFaxEmailDNSPage(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := accountstest.New(t, db)
		st := &staff.Service{DB: db, Clock: e.Clock, Params: accountstest.FastParams, Sessions: e.Accounts.SessionStore(), Limiter: e.Accounts.LoginLimiter()}
		srv, err := New(Deps{DB: db, Brands: e.Brands, Accounts: e.Accounts, Staff: st, Outbox: memOutbox{e.Mailer}, Clock: e.Clock,
			Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		srv.faxEmailStaffRoutes(mux)
		hs := httptest.NewServer(srv.observe(srv.identify(srv.headers(srv.limitBody(mux)))))
		t.Cleanup(hs.Close)
		get := func(role staff.Role) *http.Response {
			email := string(role) + "@faxhaven.test"
			if _, err := st.Create(ctx, email, "Staff", role, "a staff passphrase 1234"); err != nil {
				t.Fatal(err)
			}
			_, sess, err := st.Login(ctx, email, "a staff passphrase 1234", "127.0.0.1")
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest("GET", hs.URL+"/staff/email", nil)
			req.AddCookie(&http.Cookie{Name: staffCookie, Value: sess.Token})
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return res
		}
		res := get(staff.Admin)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		page := html.UnescapeString(string(body)) // as the browser shows it
		if res.StatusCode != http.StatusOK || !strings.Contains(page, mail.DKIMSelector+"._domainkey.") || !strings.Contains(page, "v=DKIM1; k=rsa; p=MII") {
			t.Fatalf("status %d; the page lacks the DKIM record:\n%s", res.StatusCode, page)
		}
		// The record shown is the key the outbox signs with.
		_, domain, _ := strings.Cut(e.Brand.MailFrom, "@")
		k, err := (&mail.DKIMKeys{}).Key(ctx, db, domain)
		if err != nil {
			t.Fatal(err)
		}
		_, value, _ := k.DNSRecord()
		if !strings.Contains(page, value) {
			t.Error("the page shows another key than the one mail is signed with")
		}
		if res := get(staff.Support); res.StatusCode != http.StatusForbidden {
			t.Errorf("support staff: %d, want 403", res.StatusCode)
		}
	})
}
