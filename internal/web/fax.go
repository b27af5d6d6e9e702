package web

import "net/http"

// This file is the hook for the fax pages. The fax service's author
// replaces it with the real pages: files named fax*.go in this package and
// templates named templates/fax_*.html, which the portal parses with the
// others (each defines "title" and "content" like every page).
//
// To plug in, the replacement file:
//   - declares FaxService as the fax service's type (an alias, so Deps
//     keeps its field name), and
//   - defines faxRoutes to register the pages on mux, using the shared
//     helpers: s.render, s.requireAccount, currentAccount, s.setFlash,
//     s.parseForm and s.serverError.

// FaxService is the type of Deps.Faxes. Until the fax pages exist it is
// any, and the field is ignored.
type FaxService = any

// faxRoutes registers the fax pages. Until they exist there are none.
func (s *Server) faxRoutes(mux *http.ServeMux) {}

// faxNav lists the fax pages for the account menu as (path, catalog key)
// pairs. Until they exist there are none.
func (s *Server) faxNav() [][2]string { return nil }
