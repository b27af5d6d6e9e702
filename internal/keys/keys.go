// Package keys encrypts each account's data under a key of its own
// (envelope encryption), so that destroying that one key makes every byte
// sealed with it unreadable: crypto-shredding.
//
// A master key (the key-encryption key, KEK) lives outside the database, in
// a file or in configuration. Each account has a data key (DEK, AES-256)
// created on first use and stored in the account_keys table wrapped by the
// master key with AES-GCM. Small values are sealed whole with Seal/Open;
// large files stream through SealWriter/OpenReader in authenticated chunks.
// Blobs combines a Keyring with a blobs.Store.
//
// Backups: blob backups hold only ciphertext. A database backup taken
// before Destroy still holds the wrapped key, readable by anyone with the
// master key; to shred those too, rotate the master key (Config.MasterKey
// new, old one in RetiredKeyFiles, then Rewrap) and destroy the old one.
package keys

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/store"
)

// KeySize is the size of master and data keys in bytes (AES-256).
const KeySize = 32

// Errors callers may test for with errors.Is.
var (
	// ErrKeyDestroyed means the account's key was destroyed; its data is gone.
	ErrKeyDestroyed = errors.New("keys: the account's data key was destroyed")
	// ErrNoKey means nothing was ever sealed for the account.
	ErrNoKey = errors.New("keys: the account has no data key")
	// ErrDecrypt means authentication failed: the data was altered,
	// truncated, sealed for another account or blob, or under another key.
	ErrDecrypt = errors.New("keys: message authentication failed (data altered, truncated, or sealed for another account or blob)")
)

// Config says where the master key comes from.
type Config struct {
	// MasterKeyFile holds the 32-byte master key, raw or as 64 hex digits.
	// If the file is missing it is created (mode 0600) with a random key.
	// Default "data/master.key". Ignored when MasterKey is set.
	MasterKeyFile string

	// MasterKey is the master key given directly (32 bytes), for setups
	// that keep it in a secret store rather than a file.
	MasterKey []byte

	// RetiredKeyFiles are earlier master keys, still used to unwrap data
	// keys wrapped before a rotation until Rewrap has moved them all to
	// the current master key.
	RetiredKeyFiles []string

	// CacheTTL is how long an unwrapped data key stays in memory. After
	// Destroy on one node, other nodes may use a cached key this long.
	// Default 1 minute.
	CacheTTL time.Duration

	// Clock times cache entries and stamps rows. Default clock.System.
	Clock clock.Clock
}

// DefaultMasterKeyFile is where the master key lives when none is configured.
const DefaultMasterKeyFile = "data/master.key"

// Keyring seals and opens data with per-account keys. It is safe for
// concurrent use.
type Keyring struct {
	db    *store.DB
	clock clock.Clock
	ttl   time.Duration

	kekID string
	keks  map[string]cipher.AEAD // by key ID, current and retired

	mu    sync.Mutex
	cache map[int64]cached
}

type cached struct {
	aead    cipher.AEAD
	expires time.Time
}

// New loads (or on first start creates) the master key and returns a
// keyring on db.
func New(db *store.DB, cfg Config) (*Keyring, error) {
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = time.Minute
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.System{}
	}
	kek := cfg.MasterKey
	if kek == nil {
		path := cfg.MasterKeyFile
		if path == "" {
			path = DefaultMasterKeyFile
		}
		var err error
		if kek, err = loadOrCreate(path); err != nil {
			return nil, err
		}
	}
	if len(kek) != KeySize {
		return nil, fmt.Errorf("keys: master key is %d bytes; it must be %d", len(kek), KeySize)
	}
	k := &Keyring{db: db, clock: cfg.Clock, ttl: cfg.CacheTTL, keks: map[string]cipher.AEAD{}, cache: map[int64]cached{}}
	k.kekID = keyID(kek)
	k.keks[k.kekID] = newGCM(kek)
	for _, p := range cfg.RetiredKeyFiles {
		old, err := readKeyFile(p)
		if err != nil {
			return nil, err
		}
		k.keks[keyID(old)] = newGCM(old)
	}
	return k, nil
}

