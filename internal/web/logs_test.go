package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/internal/accounts/accountstest"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// TestPolicy_C5_LogsHoldNoPersonalData drives every flow that handles
// personal data and checks the captured log: it must show the requests
// (so the test is not passing on an empty log), with client networks
// instead of addresses, and nothing that identifies a person.
func TestPolicy_C5_LogsHoldNoPersonalData(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, true)
		const clientIP = "203.0.113.77"
		const name, email, password = "Loretta Logless", "loretta@example.org", "correct horse battery"
		b := e.browser(t)
		b.header.Set("X-Forwarded-For", "10.9.8.7, "+clientIP)

		b.post("/register", e.registerForm(t, name, email)).want(t, http.StatusOK)
		verifyToken := accountstest.Token(t, e.Mailer.Last(t, email, "verify"))
		b.get("/verify?token="+verifyToken).want(t, http.StatusOK)
		b.post("/verify", url.Values{"token": {verifyToken}}).want(t, http.StatusSeeOther)
		b.post("/login", url.Values{"email": {email}, "password": {"wrong " + password}}).want(t, http.StatusUnprocessableEntity)
		b.post("/login", url.Values{"email": {email}, "password": {password}, "remember": {"on"}}).want(t, http.StatusSeeOther)
		b.get("/account").want(t, http.StatusOK)
		b.post("/logout", url.Values{}).want(t, http.StatusSeeOther)
		b.post("/forgot", url.Values{"email": {email}}).want(t, http.StatusOK)
		resetToken := accountstest.Token(t, e.Mailer.Last(t, email, "reset"))
		b.get("/reset?token="+resetToken).want(t, http.StatusOK)
		b.post("/reset", url.Values{"token": {resetToken}, "password": {"fresh " + password}, "password_confirm": {"fresh " + password}}).want(t, http.StatusSeeOther)
		b.get("/reset?token="+resetToken).want(t, http.StatusGone)

		a, err := e.Accounts.ByEmail(ctx, e.Brand.ID, email)
		if err != nil {
			t.Fatal(err)
		}
		number, _ := e.Accounts.FaxNumber(ctx, a.ID)
		e.Staff.Create(ctx, "staffer@faxhaven.example", "Stan Staffer", staff.Support, "staff password 2026")
		b.post("/staff/login", url.Values{"email": {"staffer@faxhaven.example"}, "password": {"staff password 2026"}}).want(t, http.StatusSeeOther)
		b.post("/staff/accounts/"+itoa(a.ID), url.Values{"ground": {"ticket 99"}}).want(t, http.StatusOK)

		logs := e.Logs.String()
		if strings.Count(logs, `"msg":"request"`) < 13 {
			t.Fatalf("expected a log line per request, got:\n%s", logs)
		}
		if !strings.Contains(logs, `"client":"203.0.113.0/24"`) {
			t.Errorf("log does not show the client network:\n%s", logs)
		}
		for what, secret := range map[string]string{
			"client address": clientIP, "email": email, "email local part": "loretta", "name": "Loretta",
			"password": password, "verify token": verifyToken, "reset token": resetToken, "account number": a.Number,
			"fax number": strings.TrimPrefix(number, "+"), "staff email": "staffer@", "staff name": "Stan",
			"ground": "ticket 99", "proxy hop": "10.9.8.7",
		} {
			if secret != "" && strings.Contains(logs, secret) {
				t.Errorf("log contains the %s %q", what, secret)
			}
		}
	})
}
