// Package staff holds the service's own people (admin, support, billing,
// legal), their logins, and the one audited door through which any of them
// sees a person's data (policy clauses Sec1 and U2).
package staff

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Role is what a staff member does, and so what they may see.
type Role string

// The roles.
const (
	Admin   Role = "admin"   // runs the service: staff, mail outbox
	Support Role = "support" // helps users with their accounts
	Billing Role = "billing" // handles plans and payments
	Legal   Role = "legal"   // answers lawful requests
)

// Roles lists every role.
var Roles = []Role{Admin, Support, Billing, Legal}

// ParseRole returns the role named s.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("staff: unknown role %q; use one of admin, support, billing, legal", s)
}

// Member is one staff member.
type Member struct {
	ID        int64
	Email     string
	Name      string
	Role      Role
	CreatedAt time.Time
	Disabled  bool
	// MustChangePassword is set while the member still has the one-time
	// password they were created with; the console lets them do nothing
	// else until they choose their own.
	MustChangePassword bool
}

// Errors.
var (
	ErrNotFound = errors.New("staff: no such staff member")
	ErrExists   = errors.New("staff: a staff member with this email exists already")
	// ErrGroundRequired refuses a view of personal data without a reason.
	ErrGroundRequired = errors.New("staff: opening a person's data needs a ground: a ticket reference or a short reason")
	// ErrForbidden refuses an action the member's role does not allow.
	ErrForbidden = errors.New("staff: your role does not allow this")
)

// Service runs staff members and their access to personal data. DB and
// Clock are required.
type Service struct {
	DB    *store.DB
	Clock clock.Clock
	// Params are the Argon2id costs for new hashes; zero means
	// accounts.DefaultParams.
	Params accounts.Params
	// Sessions and Limiter are shared with the accounts service; nil makes
	// default ones.
	Sessions *accounts.Sessions
	Limiter  *accounts.Limiter
}

func (s *Service) sessions() *accounts.Sessions {
	if s.Sessions == nil {
		s.Sessions = &accounts.Sessions{DB: s.DB, Clock: s.Clock}
	}
	return s.Sessions
}

func (s *Service) limiter() *accounts.Limiter {
	if s.Limiter == nil {
		s.Limiter = &accounts.Limiter{DB: s.DB, Clock: s.Clock, Params: s.Params}
	}
	return s.Limiter
}

func (s *Service) params() accounts.Params {
	if s.Params.Memory == 0 {
		return accounts.DefaultParams
	}
	return s.Params
}

const memberCols = "id, email, name, role, created_at, disabled_at, must_change_password"

func scanMember(row interface{ Scan(...any) error }) (*Member, error) {
	var m Member
	var created, disabled int64
	var role string
	err := row.Scan(&m.ID, &m.Email, &m.Name, &role, &created, &disabled, &m.MustChangePassword)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("staff: %w", err)
	}
	m.Role, m.CreatedAt, m.Disabled = Role(role), store.Time(created), disabled != 0
	return &m, nil
}

// Create adds a staff member. The password must pass the same strength
// check as users' passwords.
func (s *Service) Create(ctx context.Context, email, name string, role Role, password string) (*Member, error) {
	return s.create(ctx, email, name, role, password, false)
}

// CreateOneTime adds a staff member with a one-time password, which they
// must replace with their own at the first login.
func (s *Service) CreateOneTime(ctx context.Context, email, name string, role Role, password string) (*Member, error) {
	return s.create(ctx, email, name, role, password, true)
}

