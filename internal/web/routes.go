package web

import (
	"io/fs"
	"net/http"
	"time"

	"github.com/faxhaven/faxhaven/internal/i18n"
)

// routes builds the mux and wraps it in the middleware, outermost first:
// observe (logs, metrics), identify (brand, language, login), headers,
// limitBody, cross-origin protection (CSRF) and then the routes.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(staticFS, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	mux.HandleFunc("GET /brand.css", s.brandCSS)

	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)
	mux.HandleFunc("GET /metrics", s.metricsPage)

	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /policy", s.policy)
	mux.HandleFunc("POST /lang", s.setLang)

	mux.HandleFunc("GET /register", s.registerForm)
	mux.HandleFunc("POST /register", s.register)
	mux.HandleFunc("GET /verify", s.verifyForm)
	mux.HandleFunc("POST /verify", s.verify)
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("GET /forgot", s.forgotForm)
	mux.HandleFunc("POST /forgot", s.forgot)
	mux.HandleFunc("GET /reset", s.resetForm)
	mux.HandleFunc("POST /reset", s.reset)

	mux.HandleFunc("GET /account", s.requireAccount(s.accountPage))
	mux.HandleFunc("POST /account/verify-again", s.requireAccount(s.verifyAgain))
	mux.HandleFunc("POST /account/preferences", s.requireAccount(s.setPreferences))
	mux.HandleFunc("GET /account/password", s.requireAccount(s.passwordForm))
	mux.HandleFunc("POST /account/password", s.requireAccount(s.changePassword))

	mux.HandleFunc("GET /staff/login", s.staffLoginForm)
	mux.HandleFunc("POST /staff/login", s.staffLogin)
	mux.HandleFunc("POST /staff/logout", s.staffLogout)
	mux.HandleFunc("GET /staff/password", s.requireStaff(s.staffPasswordForm))
	mux.HandleFunc("POST /staff/password", s.requireStaff(s.staffChangePassword))
	mux.HandleFunc("GET /staff", s.requireStaff(s.staffConsole))
	mux.HandleFunc("GET /staff/accounts/{id}", s.requireStaff(s.staffAccountForm))
	mux.HandleFunc("POST /staff/accounts/{id}", s.requireStaff(s.staffAccountView))
	mux.HandleFunc("GET /staff/outbox", s.requireStaff(s.staffOutboxForm))
	mux.HandleFunc("POST /staff/outbox", s.requireStaff(s.staffOutboxView))

	s.faxRoutes(mux)
	s.privacyRoutes(mux)      // issue 7
	s.cookieRoutes(mux)       // issue 7
	s.legalRoutes(mux)        // issue 7
	s.privacyStaffRoutes(mux) // issue 7

	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.renderError(w, r, http.StatusNotFound, "err.not_found")
	})

	// Cross-origin protection refuses state-changing requests that a
	// browser marks as coming from another site (Sec-Fetch-Site, Origin);
	// together with SameSite=Lax cookies it is the portal's CSRF defence.
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.metrics.csrfRefused.Add(1)
		s.renderError(w, r, http.StatusForbidden, "err.cross_origin")
	}))
	// The mux sets the route pattern on the request it serves; keep it for
	// the logs and metrics, which must not see raw paths.
	var h http.Handler = cop.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		stateOf(r).route = r.Pattern
	}))
	h = s.limitBody(h)
	h = s.headers(h)
	h = s.identify(h)
	h = s.cookieGuard(h) // issue 7: cookie consent, before identify reads the language
	h = s.observe(h)
	return h
}

func cacheStatic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		h.ServeHTTP(w, r)
	})
}

// setLang stores the chosen language in a cookie and, for a logged-in user,
// on the account; then it goes back to the page the user was on.
func (s *Server) setLang(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	lang := r.PostForm.Get("lang")
	if !i18n.Supported(lang) {
		s.renderError(w, r, http.StatusBadRequest, "err.choice_invalid")
		return
	}
	s.setCookie(w, r, langCookie, lang, "/", 365*24*time.Hour)
	if a := currentAccount(r); a != nil {
		if err := s.Accounts.SetLanguage(r.Context(), a.ID, lang); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	back := r.PostForm.Get("return")
	if back == "" || !isLocal(back) {
		back = "/"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

func isLocal(p string) bool { return localPath(p) == p }
