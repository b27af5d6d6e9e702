package web

import (
	"database/sql"
	"errors"
	"net/http"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/staff"
)

func (s *Server) staffLoginForm(w http.ResponseWriter, r *http.Request) {
	if currentStaff(r) != nil {
		http.Redirect(w, r, "/staff", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "staff_login", nil)
}

// staffLogin uses the same hashing and rate limits as users' logins; staff
// sessions are always browser sessions, and their cookie is sent only under
// /staff.
func (s *Server) staffLogin(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	_, ss, err := s.Staff.Login(r.Context(), r.PostForm.Get("email"), r.PostForm.Get("password"), clientAddr(r))
	if errors.Is(err, accounts.ErrInvalidCredentials) {
		s.metrics.loginsFailed.Add(1)
		s.renderForm(w, r, "staff_login", map[string]string{"login": "err.login_failed"}, nil)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.setCookie(w, r, staffCookie, ss.Token, "/staff", 0)
	http.Redirect(w, r, "/staff", http.StatusSeeOther)
}

func (s *Server) staffLogout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(staffCookie); err == nil {
		if err := s.Staff.Logout(r.Context(), c.Value); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.clearCookie(w, r, staffCookie, "/staff")
	http.Redirect(w, r, "/staff/login", http.StatusSeeOther)
}

func (s *Server) staffPasswordForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "password", staffPasswordForm)
}

// staffChangePassword lets a staff member replace their password, and is
// the first thing one with a one-time password must do.
func (s *Server) staffChangePassword(w http.ResponseWriter, r *http.Request) {
	token := ""
	if c, err := r.Cookie(staffCookie); err == nil {
		token = c.Value
	}
	s.passwordChange(w, r, staffPasswordForm, "/staff", func(current, next string) error {
		return s.Staff.ChangePassword(r.Context(), currentStaff(r), current, next, token)
	})
}

// consoleData is the staff console's data.
type consoleData struct {
	Accounts  []staff.AccountRow
	Query     string
	CanOutbox bool
}

// staffConsole lists accounts without personal data.
func (s *Server) staffConsole(w http.ResponseWriter, r *http.Request) {
	m := currentStaff(r)
	q := r.URL.Query().Get("number")
	rows, err := s.Staff.ListAccounts(r.Context(), m, q, 100, 0)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "staff_console", &consoleData{Accounts: rows, Query: q,
		CanOutbox: s.Outbox != nil && staff.Allowed(m.Role, staff.ActionViewOutbox)})
}

// staffAccountData is the data of the page that opens one account.
type staffAccountData struct {
	ID       int64
	Personal *staff.PersonalData
}

// staffAccountForm asks for the ground before anything personal is shown.
func (s *Server) staffAccountForm(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "err.not_found")
		return
	}
	s.render(w, r, http.StatusOK, "staff_account", &staffAccountData{ID: id})
}

// staffAccountView opens the account through the audited door.
func (s *Server) staffAccountView(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "err.not_found")
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	pd, err := s.Staff.ViewAccount(r.Context(), currentStaff(r), id, r.PostForm.Get("ground"))
	switch {
	case errors.Is(err, staff.ErrGroundRequired):
		s.renderForm(w, r, "staff_account", map[string]string{"ground": "err.ground_required"}, &staffAccountData{ID: id})
	case errors.Is(err, staff.ErrForbidden):
		s.renderError(w, r, http.StatusForbidden, "err.not_allowed")
	case errors.Is(err, staff.ErrNotFound):
		s.renderError(w, r, http.StatusNotFound, "err.not_found")
	case err != nil:
		s.serverError(w, r, err)
	default:
		s.render(w, r, http.StatusOK, "staff_account", &staffAccountData{ID: id, Personal: pd})
	}
}

// outboxData is the admin outbox page's data.
type outboxData struct {
	Opened   bool
	Messages []OutboxMessage
}

func (s *Server) staffOutboxForm(w http.ResponseWriter, r *http.Request) {
	if s.Outbox == nil || !staff.Allowed(currentStaff(r).Role, staff.ActionViewOutbox) {
		s.renderError(w, r, http.StatusForbidden, "err.not_allowed")
		return
	}
	s.render(w, r, http.StatusOK, "staff_outbox", &outboxData{})
}

// staffOutboxView shows the local mail outbox to an admin, through the
// audited door: the outbox holds users' addresses and mail.
func (s *Server) staffOutboxView(w http.ResponseWriter, r *http.Request) {
	if s.Outbox == nil {
		s.renderError(w, r, http.StatusForbidden, "err.not_allowed")
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	d := &outboxData{Opened: true}
	err := s.Staff.Open(r.Context(), currentStaff(r), staff.Access{Action: staff.ActionViewOutbox, SubjectKind: "outbox",
		Ground: r.PostForm.Get("ground"), Detail: "recent=50"}, func(*sql.Tx) error {
		var err error
		d.Messages, err = s.Outbox.Recent(r.Context(), 50)
		return err
	})
	switch {
	case errors.Is(err, staff.ErrGroundRequired):
		s.renderForm(w, r, "staff_outbox", map[string]string{"ground": "err.ground_required"}, &outboxData{})
	case errors.Is(err, staff.ErrForbidden):
		s.renderError(w, r, http.StatusForbidden, "err.not_allowed")
	case err != nil:
		s.serverError(w, r, err)
	default:
		s.render(w, r, http.StatusOK, "staff_outbox", d)
	}
}
