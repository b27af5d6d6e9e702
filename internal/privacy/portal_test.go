package privacy_test

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/faxes"
	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// browser is an HTTP client with cookies that follows no redirects.
type browser struct {
	t *testing.T
	n *node
	c *http.Client
}

func (n *node) browser(t *testing.T) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, n: n, c: &http.Client{Jar: jar, Timeout: 60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) do(method, path string, form url.Values) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.n.URL+path, body)
	req.Header.Set("Origin", b.n.URL)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

func (b *browser) want(method, path string, form url.Values, status int) string {
	b.t.Helper()
	got, body := b.do(method, path, form)
	if got != status {
		b.t.Fatalf("%s %s = %d, want %d\n%s", method, path, got, status, body)
	}
	return body
}

var emailLinkRE = regexp.MustCompile(`/account/privacy/email\?token=[A-Za-z0-9_-]+`)

// The privacy centre in the portal: choices land in the ledger, the
// export needs proof and gives a working link, deletion needs proof, ends
// the session and removes the account; the privacy page shows the
// registry in plain words. The log of all of it names nobody (C5).
func TestPolicy_D1_PrivacyCentreInThePortal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		n := startNode(t, dbURL)
		ctx := context.Background()
		const password = "correct horse battery staple 7"
		a, number := n.register(t, "Priscilla Private", "priscilla@example.org")
		b := n.browser(t)
		page := b.want("GET", "/privacy", nil, http.StatusOK)
		for _, want := range []string{"Kept 90 days", "cannot be switched off", "SMTP relay"} {
			if !strings.Contains(page, want) {
				t.Errorf("the privacy page lacks %q", want)
			}
		}
		b.want("POST", "/login", url.Values{"email": {"priscilla@example.org"}, "password": {password}}, http.StatusSeeOther)
		page = b.want("GET", "/account/privacy", nil, http.StatusOK)
		if !strings.Contains(page, `name="open_tracking" value="no" required checked`) {
			t.Error("open tracking is not off by default on the page")
		}
		b.want("POST", "/account/privacy/choices", url.Values{"marketing": {"no"}, "newsletters": {"yes"}, "partner_offers": {"no"},
			"open_tracking": {"no"}, "contact": {"phone"}, "phone": {"+31 20 555 0199"}, "retention": {"30"}}, http.StatusSeeOther)
		c, _ := n.Privacy.ChoicesOf(ctx, a.ID)
		if !c.Newsletters || c.Contact != "phone" || c.FaxRetentionDays != 30 {
			t.Errorf("choices after the form = %+v", c)
		}
		if l, _ := n.Privacy.Ledger(ctx, a.ID); len(l) != 3 || l[0].Method != privacy.MethodRegistration {
			t.Errorf("ledger after the form = %+v, want the registration choice, newsletters yes and marketing no", l)
		}
		b.want("POST", "/account/privacy/choices", url.Values{"marketing": {"no"}, "newsletters": {"yes"}, "partner_offers": {"no"},
			"open_tracking": {"no"}, "contact": {"phone"}, "phone": {""}}, http.StatusUnprocessableEntity)

		// Correct the profile: the name, and an optional answer removed.
		b.want("POST", "/account/privacy/profile", url.Values{"name": {"Priscilla Private-Smit"}, "gender": {"alien"}}, http.StatusUnprocessableEntity)
		b.want("POST", "/account/privacy/profile", url.Values{"name": {"Priscilla Private-Smit"}, "occupation": {"student"}}, http.StatusSeeOther)
		if got, _ := n.Accounts.ByID(ctx, a.ID); got.Name != "Priscilla Private-Smit" || got.Gender != "" || got.Occupation != "student" {
			t.Errorf("profile after correction = %q, %q, %q", got.Name, got.Gender, got.Occupation)
		}

		// A survey answered while logged in is stored apart from identity.
		b.want("GET", "/survey", nil, http.StatusOK)
		b.want("POST", "/survey", url.Values{"useful": {"very"}, "improve": {"more cover pages"}}, http.StatusSeeOther)
		var answers string
		if err := n.DB.QueryRowContext(ctx, "SELECT answers FROM survey_answers").Scan(&answers); err != nil || !strings.Contains(answers, "more cover pages") {
			t.Errorf("survey answers = %q, %v", answers, err)
		}

		// Change the email address: the password, then the link to the new address.
		b.want("POST", "/account/privacy/email", url.Values{"new_email": {"pris.new@example.org"}, "password": {"wrong"}}, http.StatusUnprocessableEntity)
		b.want("POST", "/account/privacy/email", url.Values{"new_email": {"not an address"}, "password": {password}}, http.StatusUnprocessableEntity)
		b.want("POST", "/account/privacy/email", url.Values{"new_email": {"pris.new@example.org"}, "password": {password}}, http.StatusSeeOther)
		if got, _ := n.Accounts.ByID(ctx, a.ID); got.Email != "priscilla@example.org" {
			t.Fatalf("the address changed before confirmation: %q", got.Email)
		}
		confirm := emailLinkRE.FindString(mailText(t, n, "pris.new@example.org", "Confirm your new email"))
		if confirm == "" {
			t.Fatal("no confirmation link in the mail to the new address")
		}
		b.want("GET", confirm+"x", nil, http.StatusGone)
		b.want("GET", confirm, nil, http.StatusSeeOther)
		if got, _ := n.Accounts.ByID(ctx, a.ID); got.Email != "pris.new@example.org" {
			t.Errorf("address after confirmation = %q", got.Email)
		}
		if !strings.Contains(mailText(t, n, "priscilla@example.org", "was changed"), "pris.new@example.org") {
			t.Error("the old address was not told of the change")
		}

		// Tell a friend: one invitation, never two.
		b.want("POST", "/account/privacy/refer", url.Values{"friend_name": {"Fenna"}, "friend_email": {"fenna@example.net"}}, http.StatusSeeOther)
		b.want("POST", "/account/privacy/refer", url.Values{"friend_email": {"fenna@example.net"}}, http.StatusUnprocessableEntity)
		if !strings.Contains(mailText(t, n, "fenna@example.net", "invites you"), "only message") {
			t.Error("the invitation does not say it is the only one")
		}

		// Export: the password first.
		b.want("POST", "/account/privacy/export", url.Values{"password": {"not it"}}, http.StatusUnprocessableEntity)
		page = b.want("POST", "/account/privacy/export", url.Values{"password": {password}}, http.StatusOK)
		i := strings.Index(page, "/account/privacy/export/")
		if i < 0 {
			t.Fatal("no export link after a confirmed export")
		}
		link := page[i : i+strings.IndexByte(page[i:], '"')]
		if zip := b.want("GET", link, nil, http.StatusOK); !strings.HasPrefix(zip, "PK") {
			t.Errorf("the export link gave %.20q", zip)
		}

		// Deletion with an emailed code.
		b.want("POST", "/account/privacy/code", url.Values{"action": {"erase"}}, http.StatusSeeOther)
		code := codeRE.FindString(mailText(t, n, "pris.new@example.org", "confirmation code"))
		b.want("POST", "/account/privacy/delete", url.Values{"code": {"000000"}}, http.StatusUnprocessableEntity)
		b.want("POST", "/account/privacy/delete", url.Values{"code": {code}}, http.StatusSeeOther)
		if _, err := n.Accounts.ByID(ctx, a.ID); err == nil {
			t.Error("the account still exists after deletion")
		}
		if st, _ := b.do("GET", "/account/privacy", nil); st != http.StatusSeeOther {
			t.Errorf("the privacy centre after deletion = %d, want a redirect to login", st)
		}

		logs := n.Logs.String()
		for _, l := range strings.Split(logs, "\n") {
			if strings.Contains(l, `"msg":"request"`) && strings.Contains(l, "127.0.0.1") {
				t.Errorf("a request line holds the full client address: %s", l)
			}
		}
		if strings.Count(logs, `"msg":"request"`) < 10 {
			t.Fatalf("the log has too few request lines to judge:\n%s", logs)
		}
		for what, secret := range map[string]string{"email": "priscilla", "name": "Priscilla", "account number": a.Number,
			"fax number": strings.TrimPrefix(number, "+"), "phone": "555 0199", "friend": "fenna", "new email": "pris.new",
			"export token": strings.TrimPrefix(link, "/account/privacy/export/"), "code": code, "password": password} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log holds the %s (%q)", what, secret)
				for _, l := range strings.Split(logs, "\n") {
					if strings.Contains(l, secret) {
						t.Log(l)
					}
				}
			}
		}
	})
}

