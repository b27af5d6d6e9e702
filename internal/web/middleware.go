package web

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/staff"
)

// Cookie names. All are strictly necessary for what the user asked for;
// none is used for tracking (C4).
const (
	sessionCookie = "fh_session" // a user's login
	staffCookie   = "fh_staff"   // a staff member's login, only under /staff
	langCookie    = "fh_lang"    // the chosen language
	flashCookie   = "fh_flash"   // a one-time message after a redirect
)

// state is what the middleware learns about a request.
type state struct {
	brand   *brands.Brand
	lang    string
	account *accounts.Account
	session *accounts.Session
	staff   *staff.Member
	flash   string // catalog key
	secure  bool   // the client reached us over TLS
	client  string // the client address, as the TCP peer or trusted proxy says
	route   string // the pattern of the route that served the request
}

type stateKey struct{}

func stateOf(r *http.Request) *state {
	if st, ok := r.Context().Value(stateKey{}).(*state); ok {
		return st
	}
	return &state{lang: i18n.Default}
}

// currentAccount returns the logged-in account, or nil.
func currentAccount(r *http.Request) *accounts.Account { return stateOf(r).account }

// currentStaff returns the logged-in staff member, or nil.
func currentStaff(r *http.Request) *staff.Member { return stateOf(r).staff }

// currentLang returns the language the page is rendered in.
func currentLang(r *http.Request) string { return stateOf(r).lang }

// statusWriter records the status code for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// observe logs and counts every request. The log line holds no personal
// data (C5): the route pattern instead of the path (paths and queries can
// carry tokens), the client network instead of the address, and nothing
// from forms, cookies or headers.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		st := &state{lang: i18n.Default}
		r = r.WithContext(context.WithValue(r.Context(), stateKey{}, st))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		d := time.Since(start)
		route := st.route
		if route == "" {
			route = "unmatched"
		}
		s.metrics.request(r.Method, route, sw.status, d)
		level := slog.LevelInfo
		if sw.status >= 500 {
			level = slog.LevelError
		}
		s.Logger.LogAttrs(r.Context(), level, "request",
			slog.String("method", r.Method),
			slog.String("route", route),
			slog.Int("status", sw.status),
			slog.Int64("bytes", sw.bytes),
			slog.Duration("duration", d),
			slog.String("client", accounts.TruncateIP(st.client)),
		)
	})
}

// headers sets the security headers of every response.
func (s *Server) headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
			"form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), interest-cohort=()")
		if stateOf(r).secure {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		next.ServeHTTP(w, r)
	})
}

// limitBody caps every request body.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > s.MaxBodyBytes {
			s.renderError(w, r, http.StatusRequestEntityTooLarge, "err.request_too_large")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, s.MaxBodyBytes)
		next.ServeHTTP(w, r)
	})
}

// identify finds the brand, the language and who is logged in.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		st := stateOf(r)
		st.client, st.secure = r.RemoteAddr, r.TLS != nil
		if s.TrustProxy {
			if p := r.Header.Get("X-Forwarded-Proto"); p != "" {
				st.secure = strings.EqualFold(p, "https")
			}
			if f := r.Header.Get("X-Forwarded-For"); f != "" {
				// The proxy appends the address it saw; earlier entries
				// are whatever the client claimed.
				parts := strings.Split(f, ",")
				st.client = strings.TrimSpace(parts[len(parts)-1])
			}
		}
		ctx := r.Context()
		// Health, metrics and static files need no brand and no login;
		// health must answer even when the database is slow.
		if strings.HasPrefix(r.URL.Path, "/healthz") || strings.HasPrefix(r.URL.Path, "/metrics") ||
			strings.HasPrefix(r.URL.Path, "/static/") {
			next.ServeHTTP(w, r)
			return
		}
		b, err := s.Brands.ForHost(ctx, r.Host)
		if err != nil {
			s.Logger.Error("brand lookup failed", slog.String("error", err.Error()))
			http.Error(w, "service unavailable", http.StatusServiceUnavailable)
			return
		}
		st.brand = b
		if c, err := r.Cookie(sessionCookie); err == nil {
			a, ss, err := s.Accounts.Session(ctx, c.Value)
			switch {
			case err == nil && a.BrandID == b.ID:
				st.account, st.session = a, ss
			case err == nil, errors.Is(err, accounts.ErrNoSession):
				s.clearCookie(w, r, sessionCookie, "/")
			default:
				s.serverError(w, r, err)
				return
			}
		}
		if strings.HasPrefix(r.URL.Path, "/staff") {
			if c, err := r.Cookie(staffCookie); err == nil {
				m, err := s.Staff.Session(ctx, c.Value)
				switch {
				case err == nil:
					st.staff = m
				case errors.Is(err, accounts.ErrNoSession):
					s.clearCookie(w, r, staffCookie, "/staff")
				default:
					s.serverError(w, r, err)
					return
				}
			}
		}
		st.lang = s.pickLang(r, st)
		if c, err := r.Cookie(flashCookie); err == nil {
			if i18n.Has(c.Value) {
				st.flash = c.Value
			}
			s.clearCookie(w, r, flashCookie, "/")
		}
		next.ServeHTTP(w, r)
	})
}