// KeyID names the current master key; it is stored with every data key
// wrapped under it.
func (k *Keyring) KeyID() string { return k.kekID }

// keyID derives a public name for a master key that reveals nothing of it.
func keyID(kek []byte) string {
	h := sha256.Sum256(append([]byte("faxhaven master key id\x00"), kek...))
	return hex.EncodeToString(h[:8])
}

func newGCM(key []byte) cipher.AEAD {
	b, err := aes.NewCipher(key)
	if err != nil {
		panic(err) // only for a wrong key size, checked by callers
	}
	g, err := cipher.NewGCM(b)
	if err != nil {
		panic(err)
	}
	return g
}

func loadOrCreate(path string) ([]byte, error) {
	key, err := readKeyFile(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, KeySize)
	rand.Read(key)
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("keys: create master key directory: %w", err)
	}
	// O_EXCL: if another process created it meanwhile, use theirs.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	}
	if err != nil {
		return nil, fmt.Errorf("keys: create master key: %w", err)
	}
	_, err = f.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("keys: write master key %s: %w", path, err)
	}
	return key, nil
}

func readKeyFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keys: read master key: %w", err)
	}
	if len(b) == KeySize {
		return b, nil
	}
	s := strings.TrimSpace(string(b))
	key, err := hex.DecodeString(s)
	if err != nil || len(key) != KeySize {
		return nil, fmt.Errorf("keys: master key file %s must hold %d raw bytes or %d hex digits", path, KeySize, 2*KeySize)
	}
	return key, nil
}

// wrapAAD binds a wrapped key to its account and master key, so wrapped
// keys cannot be moved between accounts.
func wrapAAD(accountID int64, kekID string) []byte {
	return []byte("faxhaven dek\x00" + strconv.FormatInt(accountID, 10) + "\x00" + kekID)
}

func (k *Keyring) wrap(accountID int64, dek []byte) []byte {
	g := k.keks[k.kekID]
	nonce := make([]byte, g.NonceSize(), g.NonceSize()+len(dek)+g.Overhead())
	rand.Read(nonce)
	return g.Seal(nonce, nonce, dek, wrapAAD(accountID, k.kekID))
}

func (k *Keyring) unwrap(accountID int64, kekID string, wrapped []byte) ([]byte, error) {
	g, ok := k.keks[kekID]
	if !ok {
		return nil, fmt.Errorf("keys: account %d: data key is wrapped under master key %s, which is not loaded; add that key to RetiredKeyFiles", accountID, kekID)
	}
	if len(wrapped) < g.NonceSize() {
		return nil, fmt.Errorf("keys: account %d: wrapped key: %w", accountID, ErrDecrypt)
	}
	dek, err := g.Open(nil, wrapped[:g.NonceSize()], wrapped[g.NonceSize():], wrapAAD(accountID, kekID))
	if err != nil || len(dek) != KeySize {
		return nil, fmt.Errorf("keys: account %d: wrapped key: %w", accountID, ErrDecrypt)
	}
	return dek, nil
}