// The legal staff's pages: intake notifies the subscriber, release waits
// for the notice period unless an early ground is recorded, and other
// roles are refused.
func TestPolicy_L3_LegalCasePagesInThePortal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		n := startNode(t, dbURL)
		ctx := context.Background()
		a, _ := n.register(t, "Lara Legalcase", "lara@example.org")
		legal, support := n.staffMember(t, "legal"), n.staffMember(t, "support")
		sb := n.browser(t)
		sb.want("POST", "/staff/login", url.Values{"email": {support.Email}, "password": {"staff password that is long 42"}}, http.StatusSeeOther)
		sb.want("GET", "/staff/legal", nil, http.StatusForbidden)

		b := n.browser(t)
		b.want("POST", "/staff/login", url.Values{"email": {legal.Email}, "password": {"staff password that is long 42"}}, http.StatusSeeOther)
		b.want("GET", "/staff/legal", nil, http.StatusOK)
		b.want("POST", "/staff/legal", url.Values{"instrument": {"warrant"}, "reference": {"W-77"}, "requester": {"Example Police"},
			"accounts": {"NOPE-1"}, "valid": {"on"}}, http.StatusUnprocessableEntity)
		_, _ = b.do("POST", "/staff/legal", url.Values{"instrument": {"warrant"}, "reference": {"W-77"}, "requester": {"Example Police"},
			"accounts": {a.Number}, "valid": {"on"}, "fees": {"on"}})
		cases, err := n.Privacy.Cases(ctx, a.BrandID)
		if err != nil || len(cases) != 1 {
			t.Fatalf("cases after intake = %v, %v", cases, err)
		}
		id := strconv.FormatInt(cases[0].ID, 10)
		if !strings.Contains(mailText(t, n, "lara@example.org", "legal request"), "W-77") {
			t.Error("the subscriber's notice does not name the request")
		}
		if st, _ := b.do("POST", "/staff/legal/"+id+"/release", url.Values{}); st != http.StatusSeeOther {
			t.Fatalf("early release = %d, want a redirect with the refusal", st)
		}
		if page := b.want("GET", "/staff/legal/"+id+"?result=legal.result.not_yet", nil, http.StatusOK); !strings.Contains(page, "notice period has not ended") {
			t.Error("the case page does not say why release waits")
		}
		b.want("POST", "/staff/legal/"+id+"/early", url.Values{"ground": {"imminent danger to a person"}, "document": {"order-3.pdf"}}, http.StatusSeeOther)
		if zip := b.want("POST", "/staff/legal/"+id+"/release", url.Values{}, http.StatusOK); !strings.HasPrefix(zip, "PK") {
			t.Errorf("release gave %.20q, want a zip", zip)
		}
		b.want("POST", "/staff/legal/"+id+"/work", url.Values{"minutes": {"90"}, "pages": {"4"}}, http.StatusSeeOther)
		if inv := b.want("GET", "/staff/legal/"+id+"/invoice", nil, http.StatusOK); !strings.Contains(inv, "Total: USD 136.00") {
			t.Errorf("invoice = %q", inv)
		}
		// The staff's steps leave nothing personal in the log (C5).
		logs := n.Logs.String()
		if !strings.Contains(logs, `"msg":"request"`) {
			t.Fatal("the log has no request lines to judge")
		}
		for _, secret := range []string{"lara", "Legalcase", a.Number, legal.Email, "Example Police"} {
			if strings.Contains(logs, secret) {
				t.Errorf("the log holds %q", secret)
			}
		}
	})
}

