package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/internal/i18n"
)

// Cookie consent (C4). The portal's own cookies (session, staff session,
// language, flash, and the consent choice itself) are strictly necessary
// and need no consent. Every other cookie belongs to one optional
// category and is set only after the visitor allowed that category;
// when consent is withdrawn, or the browser sends Global Privacy Control
// (Sec-GPC: 1) for the categories it covers, the server deletes the
// cookie on the next request. Everything works without JavaScript: the
// banner is a plain form.

// CookiePolicyRevision names the current cookie policy. Changing it makes
// the banner ask every visitor again.
const CookiePolicyRevision = "2026-1"

// consentCookie records the visitor's choice: revision and one flag per
// category. It is strictly necessary: without it the banner would return
// on every page.
const consentCookie = "fh_consent"

// Optional cookie categories and the one cookie Faxhaven puts in each.
const (
	CategoryPreferences = "preferences" // fh_pref: the chosen language, kept for a year
	CategoryStatistics  = "statistics"  // fh_stats: a random visitor ID for counting visits, never linked to an account
	CategoryMarketing   = "marketing"   // fh_ref: the invitation a visitor arrived with (R1)
)

// optionalCookies maps each category to its cookie.
var optionalCookies = []struct{ category, name string }{
	{CategoryPreferences, "fh_pref"},
	{CategoryStatistics, "fh_stats"},
	{CategoryMarketing, "fh_ref"},
}

// cookieConsent is a visitor's choice as the request shows it.
type cookieConsent struct {
	Decided  bool // a choice for the current revision exists
	Allowed  map[string]bool
	GPC      bool // the browser sent Sec-GPC: 1
	Revision string
}

// allows reports whether the category's cookies may be set. Global
// Privacy Control refuses statistics and marketing whatever the banner
// said: it is the browser's standing "no" to tracking and sharing.
func (c *cookieConsent) allows(category string) bool {
	if c.GPC && category != CategoryPreferences {
		return false
	}
	return c.Decided && c.Allowed[category]
}

func readConsent(r *http.Request) *cookieConsent {
	c := &cookieConsent{Allowed: map[string]bool{}, GPC: r.Header.Get("Sec-GPC") == "1"}
	ck, err := r.Cookie(consentCookie)
	if err != nil {
		return c
	}
	// Value: revision, then the allowed categories, joined by ".".
	parts := strings.Split(ck.Value, ".")
	c.Revision = parts[0]
	c.Decided = c.Revision == CookiePolicyRevision
	for _, p := range parts[1:] {
		c.Allowed[p] = true
	}
	return c
}

type consentKey struct{}

func consentOf(r *http.Request) *cookieConsent {
	if c, ok := r.Context().Value(consentKey{}).(*cookieConsent); ok {
		return c
	}
	return readConsent(r)
}

// cookieGuard enforces the visitor's consent on every request: it deletes
// optional cookies the visitor has not allowed (or withdrew), sets the
// ones they allowed, and lets a remembered language stand in for the
// language cookie. It runs before identify.
func (s *Server) cookieGuard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasPrefix(r.URL.Path, "/static/") || strings.HasPrefix(r.URL.Path, "/healthz") || strings.HasPrefix(r.URL.Path, "/metrics") {
			next.ServeHTTP(w, r)
			return
		}
		c := readConsent(r)
		r = r.WithContext(context.WithValue(r.Context(), consentKey{}, c))
		for _, oc := range optionalCookies {
			if _, err := r.Cookie(oc.name); err == nil && !c.allows(oc.category) {
				s.clearCookie(w, r, oc.name, "/")
			}
		}
		if c.allows(CategoryPreferences) {
			if p, err := r.Cookie("fh_pref"); err == nil && i18n.Supported(p.Value) {
				if _, err := r.Cookie(langCookie); err != nil {
					r.AddCookie(&http.Cookie{Name: langCookie, Value: p.Value})
				}
			}
			if l, err := r.Cookie(langCookie); err == nil && i18n.Supported(l.Value) {
				s.setCookie(w, r, "fh_pref", l.Value, "/", 365*24*time.Hour)
			}
		}
		if c.allows(CategoryStatistics) {
			if _, err := r.Cookie("fh_stats"); err != nil {
				var b [12]byte
				rand.Read(b[:])
				s.setCookie(w, r, "fh_stats", hex.EncodeToString(b[:]), "/", 365*24*time.Hour)
			}
		}
		if ref := r.URL.Query().Get("ref"); ref != "" && c.allows(CategoryMarketing) && len(ref) <= 20 && strings.Trim(ref, "0123456789") == "" {
			s.setCookie(w, r, "fh_ref", ref, "/", 30*24*time.Hour)
		}
		next.ServeHTTP(w, r)
	})
}

// Notices are the privacy notices the layout shows on every page: the
// cookie banner (C4) and, for a logged-in user, a material change of the
// policy since the version they accepted (N1).
type Notices struct {
	Cookies bool // ask about cookies: no choice yet, or one for an older revision
	// PolicyVersion is the brand's current policy version when it is a
	// material change the user has not accepted; "" otherwise.
	PolicyVersion string
}

func (s *Server) notices(r *http.Request) *Notices {
	n := &Notices{Cookies: !consentOf(r).Decided}
	st := stateOf(r)
	if st.account != nil && st.brand != nil {
		if p, err := s.Brands.CurrentPolicy(r.Context(), st.brand.ID); err == nil && p.Material && p.Version != st.account.PolicyVersion {
			n.PolicyVersion = p.Version
		}
	}
	return n
}

// cookieRoutes registers the cookie settings page and the banner's form.
func (s *Server) cookieRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /cookies", s.cookieSettings)
	mux.HandleFunc("POST /cookies", s.setCookieConsent)
}

type cookieSettingsData struct {
	Categories []string
	Allowed    map[string]bool
	GPC        bool
	Revision   string
}

func (s *Server) cookieSettings(w http.ResponseWriter, r *http.Request) {
	c := consentOf(r)
	s.render(w, r, http.StatusOK, "cookie_settings", cookieSettingsData{
		Categories: []string{CategoryPreferences, CategoryStatistics, CategoryMarketing}, Allowed: c.Allowed, GPC: c.GPC, Revision: CookiePolicyRevision})
}

// setCookieConsent stores the choice of the banner or the settings page:
// "all", "necessary" (only strictly necessary cookies), or the ticked
// categories. Withdrawn categories' cookies are deleted at once.
func (s *Server) setCookieConsent(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	allowed := map[string]bool{}
	switch r.PostForm.Get("choice") {
	case "all":
		for _, oc := range optionalCookies {
			allowed[oc.category] = true
		}
	case "necessary":
	default:
		for _, oc := range optionalCookies {
			allowed[oc.category] = r.PostForm.Get(oc.category) == "on"
		}
	}
	value := CookiePolicyRevision
	for _, oc := range optionalCookies {
		if allowed[oc.category] {
			value += "." + oc.category
		}
	}
	s.setCookie(w, r, consentCookie, value, "/", 365*24*time.Hour)
	for _, oc := range optionalCookies {
		if _, err := r.Cookie(oc.name); err == nil && !allowed[oc.category] {
			s.clearCookie(w, r, oc.name, "/")
		}
	}
	s.setFlash(w, r, "cookies.saved")
	back := r.PostForm.Get("return")
	if !strings.HasPrefix(back, "/") || strings.HasPrefix(back, "//") {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}
