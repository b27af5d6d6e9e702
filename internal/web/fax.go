package web

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/internal/faxes"
	"github.com/faxhaven/faxhaven/internal/i18n"
)

// FaxService is the type of Deps.Faxes: the fax service behind the fax
// pages. Nil leaves the pages out.
type FaxService = *faxes.Service

// faxRoutes registers the fax pages.
func (s *Server) faxRoutes(mux *http.ServeMux) {
	if s.Faxes == nil {
		return
	}
	mux.HandleFunc("GET /faxes", s.requireAccount(s.faxList(faxes.In)))
	mux.HandleFunc("GET /faxes/sent", s.requireAccount(s.faxList(faxes.Out)))
	mux.HandleFunc("GET /faxes/new", s.requireAccount(s.faxNew))
	mux.HandleFunc("POST /faxes", s.requireAccount(s.faxSend))
	mux.HandleFunc("GET /faxes/{id}", s.requireAccount(s.faxView))
	mux.HandleFunc("GET /faxes/{id}/status", s.requireAccount(s.faxStatus))
	mux.HandleFunc("GET /faxes/{id}/pdf", s.requireAccount(s.faxPDF))
	mux.HandleFunc("POST /faxes/{id}/delete", s.requireAccount(s.faxDelete))
	s.faxEmailRoutes(mux)
	s.faxEmailStaffRoutes(mux)
}

// faxNav lists the fax pages for the account menu as (path, catalog key)
// pairs.
func (s *Server) faxNav() [][2]string {
	if s.Faxes == nil {
		return nil
	}
	return [][2]string{{"/faxes", "nav.inbox"}, {"/faxes/sent", "nav.sent"}, {"/faxes/new", "nav.send"}, {"/account/email", "email.page.title"}}
}

type faxListData struct {
	Dir     faxes.Direction
	Faxes   []*faxes.Fax
	NextID  int64 // for the "older" link; 0 when there are no more
	Heading string
}

const faxPageSize = 50

func (s *Server) faxList(dir faxes.Direction) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		acct := currentAccount(r)
		before, _ := strconv.ParseInt(r.URL.Query().Get("before"), 10, 64)
		list, err := s.Faxes.List(r.Context(), acct.ID, dir, before, faxPageSize+1)
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		d := faxListData{Dir: dir, Faxes: list, Heading: "fax.inbox.heading"}
		if dir == faxes.Out {
			d.Heading = "fax.sent.heading"
		}
		if len(list) > faxPageSize {
			d.Faxes = list[:faxPageSize]
			d.NextID = d.Faxes[faxPageSize-1].ID
		}
		s.render(w, r, http.StatusOK, "fax_list", d)
	}
}

func (s *Server) faxNew(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "fax_new", s.faxFormData())
}

type faxFormData struct {
	MaxMB int64
	Key   string // idempotency key of this form
}

func (s *Server) faxFormData() faxFormData {
	return faxFormData{MaxMB: s.Faxes.MaxUpload >> 20, Key: newFormKey()}
}

// faxSend takes the send form: a multipart upload held in memory (the
// content is personal data and must not land unencrypted in temporary
// files), passed to the fax service, which queues it durably before the
// browser is sent on to the fax's page.
func (s *Server) faxSend(w http.ResponseWriter, r *http.Request) {
	acct := currentAccount(r)
	limit := s.Faxes.MaxUpload + 1<<20 // the files plus the form fields
	r.Body = http.MaxBytesReader(w, r.Body, limit)
	if err := r.ParseMultipartForm(limit); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.renderForm(w, r, "fax_new", map[string]string{"files": i18n.T(currentLang(r), "fax.err.form_too_large", s.Faxes.MaxUpload>>20)}, s.faxFormData())
			return
		}
		s.renderError(w, r, http.StatusBadRequest, "err.form_invalid")
		return
	}
	defer r.MultipartForm.RemoveAll()
	req := faxes.SendRequest{
		To:             r.PostForm.Get("to"),
		Country:        r.PostForm.Get("country"),
		Cover:          r.PostForm.Get("cover") == "on",
		CoverTo:        strings.TrimSpace(r.PostForm.Get("cover_to")),
		Subject:        strings.TrimSpace(r.PostForm.Get("subject")),
		CoverNote:      strings.TrimSpace(r.PostForm.Get("note")),
		IdempotencyKey: r.PostForm.Get("key"),
		Lang:           currentLang(r),
	}
	if req.Country == "" {
		req.Country = countryOf(currentLang(r))
	}
	switch res := r.PostForm.Get("resolution"); res {
	case "", "fine":
		req.Resolution = page.Fine
	default:
		var err error
		if req.Resolution, err = page.ParseResolution(res); err != nil {
			s.renderForm(w, r, "fax_new", map[string]string{"resolution": "fax.err.resolution"}, s.faxFormData())
			return
		}
	}
	for _, fh := range r.MultipartForm.File["files"] {
		if fh.Filename == "" && fh.Size == 0 {
			continue // the browser sends an empty part when no file was chosen
		}
		f, err := fh.Open()
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		data, err := io.ReadAll(f)
		f.Close()
		if err != nil {
			s.serverError(w, r, err)
			return
		}
		req.Files = append(req.Files, faxes.Upload{Name: fh.Filename, Data: data})
	}
	f, err := s.Faxes.Send(r.Context(), acct.ID, req)
	var fe *faxes.Error
	if errors.As(err, &fe) {
		field := "files"
		if strings.HasPrefix(fe.Code, "fax.err.number") {
			field = "to"
		} else if strings.HasPrefix(fe.Code, "fax.err.note") {
			field = "note"
		}
		// The form keeps its key, so resending it after a fix cannot
		// create two faxes.
		d := s.faxFormData()
		d.Key = req.IdempotencyKey
		s.renderForm(w, r, "fax_new", map[string]string{field: i18n.T(currentLang(r), fe.Code, fe.Args...)}, d)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.setFlash(w, r, "fax.flash.queued")
	http.Redirect(w, r, "/faxes/"+strconv.FormatInt(f.ID, 10), http.StatusSeeOther)
}