// The staff's privacy page: fax content opens only with a ground and a
// reference, and admin-only actions refuse other roles.
func TestPolicy_U2_StaffPrivacyPageInThePortal(t *testing.T) {
	storetest.Each(t, func(t *testing.T, dbURL string) {
		n := startNode(t, dbURL)
		ctx := context.Background()
		a, num := n.register(t, "Uma Upload", "uma@example.org")
		f, err := n.Faxes.Send(ctx, a.ID, faxes.SendRequest{To: num, Files: []faxes.Upload{{Name: "a.txt", Data: []byte("hello")}}})
		if err != nil {
			t.Fatal(err)
		}
		n.settle(t)
		legal, support := n.staffMember(t, "legal"), n.staffMember(t, "support")
		sb := n.browser(t)
		sb.want("POST", "/staff/login", url.Values{"email": {support.Email}, "password": {"staff password that is long 42"}}, http.StatusSeeOther)
		if page := sb.want("GET", "/staff/privacy", nil, http.StatusOK); strings.Contains(page, "/staff/privacy/review") {
			t.Error("support sees the admin's block list review")
		}
		sb.want("POST", "/staff/privacy/review", url.Values{"sender": {"tel:+1"}, "status": {"blocked"}}, http.StatusForbidden)
		sb.want("POST", "/staff/privacy/content", url.Values{"account": {a.Number}, "fax": {strconv.FormatInt(f.ID, 10)},
			"ground": {"legal obligation"}, "reference": {"case 5"}}, http.StatusForbidden)

		b := n.browser(t)
		b.want("POST", "/staff/login", url.Values{"email": {legal.Email}, "password": {"staff password that is long 42"}}, http.StatusSeeOther)
		b.want("POST", "/staff/privacy/content", url.Values{"account": {a.Number}, "fax": {strconv.FormatInt(f.ID, 10)},
			"ground": {"curiosity"}, "reference": {"case 5"}}, http.StatusSeeOther)
		pdf := b.want("POST", "/staff/privacy/content", url.Values{"account": {a.Number}, "fax": {strconv.FormatInt(f.ID, 10)},
			"ground": {"legal obligation"}, "reference": {"case 5"}}, http.StatusOK)
		if !strings.HasPrefix(pdf, "%PDF-") {
			t.Errorf("content opened on a ground is %.10q, want a PDF", pdf)
		}
		if trail, _ := n.Staff.AuditTrail(ctx, "fax", f.ID); len(trail) != 1 || trail[0].ActorID != legal.ID {
			t.Errorf("audit trail of the fax = %+v, want exactly the legal member's opening", trail)
		}
	})
}

