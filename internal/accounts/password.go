package accounts

import (
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Params are the Argon2id cost parameters. They are recorded in every
// stored hash, so raising them later keeps old hashes valid.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	SaltLen uint32
	KeyLen  uint32
}

// DefaultParams follow the second recommendation of RFC 9106 (64 MiB, three
// passes), with the parallelism cut to the two cores a small node has.
var DefaultParams = Params{Memory: 64 * 1024, Time: 3, Threads: 2, SaltLen: 16, KeyLen: 32}

// MinPasswordLen is the shortest password accepted, in characters.
const MinPasswordLen = 10

// maxPasswordLen bounds the work one login can cause.
const maxPasswordLen = 1024

// HashPassword hashes password with Argon2id and returns it in the PHC
// string format: $argon2id$v=19$m=...,t=...,p=...$salt$hash.
func HashPassword(password string, p Params) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("accounts: password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// ErrBadHash is returned for a stored hash that is not a PHC Argon2id string.
var ErrBadHash = errors.New("accounts: stored password hash is not a valid argon2id PHC string")

// phc is a parsed PHC string.
type phc struct {
	params Params
	salt   []byte
	key    []byte
}

// Limits that keep a corrupt or hostile stored hash from costing unbounded
// memory or time.
const (
	maxMemory  = 1 << 21 // 2 GiB in KiB
	maxTime    = 64
	maxKeyLen  = 128
	maxSaltLen = 64
)

// parsePHC parses an Argon2id PHC string.
func parsePHC(s string) (*phc, error) {
	parts := strings.Split(s, "$")
	// "", "argon2id", "v=19", "m=..,t=..,p=..", salt, hash
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return nil, ErrBadHash
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return nil, fmt.Errorf("%w: unsupported version %q", ErrBadHash, parts[2])
	}
	var p Params
	seen := 0
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok {
			return nil, fmt.Errorf("%w: parameter %q", ErrBadHash, kv)
		}
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return nil, fmt.Errorf("%w: parameter %q", ErrBadHash, kv)
		}
		switch k {
		case "m":
			p.Memory, seen = uint32(n), seen|1
		case "t":
			p.Time, seen = uint32(n), seen|2
		case "p":
			if n > 255 {
				return nil, fmt.Errorf("%w: parallelism %d", ErrBadHash, n)
			}
			p.Threads, seen = uint8(n), seen|4
		default:
			return nil, fmt.Errorf("%w: unknown parameter %q", ErrBadHash, k)
		}
	}
	if seen != 7 || p.Time == 0 || p.Time > maxTime || p.Threads == 0 ||
		p.Memory < 8*uint32(p.Threads) || p.Memory > maxMemory {
		return nil, fmt.Errorf("%w: parameters %q out of range", ErrBadHash, parts[3])
	}
	b64 := base64.RawStdEncoding.Strict()
	salt, err := b64.DecodeString(parts[4])
	if err != nil || len(salt) < 8 || len(salt) > maxSaltLen {
		return nil, fmt.Errorf("%w: salt", ErrBadHash)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > maxKeyLen {
		return nil, fmt.Errorf("%w: hash", ErrBadHash)
	}
	p.SaltLen, p.KeyLen = uint32(len(salt)), uint32(len(key))
	return &phc{params: p, salt: salt, key: key}, nil
}

// CheckPassword reports whether password matches the PHC string hash. The
// comparison takes constant time in the key.
func CheckPassword(hash, password string) (bool, error) {
	h, err := parsePHC(hash)
	if err != nil {
		return false, err
	}
	if len(password) > maxPasswordLen {
		return false, nil
	}
	key := argon2.IDKey([]byte(password), h.salt, h.params.Time, h.params.Memory, h.params.Threads, h.params.KeyLen)
	return subtle.ConstantTimeCompare(key, h.key) == 1, nil
}

//go:embed common_passwords.txt
var commonPasswordList string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordList, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// CheckPasswordStrength returns the catalog key of the reason password is
// too weak, or "" when it is acceptable. email is refused as a password too.
func CheckPasswordStrength(password, email string) string {
	n := utf8.RuneCountInString(password)
	switch {
	case n < MinPasswordLen:
		return "err.password_short"
	case len(password) > maxPasswordLen:
		return "err.password_long"
	}
	lower := strings.ToLower(password)
	if commonPasswords[lower] || (email != "" && lower == strings.ToLower(email)) {
		return "err.password_common"
	}
	// One repeated character ("aaaaaaaaaa") is as weak as a common word.
	first, _ := utf8.DecodeRuneInString(password)
	if strings.Count(password, string(first)) == n {
		return "err.password_common"
	}
	return ""
}
