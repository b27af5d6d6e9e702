package mailin

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"net"
	"strings"
	"testing"

	"crypto/rand"
)

// dkimRecord is the TXT record publishing key's public half.
func dkimRecord(t testing.TB, key *rsa.PrivateKey) string {
	der, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	return "v=DKIM1; k=rsa; p=" + base64.StdEncoding.EncodeToString(der)
}

var testKey = func() *rsa.PrivateKey {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		panic(err)
	}
	return k
}()

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	dns := newDNS()
	dns.set("s1._domainkey.example.org", dkimRecord(t, testKey))
	dns.set("s1._domainkey.mail.example.org", dkimRecord(t, testKey))
	dns.set("s1._domainkey.other.net", dkimRecord(t, testKey))
	dns.set("example.org", "v=spf1 ip4:192.0.2.10 -all")
	dns.set("bounce.example.org", "v=spf1 ip4:192.0.2.10 -all")
	dns.set("other.net", "v=spf1 ip4:192.0.2.10 -all")
	dns.set("strict.example", "v=spf1 ip4:192.0.2.10 -all")
	dns.set("sub.strict.example", "v=spf1 ip4:192.0.2.10 -all")
	dns.set("_dmarc.strict.example", "v=DMARC1; p=reject; aspf=s; adkim=s")

	good := net.ParseIP("192.0.2.10")
	bad := net.ParseIP("198.51.100.7")
	msg := fixture(t, "gmail.eml", "31201234567@fax.example.net") // From alice@example.org
	signed := sign(t, msg, "example.org", testKey)
	altered := bytes.Replace(signed, []byte("Please find the invoice"), []byte("Please find the invoize"), 1)
	subSigned := sign(t, msg, "mail.example.org", testKey)
	otherSigned := sign(t, msg, "other.net", testKey)

	tests := []struct {
		name     string
		env      Envelope
		from     string
		raw      []byte
		pass     bool
		problem  string
		wantDKIM string
	}{
		{"DKIM aligned", Envelope{IP: bad, Helo: "mx.example.org", MailFrom: "alice@example.org"}, "alice@example.org", signed, true, "", "example.org"},
		{"DKIM altered after signing", Envelope{IP: bad, Helo: "mx", MailFrom: "alice@example.org"}, "alice@example.org", altered, false, "did not verify", ""},
		{"DKIM of a subdomain aligns relaxed", Envelope{IP: bad, Helo: "mx", MailFrom: "alice@example.org"}, "alice@example.org", subSigned, true, "", "mail.example.org"},
		{"DKIM of another domain", Envelope{IP: bad, Helo: "mx", MailFrom: "alice@example.org"}, "alice@example.org", otherSigned, false, "neither", "other.net"},
		{"SPF aligned", Envelope{IP: good, Helo: "mx", MailFrom: "alice@example.org"}, "alice@example.org", msg, true, "", ""},
		{"SPF of a bounce subdomain aligns relaxed", Envelope{IP: good, Helo: "mx", MailFrom: "b@bounce.example.org"}, "alice@example.org", msg, true, "", ""},
		{"SPF fails, unsigned", Envelope{IP: bad, Helo: "mx", MailFrom: "alice@example.org"}, "alice@example.org", msg, false, "not DKIM-signed", ""},
		{"SPF passes for another domain", Envelope{IP: good, Helo: "mx", MailFrom: "x@other.net"}, "alice@example.org", msg, false, "neither", ""},
		{"strict DMARC refuses a subdomain", Envelope{IP: good, Helo: "mx", MailFrom: "x@sub.strict.example"}, "a@strict.example", msg, false, "neither", ""},
		{"strict DMARC takes the domain itself", Envelope{IP: good, Helo: "mx", MailFrom: "x@strict.example"}, "a@strict.example", msg, true, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := Authenticate(ctx, dns, tt.env, tt.from, tt.raw)
			if err != nil {
				t.Fatal(err)
			}
			if a.Pass != tt.pass {
				t.Fatalf("pass %v, want %v (SPF %s, DKIM %v, problem %q)", a.Pass, tt.pass, a.SPF, a.DKIM, a.Problem)
			}
			if !strings.Contains(a.Problem, tt.problem) || (tt.pass && a.Problem != "") {
				t.Errorf("problem %q, want one saying %q", a.Problem, tt.problem)
			}
			if tt.wantDKIM != "" && (len(a.DKIM) != 1 || a.DKIM[0] != tt.wantDKIM) {
				t.Errorf("DKIM domains %v, want %s", a.DKIM, tt.wantDKIM)
			}
		})
	}
}

func TestAuthenticateDNSTrouble(t *testing.T) {
	dns := newDNS()
	dns.fail = true
	msg := sign(t, fixture(t, "plain.eml", "1@x.org"), "example.org", testKey)
	_, err := Authenticate(context.Background(), dns, Envelope{IP: net.ParseIP("192.0.2.1"), Helo: "mx", MailFrom: "alice@example.org"}, "alice@example.org", msg)
	if err == nil {
		t.Fatal("a DNS failure passed as an answer; the client should be asked to retry")
	}
}

func TestAuthenticateEd25519(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	dns := newDNS()
	dns.set("s1._domainkey.example.org", "v=DKIM1; k=ed25519; p="+base64.StdEncoding.EncodeToString(pub))
	msg := sign(t, fixture(t, "plain.eml", "1@x.org"), "example.org", priv)
	a, err := Authenticate(context.Background(), dns, Envelope{IP: net.ParseIP("198.51.100.1"), Helo: "mx"}, "alice@example.org", msg)
	if err != nil || !a.Pass {
		t.Fatalf("ed25519-signed message: %+v, %v", a, err)
	}
}