// A mail client's one-click unsubscribe (RFC 8058) works without login,
// and a GET only shows the button (O3).
func TestPolicy_O3_OneClickUnsubscribeInThePortal(t *testing.T) {
	n := startNode(t, storetest.SQLiteURL(t))
	ctx := context.Background()
	a, _ := n.register(t, "Otto Oneclick", "otto@example.org")
	tok, err := n.Privacy.UnsubscribeToken(a.ID, privacy.PurposeMarketing)
	if err != nil {
		t.Fatal(err)
	}
	res, err := http.Get(n.URL + "/unsubscribe/" + tok)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got, _ := n.Accounts.ByID(ctx, a.ID); res.StatusCode != http.StatusOK || !got.MarketingOptIn {
		t.Fatalf("GET of the link: %d, marketing %v; it must only show the button", res.StatusCode, got.MarketingOptIn)
	}
	res, err = http.Post(n.URL+"/unsubscribe/"+tok, "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if got, _ := n.Accounts.ByID(ctx, a.ID); res.StatusCode != http.StatusOK || got.MarketingOptIn {
		t.Errorf("one-click POST: %d, marketing still %v", res.StatusCode, got.MarketingOptIn)
	}
	res, _ = http.Post(n.URL+"/unsubscribe/"+tok+"x", "application/x-www-form-urlencoded", strings.NewReader("List-Unsubscribe=One-Click"))
	if res.StatusCode != http.StatusNotFound {
		t.Errorf("a damaged link gave %d, want 404", res.StatusCode)
	}
}
