package privacy

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
)

// unsubscribable are the purposes a one-click link can switch off (O3),
// by their index in the token.
var unsubscribable = []string{PurposeMarketing, PurposeNewsletters, PurposePartnerOffers}

// ErrBadUnsubscribe means the unsubscribe link is damaged or forged.
var ErrBadUnsubscribe = errors.New("privacy: this unsubscribe link is not valid; change your choices in your privacy centre instead")

// UnsubscribeToken makes the secret of a one-click unsubscribe link (O3)
// for one account and purpose. It needs no storage: it carries the
// account and purpose and a keyed MAC over both, so it cannot be guessed
// for another account.
func (s *Service) UnsubscribeToken(accountID int64, purpose string) (string, error) {
	for i, p := range unsubscribable {
		if p == purpose {
			b := make([]byte, 9, 9+16)
			binary.BigEndian.PutUint64(b, uint64(accountID))
			b[8] = byte(i)
			return base64.RawURLEncoding.EncodeToString(append(b, s.unsubMAC(b)...)), nil
		}
	}
	return "", fmt.Errorf("privacy: %q cannot be unsubscribed from by link", purpose)
}

func (s *Service) unsubMAC(b []byte) []byte {
	m := hmac.New(sha256.New, s.Secret)
	m.Write([]byte("unsubscribe:"))
	m.Write(b)
	return m.Sum(nil)[:16]
}

// Unsubscribe switches off what a one-click link names and records it in
// the consent ledger. Following a link twice is harmless.
func (s *Service) Unsubscribe(ctx context.Context, token string) (purpose string, err error) {
	raw, err := base64.RawURLEncoding.Strict().DecodeString(token)
	if err != nil || len(raw) != 9+16 || int(raw[8]) >= len(unsubscribable) || !hmac.Equal(raw[9:], s.unsubMAC(raw[:9])) {
		return "", ErrBadUnsubscribe
	}
	accountID := int64(binary.BigEndian.Uint64(raw[:8]))
	purpose = unsubscribable[raw[8]]
	if purpose == PurposeMarketing {
		return purpose, s.SetMarketing(ctx, accountID, false, MethodUnsubscribe)
	}
	c, err := s.ChoicesOf(ctx, accountID)
	if err != nil {
		return "", err
	}
	if purpose == PurposeNewsletters {
		c.Newsletters = false
	} else {
		c.PartnerOffers = false
	}
	return purpose, s.SetChoices(ctx, accountID, c, MethodUnsubscribe)
}
