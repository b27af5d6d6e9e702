// Package web is the portal: the server-rendered HTML site where users
// register, log in and manage their account, and where staff work. It is an
// edge: it translates HTTP into calls on the domain packages (accounts,
// staff, brands, and the fax pages the fax service adds) and never holds
// business rules itself.
//
// Everything is net/http and html/template with embedded CSS; every core
// flow works without JavaScript. Pages are rendered in the user's language
// from the i18n catalog, in the colours of the brand the request's host
// selects.
package web

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// OutboxMessage is one message of the local mail outbox, as the admin
// view shows it.
type OutboxMessage struct {
	ID      int64
	At      time.Time
	To      string
	Subject string
	Text    string
	Status  string // e.g. queued, sent, failed
}

// Outbox lists recent outbound mail for the admin view. The mail service
// implements it (through a small adapter where its types differ).
type Outbox interface {
	Recent(ctx context.Context, limit int) ([]OutboxMessage, error)
}

// Deps are what the portal needs. DB, Brands, Accounts and Staff are
// required; the rest are optional.
type Deps struct {
	DB       *store.DB
	Brands   *brands.Service
	Accounts *accounts.Service
	Staff    *staff.Service
	// Outbox feeds the admin's mail outbox page; nil hides the page.
	Outbox Outbox
	// Faxes is the fax service behind the fax pages; see fax.go.
	Faxes FaxService
	// Privacy is behind the privacy centre and page (issue 7); see
	// privacy.go. Nil leaves them out.
	Privacy PrivacyService

	Clock clock.Clock
	// Logger receives one line per request and errors; it must never be
	// given personal data, and the portal gives it none.
	Logger *slog.Logger
	// TrustProxy makes the portal believe X-Forwarded-Proto and
	// X-Forwarded-For: set it only behind a TLS-terminating proxy that
	// sets them.
	TrustProxy bool
	// MaxBodyBytes caps any request body; zero means 32 MiB. Forms are
	// held to a much smaller limit on top.
	MaxBodyBytes int64
}

// Server is the portal.
type Server struct {
	Deps
	pages   map[string]map[string]*pageTemplate // lang -> page name -> template
	metrics *metrics
	handler http.Handler
}

// New checks deps, parses the templates and builds the routes.
func New(deps Deps) (*Server, error) {
	if deps.DB == nil || deps.Brands == nil || deps.Accounts == nil || deps.Staff == nil {
		return nil, errors.New("web: Deps needs DB, Brands, Accounts and Staff")
	}
	if deps.Clock == nil {
		deps.Clock = clock.System{}
	}
	if deps.Logger == nil {
		deps.Logger = slog.New(slog.DiscardHandler)
	}
	if deps.MaxBodyBytes <= 0 {
		deps.MaxBodyBytes = 32 << 20
	}
	s := &Server{Deps: deps, metrics: newMetrics()}
	var err error
	if s.pages, err = parsePages(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	s.handler = s.routes()
	return s, nil
}

// Handler returns the portal's HTTP handler, with every middleware applied.
func (s *Server) Handler() http.Handler { return s.handler }

// ready reports whether the database answers.
func (s *Server) ready(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return s.DB.PingContext(ctx)
}
