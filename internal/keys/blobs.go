package keys

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/faxhaven/faxhaven/internal/blobs"
)

// Blobs is a blob store whose content is sealed with the owning account's
// data key. The blob key is part of the additional data, so a sealed blob
// moved or copied under another key (or to another account) fails to open.
//
// Write blobs before committing the rows that point at them, outside any
// transaction: a crash in between leaves an unreferenced blob, never a row
// pointing at nothing.
type Blobs struct {
	Store blobs.Store // where the sealed bytes go
	Keys  *Keyring    // whose account keys seal them
}

func blobAAD(key string) []byte { return []byte("faxhaven blob\x00" + key) }

// Put seals everything r yields for the account and stores it under key.
// It returns the plaintext size.
func (b Blobs) Put(ctx context.Context, accountID int64, key string, r io.Reader) (int64, error) {
	if err := blobs.ValidateKey(key); err != nil {
		return 0, err
	}
	pr, pw := io.Pipe()
	var size int64
	go func() {
		sw, err := b.Keys.SealWriter(ctx, accountID, pw, blobAAD(key))
		if err == nil {
			size, err = io.Copy(sw, r)
			if err == nil {
				err = sw.Close()
			}
		}
		pw.CloseWithError(err)
	}()
	_, err := b.Store.Put(ctx, key, pr)
	pr.CloseWithError(errors.New("keys: blob store stopped reading")) // frees the sealer if Put gave up
	if err != nil {
		return 0, fmt.Errorf("keys: put blob for account %d: %w", accountID, err)
	}
	return size, nil
}

// Get opens the blob under key and returns a reader of its plaintext. See
// OpenReader: read to io.EOF before trusting the content.
func (b Blobs) Get(ctx context.Context, accountID int64, key string) (io.ReadCloser, error) {
	rc, err := b.Store.Get(ctx, key)
	if err != nil {
		return nil, err
	}
	r, err := b.Keys.OpenReader(ctx, accountID, rc, blobAAD(key))
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("keys: get blob %s: %w", key, err)
	}
	return readCloser{r, rc}, nil
}

// Delete removes the blob under key.
func (b Blobs) Delete(ctx context.Context, key string) error { return b.Store.Delete(ctx, key) }

// readCloser reads plaintext and closes the sealed blob under it.
type readCloser struct {
	io.Reader
	io.Closer
}
