// Package brands holds the co-brand sites (policy clauses P0 and X1): each
// brand has its own name, colours, host name, fax email domain and policy
// text, and every account and number belongs to one. A default brand exists
// from the first start.
package brands

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Brand is one co-brand site.
type Brand struct {
	ID           int64
	Slug         string
	Name         string
	Host         string // the host name that selects this brand
	FaxDomain    string // email-to-fax domain, e.g. fax.example.org
	ColorPrimary string // CSS colour
	ColorAccent  string
	MailFrom     string // From address of the brand's mail
}

// ErrNotFound is returned when no brand matches.
var ErrNotFound = errors.New("brands: no such brand")

// DefaultSlug is the slug of the brand created on first start.
const DefaultSlug = "default"

// Service reads and creates brands.
type Service struct {
	DB    *store.DB
	Clock clock.Clock
}

const cols = "id, slug, name, host, fax_domain, color_primary, color_accent, mail_from"

func scan(row interface{ Scan(...any) error }) (*Brand, error) {
	var b Brand
	err := row.Scan(&b.ID, &b.Slug, &b.Name, &b.Host, &b.FaxDomain, &b.ColorPrimary, &b.ColorAccent, &b.MailFrom)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("brands: %w", err)
	}
	return &b, nil
}

// ByID returns the brand with the given ID.
func (s *Service) ByID(ctx context.Context, id int64) (*Brand, error) {
	return scan(s.DB.QueryRowContext(ctx, "SELECT "+cols+" FROM brands WHERE id = $1", id))
}

// BySlug returns the brand with the given slug.
func (s *Service) BySlug(ctx context.Context, slug string) (*Brand, error) {
	return scan(s.DB.QueryRowContext(ctx, "SELECT "+cols+" FROM brands WHERE slug = $1", slug))
}

// ForHost returns the brand whose host matches the request host (port
// ignored), or the default brand when none does.
func (s *Service) ForHost(ctx context.Context, host string) (*Brand, error) {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	b, err := scan(s.DB.QueryRowContext(ctx, "SELECT "+cols+" FROM brands WHERE host = $1", host))
	if errors.Is(err, ErrNotFound) {
		return s.BySlug(ctx, DefaultSlug)
	}
	return b, err
}

// ByFaxDomain returns the brand whose email-to-fax domain is domain.
func (s *Service) ByFaxDomain(ctx context.Context, domain string) (*Brand, error) {
	return scan(s.DB.QueryRowContext(ctx, "SELECT "+cols+" FROM brands WHERE fax_domain = $1", strings.ToLower(domain)))
}

// List returns every brand, default first.
func (s *Service) List(ctx context.Context) ([]*Brand, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT "+cols+" FROM brands ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("brands: %w", err)
	}
	defer rows.Close()
	var out []*Brand
	for rows.Next() {
		b, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// Create stores a new brand and returns it with its ID.
func (s *Service) Create(ctx context.Context, b Brand) (*Brand, error) {
	if b.Slug == "" || b.Name == "" || b.Host == "" || b.FaxDomain == "" {
		return nil, errors.New("brands: a brand needs a slug, name, host and fax domain")
	}
	if b.ColorPrimary == "" {
		b.ColorPrimary = "#1f4e79"
	}
	if b.ColorAccent == "" {
		b.ColorAccent = "#c45500"
	}
	if b.MailFrom == "" {
		b.MailFrom = "no-reply@" + b.FaxDomain
	}
	b.Host = strings.ToLower(b.Host)
	b.FaxDomain = strings.ToLower(b.FaxDomain)
	err := s.DB.QueryRowContext(ctx, `INSERT INTO brands (slug, name, host, fax_domain, color_primary, color_accent, mail_from, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
		b.Slug, b.Name, b.Host, b.FaxDomain, b.ColorPrimary, b.ColorAccent, b.MailFrom, store.Micros(s.Clock.Now())).Scan(&b.ID)
	if err != nil {
		if store.IsUniqueViolation(err) {
			return nil, fmt.Errorf("brands: a brand with slug %q or host %q exists already", b.Slug, b.Host)
		}
		return nil, fmt.Errorf("brands: create: %w", err)
	}
	return &b, nil
}

// EnsureDefault creates the default brand if it does not exist yet and
// returns it. host is the host name the default brand answers to.
func (s *Service) EnsureDefault(ctx context.Context, host, faxDomain string) (*Brand, error) {
	b, err := s.BySlug(ctx, DefaultSlug)
	if errors.Is(err, ErrNotFound) {
		b, err = s.Create(ctx, Brand{Slug: DefaultSlug, Name: "Faxhaven", Host: host, FaxDomain: faxDomain})
		if err != nil && strings.Contains(err.Error(), "exists already") {
			// Another node created it at the same time.
			b, err = s.BySlug(ctx, DefaultSlug)
		}
	}
	if err != nil {
		return nil, err
	}
	if err := s.ensurePolicy(ctx, b.ID); err != nil {
		return nil, err
	}
	return b, nil
}
