package accounts

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/faxhaven/faxhaven/internal/store"
)

// Login checks an email and password for the brand, under the login rate
// limits per account and per client network, and starts a session.
// remember asks for a persistent session (C4). Every failure, whatever its
// cause, is ErrInvalidCredentials.
func (s *Service) Login(ctx context.Context, brandID int64, email, password, clientAddr string, remember bool) (*Account, *Session, error) {
	email = normalizeEmail(email)
	lim := s.LoginLimiter()
	loginKey := lim.LoginKey("account:"+strconv.FormatInt(brandID, 10), email)
	addrKey := lim.AddressKey(clientAddr)

	var id int64
	var hash, status string
	err := s.DB.QueryRowContext(ctx, "SELECT id, password_hash, status FROM accounts WHERE brand_id = $1 AND email = $2",
		brandID, email).Scan(&id, &hash, &status)
	if errors.Is(err, sql.ErrNoRows) {
		hash = ""
	} else if err != nil {
		return nil, nil, fmt.Errorf("accounts: login: %w", err)
	}
	if err := lim.Authenticate(ctx, loginKey, addrKey, hash, password); err != nil {
		return nil, nil, err
	}
	if status != StatusActive {
		return nil, nil, ErrInvalidCredentials
	}
	a, err := s.ByID(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	ss, err := s.SessionStore().Create(ctx, SubjectAccount, a.ID, remember)
	if err != nil {
		return nil, nil, err
	}
	return a, ss, nil
}

// Session returns the account behind a session token.
func (s *Service) Session(ctx context.Context, token string) (*Account, *Session, error) {
	ss, err := s.SessionStore().Lookup(ctx, SubjectAccount, token)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.ByID(ctx, ss.SubjectID)
	if errors.Is(err, ErrNotFound) || (err == nil && a.Status != StatusActive) {
		s.SessionStore().End(ctx, token)
		return nil, nil, ErrNoSession
	}
	if err != nil {
		return nil, nil, err
	}
	ss.Token = token
	return a, ss, nil
}

// Logout ends the session with the given token on the server.
func (s *Service) Logout(ctx context.Context, token string) error {
	return s.SessionStore().End(ctx, token)
}

// Prune deletes what has run out: expired and idle sessions, login failures
// older than the limiter's window, and emailed tokens a day after they
// expired or were used. The service calls it periodically (say, hourly);
// nothing depends on it for correctness, only for the tables' size (RT1).
func (s *Service) Prune(ctx context.Context) error {
	if err := s.SessionStore().Prune(ctx); err != nil {
		return err
	}
	if err := s.LoginLimiter().Prune(ctx); err != nil {
		return err
	}
	cutoff := store.Micros(s.Clock.Now().Add(-24 * time.Hour))
	if _, err := s.DB.ExecContext(ctx, "DELETE FROM account_tokens WHERE expires_at <= $1 OR (used_at > 0 AND used_at <= $1)", cutoff); err != nil {
		return fmt.Errorf("accounts: prune tokens: %w", err)
	}
	return nil
}