// pickLang chooses the page language: the user's explicit choice (cookie),
// then the account's stored language, then Accept-Language.
func (s *Server) pickLang(r *http.Request, st *state) string {
	if c, err := r.Cookie(langCookie); err == nil && i18n.Supported(c.Value) {
		return c.Value
	}
	if st.account != nil && i18n.Supported(st.account.Language) {
		return st.account.Language
	}
	return i18n.Negotiate(r.Header.Get("Accept-Language"))
}

// setCookie sets a cookie with the portal's attributes: HttpOnly,
// SameSite=Lax, Secure over TLS. maxAge 0 makes a browser-session cookie
// (no Expires, no Max-Age), which the browser drops when it closes.
func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge time.Duration) {
	c := &http.Cookie{Name: name, Value: value, Path: path, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: stateOf(r).secure}
	if maxAge > 0 {
		c.MaxAge = int(maxAge / time.Second)
		c.Expires = s.Clock.Now().Add(maxAge)
	}
	http.SetCookie(w, c)
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: path, MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: stateOf(r).secure})
}

// setFlash shows the message key on the next page the browser loads.
func (s *Server) setFlash(w http.ResponseWriter, r *http.Request, key string) {
	s.setCookie(w, r, flashCookie, key, "/", time.Minute)
}

// clientAddr returns the client's address for rate limiting.
func clientAddr(r *http.Request) string {
	a := stateOf(r).client
	if h, _, err := net.SplitHostPort(a); err == nil {
		return h
	}
	return a
}

// requireAccount sends visitors who are not logged in to the login page.
func (s *Server) requireAccount(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if currentAccount(r) == nil {
			s.setFlash(w, r, "err.login_required")
			http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.Path), http.StatusSeeOther)
			return
		}
		h(w, r)
	}
}

// requireStaff sends visitors who are not logged-in staff to the staff
// login page.
func (s *Server) requireStaff(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		m := currentStaff(r)
		if m == nil {
			http.Redirect(w, r, "/staff/login", http.StatusSeeOther)
			return
		}
		w.Header().Set("Cache-Control", "no-store")
		// A one-time password opens nothing but the page that replaces it.
		if m.MustChangePassword && r.URL.Path != "/staff/password" {
			http.Redirect(w, r, "/staff/password", http.StatusSeeOther)
			return
		}
		h(w, r)
	}
}

// localPath returns next if it is a path on this site, else "/account".
// It keeps login redirects from sending users elsewhere.
func localPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") {
		return "/account"
	}
	// Browsers read a backslash as a slash and skip control characters,
	// which would turn "/\\host" or "/\t/host" into "//host".
	for i := 0; i < len(next); i++ {
		if c := next[i]; c == '\\' || c < 0x20 || c == 0x7f {
			return "/account"
		}
	}
	return next
}
