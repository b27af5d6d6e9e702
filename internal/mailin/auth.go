package mailin

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"blitiri.com.ar/go/spf"
	"github.com/emersion/go-msgauth/dkim"
	"github.com/emersion/go-msgauth/dmarc"
	"golang.org/x/net/publicsuffix"
)

// Resolver is the DNS the sender checks use. *net.Resolver is one; tests
// give their own so they control every answer.
type Resolver interface {
	LookupTXT(ctx context.Context, name string) ([]string, error)
	LookupMX(ctx context.Context, name string) ([]*net.MX, error)
	LookupIPAddr(ctx context.Context, host string) ([]net.IPAddr, error)
	LookupAddr(ctx context.Context, addr string) ([]string, error)
}

// Auth is the outcome of checking who sent a message.
type Auth struct {
	// Pass reports a DMARC pass: SPF or DKIM passed for a domain aligned
	// with the From domain.
	Pass bool
	// SPF is the SPF result for the envelope sender ("pass", "fail", ...).
	SPF string
	// DKIM lists the domains whose signatures verified.
	DKIM []string
	// Problem says, in plain words, why the message did not pass.
	Problem string
}

// Envelope is what the SMTP conversation says of a message.
type Envelope struct {
	IP       net.IP // the client's address
	Helo     string // the name it gave in HELO/EHLO
	MailFrom string // the envelope sender; "" for a null sender
}

// Authenticate checks the message raw, whose From field names fromAddr,
// against DMARC (RFC 7489): it passes when SPF passes for the envelope
// sender's domain or a DKIM signature verifies for a domain, and that
// domain is aligned with the From domain (the same organizational domain,
// or the same domain when the From domain's DMARC record asks for strict
// alignment). Faxhaven demands this whatever policy the domain publishes:
// p=none does not let unauthenticated mail send faxes. A DNS failure is
// an error, so the server can ask the client to try again later.
func Authenticate(ctx context.Context, r Resolver, env Envelope, fromAddr string, raw []byte) (*Auth, error) {
	at := strings.LastIndexByte(fromAddr, '@')
	if at < 0 {
		return &Auth{Problem: "the From address has no domain"}, nil
	}
	fromDomain := strings.ToLower(strings.TrimSuffix(fromAddr[at+1:], "."))
	a := &Auth{}

	// DMARC record of the From domain, else of its organizational domain,
	// for the alignment modes only.
	strictSPF, strictDKIM := false, false
	rec, err := lookupDMARC(ctx, r, fromDomain)
	if err != nil {
		return nil, err
	}
	if rec != nil {
		strictSPF = rec.SPFAlignment == dmarc.AlignmentStrict
		strictDKIM = rec.DKIMAlignment == dmarc.AlignmentStrict
	}

	// SPF checks the envelope sender's domain, or the HELO name for a
	// null sender (RFC 7208 section 2.4).
	spfDomain := strings.ToLower(env.Helo)
	if i := strings.LastIndexByte(env.MailFrom, '@'); i >= 0 {
		spfDomain = strings.ToLower(env.MailFrom[i+1:])
	}
	sender := env.MailFrom
	if sender == "" {
		sender = "postmaster@" + env.Helo
	}
	res, spfErr := spf.CheckHostWithSender(env.IP, env.Helo, sender, spf.WithResolver(r), spf.WithContext(ctx))
	a.SPF = string(res)
	if res == spf.TempError {
		return nil, fmt.Errorf("mailin: SPF of %s: %w", spfDomain, errors.Join(errTemporary, spfErr))
	}
	spfAligned := res == spf.Pass && aligned(spfDomain, fromDomain, strictSPF)

	verifs, err := dkim.VerifyWithOptions(bytes.NewReader(raw), &dkim.VerifyOptions{
		LookupTXT:        func(name string) ([]string, error) { return r.LookupTXT(ctx, name) },
		MaxVerifications: 5,
	})
	if err != nil && !errors.Is(err, dkim.ErrTooManySignatures) {
		return nil, fmt.Errorf("mailin: DKIM: %w", err)
	}
	dkimAligned, dkimTemp := false, false
	for _, v := range verifs {
		if v.Err != nil {
			dkimTemp = dkimTemp || dkim.IsTempFail(v.Err)
			continue
		}
		a.DKIM = append(a.DKIM, v.Domain)
		if aligned(strings.ToLower(v.Domain), fromDomain, strictDKIM) {
			dkimAligned = true
		}
	}
	a.Pass = spfAligned || dkimAligned
	switch {
	case a.Pass:
	case dkimTemp:
		return nil, fmt.Errorf("mailin: DKIM key of the sender's domain: %w", errTemporary)
	case len(verifs) == 0 && res != spf.Pass:
		a.Problem = fmt.Sprintf("the message is not DKIM-signed and SPF gave %q for %s", res, spfDomain)
	case len(a.DKIM) == 0 && res != spf.Pass:
		a.Problem = fmt.Sprintf("its DKIM signature did not verify and SPF gave %q for %s", res, spfDomain)
	default:
		a.Problem = fmt.Sprintf("neither SPF (%s, %q) nor DKIM (%s) vouches for the From domain %s",
			spfDomain, res, strings.Join(a.DKIM, ", "), fromDomain)
	}
	return a, nil
}

// errTemporary marks DNS trouble: the client should try again later.
var errTemporary = errors.New("temporary DNS failure")

func lookupDMARC(ctx context.Context, r Resolver, domain string) (*dmarc.Record, error) {
	opts := &dmarc.LookupOptions{LookupTXT: func(name string) ([]string, error) { return r.LookupTXT(ctx, name) }}
	for _, d := range []string{domain, orgDomain(domain)} {
		rec, err := dmarc.LookupWithOptions(d, opts)
		switch {
		case err == nil:
			return rec, nil
		case dmarc.IsTempFail(err):
			return nil, fmt.Errorf("mailin: DMARC record of %s: %w", d, errTemporary)
		}
		if d == orgDomain(domain) {
			break
		}
	}
	return nil, nil // no record or an unreadable one: relaxed alignment
}

// aligned reports DMARC identifier alignment of domain with the From
// domain.
func aligned(domain, from string, strict bool) bool {
	if strict {
		return domain == from
	}
	return orgDomain(domain) == orgDomain(from)
}

// orgDomain is a domain's organizational domain: one label below its
// public suffix.
func orgDomain(d string) string {
	org, err := publicsuffix.EffectiveTLDPlusOne(d)
	if err != nil {
		return d
	}
	return org
}