// dataKey returns the account's data key. With create it makes one if the
// account has none. Keys read through a caller's transaction are not
// cached, since that transaction may yet roll back.
func (k *Keyring) dataKey(ctx context.Context, q store.Querier, accountID int64, create bool) (cipher.AEAD, error) {
	now := k.clock.Now()
	k.mu.Lock()
	c, ok := k.cache[accountID]
	k.mu.Unlock()
	if ok && now.Before(c.expires) {
		return c.aead, nil
	}
	inTx := q != nil
	if !inTx {
		q = k.db
	}
	kekID, wrapped, destroyed, err := k.load(ctx, q, accountID)
	if errors.Is(err, sql.ErrNoRows) && create {
		dek := make([]byte, KeySize)
		rand.Read(dek)
		// DO NOTHING: if another node created the key first, theirs wins
		// and is read back below; the statement never fails a caller's
		// transaction.
		_, err = q.ExecContext(ctx, `INSERT INTO account_keys (account_id, key_id, wrapped, created_at)
			VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO NOTHING`,
			accountID, k.kekID, k.wrap(accountID, dek), store.Micros(now))
		if err != nil {
			return nil, fmt.Errorf("keys: account %d: create data key: %w", accountID, err)
		}
		kekID, wrapped, destroyed, err = k.load(ctx, q, accountID)
	}
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("keys: account %d: %w", accountID, ErrNoKey)
	}
	if err != nil {
		return nil, fmt.Errorf("keys: account %d: load data key: %w", accountID, err)
	}
	if destroyed {
		return nil, fmt.Errorf("keys: account %d: %w", accountID, ErrKeyDestroyed)
	}
	dek, err := k.unwrap(accountID, kekID, wrapped)
	if err != nil {
		return nil, err
	}
	aead := newGCM(dek)
	clear(dek)
	if !inTx {
		k.remember(accountID, aead, now)
	}
	return aead, nil
}

func (k *Keyring) forget(accountID int64) {
	k.mu.Lock()
	delete(k.cache, accountID)
	k.mu.Unlock()
}

// maxCached bounds the key cache; beyond it expired entries are dropped.
const maxCached = 10000

func (k *Keyring) remember(accountID int64, aead cipher.AEAD, now time.Time) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if len(k.cache) >= maxCached {
		for id, c := range k.cache {
			if !now.Before(c.expires) {
				delete(k.cache, id)
			}
		}
	}
	k.cache[accountID] = cached{aead: aead, expires: now.Add(k.ttl)}
}

func (k *Keyring) load(ctx context.Context, q store.Querier, accountID int64) (kekID string, wrapped []byte, destroyed bool, err error) {
	var destroyedAt int64
	err = q.QueryRowContext(ctx, `SELECT key_id, wrapped, destroyed_at FROM account_keys WHERE account_id = $1`,
		accountID).Scan(&kekID, &wrapped, &destroyedAt)
	return kekID, wrapped, destroyedAt != 0, err
}

// sealVersion starts every value sealed by Seal, so the format can change.
const sealVersion = 1

// Seal encrypts plaintext with the account's data key, creating the key on
// first use. aad is authenticated but not encrypted: Open must be given the
// same aad, which ties the sealed value to its place (a row, a blob key).
func (k *Keyring) Seal(ctx context.Context, accountID int64, plaintext, aad []byte) ([]byte, error) {
	return k.SealTx(ctx, nil, accountID, plaintext, aad)
}

// SealTx is Seal inside the caller's transaction q (nil: none). A data key
// created for the account commits or rolls back with q, so the caller's
// row and the key that seals it land together; on SQLite this is required,
// since a second connection cannot write while q holds the write lock.
func (k *Keyring) SealTx(ctx context.Context, q store.Querier, accountID int64, plaintext, aad []byte) ([]byte, error) {
	g, err := k.dataKey(ctx, q, accountID, true)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 1+g.NonceSize(), 1+g.NonceSize()+len(plaintext)+g.Overhead())
	out[0] = sealVersion
	rand.Read(out[1:])
	return g.Seal(out, out[1:], plaintext, aad), nil
}

// Open decrypts what Seal produced for the same account and aad.
func (k *Keyring) Open(ctx context.Context, accountID int64, sealed, aad []byte) ([]byte, error) {
	return k.OpenTx(ctx, nil, accountID, sealed, aad)
}

