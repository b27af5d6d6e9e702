package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/staff"
)

// legalRoutes registers the legal staff's pages (L1-L5): the case list
// and intake, each case's file and its steps, the invoice and the
// transparency report. Every step goes through the audited door in the
// privacy service; other roles get 403.
func (s *Server) legalRoutes(mux *http.ServeMux) {
	if s.Privacy == nil {
		return
	}
	mux.HandleFunc("GET /staff/legal", s.requireStaff(s.legalCases))
	mux.HandleFunc("POST /staff/legal", s.requireStaff(s.legalIntake))
	mux.HandleFunc("GET /staff/legal/{id}", s.requireStaff(s.legalCase))
	mux.HandleFunc("POST /staff/legal/{id}/{step}", s.requireStaff(s.legalStep))
	mux.HandleFunc("GET /staff/legal/{id}/invoice", s.requireStaff(s.legalInvoice))
}

func legalAllowed(m *staff.Member) bool { return staff.Allowed(m.Role, staff.ActionLegalCase) }

type legalCasesData struct {
	Cases        []*privacy.Case
	Transparency []privacy.TransparencyRow
	Year         int
}

func (s *Server) legalCases(w http.ResponseWriter, r *http.Request) {
	if !legalAllowed(currentStaff(r)) {
		s.renderError(w, r, http.StatusForbidden, "err.not_allowed")
		return
	}
	s.renderLegalCases(w, r, http.StatusOK, nil)
}

func (s *Server) renderLegalCases(w http.ResponseWriter, r *http.Request, status int, errs map[string]string) {
	brand := stateOf(r).brand
	cases, err := s.Privacy.Cases(r.Context(), brand.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	year := s.Clock.Now().UTC().Year()
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC)
	tr, err := s.Privacy.Transparency(r.Context(), brand.ID, from, from.AddDate(1, 0, 0))
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	d := &legalCasesData{Cases: cases, Transparency: tr, Year: year}
	if errs != nil {
		s.renderForm(w, r, "legal_cases", errs, d)
		return
	}
	s.render(w, r, status, "legal_cases", d)
}

// legalIntake opens a case; the subscribers are mailed at once (L3).
func (s *Server) legalIntake(w http.ResponseWriter, r *http.Request) {
	m := currentStaff(r)
	if !legalAllowed(m) {
		s.renderError(w, r, http.StatusForbidden, "err.not_allowed")
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := r.PostForm
	brand := stateOf(r).brand
	ids, err := s.Privacy.AccountIDs(r.Context(), brand.ID, strings.FieldsFunc(f.Get("accounts"), func(c rune) bool { return c == ',' || c == ' ' || c == '\n' }))
	if err != nil || len(ids) == 0 {
		s.renderLegalCases(w, r, 0, map[string]string{"accounts": "legal.err.accounts"})
		return
	}
	c, err := s.Privacy.OpenCase(r.Context(), m, privacy.CaseIntake{BrandID: brand.ID, Instrument: privacy.Instrument(f.Get("instrument")),
		Reference: f.Get("reference"), Requester: f.Get("requester"), Accounts: ids,
		InstrumentValid: f.Get("valid") == "on", ComplaintCopy: f.Get("complaint") == "on", FeesAccepted: f.Get("fees") == "on",
		ThresholdGround: f.Get("threshold")})
	if err != nil {
		s.renderLegalCases(w, r, 0, map[string]string{"reference": "legal.err.intake"})
		return
	}
	http.Redirect(w, r, "/staff/legal/"+strconv.FormatInt(c.ID, 10), http.StatusSeeOther)
}

type legalCaseData struct {
	Case      *privacy.Case
	Documents [][2]string
	Earliest  time.Time
	Result    string // catalog key of the last step's outcome
}

func (s *Server) legalCaseByPath(w http.ResponseWriter, r *http.Request) (*privacy.Case, bool) {
	if !legalAllowed(currentStaff(r)) {
		s.renderError(w, r, http.StatusForbidden, "err.not_allowed")
		return nil, false
	}
	id, ok := pathID(r)
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "err.not_found")
		return nil, false
	}
	c, err := s.Privacy.CaseByID(r.Context(), id)
	if errors.Is(err, privacy.ErrCaseNotFound) || (err == nil && c.BrandID != stateOf(r).brand.ID) {
		s.renderError(w, r, http.StatusNotFound, "err.not_found")
		return nil, false
	}
	if err != nil {
		s.serverError(w, r, err)
		return nil, false
	}
	return c, true
}

