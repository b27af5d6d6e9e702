// Command server runs Faxhaven's email-to-fax SMTP server for the
// benchmark: a whole service on SQLite (or the given database) with one
// account that may send from bench@example.org, and a resolver that
// answers the sender checks locally (SPF passes for 127.0.0.1), so no
// real DNS is needed. The job queue does not run: the benchmark measures
// accepting messages (parse, sender checks, sealed durable commit of the
// message and its job), not rendering faxes.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/config"
	"github.com/faxhaven/faxhaven/internal/mailin"
	"github.com/faxhaven/faxhaven/internal/service"
	"github.com/faxhaven/faxhaven/internal/store"
)

// localDNS publishes one SPF record; every other name does not exist.
type localDNS struct{}

func (localDNS) LookupTXT(_ context.Context, name string) ([]string, error) {
	if strings.TrimSuffix(name, ".") == "example.org" {
		return []string{"v=spf1 ip4:127.0.0.1 -all"}, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (localDNS) LookupMX(_ context.Context, name string) ([]*net.MX, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (localDNS) LookupIPAddr(_ context.Context, name string) ([]net.IPAddr, error) {
	return nil, &net.DNSError{Err: "no such host", Name: name, IsNotFound: true}
}

func (localDNS) LookupAddr(_ context.Context, addr string) ([]string, error) {
	return nil, &net.DNSError{Err: "no such host", Name: addr, IsNotFound: true}
}

func main() {
	listen := flag.String("listen", "127.0.0.1:2527", "SMTP address")
	dir := flag.String("data-dir", "", "data directory (required)")
	dbURL := flag.String("database-url", "", "database URL (default SQLite in the data directory)")
	flag.Parse()
	if err := run(*listen, *dir, *dbURL); err != nil {
		fmt.Fprintln(os.Stderr, "bench server:", err)
		os.Exit(1)
	}
}

func run(listen, dir, dbURL string) error {
	if dir == "" {
		return fmt.Errorf("set -data-dir")
	}
	args := []string{"--data-dir", dir, "--smtp-listen", "", "--fax-domain", "fax.bench.test", "--email-fax-per-hour", "1000000000", "--dkim=false"}
	ctx0 := context.Background()
	if strings.HasPrefix(dbURL, "postgres") {
		// A schema of its own, dropped afterwards, so that runs do not
		// meet each other's accounts or jobs.
		admin, err := store.Open(ctx0, dbURL)
		if err != nil {
			return err
		}
		defer admin.Close()
		var b [6]byte
		rand.Read(b[:])
		schema := "bench_" + hex.EncodeToString(b[:])
		if _, err := admin.ExecContext(ctx0, "CREATE SCHEMA "+schema); err != nil {
			return err
		}
		defer admin.ExecContext(ctx0, "DROP SCHEMA "+schema+" CASCADE")
		u, err := url.Parse(dbURL)
		if err != nil {
			return err
		}
		q := u.Query()
		q.Set("search_path", schema)
		u.RawQuery = q.Encode()
		dbURL = u.String()
	}
	if dbURL != "" {
		args = append(args, "--database-url", dbURL)
	}
	cfg, err := config.Load("serve", args, func(string) string { return "" }, io.Discard)
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	svc, err := service.New(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer svc.Close()
	b, err := svc.Brands.BySlug(ctx, brands.DefaultSlug)
	if err != nil {
		return err
	}
	pol, err := svc.Brands.CurrentPolicy(ctx, b.ID)
	if err != nil {
		return err
	}
	no := false
	a, err := svc.Accounts.Register(ctx, accounts.Registration{BrandID: b.ID, Name: "Bench", Email: "bench-owner@example.org",
		Password: "a long enough passphrase 42", Marketing: &no, AcceptPolicy: true, PolicyVersion: pol.Version, Language: "en"})
	if err != nil {
		return err
	}
	if err := svc.DB.Tx(ctx, func(tx *sql.Tx) error {
		_, err := svc.Numbers.AssignTx(ctx, tx, b.ID, a.ID)
		return err
	}); err != nil {
		return err
	}
	if err := svc.Faxes.AddSender(ctx, a.ID, "bench@example.org"); err != nil {
		return err
	}
	srv := mailin.NewServer(mailin.Config{Resolver: localDNS{}}, mailin.BrandDomains{Brands: svc.Brands}, svc.Faxes, nil)
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	go func() {
		<-ctx.Done()
		srv.Shutdown(context.Background())
	}()
	err = srv.Serve(ln)
	var n int
	svc.DB.QueryRowContext(ctx0, "SELECT COUNT(*) FROM email_inbound").Scan(&n)
	fmt.Println("accepted", n)
	return err
}