// OpenTx is Open reading the key through the caller's transaction q (nil:
// none).
func (k *Keyring) OpenTx(ctx context.Context, q store.Querier, accountID int64, sealed, aad []byte) ([]byte, error) {
	g, err := k.dataKey(ctx, q, accountID, false)
	if err != nil {
		return nil, err
	}
	if len(sealed) < 1+g.NonceSize()+g.Overhead() || sealed[0] != sealVersion {
		return nil, fmt.Errorf("keys: account %d: %w", accountID, ErrDecrypt)
	}
	pt, err := g.Open(nil, sealed[1:1+g.NonceSize()], sealed[1+g.NonceSize():], aad)
	if err != nil {
		return nil, fmt.Errorf("keys: account %d: %w", accountID, ErrDecrypt)
	}
	return pt, nil
}

// Destroy shreds the account's data key: from then on Open and OpenReader
// fail with ErrKeyDestroyed for everything sealed for the account, and Seal
// refuses new data. It is idempotent and also marks accounts that never had
// a key, so none is created for them later.
func (k *Keyring) Destroy(ctx context.Context, accountID int64) error {
	k.forget(accountID)
	// Forget again afterwards: a Seal running meanwhile may have cached
	// the key it read before the update.
	defer k.forget(accountID)
	conn, err := k.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("keys: destroy account %d: %w", accountID, err)
	}
	defer conn.Close()
	if k.db.Dialect == store.SQLite {
		// Zero the freed bytes instead of leaving the old wrapped key in
		// a free page of the file.
		if _, err := conn.ExecContext(ctx, "PRAGMA secure_delete = ON"); err != nil {
			return fmt.Errorf("keys: destroy account %d: %w", accountID, err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "PRAGMA secure_delete = OFF")
	}
	_, err = conn.ExecContext(ctx, `INSERT INTO account_keys (account_id, key_id, wrapped, created_at, destroyed_at)
		VALUES ($1, '', $2, $3, $3)
		ON CONFLICT (account_id) DO UPDATE SET key_id = '', wrapped = excluded.wrapped, destroyed_at = excluded.destroyed_at`,
		accountID, []byte{}, store.Micros(k.clock.Now()))
	if err != nil {
		return fmt.Errorf("keys: destroy account %d: %w", accountID, err)
	}
	if k.db.Dialect == store.SQLite {
		// Best effort: move the page out of the WAL into the zeroed file.
		conn.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	return nil
}

// Rewrap wraps every live data key not yet under the current master key
// with it, and returns how many it rewrapped. After a rotation, run it and
// then retire the old master key for good.
func (k *Keyring) Rewrap(ctx context.Context) (int, error) {
	rows, err := k.db.QueryContext(ctx, `SELECT account_id, key_id, wrapped FROM account_keys
		WHERE destroyed_at = 0 AND key_id <> $1`, k.kekID)
	if err != nil {
		return 0, fmt.Errorf("keys: rewrap: %w", err)
	}
	type old struct {
		account int64
		kekID   string
		wrapped []byte
	}
	var todo []old
	for rows.Next() {
		var o old
		if err := rows.Scan(&o.account, &o.kekID, &o.wrapped); err != nil {
			rows.Close()
			return 0, fmt.Errorf("keys: rewrap: %w", err)
		}
		todo = append(todo, o)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("keys: rewrap: %w", err)
	}
	n := 0
	for _, o := range todo {
		dek, err := k.unwrap(o.account, o.kekID, o.wrapped)
		if err != nil {
			return n, fmt.Errorf("keys: rewrap: %w", err)
		}
		// The key_id condition skips a row destroyed or rewrapped meanwhile.
		res, err := k.db.ExecContext(ctx, `UPDATE account_keys SET key_id = $1, wrapped = $2
			WHERE account_id = $3 AND key_id = $4 AND destroyed_at = 0`,
			k.kekID, k.wrap(o.account, dek), o.account, o.kekID)
		clear(dek)
		if err != nil {
			return n, fmt.Errorf("keys: rewrap account %d: %w", o.account, err)
		}
		if c, _ := res.RowsAffected(); c == 1 {
			n++
		}
	}
	return n, nil
}
