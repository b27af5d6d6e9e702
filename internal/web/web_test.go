package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"text/template/parse"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/accounts/accountstest"
	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// TestTemplatesUseKnownKeys walks every template's parse tree and fails on
// a t call with a key the catalog lacks; keys built at run time from a
// prefix are checked against every value they can take.
func TestTemplatesUseKnownKeys(t *testing.T) {
	pages, err := parsePages()
	if err != nil {
		t.Fatal(err)
	}
	used := map[string]bool{}
	for _, tmpl := range pages[i18n.English] {
		for _, tt := range tmpl.Templates() {
			if tt.Tree != nil {
				walk(tt.Tree.Root, used)
			}
		}
	}
	if len(used) < 50 {
		t.Fatalf("found only %d catalog keys in the templates; is the walker broken?", len(used))
	}
	for k := range used {
		if !i18n.Has(k) {
			t.Errorf("templates use unknown catalog key %q", k)
		}
	}
	dynamic := map[string][]string{"gender.": accounts.Genders, "occupation.": accounts.Occupations,
		"income.": accounts.IncomeBands, "plan.": {"free", "paid"}, "status.": {accounts.StatusActive, accounts.StatusClosed}}
	for _, r := range staff.Roles {
		dynamic["role."] = append(dynamic["role."], string(r))
	}
	for prefix, values := range dynamic {
		for _, v := range values {
			if !i18n.Has(prefix + v) {
				t.Errorf("catalog lacks %q", prefix+v)
			}
		}
	}
	for _, f := range []string{"name", "email", "language", "verified", "fax_number", "plan", "status", "marketing",
		"policy_version", "policy_accepted_at", "gender", "occupation", "income_band", "created_at"} {
		if !i18n.Has("field." + f) {
			t.Errorf("catalog lacks the staff view label field.%s", f)
		}
	}
}

func walk(n parse.Node, used map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n != nil {
			for _, c := range n.Nodes {
				walk(c, used)
			}
		}
	case *parse.ActionNode:
		walk(n.Pipe, used)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			walk(c, used)
		}
	case *parse.CommandNode:
		if len(n.Args) >= 2 {
			if id, ok := n.Args[0].(*parse.IdentifierNode); ok && id.Ident == "t" {
				if s, ok := n.Args[1].(*parse.StringNode); ok {
					used[s.Text] = true
				}
			}
		}
		for _, a := range n.Args {
			walk(a, used)
		}
	case *parse.IfNode:
		walk(n.Pipe, used)
		walk(n.List, used)
		walk(n.ElseList, used)
	case *parse.RangeNode:
		walk(n.Pipe, used)
		walk(n.List, used)
		walk(n.ElseList, used)
	case *parse.WithNode:
		walk(n.Pipe, used)
		walk(n.List, used)
		walk(n.ElseList, used)
	case *parse.TemplateNode:
		walk(n.Pipe, used)
	}
}

func TestPolicy_O1_MarketingChoiceIsActive(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		b := e.browser(t)
		page := b.get("/register").want(t, http.StatusOK)
		inputs := regexp.MustCompile(`<input[^>]*>`).FindAllString(page.Body, -1)
		radios := 0
		for _, in := range inputs {
			if strings.Contains(in, "checked") {
				t.Errorf("input pre-ticked on the registration form: %s", in)
			}
			if strings.Contains(in, `name="marketing"`) {
				radios++
			}
		}
		if radios != 2 {
			t.Errorf("found %d marketing radio buttons, want yes and no", radios)
		}
		f := e.registerForm(t, "Olga", "olga@example.org")
		f.Del("marketing")
		res := b.post("/register", f).want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, i18n.T("en", "err.marketing_choice")) {
			t.Error("missing choice is not explained on the page")
		}
		if strings.Contains(res.Body, "correct horse battery") {
			t.Error("the password is echoed back into the form")
		}
		if !strings.Contains(res.Body, `value="olga@example.org"`) {
			t.Error("the email typed is not kept in the form")
		}
		f.Set("marketing", "maybe")
		b.post("/register", f).want(t, http.StatusUnprocessableEntity)
		if _, err := e.Accounts.ByEmail(ctx, e.Brand.ID, "olga@example.org"); err == nil {
			t.Fatal("account created without a marketing choice")
		}
		f.Set("marketing", "yes")
		b.post("/register", f).want(t, http.StatusOK)
		a, err := e.Accounts.ByEmail(ctx, e.Brand.ID, "olga@example.org")
		if err != nil || !a.MarketingOptIn {
			t.Fatalf("explicit yes not stored: %+v, %v", a, err)
		}
		// The choice can be changed later from the account page.
		b.post("/login", url.Values{"email": {"olga@example.org"}, "password": {"correct horse battery"}}).want(t, http.StatusSeeOther)
		if page := b.get("/account").want(t, http.StatusOK).Body; !strings.Contains(page, `action="/account/preferences"`) {
			t.Fatal("account page offers no way to change the marketing choice")
		}
		b.post("/account/preferences", url.Values{"marketing": {"maybe"}}).want(t, http.StatusBadRequest)
		b.post("/account/preferences", url.Values{"marketing": {"no"}}).want(t, http.StatusSeeOther)
		if a, _ := e.Accounts.ByID(ctx, a.ID); a.MarketingOptIn {
			t.Error("changing the choice to no was not stored")
		}
	})
}

