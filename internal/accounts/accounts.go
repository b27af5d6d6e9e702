// Package accounts holds the users of the service: registration, email
// verification, passwords, sessions and login rate limits.
//
// It is domain code: it never imports net/http. The web portal translates
// requests into calls on Service and shows its typed errors through the
// catalog keys they carry.
package accounts

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/i18n"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Account is one user of the service.
type Account struct {
	ID               int64
	BrandID          int64
	Number           string // the account number, the user's unique identifier (C2)
	Name             string
	Email            string // also the login name
	Language         string
	EmailVerifiedAt  time.Time
	MarketingOptIn   bool
	PolicyVersion    string
	PolicyAcceptedAt time.Time
	Gender           string
	Occupation       string
	IncomeBand       string
	Plan             string
	Status           string
	CreatedAt        time.Time
}

// Verified reports whether the account's email address is confirmed.
func (a *Account) Verified() bool { return !a.EmailVerifiedAt.IsZero() }

// Account statuses.
const (
	StatusActive = "active"
	StatusClosed = "closed"
)

// Errors the service returns besides validation errors.
var (
	ErrNotFound = errors.New("accounts: no such account")
	// ErrInvalidCredentials is the one answer to a failed login, whatever
	// the reason: unknown email, wrong password or too many attempts.
	ErrInvalidCredentials = errors.New("accounts: email or password is wrong, or too many attempts; wait a few minutes and try again")

	// ErrAddressRefused is what a Screen hook wraps to refuse an address
	// (issue 7).
	ErrAddressRefused = errors.New("accounts: this address cannot register")
)

// ValidationError lists what is wrong with a request, field by field, as
// catalog keys so the portal can show each message in the user's language.
type ValidationError struct {
	Fields map[string]string // field name -> catalog key
}

func (e *ValidationError) Error() string {
	var b strings.Builder
	b.WriteString("accounts: invalid input:")
	for _, f := range sortedKeys(e.Fields) {
		fmt.Fprintf(&b, " %s (%s: %s)", f, e.Fields[f], i18n.T(i18n.English, e.Fields[f]))
	}
	return b.String()
}

// Field returns the catalog key of the problem with field, or "".
func (e *ValidationError) Field(name string) string { return e.Fields[name] }

func invalid(field, key string) *ValidationError {
	return &ValidationError{Fields: map[string]string{field: key}}
}

// Message is an email the service sends to a user.
type Message struct {
	To      string
	From    string
	Subject string
	Text    string // plain-text body
	Kind    string // "verify", "welcome", "reset": what the message is for
}

// Mailer stores outbound mail durably in the caller's transaction, so a
// message exists exactly when the change that caused it is committed. The
// service's mail outbox implements it.
type Mailer interface {
	EnqueueTx(ctx context.Context, tx *sql.Tx, accountID int64, msg Message) error
}

// NumberAssigner gives a newly verified account a fax number from its
// brand's pool, in the caller's transaction, and returns it in E.164 form.
// It returns the account's existing number if it has one.
type NumberAssigner interface {
	AssignTx(ctx context.Context, tx *sql.Tx, brandID, accountID int64) (string, error)
}

// Service runs accounts. DB, Brands, Clock and Mailer are required.
type Service struct {
	DB      *store.DB
	Brands  *brands.Service
	Clock   clock.Clock
	Mailer  Mailer
	Numbers NumberAssigner // nil: no number is assigned on verification
	// Params are the Argon2id costs for new hashes; zero means DefaultParams.
	Params Params
	// Secret keys the hashes stored for login rate limits. All nodes must
	// share it; nil makes a random one per process.
	Secret []byte
	// Link makes the absolute URL of path on the brand's site, for emails.
	// Nil means https://<brand host><path>.
	Link func(b *brands.Brand, path string) string
	// Rand is the source of tokens, salts aside, and account numbers; nil
	// means crypto/rand.
	Rand io.Reader
	// Sessions manages login sessions; nil means one with default timeouts.
	Sessions *Sessions
	// Limiter counts failed logins; nil means one with default limits.
	Limiter *Limiter

	// Privacy hooks (issue 7), both optional. Screen refuses an address
	// before registration by returning an error that wraps
	// ErrAddressRefused (K1: a deleted child's address); OnRegister runs
	// in the registration's transaction (the consent ledger's first entry,
	// a referral's success).
	Screen     func(ctx context.Context, brandID int64, email string) error
	OnRegister func(ctx context.Context, tx *sql.Tx, a *Account) error
}

// Token lifetimes.
const (
	VerifyTokenTTL = 72 * time.Hour
	ResetTokenTTL  = time.Hour
)

func (s *Service) params() Params {
	if s.Params.Memory == 0 {
		return DefaultParams
	}
	return s.Params
}

func (s *Service) rand() io.Reader {
	if s.Rand == nil {
		return rand.Reader
	}
	return s.Rand
}

