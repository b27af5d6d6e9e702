package web

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/privacy"
)

// PrivacyService is the type of Deps.Privacy: the privacy service behind
// the privacy centre. Nil leaves the pages out.
type PrivacyService = *privacy.Service

// privacyRoutes registers the privacy page and the user's privacy centre
// (issue 7).
func (s *Server) privacyRoutes(mux *http.ServeMux) {
	if s.Privacy == nil {
		return
	}
	mux.HandleFunc("GET /privacy", s.privacyPage)
	mux.HandleFunc("GET /account/privacy", s.requireAccount(s.privacyCentre))
	mux.HandleFunc("POST /account/privacy/choices", s.requireAccount(s.privacyChoices))
	mux.HandleFunc("POST /account/privacy/code", s.requireAccount(s.privacyCode))
	mux.HandleFunc("POST /account/privacy/export", s.requireAccount(s.privacyExport))
	mux.HandleFunc("GET /account/privacy/export/{token}", s.requireAccount(s.privacyDownload))
	mux.HandleFunc("POST /account/privacy/delete", s.requireAccount(s.privacyDelete))
	mux.HandleFunc("POST /account/privacy/block", s.requireAccount(s.privacyBlock))
	mux.HandleFunc("POST /account/privacy/refer", s.requireAccount(s.privacyRefer))
	mux.HandleFunc("POST /account/privacy/profile", s.requireAccount(s.privacyProfile))
	mux.HandleFunc("POST /account/privacy/email", s.requireAccount(s.privacyEmail))
	mux.HandleFunc("GET /account/privacy/email", s.requireAccount(s.privacyEmailConfirm))
	mux.HandleFunc("GET /unsubscribe/{token}", s.privacyUnsubscribeForm)
	mux.HandleFunc("POST /unsubscribe/{token}", s.privacyUnsubscribe)
	mux.HandleFunc("GET /survey", s.privacySurvey)
	mux.HandleFunc("POST /survey", s.privacySurveyAnswer)
	if s.Faxes != nil {
		mux.HandleFunc("POST /faxes/{id}/junk", s.requireAccount(s.faxJunk))
	}
}

// privacyTable is one kind of stored data as the privacy page shows it.
type privacyTable struct {
	Key        string // catalog key describing it
	Categories []string
}

type privacyPageData struct {
	Tables     []privacyTable
	Processors []privacy.Processor
	Transfers  []privacy.Processor
}

// privacyPage tells anyone, in plain words, what the service keeps, why
// and for how long (RT1), and who processes it (T1, TR1). It is built
// from the data registry, so it cannot drift from what is stored.
func (s *Server) privacyPage(w http.ResponseWriter, r *http.Request) {
	var d privacyPageData
	for _, t := range privacy.Registry {
		if !t.Identifying() || t.Name == "staff" {
			continue
		}
		seen := map[string]bool{}
		pt := privacyTable{Key: "privacy.table." + t.Name}
		for _, c := range t.Columns {
			if c.Category != privacy.None && !seen[string(c.Category)] {
				seen[string(c.Category)] = true
				pt.Categories = append(pt.Categories, "privacy.category."+string(c.Category))
			}
		}
		d.Tables = append(d.Tables, pt)
	}
	d.Processors, d.Transfers = privacy.Processors, privacy.Transfers
	s.render(w, r, http.StatusOK, "privacy_page", d)
}

type privacyCentreData struct {
	Choices  privacy.Choices
	Ledger   []privacy.ConsentRecord
	Blocked  []string
	Export   string // a fresh export's download path
	CodeSent string // the action a code was mailed for
	Invited  int    // friends invited within the referral window (R1)
	Joined   int    // of whom joined
	// The accepted values of the optional profile answers (C2).
	Genders, Occupations, IncomeBands []string
}

