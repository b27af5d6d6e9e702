// Package blobs stores content (uploaded documents, fax pages, PDFs) by key.
//
// Store is the interface the service uses; Disk keeps blobs as files under
// a root directory. A Put that returned is durable, and a crash during a Put
// never leaves a partial blob under the key: the content goes to a
// temporary file that is synced and then renamed into place. Blobs are
// opaque bytes here; per-account encryption lives in internal/keys.
package blobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// ErrNotFound is returned when no blob has the key.
var ErrNotFound = errors.New("blobs: not found")

// ErrInvalidKey is returned for keys that could escape the store or clash
// with its temporary files.
var ErrInvalidKey = errors.New("blobs: invalid key")

// Store holds blobs by key. Keys are slash-separated paths of letters,
// digits, '-', '_' and '.', such as "fax/1234/page-1.tiff".
type Store interface {
	// Put stores everything r yields under key, replacing any blob there,
	// and returns the number of bytes stored. When Put returns nil the
	// blob is durable; when it fails, the previous blob (if any) is intact.
	Put(ctx context.Context, key string, r io.Reader) (size int64, err error)
	// Get opens the blob under key; the caller closes it. A missing blob
	// gives ErrNotFound.
	Get(ctx context.Context, key string) (io.ReadCloser, error)
	// Delete removes the blob under key. Deleting a missing blob is not an
	// error, so a retried deletion succeeds.
	Delete(ctx context.Context, key string) error
	// Exists reports whether a blob is stored under key.
	Exists(ctx context.Context, key string) (bool, error)
}

// Config chooses where blobs live.
type Config struct {
	// Dir is the root directory of the disk store. Default "data/blobs"
	// relative to the working directory.
	Dir string
}

// DefaultDir is the disk store's root when none is configured.
const DefaultDir = "data/blobs"

// MaxKeyLen bounds key length so the file path stays within system limits.
const MaxKeyLen = 512

// Disk is a Store on the local file system.
type Disk struct {
	root string
}

var _ Store = (*Disk)(nil)

// Open returns the disk store configured by cfg, creating its root
// directory (mode 0700) if missing.
func Open(cfg Config) (*Disk, error) {
	dir := cfg.Dir
	if dir == "" {
		dir = DefaultDir
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("blobs: create root: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("blobs: root: %w", err)
	}
	return &Disk{root: abs}, nil
}

// ValidateKey reports whether key is acceptable to every Store: non-empty,
// at most MaxKeyLen bytes, slash-separated segments of [A-Za-z0-9._-] that
// are neither empty nor start with a dot (so no "..", no hidden files).
func ValidateKey(key string) error {
	if key == "" {
		return fmt.Errorf("%w: empty", ErrInvalidKey)
	}
	if len(key) > MaxKeyLen {
		return fmt.Errorf("%w: %d bytes long, at most %d allowed", ErrInvalidKey, len(key), MaxKeyLen)
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" {
			return fmt.Errorf("%w: %q has an empty path segment (leading, trailing or double slash)", ErrInvalidKey, key)
		}
		if seg[0] == '.' {
			return fmt.Errorf("%w: %q has a segment starting with '.'", ErrInvalidKey, key)
		}
		for _, c := range seg {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.') {
				return fmt.Errorf("%w: %q contains %q; use letters, digits, '-', '_', '.' and '/'", ErrInvalidKey, key, c)
			}
		}
	}
	return nil
}

// path maps a key to its file. Two levels of directories taken from a hash
// of the key spread blobs so that no directory grows huge.
func (d *Disk) path(key string) (string, error) {
	if err := ValidateKey(key); err != nil {
		return "", err
	}
	h := sha256.Sum256([]byte(key))
	x := hex.EncodeToString(h[:2])
	return filepath.Join(d.root, x[:2], x[2:4], filepath.FromSlash(key)), nil
}

// Put implements Store.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	p, err := d.path(key)
	if err != nil {
		return 0, err
	}
	dir := filepath.Dir(p)
	if err := d.mkdirs(dir); err != nil {
		return 0, fmt.Errorf("blobs: put %s: %w", key, err)
	}
	// The temporary name starts with a dot, which no key segment may, so
	// it can never be mistaken for a blob.
	f, err := os.CreateTemp(dir, ".put-*")
	if err != nil {
		return 0, fmt.Errorf("blobs: put %s: %w", key, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	n, err := io.Copy(f, ctxReader{ctx, r})
	if err != nil {
		return 0, fmt.Errorf("blobs: put %s: after %d bytes: %w", key, n, err)
	}
	if err := f.Sync(); err != nil {
		return 0, fmt.Errorf("blobs: put %s: sync: %w", key, err)
	}
	if err := f.Close(); err != nil {
		return 0, fmt.Errorf("blobs: put %s: %w", key, err)
	}
	if err := os.Rename(tmp, p); err != nil {
		return 0, fmt.Errorf("blobs: put %s: %w", key, err)
	}
	ok = true
	// The rename is durable only once the directory entry is.
	if err := syncDir(dir); err != nil {
		return 0, fmt.Errorf("blobs: put %s: %w", key, err)
	}
	return n, nil
}

// mkdirs creates dir and any missing parents below the root, syncing each
// parent so the new entries survive a crash.
func (d *Disk) mkdirs(dir string) error {
	if _, err := os.Stat(dir); err == nil {
		return nil
	}
	var missing []string
	for p := dir; p != d.root && len(p) > len(d.root); p = filepath.Dir(p) {
		if _, err := os.Stat(p); err == nil {
			break
		}
		missing = append(missing, p)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	for _, p := range missing {
		if err := syncDir(filepath.Dir(p)); err != nil {
			return err
		}
	}
	return nil
}

// Get implements Store.
func (d *Disk) Get(ctx context.Context, key string) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("blobs: get %s: %w", key, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("blobs: get %s: %w", key, err)
	}
	return f, nil
}

// Delete implements Store.
func (d *Disk) Delete(ctx context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	err = os.Remove(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blobs: delete %s: %w", key, err)
	}
	if err := syncDir(filepath.Dir(p)); err != nil {
		return fmt.Errorf("blobs: delete %s: %w", key, err)
	}
	return nil
}

// Exists implements Store.
func (d *Disk) Exists(ctx context.Context, key string) (bool, error) {
	p, err := d.path(key)
	if err != nil {
		return false, err
	}
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("blobs: stat %s: %w", key, err)
	}
	return fi.Mode().IsRegular(), nil
}

// SweepTemp removes temporary files that Puts interrupted by a crash left
// behind and that are older than olderThan, and returns how many it
// removed. Run it at start-up, or now and then; a Put still in progress is
// younger than any sensible olderThan (an hour, say) and is left alone.
func (d *Disk) SweepTemp(ctx context.Context, olderThan time.Duration) (int, error) {
	cutoff := time.Now().Add(-olderThan)
	n := 0
	err := filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil // removed meanwhile
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() || !strings.HasPrefix(e.Name(), ".put-") {
			return nil
		}
		fi, err := e.Info()
		if err != nil || fi.ModTime().After(cutoff) {
			return nil
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		n++
		return nil
	})
	if err != nil {
		return n, fmt.Errorf("blobs: sweep temporary files: %w", err)
	}
	return n, nil
}

func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync directory: %w", err)
	}
	return nil
}

// ctxReader stops a long copy once the context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read fails once the context is done.
func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