// SessionStore returns the service's session store, creating a default one
// on first use.
func (s *Service) SessionStore() *Sessions {
	if s.Sessions == nil {
		s.Sessions = &Sessions{DB: s.DB, Clock: s.Clock}
	}
	return s.Sessions
}

// LoginLimiter returns the service's login limiter, creating a default one
// on first use.
func (s *Service) LoginLimiter() *Limiter {
	if s.Limiter == nil {
		s.Limiter = &Limiter{DB: s.DB, Clock: s.Clock, Secret: s.Secret, Params: s.Params}
	}
	return s.Limiter
}

// URL makes the absolute address of path on the brand's site, as links
// in email need it: Link when set, else https://<brand host><path>.
func (s *Service) URL(b *brands.Brand, path string) string {
	if s.Link != nil {
		return s.Link(b, path)
	}
	return "https://" + b.Host + path
}

const accountCols = `id, brand_id, account_number, name, email, language, email_verified_at, marketing_opt_in,
	policy_version, policy_accepted_at, gender, occupation, income_band, plan, status, created_at`

func scanAccount(row interface{ Scan(...any) error }) (*Account, error) {
	var a Account
	var verified, accepted, created int64
	err := row.Scan(&a.ID, &a.BrandID, &a.Number, &a.Name, &a.Email, &a.Language, &verified, &a.MarketingOptIn,
		&a.PolicyVersion, &accepted, &a.Gender, &a.Occupation, &a.IncomeBand, &a.Plan, &a.Status, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("accounts: %w", err)
	}
	a.EmailVerifiedAt, a.PolicyAcceptedAt, a.CreatedAt = store.Time(verified), store.Time(accepted), store.Time(created)
	return &a, nil
}

// ByID returns the account with the given ID.
func (s *Service) ByID(ctx context.Context, id int64) (*Account, error) {
	return byID(ctx, s.DB, id)
}

func byID(ctx context.Context, q store.Querier, id int64) (*Account, error) {
	return scanAccount(q.QueryRowContext(ctx, "SELECT "+accountCols+" FROM accounts WHERE id = $1", id))
}

// ByEmail returns the brand's account with the given email address.
func (s *Service) ByEmail(ctx context.Context, brandID int64, email string) (*Account, error) {
	return scanAccount(s.DB.QueryRowContext(ctx, "SELECT "+accountCols+" FROM accounts WHERE brand_id = $1 AND email = $2",
		brandID, normalizeEmail(email)))
}

// Registration is what a new user submits.
type Registration struct {
	BrandID  int64
	Name     string
	Email    string
	Password string
	// Marketing is the user's active choice about offers matched to their
	// interests (O1). Nil means no choice was made, which is refused:
	// nothing is chosen for the user.
	Marketing *bool
	// AcceptPolicy is the user's acceptance of the brand's policy, and
	// PolicyVersion the version they were shown (P1, X1).
	AcceptPolicy  bool
	PolicyVersion string
	// Optional demographics (C2): never required.
	Gender     string
	Occupation string
	IncomeBand string
	Language   string
}

// The accepted values of the optional demographic fields; "" is always
// accepted.
var (
	Genders     = []string{"female", "male", "other", "unsaid"}
	Occupations = []string{"employed", "self_employed", "student", "retired", "other"}
	IncomeBands = []string{"low", "middle", "high", "unsaid"}
)