// cookieNamed returns the Set-Cookie of name in res, or nil.
func cookieNamed(res *response, name string) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

func TestPolicy_C4_SessionCookieVersusRememberMe(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, true)
		e.Verified(t, "Cora", "cora@example.org")
		login := func(remember bool, https bool) *http.Cookie {
			b := e.browser(t)
			if https {
				b.header.Set("X-Forwarded-Proto", "https")
			}
			f := url.Values{"email": {"cora@example.org"}, "password": {"correct horse battery"}}
			if remember {
				f.Set("remember", "on")
			}
			res := b.post("/login", f).want(t, http.StatusSeeOther)
			c := cookieNamed(res, sessionCookie)
			if c == nil {
				t.Fatal("no session cookie set on login")
			}
			raw := strings.Join(res.Header.Values("Set-Cookie"), "\n")
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || !strings.Contains(raw, "HttpOnly") {
				t.Errorf("session cookie attributes: %s", raw)
			}
			if c.Secure != https {
				t.Errorf("Secure = %v over https=%v", c.Secure, https)
			}
			return c
		}
		browserOnly := login(false, false)
		if browserOnly.MaxAge != 0 || !browserOnly.Expires.IsZero() || browserOnly.RawExpires != "" {
			t.Errorf("remember-me off set a persistent cookie: MaxAge %d, Expires %q", browserOnly.MaxAge, browserOnly.RawExpires)
		}
		persistent := login(true, true)
		if d := time.Duration(persistent.MaxAge) * time.Second; d < 29*24*time.Hour || d > 31*24*time.Hour {
			t.Errorf("remember-me cookie lasts %v, want about 30 days", d)
		}
	})
}

func TestPolicy_C4_PublicPagesWithoutCookies(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		// A client that refuses every cookie.
		c := &http.Client{}
		for _, path := range []string{"/", "/policy", "/register", "/login", "/forgot", "/static/style.css", "/brand.css"} {
			res, err := c.Get(e.HTTP.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusOK {
				t.Errorf("GET %s without cookies = %d", path, res.StatusCode)
			}
			if sc := res.Header.Values("Set-Cookie"); len(sc) > 0 {
				t.Errorf("GET %s sets cookies on a plain visit: %v", path, sc)
			}
		}
	})
}

func TestCrossOriginPostRefused(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		e.Verified(t, "Xena", "xena@example.org")
		f := url.Values{"email": {"xena@example.org"}, "password": {"correct horse battery"}}
		tests := []struct {
			name   string
			header map[string]string
			want   int
		}{
			{"cross-site fetch metadata", map[string]string{"Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
			{"same-site other origin", map[string]string{"Sec-Fetch-Site": "same-site"}, http.StatusForbidden},
			{"foreign Origin", map[string]string{"Origin": "https://evil.example"}, http.StatusForbidden},
			{"same origin", map[string]string{"Sec-Fetch-Site": "same-origin"}, http.StatusSeeOther},
			{"user typed", map[string]string{"Sec-Fetch-Site": "none"}, http.StatusSeeOther},
		}
		for _, tt := range tests {
			b := e.browser(t)
			for k, v := range tt.header {
				b.header.Set(k, v)
			}
			res := b.post("/login", f)
			if res.StatusCode != tt.want {
				t.Errorf("%s: POST /login = %d, want %d", tt.name, res.StatusCode, tt.want)
			}
			if tt.want == http.StatusForbidden && cookieNamed(res, sessionCookie) != nil {
				t.Errorf("%s: refused request still logged in", tt.name)
			}
		}
		// A logged-in user's state-changing form is protected the same way.
		b := e.browser(t)
		b.post("/login", f).want(t, http.StatusSeeOther)
		b.header.Set("Sec-Fetch-Site", "cross-site")
		b.post("/logout", url.Values{}).want(t, http.StatusForbidden)
		b.header.Del("Sec-Fetch-Site")
		b.get("/account").want(t, http.StatusOK)
	})
}

