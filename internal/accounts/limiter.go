package accounts

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/store"
)

// Default login limits: failures allowed within Window before further
// attempts are refused until old failures age out.
const (
	DefaultWindow        = 15 * time.Minute
	DefaultPerLogin      = 5
	DefaultPerAddress    = 30
	loginFailureMaxWidth = 512 // longest login name hashed
)

// Limiter counts failed logins per login name and per client network in the
// login_failures table, so every node sees the same counts. Keys are stored
// only as keyed hashes: the table names no person and no address.
type Limiter struct {
	DB     *store.DB
	Clock  clock.Clock
	Secret []byte // HMAC key; nil draws a random one per process

	Window     time.Duration
	PerLogin   int
	PerAddress int
	// Params are the costs of the dummy hash checked when there is no real
	// one; they should match the real hashes' so timing matches too. Zero
	// means DefaultParams.
	Params Params

	once      sync.Once
	dummyOnce sync.Once
	dummy     string
}

func (l *Limiter) secret() []byte {
	l.once.Do(func() {
		if len(l.Secret) == 0 {
			l.Secret = make([]byte, 32)
			rand.Read(l.Secret)
		}
	})
	return l.Secret
}

func (l *Limiter) key(parts ...string) string {
	m := hmac.New(sha256.New, l.secret())
	for _, p := range parts {
		if len(p) > loginFailureMaxWidth {
			p = p[:loginFailureMaxWidth]
		}
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return hex.EncodeToString(m.Sum(nil))
}

// LoginKey returns the limiter key of a login name within a scope (such as
// "account:<brand id>" or "staff").
func (l *Limiter) LoginKey(scope, login string) string {
	return l.key("login", scope, normalizeEmail(login))
}

// AddressKey returns the limiter key of a client address: the address is
// first cut to its network (IPv4 /24, IPv6 /48), so one user's devices and
// one attacker's neighbouring addresses count together.
func (l *Limiter) AddressKey(addr string) string {
	return l.key("addr", TruncateIP(addr))
}

// TruncateIP cuts an IP address to its network, IPv4 /24 and IPv6 /48, and
// returns it in prefix form ("192.0.2.0/24"). A host:port is accepted; a
// value that is not an address returns "invalid".
func TruncateIP(addr string) string {
	if h, _, err := net.SplitHostPort(addr); err == nil {
		addr = h
	}
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return "invalid"
	}
	ip = ip.Unmap().WithZone("")
	bits := 48
	if ip.Is4() {
		bits = 24
	}
	p, _ := ip.Prefix(bits)
	return p.String()
}

func (l *Limiter) window() time.Duration { return orDefault(l.Window, DefaultWindow) }

func (l *Limiter) count(ctx context.Context, key string) (int, error) {
	since := store.Micros(l.Clock.Now().Add(-l.window()))
	var n int
	err := l.DB.QueryRowContext(ctx, "SELECT COUNT(*) FROM login_failures WHERE key_hash = $1 AND at > $2", key, since).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("accounts: login failures: %w", err)
	}
	return n, nil
}

// Blocked reports whether either key has reached its limit.
func (l *Limiter) Blocked(ctx context.Context, loginKey, addrKey string) (bool, error) {
	per, perAddr := l.PerLogin, l.PerAddress
	if per <= 0 {
		per = DefaultPerLogin
	}
	if perAddr <= 0 {
		perAddr = DefaultPerAddress
	}
	n, err := l.count(ctx, loginKey)
	if err != nil || n >= per {
		return err == nil, err
	}
	n, err = l.count(ctx, addrKey)
	return err == nil && n >= perAddr, err
}

// Fail records a failed attempt under both keys.
func (l *Limiter) Fail(ctx context.Context, loginKey, addrKey string) error {
	// One statement, so one commit: a failed login costs one disk sync.
	_, err := l.DB.ExecContext(ctx, "INSERT INTO login_failures (key_hash, at) VALUES ($1, $3), ($2, $3)",
		loginKey, addrKey, store.Micros(l.Clock.Now()))
	if err != nil {
		return fmt.Errorf("accounts: record login failure: %w", err)
	}
	return nil
}

// Succeed forgets the failures of a login name after a good login. The
// address count stays: a success on one account says nothing about the
// guesses made at others from the same network.
func (l *Limiter) Succeed(ctx context.Context, loginKey string) error {
	if _, err := l.DB.ExecContext(ctx, "DELETE FROM login_failures WHERE key_hash = $1", loginKey); err != nil {
		return fmt.Errorf("accounts: clear login failures: %w", err)
	}
	return nil
}

// Prune deletes failures older than the window; a periodic job calls it.
func (l *Limiter) Prune(ctx context.Context) error {
	_, err := l.DB.ExecContext(ctx, "DELETE FROM login_failures WHERE at <= $1", store.Micros(l.Clock.Now().Add(-l.window())))
	if err != nil {
		return fmt.Errorf("accounts: prune login failures: %w", err)
	}
	return nil
}

// Authenticate checks a password against a stored hash under the limiter,
// so that every caller (users, staff) gets the same protection:
//
//   - a blocked login name or address is refused without looking at the
//     password, but only after the same hashing work, so timing does not
//     tell a locked account from a wrong password;
//   - an unknown login (hash == "") is hashed against a dummy;
//   - a failure is recorded under both keys, a success clears the login's.
//
// It returns nil on success and ErrInvalidCredentials otherwise.
func (l *Limiter) Authenticate(ctx context.Context, loginKey, addrKey, hash, password string) error {
	blocked, err := l.Blocked(ctx, loginKey, addrKey)
	if err != nil {
		return err
	}
	if hash == "" || blocked {
		hash = l.dummyHash()
	}
	ok, err := CheckPassword(hash, password)
	if err != nil {
		return fmt.Errorf("accounts: login: %w", err)
	}
	if !ok || blocked {
		if err := l.Fail(ctx, loginKey, addrKey); err != nil {
			return err
		}
		return ErrInvalidCredentials
	}
	return l.Succeed(ctx, loginKey)
}

// dummyHash is a hash of a random password, checked when there is no real
// hash so that every login costs the same.
func (l *Limiter) dummyHash() string {
	l.dummyOnce.Do(func() {
		p := l.Params
		if p.Memory == 0 {
			p = DefaultParams
		}
		var b [16]byte
		rand.Read(b[:])
		l.dummy, _ = HashPassword(hex.EncodeToString(b[:]), p)
	})
	return l.dummy
}