// countryOf guesses the country for national number formats from the
// language until accounts carry a country of their own.
func countryOf(lang string) string {
	if lang == i18n.Dutch {
		return "NL"
	}
	return ""
}

// faxOf loads the fax named in the path for the logged-in account; another
// account's fax is "not found", like a fax that does not exist.
func (s *Server) faxOf(w http.ResponseWriter, r *http.Request) *faxes.Fax {
	id, ok := pathID(r)
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "err.not_found")
		return nil
	}
	f, err := s.Faxes.Get(r.Context(), currentAccount(r).ID, id)
	if !s.faxFound(w, r, err) {
		return nil
	}
	return f
}

// faxFound answers a failed fax lookup: "not found" for a fax that is not
// the account's, a server error otherwise. It reports whether err is nil.
func (s *Server) faxFound(w http.ResponseWriter, r *http.Request, err error) bool {
	switch {
	case errors.Is(err, faxes.ErrNotFound):
		s.renderError(w, r, http.StatusNotFound, "err.not_found")
	case err != nil:
		s.serverError(w, r, err)
	}
	return err == nil
}

func (s *Server) faxView(w http.ResponseWriter, r *http.Request) {
	if f := s.faxOf(w, r); f != nil {
		s.render(w, r, http.StatusOK, "fax_view", f)
	}
}

// faxStatusJSON is what the status poll of the fax page returns.
type faxStatusJSON struct {
	Status   string `json:"status"`
	Label    string `json:"label"`
	Final    bool   `json:"final"`
	Pages    int    `json:"pages"`
	Attempts int    `json:"attempts"`
	Reason   string `json:"reason,omitempty"`
}

func (s *Server) faxStatus(w http.ResponseWriter, r *http.Request) {
	f := s.faxOf(w, r)
	if f == nil {
		return
	}
	lang := currentLang(r)
	out := faxStatusJSON{Status: string(f.Status), Label: i18n.T(lang, "fax.status."+string(f.Status)), Final: f.Status.Final(), Pages: f.Pages, Attempts: f.Attempts}
	if f.ReasonCode != "" {
		out.Reason = i18n.T(lang, "fax.reason."+f.ReasonCode)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(out)
}

func (s *Server) faxPDF(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r)
	if !ok {
		s.renderError(w, r, http.StatusNotFound, "err.not_found")
		return
	}
	pdf, f, err := s.Faxes.PDF(r.Context(), currentAccount(r).ID, id)
	if !s.faxFound(w, r, err) {
		return
	}
	disp := "inline"
	if r.URL.Query().Get("download") == "1" {
		disp = "attachment"
	}
	name := "fax-" + f.CreatedAt.Format("20060102-1504") + "-" + strconv.FormatInt(f.ID, 10) + ".pdf"
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", disp+`; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "private, no-store")
	// The PDF is shown by the browser's own viewer, which the page policy
	// must not block.
	w.Header().Set("Content-Security-Policy", "default-src 'none'; sandbox")
	w.Write(pdf)
}

func (s *Server) faxDelete(w http.ResponseWriter, r *http.Request) {
	if !s.parseForm(w, r) {
		return
	}
	f := s.faxOf(w, r)
	if f == nil {
		return
	}
	err := s.Faxes.Delete(r.Context(), currentAccount(r).ID, f.ID)
	var fe *faxes.Error
	if errors.As(err, &fe) {
		s.setFlash(w, r, fe.Code)
		http.Redirect(w, r, "/faxes/"+strconv.FormatInt(f.ID, 10), http.StatusSeeOther)
		return
	}
	if err != nil {
		s.serverError(w, r, err)
		return
	}
	s.setFlash(w, r, "fax.flash.deleted")
	back := "/faxes"
	if f.Direction == faxes.Out {
		back = "/faxes/sent"
	}
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// newFormKey returns a random key that makes one filled-in form one fax,
// however often it is submitted.
func newFormKey() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