func TestSecurityHeadersAndLimits(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		b := e.browser(t)
		res := b.get("/").want(t, http.StatusOK)
		for h, want := range map[string]string{
			"Content-Security-Policy": "frame-ancestors 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Referrer-Policy":         "same-origin",
			"X-Frame-Options":         "DENY",
		} {
			if got := res.Header.Get(h); !strings.Contains(got, want) {
				t.Errorf("%s = %q, want it to contain %q", h, got, want)
			}
		}
		if strings.Contains(res.Header.Get("Content-Security-Policy"), "unsafe-inline") {
			t.Error("CSP allows inline code")
		}
		big := url.Values{"email": {strings.Repeat("a", maxFormBytes)}}
		b.post("/login", big).want(t, http.StatusRequestEntityTooLarge)
		b.get("/no/such/page").want(t, http.StatusNotFound)
		if res := b.get("/login?next=//evil.example/"); strings.Contains(res.Body, "evil.example") {
			t.Error("login keeps a foreign redirect target")
		}
	})
}

func TestTranslations(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		b := e.browser(t)
		en := b.get("/login").want(t, http.StatusOK)
		if !strings.Contains(en.Body, `<html lang="en">`) || !strings.Contains(en.Body, "Remember me on this device") {
			t.Error("default page is not English")
		}
		b.header.Set("Accept-Language", "nl-NL,nl;q=0.9,en;q=0.5")
		nl := b.get("/login").want(t, http.StatusOK)
		if !strings.Contains(nl.Body, `<html lang="nl">`) || !strings.Contains(nl.Body, "Onthoud mij op dit apparaat") {
			t.Error("Accept-Language nl did not give Dutch")
		}
		if nl.Header.Get("Content-Language") != "nl" {
			t.Errorf("Content-Language = %q", nl.Header.Get("Content-Language"))
		}
		// The switch overrides the header and sticks.
		res := b.post("/lang", url.Values{"lang": {"en"}, "return": {"/policy"}}).want(t, http.StatusSeeOther)
		if res.Header.Get("Location") != "/policy" {
			t.Errorf("language switch went to %q", res.Header.Get("Location"))
		}
		if !strings.Contains(b.get("/policy").Body, "We run this fax service") {
			t.Error("switch to English did not stick against Accept-Language nl")
		}
		b.post("/lang", url.Values{"lang": {"xx"}}).want(t, http.StatusBadRequest)
		b.post("/lang", url.Values{"lang": {"nl"}, "return": {"https://evil.example/"}}).want(t, http.StatusSeeOther)
		// Errors come translated too.
		f := e.registerForm(t, "Nina", "nina@example.org")
		f.Set("password", "kort")
		res = b.post("/register", f).want(t, http.StatusUnprocessableEntity)
		if !strings.Contains(res.Body, i18n.T("nl", "err.password_short")) {
			t.Error("validation error not shown in Dutch")
		}
		// A logged-in user's choice is stored on the account.
		a := e.Verified(t, "Lang User", "lang@example.org")
		lb := e.browser(t)
		lb.post("/login", url.Values{"email": {"lang@example.org"}, "password": {"correct horse battery"}}).want(t, http.StatusSeeOther)
		lb.post("/lang", url.Values{"lang": {"nl"}}).want(t, http.StatusSeeOther)
		if got, _ := e.Accounts.ByID(ctx, a.ID); got.Language != "nl" {
			t.Errorf("account language = %q after switching to nl", got.Language)
		}
	})
}

