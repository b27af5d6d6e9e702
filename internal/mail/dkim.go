package mail

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"github.com/faxhaven/faxhaven/internal/store"
)

// DKIMKey signs one domain's mail (RFC 6376).
type DKIMKey struct {
	// Domain is the signing domain (d=), the domain of the From address.
	Domain string
	// Selector names the key in DNS (s=).
	Selector string
	// Signer is the private key: *rsa.PrivateKey or ed25519.PrivateKey.
	Signer crypto.Signer
}

// DNSRecord returns the TXT record that publishes the key: its name and
// its value, as an administrator enters them in the domain's zone.
func (k *DKIMKey) DNSRecord() (name, value string, err error) {
	der, err := x509.MarshalPKIXPublicKey(k.Signer.Public())
	if err != nil {
		return "", "", fmt.Errorf("mail: DKIM public key of %s: %w", k.Domain, err)
	}
	kind := "rsa"
	if _, ok := k.Signer.(*rsa.PrivateKey); !ok {
		kind = "ed25519"
		der = der[len(der)-32:] // ed25519 records carry the raw key (RFC 8463)
	}
	return k.Selector + "._domainkey." + k.Domain, "v=DKIM1; k=" + kind + "; p=" + base64.StdEncoding.EncodeToString(der), nil
}

// signedHeaders are the fields a signature covers: what a reader sees and
// what RFC 8058 requires for one-click unsubscribe. From is listed twice
// so that a second From added in transit breaks the signature.
var signedHeaders = []string{
	"From", "From", "To", "Cc", "Subject", "Date", "Message-ID", "Reply-To", "MIME-Version",
	"Content-Type", "Content-Transfer-Encoding", "Auto-Submitted", "List-Unsubscribe", "List-Unsubscribe-Post",
}

// Sign returns raw with a DKIM-Signature field in front, made with k.
// Relaxed canonicalization survives the whitespace changes relays make.
func (k *DKIMKey) Sign(raw []byte) ([]byte, error) {
	var out bytes.Buffer
	err := dkim.Sign(&out, bytes.NewReader(raw), &dkim.SignOptions{
		Domain: k.Domain, Selector: k.Selector, Signer: k.Signer, Hash: crypto.SHA256,
		HeaderCanonicalization: dkim.CanonicalizationRelaxed, BodyCanonicalization: dkim.CanonicalizationRelaxed,
		HeaderKeys: signedHeaders,
	})
	if err != nil {
		return nil, fmt.Errorf("mail: DKIM sign for %s: %w", k.Domain, err)
	}
	return out.Bytes(), nil
}

// DKIMSelector is the selector of the keys DKIMKeys makes.
const DKIMSelector = "faxhaven1"

// DKIMKeys makes one RSA-2048 key per signing domain on first use and
// keeps it in the database's secrets table, which every node shares. A
// brand's key is its MailFrom domain's key.
type DKIMKeys struct {
	mu    sync.Mutex
	cache map[string]*DKIMKey
}

// Key returns the key of domain, creating it when there is none yet. q is
// the database or the caller's transaction (a separate write while the
// caller holds SQLite's write lock would wait on it forever).
func (d *DKIMKeys) Key(ctx context.Context, q store.Querier, domain string) (*DKIMKey, error) {
	domain = strings.ToLower(domain)
	d.mu.Lock()
	defer d.mu.Unlock()
	if k := d.cache[domain]; k != nil {
		return k, nil
	}
	name := "dkim:" + domain + ":" + DKIMSelector
	var der []byte
	err := q.QueryRowContext(ctx, "SELECT value FROM secrets WHERE name = $1", name).Scan(&der)
	if err != nil {
		priv, gerr := rsa.GenerateKey(rand.Reader, 2048)
		if gerr != nil {
			return nil, fmt.Errorf("mail: DKIM key for %s: %w", domain, gerr)
		}
		fresh, _ := x509.MarshalPKCS8PrivateKey(priv)
		// Another node may make one at the same moment; the first stays.
		if _, err := q.ExecContext(ctx, "INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
			name, fresh, store.Micros(time.Now())); err != nil {
			return nil, fmt.Errorf("mail: store DKIM key for %s: %w", domain, err)
		}
		if err := q.QueryRowContext(ctx, "SELECT value FROM secrets WHERE name = $1", name).Scan(&der); err != nil {
			return nil, fmt.Errorf("mail: DKIM key for %s: %w", domain, err)
		}
	}
	pk, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, fmt.Errorf("mail: DKIM key for %s is damaged: %w", domain, err)
	}
	signer, ok := pk.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("mail: DKIM key for %s is a %T, not a signing key", domain, pk)
	}
	k := &DKIMKey{Domain: domain, Selector: DKIMSelector, Signer: signer}
	if d.cache == nil {
		d.cache = map[string]*DKIMKey{}
	}
	d.cache[domain] = k
	return k, nil
}