func (s *Server) centreData(r *http.Request) (*privacyCentreData, error) {
	acct := currentAccount(r)
	d := &privacyCentreData{Genders: accounts.Genders, Occupations: accounts.Occupations, IncomeBands: accounts.IncomeBands}
	var err error
	if d.Choices, err = s.Privacy.ChoicesOf(r.Context(), acct.ID); err != nil {
		return nil, err
	}
	if d.Ledger, err = s.Privacy.Ledger(r.Context(), acct.ID); err != nil {
		return nil, err
	}
	// Newest first reads better as a history.
	for i, j := 0, len(d.Ledger)-1; i < j; i, j = i+1, j-1 {
		d.Ledger[i], d.Ledger[j] = d.Ledger[j], d.Ledger[i]
	}
	if d.Invited, d.Joined, err = s.Privacy.ReferralStats(r.Context(), acct.ID); err != nil {
		return nil, err
	}
	d.Blocked, err = s.Privacy.BlockedSenders(r.Context(), acct.ID)
	return d, err
}

// privacyCentre shows the user's choices, their consent history, the
// senders they blocked, and the export and deletion of their data.
func (s *Server) privacyCentre(w http.ResponseWriter, r *http.Request) {
	d, err := s.centreData(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d.CodeSent = r.URL.Query().Get("code")
	s.render(w, r, http.StatusOK, "privacy_centre", d)
}

func yesNo(v string) (bool, bool) {
	switch v {
	case "yes":
		return true, true
	case "no":
		return false, true
	}
	return false, false
}

// privacyChoices stores the choices form; each change lands in the
// consent ledger.
func (s *Server) privacyChoices(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	acct := currentAccount(r)
	f := r.PostForm
	var c privacy.Choices
	var ok [4]bool
	var marketing bool
	marketing, ok[0] = yesNo(f.Get("marketing"))
	c.Newsletters, ok[1] = yesNo(f.Get("newsletters"))
	c.PartnerOffers, ok[2] = yesNo(f.Get("partner_offers"))
	c.OpenTracking, ok[3] = yesNo(f.Get("open_tracking"))
	for _, o := range ok {
		if !o {
			s.renderError(w, r, http.StatusBadRequest, "err.marketing_choice")
			return
		}
	}
	c.Contact, c.Phone = f.Get("contact"), strings.TrimSpace(f.Get("phone"))
	c.FaxRetentionDays, _ = strconv.Atoi(f.Get("retention"))
	if err := s.Privacy.SetChoices(r.Context(), acct.ID, c, privacy.MethodPortal); err != nil {
		d, derr := s.centreData(r)
		if derr != nil {
			s.serverError(w, r, derr)
			return
		}
		field, key := "contact", "privacy.err.phone"
		if c.Contact == privacy.ContactEmail {
			field, key = "retention", "privacy.err.retention"
		}
		s.renderForm(w, r, "privacy_centre", map[string]string{field: key}, d)
		return
	}
	if marketing != acct.MarketingOptIn {
		if err := s.Privacy.SetMarketing(r.Context(), acct.ID, marketing, privacy.MethodPortal); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.setFlash(w, r, "flash.preferences_saved")
	http.Redirect(w, r, "/account/privacy", http.StatusSeeOther)
}

// privacyCode mails a one-time code for an export or a deletion.
func (s *Server) privacyCode(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	action := r.PostForm.Get("action")
	if err := s.Privacy.SendCode(r.Context(), currentAccount(r).ID, action); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "err.form_invalid")
		return
	}
	s.setFlash(w, r, "privacy.flash.code_sent")
	http.Redirect(w, r, "/account/privacy?code="+urlQueryEscape(action)+"#"+action, http.StatusSeeOther)
}

// confirmed checks the password or code of a confirmation form and shows
// the centre again with an error when it fails.
func (s *Server) confirmed(w http.ResponseWriter, r *http.Request, action string) bool {
	err := s.Privacy.Confirm(r.Context(), currentAccount(r).ID, action, r.PostForm.Get("password"), strings.TrimSpace(r.PostForm.Get("code")))
	if err == nil {
		return true
	}
	if !errors.Is(err, privacy.ErrNotConfirmed) {
		s.serverError(w, r, err)
		return false
	}
	d, derr := s.centreData(r)
	if derr != nil {
		s.serverError(w, r, derr)
		return false
	}
	s.renderForm(w, r, "privacy_centre", map[string]string{action: "privacy.err.not_confirmed"}, d)
	return false
}