func TestAccountFlows(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		b := e.browser(t)
		b.get("/account").want(t, http.StatusSeeOther)
		b.post("/register", e.registerForm(t, "Frank Flow", "frank@example.org")).want(t, http.StatusOK)
		b.post("/register", e.registerForm(t, "Frank Again", "frank@example.org")).want(t, http.StatusUnprocessableEntity)
		token := accountstest.Token(t, e.Mailer.Last(t, "frank@example.org", "verify"))
		page := b.get("/verify?token="+token).want(t, http.StatusOK)
		if a, _ := e.Accounts.ByEmail(ctx, e.Brand.ID, "frank@example.org"); a.Verified() {
			t.Fatal("opening the link verified the account without the button")
		}
		if !strings.Contains(page.Body, `name="token"`) {
			t.Fatal("verify page has no confirm form")
		}
		b.post("/verify", url.Values{"token": {token}}).want(t, http.StatusSeeOther)
		b.get("/verify?token="+token).want(t, http.StatusGone)
		b.get("/verify?token=garbage").want(t, http.StatusBadRequest)

		b.post("/login", url.Values{"email": {"frank@example.org"}, "password": {"wrong password"}}).want(t, http.StatusUnprocessableEntity)
		b.post("/login", url.Values{"email": {"frank@example.org"}, "password": {"correct horse battery"}, "next": {"/account"}}).want(t, http.StatusSeeOther)
		acc := b.get("/account").want(t, http.StatusOK)
		a, _ := e.Accounts.ByEmail(ctx, e.Brand.ID, "frank@example.org")
		number, _ := e.Accounts.FaxNumber(ctx, a.ID)
		if !strings.Contains(acc.Body, a.Number) || number == "" || !strings.Contains(acc.Body, number[1:]) {
			t.Errorf("account page lacks the account number %s or fax number %q:\n%s", a.Number, number, acc.Body)
		}
		if acc.Header.Get("Cache-Control") != "no-store" {
			t.Error("account page may be cached")
		}
		// Change password.
		b.post("/account/password", url.Values{"current": {"correct horse battery"}, "password": {"new horse battery"}, "password_confirm": {"other"}}).
			want(t, http.StatusUnprocessableEntity)
		b.post("/account/password", url.Values{"current": {"correct horse battery"}, "password": {"new horse battery"}, "password_confirm": {"new horse battery"}}).
			want(t, http.StatusSeeOther)
		b.get("/account").want(t, http.StatusOK)
		// Logout ends the session on the server: the old cookie no longer works.
		u, _ := url.Parse(e.HTTP.URL)
		old := b.c.Jar.Cookies(u)
		b.post("/logout", url.Values{}).want(t, http.StatusSeeOther)
		replay := e.browser(t)
		replay.c.Jar.SetCookies(u, old)
		replay.get("/account").want(t, http.StatusSeeOther)
		// Forgotten password.
		b.get("/") // shows and clears the logout message
		same := b.post("/forgot", url.Values{"email": {"nobody@example.org"}}).want(t, http.StatusOK)
		real := b.post("/forgot", url.Values{"email": {"frank@example.org"}}).want(t, http.StatusOK)
		if same.Body != real.Body {
			t.Error("forgot page tells known from unknown addresses")
		}
		rt := accountstest.Token(t, e.Mailer.Last(t, "frank@example.org", "reset"))
		b.get("/reset?token="+rt).want(t, http.StatusOK)
		b.post("/reset", url.Values{"token": {rt}, "password": {"reset horse battery"}, "password_confirm": {"reset horse battery"}}).want(t, http.StatusSeeOther)
		b.post("/reset", url.Values{"token": {rt}, "password": {"again horse battery"}, "password_confirm": {"again horse battery"}}).want(t, http.StatusGone)
		b.post("/login", url.Values{"email": {"frank@example.org"}, "password": {"reset horse battery"}}).want(t, http.StatusSeeOther)
	})
}

