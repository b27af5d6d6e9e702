package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/faxhaven/faxhaven/internal/faxes"
	"github.com/faxhaven/faxhaven/internal/i18n"
)

// faxEmailRoutes registers the settings page of email to fax (sending
// addresses, subject secret, cover note) and fax to email (recipients
// per number and their format).
func (s *Server) faxEmailRoutes(mux *http.ServeMux) {
	if s.Faxes == nil {
		return
	}
	mux.HandleFunc("GET /account/email", s.requireAccount(s.faxEmailPage))
	mux.HandleFunc("POST /account/email/senders", s.requireAccount(s.faxEmailSender))
	mux.HandleFunc("POST /account/email/settings", s.requireAccount(s.faxEmailSettings))
	mux.HandleFunc("POST /account/email/recipients", s.requireAccount(s.faxEmailRecipient))
}

type faxEmailData struct {
	FaxDomain  string
	Number     string // the first of Numbers, for the example address
	Numbers    []string
	Senders    []string
	Settings   faxes.EmailSettings
	Recipients []faxes.Recipient
	// Token is a subject secret just made; it is shown this once.
	Token string
	// Problem is what was wrong with the last form, in the user's words.
	Problem string
}

func (s *Server) faxEmailData(r *http.Request) (*faxEmailData, error) {
	ctx := r.Context()
	acct := currentAccount(r)
	d := &faxEmailData{FaxDomain: stateOf(r).brand.FaxDomain}
	nums, err := s.Faxes.Numbers.ForAccount(ctx, s.DB, acct.ID)
	if err != nil {
		return nil, err
	}
	for _, n := range nums {
		d.Numbers = append(d.Numbers, n.E164)
	}
	if len(d.Numbers) > 0 {
		d.Number = d.Numbers[0]
	}
	if d.Senders, err = s.Faxes.Senders(ctx, acct.ID); err != nil {
		return nil, err
	}
	if d.Settings, err = s.Faxes.EmailSettingsOf(ctx, s.DB, acct.ID); err != nil {
		return nil, err
	}
	if d.Recipients, err = s.Faxes.Recipients(ctx, acct.ID); err != nil {
		return nil, err
	}
	return d, nil
}

func (s *Server) faxEmailPage(w http.ResponseWriter, r *http.Request) {
	s.faxEmailShow(w, r, http.StatusOK, "", "")
}

// faxEmailShow renders the page, with a secret just made or a problem.
func (s *Server) faxEmailShow(w http.ResponseWriter, r *http.Request, status int, token, problem string) {
	d, err := s.faxEmailData(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d.Token, d.Problem = token, problem
	s.render(w, r, status, "fax_email", d)
}

// faxEmailDone answers a saved form: back to the page, or the page again
// with the problem when the fax service refused it.
func (s *Server) faxEmailDone(w http.ResponseWriter, r *http.Request, err error, flash string) {
	var fe *faxes.Error
	if errors.As(err, &fe) {
		s.faxEmailShow(w, r, http.StatusUnprocessableEntity, "", i18n.T(currentLang(r), fe.Code, fe.Args...))
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.setFlash(w, r, flash)
	http.Redirect(w, r, "/account/email", http.StatusSeeOther)
}

func (s *Server) faxEmailSender(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	id := currentAccount(r).ID
	addr := r.PostForm.Get("address")
	if r.PostForm.Get("action") == "remove" {
		s.faxEmailDone(w, r, s.Faxes.RemoveSender(r.Context(), id, addr), "email.flash.saved")
		return
	}
	s.faxEmailDone(w, r, s.Faxes.AddSender(r.Context(), id, addr), "email.flash.saved")
}

func (s *Server) faxEmailSettings(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := r.PostForm
	token, err := s.Faxes.SetEmailSettings(r.Context(), currentAccount(r).ID, f.Get("body_note"), f.Get("token") == "new", f.Get("token") == "none")
	if err == nil && token != "" {
		// Only its hash is kept: this page is the one chance to copy it.
		s.faxEmailShow(w, r, http.StatusOK, token, "")
		return
	}
	s.faxEmailDone(w, r, err, "email.flash.saved")
}

func (s *Server) faxEmailRecipient(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := r.PostForm
	id := currentAccount(r).ID
	if f.Get("action") == "remove" {
		rid, _ := strconv.ParseInt(f.Get("id"), 10, 64)
		s.faxEmailDone(w, r, s.Faxes.RemoveRecipient(r.Context(), id, rid), "email.flash.saved")
		return
	}
	s.faxEmailDone(w, r, s.Faxes.SetRecipient(r.Context(), id, f.Get("number"), f.Get("address"), f.Get("format")), "email.flash.saved")
}