// privacyExport makes the export once the user proved who they are and
// shows its expiring link.
func (s *Server) privacyExport(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) || !s.confirmed(w, r, privacy.ActionExport) {
		return
	}
	token, err := s.Privacy.Export(r.Context(), currentAccount(r).ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d, err := s.centreData(r)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d.Export = "/account/privacy/export/" + token
	s.render(w, r, http.StatusOK, "privacy_centre", d)
}

// privacyDownload streams an export to its owner.
func (s *Server) privacyDownload(w http.ResponseWriter, r *http.Request) {
	rc, err := s.Privacy.Download(r.Context(), currentAccount(r).ID, r.PathValue("token"))
	if errors.Is(err, privacy.ErrExportExpired) {
		s.renderError(w, r, http.StatusNotFound, "privacy.err.export_expired")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	defer rc.Close()
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", `attachment; filename="faxhaven-export.zip"`)
	h.Set("Cache-Control", "no-store")
	io.Copy(w, rc)
}

// privacyDelete erases the account once the user proved who they are and
// typed the confirmation word, ends the browser's session and says what
// was kept.
func (s *Server) privacyDelete(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) || !s.confirmed(w, r, privacy.ActionErase) {
		return
	}
	if _, err := s.Privacy.Erase(r.Context(), currentAccount(r).ID); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.clearCookie(w, r, sessionCookie, "/")
	s.setFlash(w, r, "privacy.flash.deleted")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// privacyBlock blocks or unblocks a sender for the account (J1).
func (s *Server) privacyBlock(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	acct := currentAccount(r)
	sender := strings.TrimSpace(r.PostForm.Get("sender"))
	number, faxID := "", ""
	switch {
	case strings.HasPrefix(sender, "tel:"):
		number = strings.TrimPrefix(sender, "tel:")
	case strings.HasPrefix(sender, "csi:"):
		faxID = strings.TrimPrefix(sender, "csi:")
	case strings.HasPrefix(sender, "+"):
		number = sender
	default:
		faxID = sender
	}
	var err error
	if r.PostForm.Get("unblock") != "" {
		err = s.Privacy.Unblock(r.Context(), acct.ID, number, faxID)
	} else {
		err = s.Privacy.Block(r.Context(), acct.ID, number, faxID)
	}
	if err != nil {
		s.renderError(w, r, http.StatusBadRequest, "privacy.err.sender")
		return
	}
	s.setFlash(w, r, "flash.preferences_saved")
	http.Redirect(w, r, "/account/privacy#blocked", http.StatusSeeOther)
}

// faxJunk reports a received fax as junk and blocks its sender (J1).
func (s *Server) faxJunk(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	id, ok := pathID(r)
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "err.not_found")
		return
	}
	if err := s.Privacy.ReportJunk(r.Context(), currentAccount(r).ID, id, r.PostForm.Get("block") != "no"); err != nil {
		s.renderError(w, r, http.StatusBadRequest, "privacy.err.junk")
		return
	}
	s.setFlash(w, r, "privacy.flash.junk")
	http.Redirect(w, r, "/faxes", http.StatusSeeOther)
}

// setMarketing stores a marketing choice made on the account page; with
// the privacy service it also goes into the consent ledger (O1).
func (s *Server) setMarketing(ctx context.Context, accountID int64, optIn bool) error {
	if s.Privacy == nil {
		return s.Accounts.SetMarketing(ctx, accountID, optIn)
	}
	return s.Privacy.SetMarketing(ctx, accountID, optIn, privacy.MethodPortal)
}

// privacyRefer sends a friend one invitation (R1).
func (s *Server) privacyRefer(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	_, err := s.Privacy.Refer(r.Context(), currentAccount(r).ID, r.PostForm.Get("friend_name"), r.PostForm.Get("friend_email"))
	if err != nil {
		d, derr := s.centreData(r)
		if derr != nil {
			s.serverError(w, r, derr)
			return
		}
		key := "privacy.err.friend"
		if errors.Is(err, privacy.ErrAlreadyInvited) {
			key = "privacy.err.already_invited"
		}
		s.renderForm(w, r, "privacy_centre", map[string]string{"friend": key}, d)
		return
	}
	s.setFlash(w, r, "privacy.flash.invited")
	http.Redirect(w, r, "/account/privacy#refer", http.StatusSeeOther)
}

