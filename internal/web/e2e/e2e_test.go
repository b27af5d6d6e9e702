package e2e

import (
	"context"
	"io"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/config"
	"github.com/faxhaven/faxhaven/internal/peer"
	"github.com/faxhaven/faxhaven/internal/service"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
	"github.com/faxhaven/faxhaven/internal/web"
)

// portal is a whole Faxhaven node (service.New, as "faxhaven serve" builds
// it) serving the real portal handler on a loopback port: real database,
// real number pool, real mail outbox.
type portal struct {
	*service.Service
	URL   string
	Brand *brands.Brand
}

func startPortal(t *testing.T, dbURL string) *portal {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg, err := config.Load("serve", []string{"--data-dir", dir, "--database-url", dbURL, "--listen", ln.Addr().String()},
		func(string) string { return "" }, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	svc, err := service.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("service stopped with %v", err)
		}
		svc.Close()
	})
	b, err := svc.Brands.BySlug(ctx, brands.DefaultSlug)
	if err != nil {
		t.Fatal(err)
	}
	return &portal{Service: svc, URL: "http://" + ln.Addr().String(), Brand: b}
}

// mail returns the newest message to addr whose subject holds subject,
// from the node's mail outbox, as the admin page shows it.
func (p *portal) mail(t *testing.T, addr, subject string) web.OutboxMessage {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		list, err := p.Mail.Recent(context.Background(), 100)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range list {
			if m.To == addr && strings.Contains(m.Subject, subject) {
				return m
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no mail to %s about %q in the outbox", addr, subject)
	return web.OutboxMessage{}
}

// browser is one Chromium process on a profile directory. Closing it and
// starting another on the same profile is what a user closing and opening
// their browser does.
type browser struct {
	t      *testing.T
	ctx    context.Context
	cancel func()
}

func startBrowser(t *testing.T, chromium, profile string) *browser {
	t.Helper()
	actx, acancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromium),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	)
	ctx, cancel := chromedp.NewContext(actx)
	b := &browser{t: t, ctx: ctx, cancel: func() { cancel(); acancel() }}
	// The first run starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.cancel()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(b.cancel)
	return b
}

// close shuts the browser down gracefully, so it writes its cookies.
func (b *browser) close() {
	if err := chromedp.Cancel(b.ctx); err != nil {
		b.t.Logf("close chromium: %v", err)
	}
	b.cancel()
}

// do runs the steps one after another. A step that fails because a
// navigation replaced the page it was about to work in (Chromium's "Cannot
// find context with specified id") runs again in the new page: that
// failure comes before the step acted, so it never acts twice.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	for _, step := range steps {
		if err := retryGoneContext(func() error { return chromedp.Do(ctx, step) }); err != nil {
			b.t.Fatalf("browser: %v", err)
		}
	}
}

func run[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	var v T
	err := retryGoneContext(func() (err error) {
		v, err = chromedp.Run(ctx, a)
		return err
	})
	if err != nil {
		b.t.Fatalf("browser: %v", err)
	}
	return v
}

// retryGoneContext runs f again, a few times, while it fails only because
// the page's JavaScript context went away under it.
func retryGoneContext(f func() error) error {
	err := f()
	for try := 0; try < 5 && err != nil && strings.Contains(err.Error(), "Cannot find context with specified id"); try++ {
		time.Sleep(200 * time.Millisecond)
		err = f()
	}
	return err
}

func (b *browser) text(sel string) string {
	b.t.Helper()
	return strings.TrimSpace(run(b, chromedp.Text(chromedp.CSS(sel))))
}

func (b *browser) location() string {
	b.t.Helper()
	return run(b, chromedp.Location())
}

// sessionCookie returns the browser's fh_session cookie, or nil.
func (b *browser) sessionCookie(siteURL string) *network.Cookie {
	b.t.Helper()
	res := run(b, chromedp.Action[network.GetCookiesResult](func(ctx context.Context, _ *chromedp.Target) (network.GetCookiesResult, error) {
		return chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{siteURL}})
	}))
	for _, c := range res.Cookies {
		if c.Name == "fh_session" {
			return c
		}
	}
	return nil
}

func (b *browser) screenshot(name string) {
	b.t.Helper()
	png := run(b, chromedp.FullScreenshot(100))
	if dir := os.Getenv("FAXHAVEN_E2E_SCREENSHOTS"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			b.t.Errorf("keep screenshot: %v", err)
		}
	}
	if len(png) < 1000 {
		b.t.Errorf("screenshot %s is only %d bytes", name, len(png))
	}
}