func TestPolicy_Sec1_StaffConsoleNeedsGround(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		a := e.Verified(t, "Gina Ground", "gina@example.org")
		if _, err := e.Staff.Create(ctx, "support@faxhaven.example", "Sue", staff.Support, "staff password 2026"); err != nil {
			t.Fatal(err)
		}
		b := e.browser(t)
		b.get("/staff").want(t, http.StatusSeeOther)
		b.post("/staff/login", url.Values{"email": {"support@faxhaven.example"}, "password": {"staff password 2026"}}).want(t, http.StatusSeeOther)
		list := b.get("/staff").want(t, http.StatusOK)
		if !strings.Contains(list.Body, a.Number) {
			t.Error("console does not list the account number")
		}
		if strings.Contains(list.Body, "gina@example.org") || strings.Contains(list.Body, "Gina Ground") {
			t.Error("console list shows personal data")
		}
		path := "/staff/accounts/" + itoa(a.ID)
		form := b.get(path).want(t, http.StatusOK)
		if strings.Contains(form.Body, "gina@example.org") {
			t.Error("account page shows personal data before a ground is given")
		}
		b.post(path, url.Values{"ground": {""}}).want(t, http.StatusUnprocessableEntity)
		var n int
		db.QueryRow("SELECT COUNT(*) FROM audit_log").Scan(&n)
		if n != 0 {
			t.Fatalf("%d audit records after a refused view", n)
		}
		view := b.post(path, url.Values{"ground": {"ticket 123"}}).want(t, http.StatusOK)
		if !strings.Contains(view.Body, "gina@example.org") {
			t.Error("view with a ground does not show the data")
		}
		trail, _ := e.Staff.AuditTrail(ctx, "account", a.ID)
		if len(trail) != 1 || trail[0].Ground != "ticket 123" {
			t.Errorf("audit trail = %+v", trail)
		}
		// Support may not open the outbox.
		b.get("/staff/outbox").want(t, http.StatusForbidden)
		// The staff cookie is confined to /staff and never persistent.
		sb := e.browser(t)
		res := sb.post("/staff/login", url.Values{"email": {"support@faxhaven.example"}, "password": {"staff password 2026"}})
		if c := cookieNamed(res, staffCookie); c == nil || c.Path != "/staff" || c.MaxAge != 0 || !c.HttpOnly {
			t.Errorf("staff cookie = %+v", c)
		}
	})
}

func TestAdminOutbox(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		e.Verified(t, "Olly Outbox", "olly@example.org")
		e.Staff.Create(ctx, "admin@faxhaven.example", "Ada", staff.Admin, "staff password 2026")
		b := e.browser(t)
		b.post("/staff/login", url.Values{"email": {"admin@faxhaven.example"}, "password": {"staff password 2026"}}).want(t, http.StatusSeeOther)
		if !strings.Contains(b.get("/staff").Body, "/staff/outbox") {
			t.Error("admin console has no outbox link")
		}
		b.post("/staff/outbox", url.Values{"ground": {""}}).want(t, http.StatusUnprocessableEntity)
		res := b.post("/staff/outbox", url.Values{"ground": {"mail delivery check"}}).want(t, http.StatusOK)
		if !strings.Contains(res.Body, "Welcome to Faxhaven") {
			t.Error("outbox does not show the welcome mail")
		}
		trail, _ := e.Staff.AuditTrail(ctx, "outbox", 0)
		if len(trail) != 1 {
			t.Errorf("outbox view audit records: %d", len(trail))
		}
	})
}

func TestHealthReadyMetrics(t *testing.T) {
	storetest.EachDB(t, func(t *testing.T, db *store.DB) {
		e := newEnv(t, db, false)
		b := e.browser(t)
		b.get("/healthz").want(t, http.StatusOK)
		b.get("/readyz").want(t, http.StatusOK)
		b.get("/")
		b.post("/login", url.Values{"email": {"x@example.org"}, "password": {"nope nope nope"}})
		m := b.get("/metrics").want(t, http.StatusOK).Body
		for _, want := range []string{
			`faxhaven_http_requests_total{method="GET",route="GET /{$}",code="2xx"} 1`,
			`faxhaven_http_request_duration_seconds_bucket{route="GET /{$}",le="+Inf"} 1`,
			"faxhaven_login_failures_total 1",
		} {
			if !strings.Contains(m, want) {
				t.Errorf("metrics lack %q:\n%s", want, m)
			}
		}
		db.Close()
		b.get("/readyz").want(t, http.StatusServiceUnavailable)
		b.get("/healthz").want(t, http.StatusOK)
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
