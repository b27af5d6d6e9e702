package web

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/staff"
)

// Template files: layout.html wraps every page; files starting with "_"
// are partials shared by all pages; every other file is one page that
// defines "title" and "content".
const layoutFile = "layout.html"

type pageTemplate struct {
	*template.Template
}

// funcs returns the template functions for one language. t looks up the
// catalog; the others format values the same way on every page.
func funcs(lang string) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, args ...any) string { return i18n.T(lang, key, args...) },
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "-"
			}
			return t.Format("2006-01-02")
		},
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return "-"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
		"paragraphs": func(s string) []string {
			var out []string
			for _, p := range strings.Split(s, "\n") {
				if p = strings.TrimSpace(p); p != "" {
					out = append(out, p)
				}
			}
			return out
		},
		"languages": func() []string { return i18n.Languages },
		"langName":  func(l string) string { return i18n.T(l, "lang.name") },
	}
}

// parsePages parses every page once per language, each with the layout and
// the partials.
func parsePages() (map[string]map[string]*pageTemplate, error) {
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	var partials, pages []string
	for _, f := range files {
		base := path.Base(f)
		switch {
		case base == layoutFile:
		case strings.HasPrefix(base, "_"):
			partials = append(partials, f)
		default:
			pages = append(pages, f)
		}
	}
	out := map[string]map[string]*pageTemplate{}
	for _, lang := range i18n.Languages {
		out[lang] = map[string]*pageTemplate{}
		for _, p := range pages {
			set := append([]string{"templates/" + layoutFile}, partials...)
			t, err := template.New(layoutFile).Funcs(funcs(lang)).ParseFS(templateFS, append(set, p)...)
			if err != nil {
				return nil, fmt.Errorf("template %s: %w", p, err)
			}
			out[lang][strings.TrimSuffix(path.Base(p), ".html")] = &pageTemplate{t}
		}
	}
	return out, nil
}

// Page is what every template receives.
type Page struct {
	Brand   *brands.Brand
	Lang    string
	Account *accounts.Account
	Staff   *staff.Member
	Flash   string            // catalog key of a one-time message
	Errors  map[string]string // field -> catalog key
	Form    url.Values        // what the user typed, to show it again
	Path    string            // the current path, for the language switch
	FaxNav  [][2]string       // fax pages for the account menu
	Notices *Notices          // cookie banner, policy change (issue 7, cookies.go)
	Data    any               // the page's own data
}

// Err returns the catalog key of the error of a field, or "".
func (p *Page) Err(field string) string { return p.Errors[field] }

// render writes the page named name with status. data is the page's own
// data (Page.Data).
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, data any) {
	s.renderPage(w, r, status, name, &Page{Data: data})
}

// renderForm renders a form page again with its field errors and input.
func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, name string, errs map[string]string, data any) {
	form := url.Values{}
	for k, v := range r.PostForm {
		if !strings.Contains(k, "password") && k != "current" && k != "token" {
			form[k] = v // never echo a password back
		}
	}
	s.renderPage(w, r, http.StatusUnprocessableEntity, name, &Page{Errors: errs, Form: form, Data: data})
}

func (s *Server) renderPage(w http.ResponseWriter, r *http.Request, status int, name string, p *Page) {
	st := stateOf(r)
	p.Brand, p.Lang, p.Account, p.Staff, p.Path = st.brand, st.lang, st.account, st.staff, r.URL.Path
	p.Notices = s.notices(r) // issue 7
	if p.Flash == "" {
		p.Flash = st.flash
	}
	if p.Form == nil {
		p.Form = url.Values{}
	}
	if p.Account != nil {
		p.FaxNav = s.faxNav()
	}
	t := s.pages[st.lang][name]
	if t == nil {
		s.serverError(w, r, fmt.Errorf("web: no page template %q", name))
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, layoutFile, p); err != nil {
		s.serverError(w, r, fmt.Errorf("web: render %s: %w", name, err))
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Language", st.lang)
	h.Add("Vary", "Accept-Language, Cookie")
	if p.Account != nil || p.Staff != nil {
		h.Set("Cache-Control", "no-store")
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// renderError shows a translated error page.
func (s *Server) renderError(w http.ResponseWriter, r *http.Request, status int, key string) {
	if stateOf(r).brand == nil {
		http.Error(w, i18n.T(currentLang(r), key), status)
		return
	}
	s.render(w, r, status, "error", key)
}

// serverError logs err (which must hold no personal data; domain errors do
// not) and shows a generic error page.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.Logger.LogAttrs(r.Context(), slog.LevelError, "handler error", slog.String("route", r.Pattern), slog.String("error", err.Error()))
	s.renderError(w, r, http.StatusInternalServerError, "err.server")
}

// maxFormBytes caps a form submission; fax uploads set their own limit.
const maxFormBytes = 64 << 10

// parseForm parses a small urlencoded form, answering 413 itself when it is
// too large. It reports whether the handler should go on.
func (s *Server) parseForm(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.renderError(w, r, http.StatusRequestEntityTooLarge, "err.request_too_large")
		} else {
			s.renderError(w, r, http.StatusBadRequest, "err.form_invalid")
		}
		return false
	}
	return true
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