// fill types into the form fields, by id.
func fill(fields map[string]string) chromedp.Action[chromedp.Void] {
	var steps []chromedp.Action[chromedp.Void]
	for id, v := range fields {
		steps = append(steps, chromedp.Clear(chromedp.CSS("#"+id)), chromedp.SendKeys(chromedp.CSS("#"+id), v))
	}
	return chromedp.Steps(steps...)
}

// linkPath returns the path and query of the link in a mail.
func linkPath(t *testing.T, m web.OutboxMessage) string {
	t.Helper()
	for _, f := range strings.Fields(m.Text) {
		if u, err := url.Parse(f); err == nil && u.IsAbs() && u.Query().Get("token") != "" {
			return u.RequestURI()
		}
	}
	t.Fatalf("no link in the mail %q:\n%s", m.Subject, m.Text)
	return ""
}

func TestPortalInChromium(t *testing.T) {
	chromium := peer.Command(t, "chromium", "chromium")
	storetest.Each(t, func(t *testing.T, dbURL string) {
		p := startPortal(t, dbURL)
		db := p.DB
		profile := t.TempDir()
		const name, email, password = "Emma Ende", "emma@example.org", "quiet harbour lights"

		// Register, from the home page.
		b := startBrowser(t, chromium, profile)
		b.do(chromedp.Navigate(p.URL+"/"), chromedp.WaitVisible(chromedp.CSS(".hero")))
		b.screenshot("home-desktop")
		// Keyboard users meet the skip link first, and it leads to the content.
		b.do(chromedp.KeyEvent("\t"))
		if got := run(b, chromedp.Evaluate[string]("document.activeElement.getAttribute('href')")); got != "#main" {
			t.Errorf("first Tab focuses %q, want the skip link", got)
		}
		b.do(chromedp.Click(chromedp.CSS(`.hero a[href="/register"]`)), chromedp.WaitVisible(chromedp.CSS("#name")))
		b.do(fill(map[string]string{"name": name, "email": email, "password": password}),
			chromedp.Click(chromedp.CSS(`input[name="marketing"][value="no"]`)),
			chromedp.Click(chromedp.CSS(`input[name="policy"]`)))
		b.screenshot("register-desktop")
		b.do(chromedp.Click(chromedp.CSS(`form[action="/register"] button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.CSS("p.lead + p.hint")))
		if h := b.text("h1"); h != "Check your email" {
			t.Fatalf("after registering the page says %q", h)
		}

		// Verify through the emailed link.
		b.do(chromedp.Navigate(p.URL+linkPath(t, p.mail(t, email, "Confirm your email address"))),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/verify"] button`)),
			chromedp.Click(chromedp.CSS(`form[action="/verify"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)))
		if f := b.text(".flash"); !strings.Contains(f, "confirmed") {
			t.Errorf("after verifying the page says %q", f)
		}
		a, err := p.Accounts.ByEmail(context.Background(), p.Brand.ID, email)
		if err != nil || !a.Verified() {
			t.Fatalf("account not verified: %+v, %v", a, err)
		}
		number, _ := p.Accounts.FaxNumber(context.Background(), a.ID)

		// Log in without "remember me": a browser-session cookie.
		login := func(b *browser, password string, remember bool) {
			t.Helper()
			b.do(chromedp.Navigate(p.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")),
				fill(map[string]string{"email": email, "password": password}))
			if remember {
				b.do(chromedp.Click(chromedp.CSS("#remember")))
			}
			b.do(chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)),
				chromedp.WaitVisible(chromedp.CSS("#account-number")))
		}
		login(b, password, false)
		if got := b.text("#account-number"); got != a.Number {
			t.Errorf("account page shows account number %q, want %q", got, a.Number)
		}
		if got := b.text("#fax-number"); number == "" || got != number {
			t.Errorf("account page shows fax number %q, want %q", got, number)
		}
		b.screenshot("account-desktop")
		if c := b.sessionCookie(p.URL); c == nil || !c.Session || !c.HTTPOnly {
			t.Fatalf("remember-me off: cookie %+v, want an HttpOnly session cookie", c)
		}

		// Closing the browser ends that login.
		b.close()
		b = startBrowser(t, chromium, profile)
		b.do(chromedp.Navigate(p.URL+"/account"), chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)))
		if loc := b.location(); !strings.Contains(loc, "/login") {
			t.Errorf("after a browser restart /account went to %s, want the login page", loc)
		}

		// With "remember me" the login survives a restart.
		login(b, password, true)
		c := b.sessionCookie(p.URL)
		if c == nil || c.Session {
			t.Fatalf("remember-me on: cookie %+v, want a persistent cookie", c)
		}
		if days := (c.Expires - float64(time.Now().Unix())) / 86400; math.Abs(days-30) > 1 {
			t.Errorf("remembered cookie expires in %.1f days, want 30", days)
		}
		b.close()
		b = startBrowser(t, chromium, profile)
		b.do(chromedp.Navigate(p.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#account-number")))

		// Log out: the server ends the session.
		b.do(chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(".hero")))
		if f := b.text(".flash"); !strings.Contains(f, "logged out") {
			t.Errorf("after logout the page says %q", f)
		}
		// The remembered session is gone on the server. (The first,
		// browser-only one lingers until its idle timeout: the browser
		// that held it was closed, not logged out.)
		var live int
		db.QueryRow("SELECT COUNT(*) FROM sessions WHERE subject_id = $1 AND persistent", a.ID).Scan(&live)
		if live != 0 {
			t.Errorf("the remembered session is still on the server after logout")
		}
		b.do(chromedp.Navigate(p.URL+"/account"), chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)))

		// Reset the password through the emailed link.
		b.do(chromedp.Navigate(p.URL+"/forgot"), chromedp.WaitVisible(chromedp.CSS("#email")),
			fill(map[string]string{"email": email}),
			chromedp.Click(chromedp.CSS(`form[action="/forgot"] button`)),
			chromedp.WaitVisible(chromedp.CSS(".notice")))
		const newPassword = "brand new harbour lights"
		b.do(chromedp.Navigate(p.URL+linkPath(t, p.mail(t, email, "Reset your password"))),
			chromedp.WaitVisible(chromedp.CSS("#password_confirm")),
			fill(map[string]string{"password": newPassword, "password_confirm": newPassword}),
			chromedp.Click(chromedp.CSS(`form[action="/reset"] button`)),
			chromedp.WaitVisible(chromedp.CSS(`form[action="/login"]`)))
		login(b, newPassword, false)

		// Send a fax from the web, here to the account's own number: the
		// loopback carrier calls it like any other fax machine would.
		letter := filepath.Join(t.TempDir(), "letter.txt")
		if err := os.WriteFile(letter, []byte("Dear Emma,\n\nThis page crossed T.30 and T.38 to reach you.\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		b.do(chromedp.Click(chromedp.CSS(`nav a[href="/faxes/new"]`)), chromedp.WaitVisible(chromedp.CSS("#to")),
			fill(map[string]string{"to": "020 12"}),
			chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{letter}),
			chromedp.Click(chromedp.CSS("#send")),
			chromedp.WaitVisible(chromedp.CSS("#to-err")))
		if e := b.text("#to-err"); !strings.Contains(e, "country code") {
			t.Errorf("a wrong number says %q", e)
		}
		b.screenshot("send-wrong-number")
		b.do(fill(map[string]string{"to": number}),
			chromedp.SendKeys(chromedp.CSS("#note"), "Two pages: this cover and the letter."),
			chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{letter}),
			chromedp.Click(chromedp.CSS("#send")),
			chromedp.WaitVisible(chromedp.CSS("#fax-status")))
		// The status moves on while the page stays: a marker set now must
		// survive until the fax is delivered.
		run(b, chromedp.Evaluate[chromedp.Void]("window.stillHere = true"))
		run(b, chromedp.Poll[chromedp.Void](`document.getElementById("fax-status").textContent === "Delivered"`,
			chromedp.WithPollingTimeout(30*time.Second)))
		if !run(b, chromedp.Evaluate[bool]("window.stillHere === true")) {
			t.Error("the fax page reloaded to show the new status")
		}
		if pages := b.text("#fax-pages"); pages != "2" {
			t.Errorf("the sent fax has %s pages, want 2", pages)
		}
		b.screenshot("fax-sent")

		// It arrives in the inbox, opens as a PDF, downloads, and deletes.
		b.do(chromedp.Click(chromedp.CSS(`nav a[href="/faxes"]`)), chromedp.WaitVisible(chromedp.CSS("#fax-list tbody tr[data-fax]")))
		if row := b.text("#fax-list tbody tr"); !strings.Contains(row, number) || !strings.Contains(row, "Received") {
			t.Errorf("inbox row %q", row)
		}
		b.screenshot("inbox")
		b.do(chromedp.Click(chromedp.CSS(`#fax-list tbody tr a[href^="/faxes/"]`)), chromedp.WaitVisible(chromedp.CSS("#fax-open")))
		pdfType := run(b, chromedp.Evaluate[string](
			`fetch(document.getElementById("fax-open").href).then(r => r.headers.get("content-type") + " " + r.headers.get("content-disposition").split(";")[0])`,
			chromedp.EvalAwaitPromise))
		if pdfType != "application/pdf inline" {
			t.Errorf("Open PDF answers %q", pdfType)
		}
		magic := run(b, chromedp.Evaluate[string](
			`fetch(document.getElementById("fax-download").href).then(r => r.arrayBuffer()).then(b => String.fromCharCode(...new Uint8Array(b.slice(0, 5))))`,
			chromedp.EvalAwaitPromise))
		if magic != "%PDF-" {
			t.Errorf("the downloaded fax starts with %q", magic)
		}
		faxMail := p.mail(t, email, "Fax from")
		if !strings.Contains(faxMail.Text, number) {
			t.Errorf("fax-to-email text does not name the sender:\n%s", faxMail.Text)
		}
		b.do(chromedp.Click(chromedp.CSS("#fax-delete")), chromedp.WaitVisible(chromedp.CSS(".flash")))
		if f := b.text(".flash"); !strings.Contains(f, "deleted") {
			t.Errorf("after deleting the page says %q", f)
		}
		if rows := run(b, chromedp.Evaluate[int](`document.querySelectorAll("#fax-list tbody tr[data-fax]").length`)); rows != 0 {
			t.Errorf("the inbox still lists %d faxes after the delete", rows)
		}
		b.do(chromedp.Navigate(p.URL+"/account"), chromedp.WaitVisible(chromedp.CSS("#account-number")))

		// Dutch, at phone width.
		b.do(chromedp.EmulateViewport(390, 844, chromedp.EmulateMobile),
			chromedp.Click(chromedp.CSS(`button[name="lang"][value="nl"]`)),
			chromedp.WaitVisible(chromedp.CSS(`html[lang="nl"] #account-number`)))
		if h := b.text("h1"); !strings.HasPrefix(h, "Welkom") {
			t.Errorf("Dutch account page heading %q", h)
		}
		b.screenshot("account-phone-nl")
		b.do(chromedp.Click(chromedp.CSS(`form[action="/logout"] button`)), chromedp.WaitVisible(chromedp.CSS(".hero")),
			chromedp.Navigate(p.URL+"/register"), chromedp.WaitVisible(chromedp.CSS("#name")))
		b.screenshot("register-phone-nl")
		// The register page fits the phone: nothing scrolls sideways.
		if w := run(b, chromedp.Evaluate[float64]("document.documentElement.scrollWidth")); w > 390 {
			t.Errorf("register page is %v px wide on a 390 px phone", w)
		}

		// Staff: the console lists the account without personal data;
		// opening it needs a ground; the admin reads the outbox.
		if _, err := p.Staff.Create(context.Background(), "admin@faxhaven.example", "Ada Admin", staff.Admin, "staff password 2026"); err != nil {
			t.Fatal(err)
		}
		b.do(chromedp.EmulateViewport(1280, 900), chromedp.Navigate(p.URL+"/staff/login"), chromedp.WaitVisible(chromedp.CSS("#email")),
			fill(map[string]string{"email": "admin@faxhaven.example", "password": "staff password 2026"}),
			chromedp.Click(chromedp.CSS(`form[action="/staff/login"] button`)),
			chromedp.WaitVisible(chromedp.CSS("table")))
		if row := b.text("tbody tr"); !strings.Contains(row, a.Number) || strings.Contains(row, email) {
			t.Errorf("console row %q: want the account number and no email", row)
		}
		b.screenshot("staff-console")
		b.do(chromedp.Click(chromedp.CSS(`tbody a`)), chromedp.WaitVisible(chromedp.CSS("#ground")),
			fill(map[string]string{"ground": "ticket 2026-117: login trouble"}),
			chromedp.Click(chromedp.CSS(`form[action^="/staff/accounts/"] button`)),
			chromedp.WaitVisible(chromedp.CSS("dl.facts")))
		if dl := b.text("dl.facts"); !strings.Contains(dl, email) {
			t.Errorf("opened account shows %q, want the email", dl)
		}
		trail, err := p.Staff.AuditTrail(context.Background(), "account", a.ID)
		if err != nil || len(trail) != 1 || trail[0].Ground != "ticket 2026-117: login trouble" {
			t.Errorf("audit trail after the browser view: %+v, %v", trail, err)
		}
		b.do(chromedp.Navigate(p.URL+"/staff/outbox"), chromedp.WaitVisible(chromedp.CSS("#ground")),
			fill(map[string]string{"ground": "delivery check"}),
			chromedp.Click(chromedp.CSS(`form[action="/staff/outbox"] button`)),
			chromedp.WaitVisible(chromedp.CSS("article.mail")))
		if got := b.text("main"); !strings.Contains(got, "Welcome to Faxhaven") || strings.Contains(got, newPassword) || strings.Contains(got, password) {
			t.Errorf("outbox page: want the welcome mail and no password")
		}
		b.screenshot("staff-outbox")
	})
}