func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// validEmail accepts a bare address with a dotted domain, as typed in a form.
func validEmail(s string) bool {
	if len(s) > 254 || strings.ContainsAny(s, " <>\"") {
		return false
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s {
		return false
	}
	_, domain, ok := strings.Cut(s, "@")
	return ok && strings.Contains(domain, ".") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

func oneOf(v string, allowed []string) bool {
	if v == "" {
		return true
	}
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	return false
}

// validate checks a registration and returns every problem at once.
func (r *Registration) validate(currentPolicy string) *ValidationError {
	f := map[string]string{}
	name := strings.TrimSpace(r.Name)
	switch {
	case name == "":
		f["name"] = "err.name_required"
	case utf8.RuneCountInString(name) > 200:
		f["name"] = "err.name_long"
	}
	if r.Email == "" {
		f["email"] = "err.email_required"
	} else if !validEmail(r.Email) {
		f["email"] = "err.email_invalid"
	}
	if k := CheckPasswordStrength(r.Password, r.Email); k != "" {
		f["password"] = k
	}
	if r.Marketing == nil {
		f["marketing"] = "err.marketing_choice"
	}
	if !r.AcceptPolicy {
		f["policy"] = "err.policy_accept"
	} else if r.PolicyVersion != currentPolicy {
		f["policy"] = "err.policy_changed"
	}
	if !oneOf(r.Gender, Genders) {
		f["gender"] = "err.choice_invalid"
	}
	if !oneOf(r.Occupation, Occupations) {
		f["occupation"] = "err.choice_invalid"
	}
	if !oneOf(r.IncomeBand, IncomeBands) {
		f["income_band"] = "err.choice_invalid"
	}
	if len(f) > 0 {
		return &ValidationError{Fields: f}
	}
	return nil
}

// Register creates an account, records the accepted policy version and
// time (P1), and mails a verification link, all in one transaction. A
// duplicate email for the brand is a ValidationError on "email".
func (s *Service) Register(ctx context.Context, r Registration) (*Account, error) {
	r.Email = normalizeEmail(r.Email)
	r.Name = strings.TrimSpace(r.Name)
	brand, err := s.Brands.ByID(ctx, r.BrandID)
	if err != nil {
		return nil, fmt.Errorf("accounts: register: brand %d: %w", r.BrandID, err)
	}
	policy, err := s.Brands.CurrentPolicy(ctx, brand.ID)
	if err != nil {
		return nil, fmt.Errorf("accounts: register: %w", err)
	}
	if verr := r.validate(policy.Version); verr != nil {
		return nil, verr
	}
	if s.Screen != nil { // issue 7
		if err := s.Screen(ctx, brand.ID, r.Email); errors.Is(err, ErrAddressRefused) {
			return nil, invalid("email", "err.email_refused")
		} else if err != nil {
			return nil, fmt.Errorf("accounts: register: %w", err)
		}
	}
	if !i18n.Supported(r.Language) {
		r.Language = i18n.Default
	}
	hash, err := HashPassword(r.Password, s.params())
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	a := &Account{
		BrandID: brand.ID, Name: r.Name, Email: r.Email, Language: r.Language,
		MarketingOptIn: *r.Marketing, PolicyVersion: policy.Version, PolicyAcceptedAt: now,
		Gender: r.Gender, Occupation: r.Occupation, IncomeBand: r.IncomeBand,
		Plan: "free", Status: StatusActive, CreatedAt: now,
	}
	// A random account number can collide with an existing one; a few
	// tries with fresh numbers make that vanishingly unlikely to matter.
	for attempt := 0; ; attempt++ {
		a.Number, err = newAccountNumber(s.rand())
		if err != nil {
			return nil, err
		}
		err = s.DB.Tx(ctx, func(tx *sql.Tx) error {
			if err := tx.QueryRowContext(ctx, `INSERT INTO accounts (brand_id, account_number, name, email, password_hash,
				language, marketing_opt_in, policy_version, policy_accepted_at, gender, occupation, income_band,
				plan, status, created_at, updated_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING id`,
				a.BrandID, a.Number, a.Name, a.Email, hash, a.Language, a.MarketingOptIn, a.PolicyVersion,
				store.Micros(now), a.Gender, a.Occupation, a.IncomeBand, a.Plan, a.Status, store.Micros(now)).Scan(&a.ID); err != nil {
				return err
			}
			if s.OnRegister != nil { // issue 7
				if err := s.OnRegister(ctx, tx, a); err != nil {
					return err
				}
			}
			return s.sendTokenTx(ctx, tx, brand, a, purposeVerify)
		})
		if err == nil {
			return a, nil
		}
		if !store.IsUniqueViolation(err) {
			return nil, fmt.Errorf("accounts: register: %w", err)
		}
		if strings.Contains(err.Error(), "email") {
			return nil, invalid("email", "err.email_taken")
		}
		if attempt >= 5 {
			return nil, fmt.Errorf("accounts: register: no free account number after %d tries: %w", attempt+1, err)
		}
	}
}

// SetLanguage stores the account's preferred language.
func (s *Service) SetLanguage(ctx context.Context, accountID int64, lang string) error {
	if !i18n.Supported(lang) {
		return invalid("lang", "err.choice_invalid")
	}
	_, err := s.DB.ExecContext(ctx, "UPDATE accounts SET language = $1, updated_at = $2 WHERE id = $3",
		lang, store.Micros(s.Clock.Now()), accountID)
	if err != nil {
		return fmt.Errorf("accounts: set language: %w", err)
	}
	return nil
}

// SetMarketing records the user's changed choice about offers by email
// (O1, M1): they can change their mind at any time.
func (s *Service) SetMarketing(ctx context.Context, accountID int64, optIn bool) error {
	_, err := s.DB.ExecContext(ctx, "UPDATE accounts SET marketing_opt_in = $1, updated_at = $2 WHERE id = $3",
		optIn, store.Micros(s.Clock.Now()), accountID)
	if err != nil {
		return fmt.Errorf("accounts: set marketing choice: %w", err)
	}
	return nil
}

// FaxNumber returns the fax number assigned to the account, or "" when it
// has none yet.
func (s *Service) FaxNumber(ctx context.Context, accountID int64) (string, error) {
	var n string
	err := s.DB.QueryRowContext(ctx, "SELECT e164 FROM numbers WHERE account_id = $1 ORDER BY assigned_at, id LIMIT 1", accountID).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("accounts: fax number: %w", err)
	}
	return n, nil
}