// privacyProfile stores the user's corrections of their name and optional
// profile answers (D1).
func (s *Server) privacyProfile(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := r.PostForm
	err := s.Privacy.CorrectProfile(r.Context(), currentAccount(r).ID, privacy.Profile{Name: f.Get("name"),
		Gender: f.Get("gender"), Occupation: f.Get("occupation"), IncomeBand: f.Get("income_band")})
	var fe *privacy.FieldError
	if errors.As(err, &fe) {
		d, derr := s.centreData(r)
		if derr != nil {
			s.serverError(w, r, derr)
			return
		}
		s.renderForm(w, r, "privacy_centre", map[string]string{fe.Field: fe.Key}, d)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.setFlash(w, r, "flash.preferences_saved")
	http.Redirect(w, r, "/account/privacy#profile", http.StatusSeeOther)
}

// surveyName names the current survey; answers are stored under it.
const surveyName = "service-2026"

// privacySurvey shows the voluntary survey (Q1).
func (s *Server) privacySurvey(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "privacy_survey", nil)
}

// privacySurveyAnswer stores the answers apart from identity: whoever is
// logged in, nothing about them is stored with the answers (Q1).
func (s *Server) privacySurveyAnswer(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	useful := r.PostForm.Get("useful")
	switch useful {
	case "", "very", "somewhat", "not":
	default:
		useful = ""
	}
	improve := r.PostForm.Get("improve")
	if len(improve) > 2000 {
		improve = improve[:2000]
	}
	if err := s.Privacy.Answer(r.Context(), stateOf(r).brand.ID, surveyName, map[string]string{"useful": useful, "improve": improve}); err != nil {
		s.serverError(w, r, err)
		return
	}
	s.setFlash(w, r, "privacy.survey.thanks")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// privacyEmail starts a change of email address after the password (D1).
func (s *Server) privacyEmail(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) || !s.confirmed(w, r, "email") {
		return
	}
	brand := stateOf(r).brand
	link := func(token string) string { return s.Accounts.URL(brand, "/account/privacy/email?token="+token) }
	err := s.Privacy.RequestEmailChange(r.Context(), currentAccount(r).ID, r.PostForm.Get("new_email"), link)
	if errors.Is(err, privacy.ErrEmailInvalid) || errors.Is(err, privacy.ErrEmailTaken) {
		d, derr := s.centreData(r)
		if derr != nil {
			s.serverError(w, r, derr)
			return
		}
		s.renderForm(w, r, "privacy_centre", map[string]string{"new_email": "privacy.email.invalid"}, d)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.setFlash(w, r, "privacy.flash.email_sent")
	http.Redirect(w, r, "/account/privacy#profile", http.StatusSeeOther)
}

// privacyEmailConfirm follows the link mailed to the new address.
func (s *Server) privacyEmailConfirm(w http.ResponseWriter, r *http.Request) {
	err := s.Privacy.ConfirmEmailChange(r.Context(), currentAccount(r).ID, r.URL.Query().Get("token"))
	if errors.Is(err, privacy.ErrEmailLink) || errors.Is(err, privacy.ErrEmailTaken) {
		s.renderError(w, r, http.StatusGone, "privacy.err.email_link")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.setFlash(w, r, "privacy.flash.email_changed")
	http.Redirect(w, r, "/account/privacy#profile", http.StatusSeeOther)
}

type unsubscribeData struct {
	Token   string
	Done    bool
	Purpose string
}

// privacyUnsubscribeForm shows what the link switches off, with one
// button: a GET never changes anything, since mail scanners follow links.
func (s *Server) privacyUnsubscribeForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "privacy_unsubscribe", &unsubscribeData{Token: r.PathValue("token")})
}

// privacyUnsubscribe switches off what the link names (O3). Mail clients
// post here directly for one-click unsubscribe (RFC 8058), without login.
func (s *Server) privacyUnsubscribe(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	purpose, err := s.Privacy.Unsubscribe(r.Context(), r.PathValue("token"))
	if errors.Is(err, privacy.ErrBadUnsubscribe) {
		s.renderError(w, r, http.StatusNotFound, "privacy.err.unsubscribe")
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "privacy_unsubscribe", &unsubscribeData{Done: true, Purpose: "privacy.purpose." + purpose})
}
