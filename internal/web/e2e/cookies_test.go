package e2e

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/peer"
	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// cookieNames lists the cookies the browser holds for the site.
func (b *browser) cookieNames(siteURL string) string {
	b.t.Helper()
	res := run(b, chromedp.Action[network.GetCookiesResult](func(ctx context.Context, _ *chromedp.Target) (network.GetCookiesResult, error) {
		return chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{siteURL}})
	}))
	var out []string
	for _, c := range res.Cookies {
		out = append(out, c.Name)
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

// noScript switches JavaScript off: the consent flows must work without it.
func (b *browser) noScript() {
	b.t.Helper()
	run(b, chromedp.Action[struct{}](func(ctx context.Context, _ *chromedp.Target) (struct{}, error) {
		_, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return struct{}{}, err
	}))
}

// sendGPC makes the browser send Sec-GPC: 1 with every request.
func (b *browser) sendGPC() {
	b.t.Helper()
	run(b, chromedp.Action[struct{}](func(ctx context.Context, _ *chromedp.Target) (struct{}, error) {
		_, err := chromedp.Call(ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Sec-GPC": "1"}})
		return struct{}{}, err
	}))
}

func TestPolicy_C4_CookieConsentInChromium(t *testing.T) {
	chromium := peer.Command(t, "chromium", "chromium")
	p := startPortal(t, storetest.SQLiteURL(t))
	b := startBrowser(t, chromium, t.TempDir())
	b.noScript()

	// A first visit: the banner asks, and no cookie is set.
	b.do(chromedp.Navigate(p.URL+"/?ref=12"), chromedp.WaitVisible(chromedp.CSS("#cookie-banner")))
	b.screenshot("cookie-banner")
	if got := b.cookieNames(p.URL); got != "" {
		t.Fatalf("first visit set cookies %q", got)
	}
	// "Only necessary": the choice is remembered and nothing else is set.
	b.do(chromedp.Click(chromedp.CSS("#cookie-necessary")), chromedp.WaitNotPresent(chromedp.CSS("#cookie-banner")),
		chromedp.WaitVisible(chromedp.CSS(".hero")))
	b.do(chromedp.Navigate(p.URL+"/?ref=12"), chromedp.WaitVisible(chromedp.CSS(".hero")))
	if got := b.cookieNames(p.URL); got != "fh_consent" {
		t.Fatalf("after 'only necessary' the cookies are %q", got)
	}
	// Choose statistics and marketing on the settings page.
	b.do(chromedp.Navigate(p.URL+"/cookies"), chromedp.WaitVisible(chromedp.CSS("#cookie-settings")),
		chromedp.Click(chromedp.CSS("#cookie-statistics")), chromedp.Click(chromedp.CSS("#cookie-marketing")),
		chromedp.Click(chromedp.CSS(`#cookie-settings button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.do(chromedp.Navigate(p.URL+"/?ref=12"), chromedp.WaitVisible(chromedp.CSS(".hero")))
	if got := b.cookieNames(p.URL); got != "fh_consent,fh_ref,fh_stats" {
		t.Fatalf("after allowing statistics and marketing the cookies are %q", got)
	}
	// Withdrawing statistics removes its cookie on the server's word.
	b.do(chromedp.Navigate(p.URL+"/cookies"), chromedp.WaitVisible(chromedp.CSS("#cookie-settings")),
		chromedp.Click(chromedp.CSS("#cookie-statistics")),
		chromedp.Click(chromedp.CSS(`#cookie-settings button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	if got := b.cookieNames(p.URL); got != "fh_consent,fh_ref" {
		t.Fatalf("after withdrawing statistics the cookies are %q", got)
	}
	// Global Privacy Control: marketing goes too, whatever the choice said.
	b.sendGPC()
	b.do(chromedp.Navigate(p.URL+"/cookies"), chromedp.WaitVisible(chromedp.CSS("#cookie-settings")))
	if got := b.cookieNames(p.URL); got != "fh_consent" {
		t.Fatalf("with Sec-GPC the cookies are %q", got)
	}
}

// The privacy centre in Chromium, without JavaScript: a choice is saved
// and lands in the consent ledger.
func TestPolicy_O1_PrivacyCentreChoicesInChromium(t *testing.T) {
	chromium := peer.Command(t, "chromium", "chromium")
	p := startPortal(t, storetest.SQLiteURL(t))
	ctx := context.Background()
	const email, password = "chrome.consent@example.org", "quiet harbour lights"
	pol, _ := p.Brands.CurrentPolicy(ctx, p.Brand.ID)
	no := false
	a, err := p.Accounts.Register(ctx, accounts.Registration{BrandID: p.Brand.ID, Name: "Chrome Consent", Email: email, Password: password,
		Marketing: &no, AcceptPolicy: true, PolicyVersion: pol.Version})
	if err != nil {
		t.Fatal(err)
	}
	p.DB.Exec("UPDATE accounts SET email_verified_at = $1 WHERE id = $2", store.Micros(p.Clock.Now()), a.ID)

	b := startBrowser(t, chromium, t.TempDir())
	b.noScript()
	b.do(chromedp.Navigate(p.URL+"/login"), chromedp.WaitVisible(chromedp.CSS("#email")),
		fill(map[string]string{"email": email, "password": password}),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS("#account-number")))
	b.do(chromedp.Navigate(p.URL+"/account/privacy"), chromedp.WaitVisible(chromedp.CSS("#choices")),
		chromedp.Click(chromedp.CSS(`input[name="newsletters"][value="yes"]`)),
		chromedp.Click(chromedp.CSS(`#choices button[type="submit"]`)), chromedp.WaitVisible(chromedp.CSS(".flash")))
	b.screenshot("privacy-centre")
	ledger, err := p.Privacy.Ledger(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ledger) != 2 || ledger[1].Purpose != privacy.PurposeNewsletters || !ledger[1].Granted || ledger[1].Method != privacy.MethodPortal {
		t.Fatalf("ledger after the browser's choice = %+v", ledger)
	}
	if h := b.text("#ledger-heading"); h == "" {
		t.Error("the privacy centre does not show the consent history")
	}
}