func (s *Server) legalCase(w http.ResponseWriter, r *http.Request) {
	c, ok := s.legalCaseByPath(w, r)
	if !ok {
		return
	}
	s.renderCase(w, r, http.StatusOK, c, r.URL.Query().Get("result"))
}

func (s *Server) renderCase(w http.ResponseWriter, r *http.Request, status int, c *privacy.Case, result string) {
	docs, err := s.Privacy.Documents(r.Context(), c.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	if result != "" && !strings.HasPrefix(result, "legal.result.") {
		result = ""
	}
	s.render(w, r, status, "legal_case", &legalCaseData{Case: c, Documents: docs, Earliest: c.ReceivedAt.Add(privacy.NoticePeriod), Result: result})
}

// legalStep runs one step of a case from its page.
func (s *Server) legalStep(w http.ResponseWriter, r *http.Request) {
	c, ok := s.legalCaseByPath(w, r)
	if !ok {
		return
	}
	m, ctx := currentStaff(r), r.Context()
	step := r.PathValue("step")
	if step == "document" {
		r.Body = http.MaxBytesReader(w, r.Body, 20<<20)
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			s.renderError(w, r, http.StatusBadRequest, "err.form_invalid")
			return
		}
		file, hdr, err := r.FormFile("file")
		if err != nil {
			s.renderError(w, r, http.StatusBadRequest, "err.form_invalid")
			return
		}
		defer file.Close()
		err = s.Privacy.AddDocument(ctx, m, c.ID, r.PostForm.Get("kind"), hdr.Filename, file)
		s.afterStep(w, r, c, err)
		return
	}
	if !s.parseForm(w, r) {
		return
	}
	f := r.PostForm
	var err error
	switch step {
	case "checks":
		err = s.Privacy.RecordChecks(ctx, m, c.ID, f.Get("valid") == "on", f.Get("complaint") == "on", f.Get("fees") == "on", f.Get("threshold"))
	case "early":
		err = s.Privacy.RecordEarlyGround(ctx, m, c.ID, f.Get("ground"), f.Get("document"))
	case "object":
		var ids []int64
		if ids, err = s.Privacy.AccountIDs(ctx, c.BrandID, []string{f.Get("account")}); err == nil && len(ids) == 1 {
			err = s.Privacy.Object(ctx, m, c.ID, ids[0])
		}
	case "work":
		minutes, _ := strconv.Atoi(f.Get("minutes"))
		pages, _ := strconv.Atoi(f.Get("pages"))
		err = s.Privacy.RecordWork(ctx, m, c.ID, minutes, pages, f.Get("courier") == "on")
	case "hold":
		for _, id := range c.Accounts {
			if err = s.Privacy.Hold(ctx, m, c.ID, id); err != nil {
				break
			}
		}
	case "release-holds":
		err = s.Privacy.ReleaseHolds(ctx, m, c.ID)
	case "release":
		d, rerr := s.Privacy.Release(ctx, m, c.ID)
		if rerr == nil {
			h := w.Header()
			h.Set("Content-Type", "application/zip")
			h.Set("Content-Disposition", `attachment; filename="disclosure-case-`+strconv.FormatInt(c.ID, 10)+`.zip"`)
			h.Set("Cache-Control", "no-store")
			w.Write(d.Zip)
			return
		}
		err = rerr
	default:
		s.renderError(w, r, http.StatusNotFound, "err.not_found")
		return
	}
	s.afterStep(w, r, c, err)
}

// afterStep shows the case again with the step's outcome.
func (s *Server) afterStep(w http.ResponseWriter, r *http.Request, c *privacy.Case, err error) {
	result := "legal.result.saved"
	switch {
	case err == nil:
	case errors.Is(err, privacy.ErrNotYet):
		result = "legal.result.not_yet"
	case errors.Is(err, privacy.ErrObjected):
		result = "legal.result.objected"
	case errors.Is(err, privacy.ErrChecks):
		result = "legal.result.checks"
	case errors.Is(err, staff.ErrForbidden):
		s.renderError(w, r, http.StatusForbidden, "err.not_allowed")
		return
	default:
		result = "legal.result.refused"
	}
	http.Redirect(w, r, "/staff/legal/"+strconv.FormatInt(c.ID, 10)+"?result="+result, http.StatusSeeOther)
}

// legalInvoice shows the fee invoice (L4) as text to send to the requester.
func (s *Server) legalInvoice(w http.ResponseWriter, r *http.Request) {
	c, ok := s.legalCaseByPath(w, r)
	if !ok {
		return
	}
	inv, err := s.Privacy.Invoice(r.Context(), c.ID)
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(inv.String()))
}
