package accounts

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Subject kinds of a session.
const (
	SubjectAccount = "account"
	SubjectStaff   = "staff"
)

// Default session lifetimes (C4).
const (
	// DefaultIdleTimeout ends a browser session nobody has used for this
	// long: the browser forgets its cookie when it closes, the server
	// forgets the session soon after.
	DefaultIdleTimeout = 30 * time.Minute
	// DefaultMaxAge caps a browser session however active it stays.
	DefaultMaxAge = 12 * time.Hour
	// DefaultRemember is how long a "remember me" session lasts.
	DefaultRemember = 30 * 24 * time.Hour
)

// ErrNoSession is returned for a missing, expired or ended session.
var ErrNoSession = errors.New("accounts: no such session; log in again")

// Session is a login of an account or a staff member.
type Session struct {
	Token      string // the cookie value; only set when the session is created
	Kind       string // SubjectAccount or SubjectStaff
	SubjectID  int64
	Persistent bool // "remember me" (C4)
	CreatedAt  time.Time
	ExpiresAt  time.Time
}

// Sessions stores login sessions. Only the SHA-256 hash of each token is
// kept, so the table cannot be used to log in.
type Sessions struct {
	DB    *store.DB
	Clock clock.Clock
	// Zero durations mean the defaults above.
	IdleTimeout time.Duration
	MaxAge      time.Duration
	Remember    time.Duration
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Create starts a session and returns it with its token. A persistent
// session lasts Remember; any other ends after IdleTimeout without use or
// MaxAge in all.
func (s *Sessions) Create(ctx context.Context, kind string, subjectID int64, persistent bool) (*Session, error) {
	token, hash, err := newToken(rand.Reader)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	life := orDefault(s.MaxAge, DefaultMaxAge)
	if persistent {
		life = orDefault(s.Remember, DefaultRemember)
	}
	ss := &Session{Token: token, Kind: kind, SubjectID: subjectID, Persistent: persistent, CreatedAt: now, ExpiresAt: now.Add(life)}
	if _, err := s.DB.ExecContext(ctx, `INSERT INTO sessions (token_hash, subject_kind, subject_id, persistent, created_at, expires_at, last_seen_at)
		VALUES ($1, $2, $3, $4, $5, $6, $5)`, hash, kind, subjectID, persistent, store.Micros(now), store.Micros(ss.ExpiresAt)); err != nil {
		return nil, fmt.Errorf("accounts: create session: %w", err)
	}
	return ss, nil
}

// Lookup returns the live session of kind with the given token and marks it
// used. Expired and idle sessions are deleted and give ErrNoSession.
func (s *Sessions) Lookup(ctx context.Context, kind, token string) (*Session, error) {
	if token == "" || len(token) > 100 {
		return nil, ErrNoSession
	}
	hash := HashToken(token)
	ss := Session{Kind: kind}
	var created, expires, seen int64
	err := s.DB.QueryRowContext(ctx, `SELECT subject_id, persistent, created_at, expires_at, last_seen_at
		FROM sessions WHERE token_hash = $1 AND subject_kind = $2`, hash, kind).
		Scan(&ss.SubjectID, &ss.Persistent, &created, &expires, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNoSession
	}
	if err != nil {
		return nil, fmt.Errorf("accounts: session: %w", err)
	}
	now := s.Clock.Now()
	ss.CreatedAt, ss.ExpiresAt = store.Time(created), store.Time(expires)
	idle := !ss.Persistent && now.Sub(store.Time(seen)) >= orDefault(s.IdleTimeout, DefaultIdleTimeout)
	if !now.Before(ss.ExpiresAt) || idle {
		s.DB.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = $1", hash)
		return nil, ErrNoSession
	}
	// Writing last_seen_at on every request would make each page view a
	// database write; once a minute is precise enough for the idle timeout.
	if now.Sub(store.Time(seen)) >= time.Minute {
		if _, err := s.DB.ExecContext(ctx, "UPDATE sessions SET last_seen_at = $1 WHERE token_hash = $2", store.Micros(now), hash); err != nil {
			return nil, fmt.Errorf("accounts: touch session: %w", err)
		}
	}
	return &ss, nil
}

// End deletes the session with the given token. Ending an unknown session
// is not an error.
func (s *Sessions) End(ctx context.Context, token string) error {
	if token == "" {
		return nil
	}
	if _, err := s.DB.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = $1", HashToken(token)); err != nil {
		return fmt.Errorf("accounts: end session: %w", err)
	}
	return nil
}

// EndAll deletes every session of a subject.
func (s *Sessions) EndAll(ctx context.Context, kind string, subjectID int64) error {
	if _, err := s.DB.ExecContext(ctx, "DELETE FROM sessions WHERE subject_kind = $1 AND subject_id = $2", kind, subjectID); err != nil {
		return fmt.Errorf("accounts: end sessions: %w", err)
	}
	return nil
}

// Prune deletes expired sessions; a periodic job calls it.
func (s *Sessions) Prune(ctx context.Context) error {
	now := s.Clock.Now()
	idle := now.Add(-orDefault(s.IdleTimeout, DefaultIdleTimeout))
	_, err := s.DB.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at <= $1 OR (NOT persistent AND last_seen_at <= $2)",
		store.Micros(now), store.Micros(idle))
	if err != nil {
		return fmt.Errorf("accounts: prune sessions: %w", err)
	}
	return nil
}
