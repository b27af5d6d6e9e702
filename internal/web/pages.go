package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
)

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "home", nil)
}

// policyData is what the policy page and the registration form show.
type policyData struct {
	Version   string
	Published string
	Text      string
}

func (s *Server) currentPolicy(r *http.Request) (*policyData, error) {
	p, err := s.Brands.CurrentPolicy(r.Context(), stateOf(r).brand.ID)
	if err != nil {
		return nil, err
	}
	return &policyData{Version: p.Version, Published: store.Time(p.PublishedAt).Format("2006-01-02"), Text: p.Text(currentLang(r))}, nil
}

// policy shows the brand's own policy (X1): each co-brand site its own.
func (s *Server) policy(w http.ResponseWriter, r *http.Request) {
	p, err := s.currentPolicy(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "policy", p)
}

// registerData is the registration form's data.
type registerData struct {
	Policy      *policyData
	Genders     []string
	Occupations []string
	IncomeBands []string
}

func (s *Server) registerPage(w http.ResponseWriter, r *http.Request, errs map[string]string) {
	p, err := s.currentPolicy(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d := &registerData{Policy: p, Genders: accounts.Genders, Occupations: accounts.Occupations, IncomeBands: accounts.IncomeBands}
	if errs != nil {
		s.renderForm(w, r, "register", errs, d)
		return
	}
	s.render(w, r, http.StatusOK, "register", d)
}

func (s *Server) registerForm(w http.ResponseWriter, r *http.Request) {
	if currentAccount(r) != nil {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	s.registerPage(w, r, nil)
}

// register creates the account. The marketing choice arrives as "yes" or
// "no" from two radio buttons of which none is checked beforehand (O1);
// anything else is no choice, which the accounts service refuses.
func (s *Server) register(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := r.PostForm
	var marketing *bool
	switch f.Get("marketing") {
	case "yes":
		v := true
		marketing = &v
	case "no":
		v := false
		marketing = &v
	}
	_, err := s.Accounts.Register(r.Context(), accounts.Registration{
		BrandID: stateOf(r).brand.ID, Name: f.Get("name"), Email: f.Get("email"), Password: f.Get("password"),
		Marketing: marketing, AcceptPolicy: f.Get("policy") == "accept", PolicyVersion: f.Get("policy_version"),
		Gender: f.Get("gender"), Occupation: f.Get("occupation"), IncomeBand: f.Get("income_band"),
		Language: currentLang(r),
	})
	var verr *accounts.ValidationError
	if errors.As(err, &verr) {
		s.registerPage(w, r, verr.Fields)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.metrics.registered.Add(1)
	s.render(w, r, http.StatusOK, "registered", nil)
}

// verifyForm shows a button that confirms the address. Opening the link
// alone changes nothing, so mail scanners that follow links cannot use it up.
func (s *Server) verifyForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if err := s.Accounts.CheckToken(r.Context(), token, false); err != nil {
		s.tokenError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "verify", token)
}

func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	if _, err := s.Accounts.Verify(r.Context(), r.PostForm.Get("token")); err != nil {
		s.tokenError(w, r, err)
		return
	}
	s.setFlash(w, r, "flash.verified")
	if currentAccount(r) != nil {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// tokenError explains an unusable emailed link.
func (s *Server) tokenError(w http.ResponseWriter, r *http.Request, err error) {
	key := accounts.TokenErrorKey(err)
	if key == "" {
		s.serverError(w, r, err)
		return
	}
	status := http.StatusBadRequest
	if errors.Is(err, accounts.ErrTokenExpired) || errors.Is(err, accounts.ErrTokenUsed) {
		status = http.StatusGone
	}
	s.render(w, r, status, "error", key)
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if currentAccount(r) != nil {
		http.Redirect(w, r, "/account", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", localPath(r.URL.Query().Get("next")))
}

// login starts a session. "Remember me" unticked gives a browser-session
// cookie (no expiry: it ends when the browser closes, and the server ends
// it after the idle timeout); ticked gives a persistent cookie (C4).
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := r.PostForm
	remember := f.Get("remember") == "on"
	next := localPath(f.Get("next"))
	_, ss, err := s.Accounts.Login(r.Context(), stateOf(r).brand.ID, f.Get("email"), f.Get("password"), clientAddr(r), remember)
	if errors.Is(err, accounts.ErrInvalidCredentials) {
		s.metrics.loginsFailed.Add(1)
		s.renderForm(w, r, "login", map[string]string{"login": "err.login_failed"}, next)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.metrics.logins.Add(1)
	if old, err := r.Cookie(sessionCookie); err == nil {
		s.Accounts.Logout(r.Context(), old.Value)
	}
	maxAge := ss.ExpiresAt.Sub(ss.CreatedAt)
	if !remember {
		maxAge = 0
	}
	s.setCookie(w, r, sessionCookie, ss.Token, "/", maxAge)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// logout ends the session on the server as well as in the browser.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		if err := s.Accounts.Logout(r.Context(), c.Value); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.clearCookie(w, r, sessionCookie, "/")
	s.setFlash(w, r, "flash.logged_out")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (s *Server) forgotForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "forgot", false)
}

// forgot mails a reset link. The page says the same whether or not the
// address has an account.
func (s *Server) forgot(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	email := strings.TrimSpace(r.PostForm.Get("email"))
	if email == "" {
		s.renderForm(w, r, "forgot", map[string]string{"email": "err.email_required"}, false)
		return
	}
	if err := s.Accounts.RequestReset(r.Context(), stateOf(r).brand.ID, email); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "forgot", true)
}

func (s *Server) resetForm(w http.ResponseWriter, r *http.Request) {
	token := r.URL.Query().Get("token")
	if err := s.Accounts.CheckToken(r.Context(), token, true); err != nil {
		s.tokenError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "reset", token)
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	token := r.PostForm.Get("token")
	if r.PostForm.Get("password") != r.PostForm.Get("password_confirm") {
		s.renderForm(w, r, "reset", map[string]string{"password_confirm": "err.password_mismatch"}, token)
		return
	}
	_, err := s.Accounts.ResetPassword(r.Context(), token, r.PostForm.Get("password"))
	var verr *accounts.ValidationError
	switch {
	case errors.As(err, &verr):
		s.renderForm(w, r, "reset", verr.Fields, token)
		return
	case err != nil:
		s.tokenError(w, r, err)
		return
	}
	s.clearCookie(w, r, sessionCookie, "/")
	s.setFlash(w, r, "flash.password_reset")
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// accountData is the account page's data.
type accountData struct {
	FaxNumber string
	Brand     *brands.Brand
}

func (s *Server) accountPage(w http.ResponseWriter, r *http.Request) {
	a := currentAccount(r)
	n, err := s.Accounts.FaxNumber(r.Context(), a.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "account", &accountData{FaxNumber: n, Brand: stateOf(r).brand})
}

// verifyAgain mails a fresh verification link to a logged-in user whose
// address is not confirmed yet.
func (s *Server) verifyAgain(w http.ResponseWriter, r *http.Request) {
	if err := s.Accounts.ResendVerification(r.Context(), currentAccount(r).ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.setFlash(w, r, "flash.verify_sent")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

// setPreferences stores the user's choice about offers by email.
func (s *Server) setPreferences(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	var optIn bool
	switch r.PostForm.Get("marketing") {
	case "yes":
		optIn = true
	case "no":
	default:
		s.renderError(w, r, http.StatusBadRequest, "err.marketing_choice")
		return
	}
	if err := s.setMarketing(r.Context(), currentAccount(r).ID, optIn); err != nil { // issue 7: see privacy.go
		s.serverError(w, r, err)
		return
	}
	s.setFlash(w, r, "flash.preferences_saved")
	http.Redirect(w, r, "/account", http.StatusSeeOther)
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "password", accountPasswordForm)
}

// changePassword needs the current password and ends every other session.
func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	st := stateOf(r)
	s.passwordChange(w, r, accountPasswordForm, "/account", func(current, next string) error {
		return s.Accounts.ChangePassword(r.Context(), st.account.ID, current, next, st.session.Token)
	})
}

// passwordChange runs the password form of a user or a staff member:
// the two new passwords must match, change does the rest, and its errors
// go back to the form field they concern.
func (s *Server) passwordChange(w http.ResponseWriter, r *http.Request, form passwordForm, done string, change func(current, next string) error) {
	if !s.parseForm(w, r) {
		return
	}
	f := r.PostForm
	if f.Get("password") != f.Get("password_confirm") {
		s.renderForm(w, r, "password", map[string]string{"password_confirm": "err.password_mismatch"}, form)
		return
	}
	err := change(f.Get("current"), f.Get("password"))
	var verr *accounts.ValidationError
	switch {
	case errors.Is(err, staff.ErrWrongPassword):
		s.renderForm(w, r, "password", map[string]string{"current": "err.password_wrong"}, form)
	case errors.As(err, &verr):
		s.renderForm(w, r, "password", verr.Fields, form)
	case err != nil:
		s.serverError(w, r, err)
	default:
		s.setFlash(w, r, "flash.password_changed")
		http.Redirect(w, r, done, http.StatusSeeOther)
	}
}

// pathID parses the {id} of a route.
func pathID(r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	return id, err == nil && id > 0
}

// passwordForm is the password page's own data: where the form posts and
// what it says, for users and for staff.
type passwordForm struct{ Action, Text string }

var (
	accountPasswordForm = passwordForm{"/account/password", "password.text"}
	staffPasswordForm   = passwordForm{"/staff/password", "staff.password.text"}
)
