package mailin_test

import (
	"context"
	"net"
	"testing"

	"github.com/faxhaven/faxhaven/internal/mailin"
	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// BenchmarkDeliver measures the DATA step of email to fax without the
// SMTP conversation: parse, sender checks (SPF against the test
// resolver) and the sealed, committed message with its job. bench/smtp
// measures the whole server against Postfix.
func BenchmarkDeliver(b *testing.B) {
	for _, db := range []string{"sqlite", "postgres"} {
		b.Run(db, func(b *testing.B) {
			var url string
			if db == "sqlite" {
				url = storetest.SQLiteURL(b)
			} else {
				url = storetest.PostgresURL(b)
			}
			r := startRigWith(b, &rig{noJobs: true, extra: []string{"--database-url", url, "--email-fax-per-hour", "1000000000"}}, 0)
			r.dns.Set("example.org", "v=spf1 ip4:127.0.0.1 -all")
			srv := mailin.NewServer(mailin.Config{Resolver: r.dns}, mailin.BrandDomains{Brands: r.svc.Brands}, r.svc.Faxes, nil)
			raw := mailin.Fixture(b, "plain.eml", r.to())
			env := mailin.Envelope{IP: net.ParseIP("127.0.0.1"), Helo: "mx.example.org", MailFrom: "alice@example.org"}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := srv.Deliver(context.Background(), env, 1, []string{r.number}, raw); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
