package web

import (
	"context"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/internal/accounts/accountstest"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// jarNames lists the cookies the browser holds for the portal.
func (b *browser) jarNames() []string {
	u, _ := url.Parse(b.env.HTTP.URL)
	var out []string
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name != flashCookie { // a one-time message, strictly necessary
			out = append(out, c.Name)
		}
	}
	sort.Strings(out)
	return out
}

func TestPolicy_C4_OptionalCookiesOnlyWithConsent(t *testing.T) {
	e := newEnv(t, storetest.Open(t, storetest.SQLiteURL(t)), false)
	b := e.browser(t)
	// A first visit sets nothing and shows the banner.
	r := b.get("/?ref=42").want(t, http.StatusOK)
	if !strings.Contains(r.Body, `id="cookie-banner"`) || len(b.jarNames()) != 0 {
		t.Fatalf("first visit: banner %v, cookies %v", strings.Contains(r.Body, `id="cookie-banner"`), b.jarNames())
	}
	// "Only necessary": the consent cookie alone, and no banner.
	b.post("/cookies", url.Values{"choice": {"necessary"}, "return": {"/"}}).want(t, http.StatusSeeOther)
	r = b.get("/?ref=42").want(t, http.StatusOK)
	if got := strings.Join(b.jarNames(), ","); got != "fh_consent" || strings.Contains(r.Body, `id="cookie-banner"`) {
		t.Fatalf("after 'only necessary': cookies %s, banner %v", got, strings.Contains(r.Body, `id="cookie-banner"`))
	}
	// Allow all: each category's cookie appears.
	b.post("/cookies", url.Values{"choice": {"all"}, "return": {"/"}}).want(t, http.StatusSeeOther)
	b.post("/lang", url.Values{"lang": {"nl"}, "return": {"/"}})
	b.get("/?ref=42").want(t, http.StatusOK)
	if got := strings.Join(b.jarNames(), ","); got != "fh_consent,fh_lang,fh_pref,fh_ref,fh_stats" {
		t.Fatalf("after 'allow all': cookies %s", got)
	}
	// Withdrawing statistics and marketing deletes their cookies.
	b.post("/cookies", url.Values{"choice": {"custom"}, "preferences": {"on"}, "return": {"/cookies"}}).want(t, http.StatusSeeOther)
	if got := strings.Join(b.jarNames(), ","); got != "fh_consent,fh_lang,fh_pref" {
		t.Fatalf("after withdrawing statistics and marketing: cookies %s", got)
	}
	// Global Privacy Control removes them even with consent on file.
	b.post("/cookies", url.Values{"choice": {"all"}, "return": {"/"}}).want(t, http.StatusSeeOther)
	b.get("/?ref=7").want(t, http.StatusOK)
	b.header.Set("Sec-GPC", "1")
	r = b.get("/cookies").want(t, http.StatusOK)
	if got := strings.Join(b.jarNames(), ","); got != "fh_consent,fh_lang,fh_pref" || !strings.Contains(r.Body, "Global Privacy Control") {
		t.Fatalf("with Sec-GPC: cookies %s", got)
	}
}

func TestPolicy_C4_BannerAsksAgainOnNewRevision(t *testing.T) {
	e := newEnv(t, storetest.Open(t, storetest.SQLiteURL(t)), false)
	b := e.browser(t)
	u, _ := url.Parse(e.HTTP.URL)
	b.c.Jar.SetCookies(u, []*http.Cookie{{Name: consentCookie, Value: "2025-0.preferences.statistics.marketing"}, {Name: "fh_stats", Value: "old"}})
	r := b.get("/").want(t, http.StatusOK)
	if !strings.Contains(r.Body, `id="cookie-banner"`) {
		t.Error("a choice made under an older cookie policy does not bring the banner back")
	}
	for _, n := range b.jarNames() {
		if n == "fh_stats" {
			t.Error("a statistics cookie allowed under the old revision survived")
		}
	}
}

func TestPolicy_N1_MaterialChangeNoticeOnTheSite(t *testing.T) {
	e := newEnv(t, storetest.Open(t, storetest.SQLiteURL(t)), false)
	b := e.browser(t)
	b.post("/register", e.registerForm(t, "Nora Notice", "nora@example.org")).want(t, http.StatusOK)
	tok := accountstest.Token(t, e.Mailer.Last(t, "nora@example.org", "verify"))
	b.post("/verify", url.Values{"token": {tok}}).want(t, http.StatusSeeOther)
	b.post("/login", url.Values{"email": {"nora@example.org"}, "password": {"correct horse battery"}}).want(t, http.StatusSeeOther)
	if r := b.get("/account").want(t, http.StatusOK); strings.Contains(r.Body, `id="policy-notice"`) {
		t.Fatal("a notice before any change")
	}
	ctx := context.Background()
	e.Brands.PublishPolicy(ctx, brands.Policy{BrandID: e.Brand.ID, Version: "minor-1", TextEN: "typo fixed", TextNL: "typfout"})
	if r := b.get("/account").want(t, http.StatusOK); strings.Contains(r.Body, `id="policy-notice"`) {
		t.Error("a notice for a change that is not material")
	}
	e.Brands.PublishPolicy(ctx, brands.Policy{BrandID: e.Brand.ID, Version: "major-2", Material: true, TextEN: "new use", TextNL: "nieuw gebruik"})
	if r := b.get("/account").want(t, http.StatusOK); !strings.Contains(r.Body, `id="policy-notice"`) || !strings.Contains(r.Body, "major-2") {
		t.Error("no notice of the material change")
	}
}

// FuzzReadConsent feeds arbitrary consent cookie values: reading one never
// fails, only the current revision can allow anything, and Global Privacy
// Control always refuses statistics and marketing.
func FuzzReadConsent(f *testing.F) {
	f.Add(CookiePolicyRevision + ".preferences.statistics.marketing")
	f.Add("2025-0.marketing")
	f.Add("")
	f.Add("....")
	f.Fuzz(func(t *testing.T, v string) {
		r, _ := http.NewRequest("GET", "http://portal.test/", nil)
		r.Header.Set("Cookie", consentCookie+"="+v)
		c := readConsent(r)
		ck, err := r.Cookie(consentCookie)
		current := err == nil && strings.Split(ck.Value, ".")[0] == CookiePolicyRevision
		for _, oc := range optionalCookies {
			if c.allows(oc.category) && !current {
				t.Fatalf("%q allows %s without the current revision", v, oc.category)
			}
		}
		r.Header.Set("Sec-GPC", "1")
		c = readConsent(r)
		if c.allows(CategoryStatistics) || c.allows(CategoryMarketing) {
			t.Fatalf("%q with Sec-GPC allows tracking", v)
		}
	})
}