func (s *Service) create(ctx context.Context, email, name string, role Role, password string, oneTime bool) (*Member, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if !strings.Contains(email, "@") {
		return nil, fmt.Errorf("staff: %q is not an email address", email)
	}
	if _, err := ParseRole(string(role)); err != nil {
		return nil, err
	}
	if k := accounts.CheckPasswordStrength(password, email); k != "" {
		return nil, fmt.Errorf("staff: password refused (%s): use at least %d characters that are not a common password", k, accounts.MinPasswordLen)
	}
	if name == "" {
		name, _, _ = strings.Cut(email, "@")
	}
	hash, err := accounts.HashPassword(password, s.params())
	if err != nil {
		return nil, err
	}
	m := &Member{Email: email, Name: name, Role: role, CreatedAt: s.Clock.Now(), MustChangePassword: oneTime}
	err = s.DB.QueryRowContext(ctx, `INSERT INTO staff (email, name, role, password_hash, created_at, must_change_password)
		VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, email, name, string(role), hash, store.Micros(m.CreatedAt), oneTime).Scan(&m.ID)
	if store.IsUniqueViolation(err) {
		return nil, fmt.Errorf("%w: %s", ErrExists, email)
	}
	if err != nil {
		return nil, fmt.Errorf("staff: create: %w", err)
	}
	return m, nil
}

// SetPassword gives a staff member a new one-time password (an admin's
// reset) and ends their sessions; they must choose their own at the next
// login.
func (s *Service) SetPassword(ctx context.Context, email, password string) error {
	m, err := s.ByEmail(ctx, email)
	if err != nil {
		return err
	}
	if k := accounts.CheckPasswordStrength(password, m.Email); k != "" {
		return fmt.Errorf("staff: password refused (%s): use at least %d characters that are not a common password", k, accounts.MinPasswordLen)
	}
	hash, err := accounts.HashPassword(password, s.params())
	if err != nil {
		return err
	}
	if _, err := s.DB.ExecContext(ctx, "UPDATE staff SET password_hash = $1, must_change_password = $2 WHERE id = $3", hash, true, m.ID); err != nil {
		return fmt.Errorf("staff: set password: %w", err)
	}
	return s.sessions().EndAll(ctx, accounts.SubjectStaff, m.ID)
}

// ErrWrongPassword is returned by ChangePassword when the current password
// does not match.
var ErrWrongPassword = errors.New("staff: the current password is not correct")

// ChangePassword replaces a member's password with one they chose, after
// checking the current one, clears the one-time mark and ends their other
// sessions; keepSession is the token of the session making the change. A
// refused new password is an *accounts.ValidationError on "password".
func (s *Service) ChangePassword(ctx context.Context, m *Member, current, next, keepSession string) error {
	var hash string
	if err := s.DB.QueryRowContext(ctx, "SELECT password_hash FROM staff WHERE id = $1", m.ID).Scan(&hash); err != nil {
		return fmt.Errorf("staff: change password: %w", err)
	}
	ok, err := accounts.CheckPassword(hash, current)
	if err != nil {
		return fmt.Errorf("staff: change password: %w", err)
	}
	if !ok {
		return ErrWrongPassword
	}
	if k := accounts.CheckPasswordStrength(next, m.Email); k != "" {
		return &accounts.ValidationError{Fields: map[string]string{"password": k}}
	}
	if next == current {
		return &accounts.ValidationError{Fields: map[string]string{"password": "err.password_same"}}
	}
	newHash, err := accounts.HashPassword(next, s.params())
	if err != nil {
		return err
	}
	return s.DB.Tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE staff SET password_hash = $1, must_change_password = $2 WHERE id = $3", newHash, false, m.ID); err != nil {
			return fmt.Errorf("staff: change password: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE subject_kind = $1 AND subject_id = $2 AND token_hash <> $3",
			accounts.SubjectStaff, m.ID, accounts.HashToken(keepSession)); err != nil {
			return fmt.Errorf("staff: end other sessions: %w", err)
		}
		return nil
	})
}

// Disable stops a staff member from logging in and ends their sessions.
// Their audit records stay.
func (s *Service) Disable(ctx context.Context, email string) error {
	m, err := s.ByEmail(ctx, email)
	if err != nil {
		return err
	}
	if _, err := s.DB.ExecContext(ctx, "UPDATE staff SET disabled_at = $1 WHERE id = $2", store.Micros(s.Clock.Now()), m.ID); err != nil {
		return fmt.Errorf("staff: disable: %w", err)
	}
	return s.sessions().EndAll(ctx, accounts.SubjectStaff, m.ID)
}

// ByEmail returns the staff member with the given email.
func (s *Service) ByEmail(ctx context.Context, email string) (*Member, error) {
	return scanMember(s.DB.QueryRowContext(ctx, "SELECT "+memberCols+" FROM staff WHERE email = $1", strings.ToLower(strings.TrimSpace(email))))
}

// ByID returns the staff member with the given ID.
func (s *Service) ByID(ctx context.Context, id int64) (*Member, error) {
	return scanMember(s.DB.QueryRowContext(ctx, "SELECT "+memberCols+" FROM staff WHERE id = $1", id))
}

// List returns every staff member.
func (s *Service) List(ctx context.Context) ([]*Member, error) {
	rows, err := s.DB.QueryContext(ctx, "SELECT "+memberCols+" FROM staff ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("staff: list: %w", err)
	}
	defer rows.Close()
	var out []*Member
	for rows.Next() {
		m, err := scanMember(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// Login checks a staff email and password under the same rate limits as
// users' logins and starts a browser session (staff are never remembered).
// Every failure is accounts.ErrInvalidCredentials.
func (s *Service) Login(ctx context.Context, email, password, clientAddr string) (*Member, *accounts.Session, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	lim := s.limiter()
	var id, disabled int64
	var hash string
	err := s.DB.QueryRowContext(ctx, "SELECT id, password_hash, disabled_at FROM staff WHERE email = $1", email).Scan(&id, &hash, &disabled)
	if errors.Is(err, sql.ErrNoRows) {
		hash = ""
	} else if err != nil {
		return nil, nil, fmt.Errorf("staff: login: %w", err)
	}
	if err := lim.Authenticate(ctx, lim.LoginKey("staff", email), lim.AddressKey(clientAddr), hash, password); err != nil {
		return nil, nil, err
	}
	if disabled != 0 {
		return nil, nil, accounts.ErrInvalidCredentials
	}
	m, err := s.ByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	ss, err := s.sessions().Create(ctx, accounts.SubjectStaff, m.ID, false)
	if err != nil {
		return nil, nil, err
	}
	return m, ss, nil
}

// Session returns the staff member behind a session token.
func (s *Service) Session(ctx context.Context, token string) (*Member, error) {
	ss, err := s.sessions().Lookup(ctx, accounts.SubjectStaff, token)
	if err != nil {
		return nil, err
	}
	m, err := s.ByID(ctx, ss.SubjectID)
	if errors.Is(err, ErrNotFound) || (err == nil && m.Disabled) {
		s.sessions().End(ctx, token)
		return nil, accounts.ErrNoSession
	}
	return m, err
}

// Logout ends a staff session on the server.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.sessions().End(ctx, token)
}

// GeneratePassword returns a random password of 20 letters and digits for a
// new staff member, who should change it.
func GeneratePassword() (string, error) {
	const alphabet = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, 20)
	for i := range b {
		n, err := rand.Int(rand.Reader, big.NewInt(int64(len(alphabet))))
		if err != nil {
			return "", fmt.Errorf("staff: generate password: %w", err)
		}
		b[i] = alphabet[n.Int64()]
	}
	return string(b), nil
}
