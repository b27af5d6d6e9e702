package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// get fetches path as if the browser asked for host.
func (b *browser) getHost(host, path string) *response {
	b.t.Helper()
	req, _ := http.NewRequest("GET", b.env.HTTP.URL+path, nil)
	req.Host = host
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := res.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return &response{Response: res, Body: sb.String()}
}

func TestPolicy_X1_EachBrandShowsItsOwnSiteAndPolicy(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		clinic, err := e.Brands.Create(ctx, brands.Brand{Slug: "clinic", Name: "ClinicFax", Host: "fax.clinic.example",
			FaxDomain: "mail.clinic.example", ColorPrimary: "#0b6e4f", ColorAccent: "#f2a541"})
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Brands.PublishPolicy(ctx, brands.Policy{BrandID: clinic.ID, Version: "clinic-1",
			TextEN: "ClinicFax keeps patient faxes apart.", TextNL: "ClinicFax houdt patiëntfaxen gescheiden."}); err != nil {
			t.Fatal(err)
		}
		b := e.browser(t)
		css := b.getHost("fax.clinic.example", "/brand.css").Body
		if !strings.Contains(css, "--brand: #0b6e4f") || !strings.Contains(css, "--accent: #f2a541") {
			t.Errorf("clinic brand.css = %q", css)
		}
		if def := b.getHost("localhost", "/brand.css").Body; strings.Contains(def, "#0b6e4f") {
			t.Error("default brand got the clinic's colours")
		}
		home := b.getHost("fax.clinic.example", "/").Body
		if !strings.Contains(home, "ClinicFax") || strings.Contains(home, ">Faxhaven<") {
			t.Error("clinic home page does not carry the clinic's name")
		}
		pol := b.getHost("fax.clinic.example", "/policy").Body
		if !strings.Contains(pol, "ClinicFax keeps patient faxes apart.") || strings.Contains(pol, "We run this fax service") {
			t.Error("clinic policy page does not show the clinic's own policy")
		}
		// The registration form carries the brand's policy version, so the
		// account records the policy the user was shown.
		reg := b.getHost("fax.clinic.example", "/register").Body
		if !strings.Contains(reg, `name="policy_version" value="clinic-1"`) {
			t.Error("clinic registration form does not carry the clinic's policy version")
		}
		if !strings.Contains(reg, "ClinicFax keeps patient faxes apart.") {
			t.Error("clinic registration form does not show the clinic's policy before registering")
		}
		// A brand colour that is not a colour never reaches the CSS.
		if _, err := db.Exec("UPDATE brands SET color_primary = $1 WHERE id = $2", "red;}body{display:none", clinic.ID); err != nil {
			t.Fatal(err)
		}
		if css := b.getHost("fax.clinic.example", "/brand.css").Body; strings.Contains(css, "display") {
			t.Errorf("brand.css carries an injected rule: %q", css)
		}
	})
}

// TestFormsAreLabelled checks the public forms for accessibility basics:
// every visible input has a label, and the page has its landmarks.
func TestFormsAreLabelled(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		b := e.browser(t)
		input := regexp.MustCompile(`<(input|select)\b[^>]*>`)
		id := regexp.MustCompile(`\bid="([^"]+)"`)
		for _, path := range []string{"/register", "/login", "/forgot", "/staff/login"} {
			body := b.get(path).want(t, http.StatusOK).Body
			for _, landmark := range []string{"<header", "<nav", "<main", "<footer", `class="skip"`} {
				if !strings.Contains(body, landmark) {
					t.Errorf("%s lacks %s", path, landmark)
				}
			}
			for _, tag := range input.FindAllString(body, -1) {
				if strings.Contains(tag, `type="hidden"`) {
					continue
				}
				if strings.Contains(tag, `type="radio"`) || strings.Contains(tag, `type="checkbox"`) {
					// Wrapped in their label.
					continue
				}
				m := id.FindStringSubmatch(tag)
				if m == nil || !strings.Contains(body, `<label for="`+m[1]+`"`) {
					t.Errorf("%s: %s has no label", path, tag)
				}
			}
		}
	})
}

func TestUnverifiedUserCanAskForANewLink(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		b := e.browser(t)
		b.post("/register", e.registerForm(t, "Una", "una@example.org")).want(t, http.StatusOK)
		first := e.Mailer.Last(t, "una@example.org", "verify")
		b.post("/login", url.Values{"email": {"una@example.org"}, "password": {"correct horse battery"}}).want(t, http.StatusSeeOther)
		page := b.get("/account").want(t, http.StatusOK).Body
		if !strings.Contains(page, `action="/account/verify-again"`) {
			t.Fatal("unverified account page offers no new link")
		}
		b.post("/account/verify-again", url.Values{}).want(t, http.StatusSeeOther)
		if again := e.Mailer.Last(t, "una@example.org", "verify"); again.Text == first.Text {
			t.Error("no new verification mail")
		}
	})
}

func TestStaffOneTimePasswordMustBeReplaced(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		if _, err := e.Staff.CreateOneTime(ctx, "fresh@faxhaven.example", "", staff.Support, "one time Pass 99"); err != nil {
			t.Fatal(err)
		}
		b := e.browser(t)
		b.post("/staff/login", url.Values{"email": {"fresh@faxhaven.example"}, "password": {"one time Pass 99"}}).want(t, http.StatusSeeOther)
		for _, path := range []string{"/staff", "/staff/accounts/1", "/staff/outbox"} {
			if res := b.get(path).want(t, http.StatusSeeOther); res.Header.Get("Location") != "/staff/password" {
				t.Errorf("GET %s with a one-time password went to %q", path, res.Header.Get("Location"))
			}
		}
		b.get("/staff/password").want(t, http.StatusOK)
		b.post("/staff/password", url.Values{"current": {"nope nope nope"}, "password": {"my own staff secret"}, "password_confirm": {"my own staff secret"}}).
			want(t, http.StatusUnprocessableEntity)
		b.post("/staff/password", url.Values{"current": {"one time Pass 99"}, "password": {"my own staff secret"}, "password_confirm": {"my own staff secret"}}).
			want(t, http.StatusSeeOther)
		b.get("/staff").want(t, http.StatusOK)
	})
}
