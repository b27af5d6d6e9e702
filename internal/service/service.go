// Package service assembles Faxhaven from its parts: it opens the database
// and the blob store, builds the domain services, registers the job
// workers, and serves the portal. "faxhaven serve" runs one; tests start
// whole services the same way.
package service

import (
	"context"
	"crypto/tls"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/faxhaven/faxhaven/fax/render"
	"github.com/faxhaven/faxhaven/internal/accounts"
	"github.com/faxhaven/faxhaven/internal/blobs"
	"github.com/faxhaven/faxhaven/internal/brands"
	"github.com/faxhaven/faxhaven/internal/carrier"
	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/config"
	"github.com/faxhaven/faxhaven/internal/faxes"
	"github.com/faxhaven/faxhaven/internal/jobs"
	"github.com/faxhaven/faxhaven/internal/keys"
	mailout "github.com/faxhaven/faxhaven/internal/mail"
	"github.com/faxhaven/faxhaven/internal/mailin"
	"github.com/faxhaven/faxhaven/internal/numbers"
	"github.com/faxhaven/faxhaven/internal/privacy"
	"github.com/faxhaven/faxhaven/internal/sip"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
	"github.com/faxhaven/faxhaven/internal/web"
)

// Service is one running Faxhaven node.
type Service struct {
	Config *config.Config
	Logger *slog.Logger
	Clock  clock.Clock

	DB       *store.DB
	Queue    *jobs.Queue
	Keys     *keys.Keyring
	Blobs    blobs.Store
	Mail     *Mail
	Brands   *brands.Service
	Numbers  *numbers.Service
	Accounts *accounts.Service
	Staff    *staff.Service
	Faxes    *faxes.Service
	Web      *web.Server
	SIP      *sip.UA           // SIP trunks; nil without sip-config
	MailIn   *mailin.Server    // email to fax (issue 6)
	DKIM     *mailout.DKIMKeys // signing keys of outbound mail (issue 6)
	Privacy  *privacy.Service  // data registry, erasure, retention, legal cases (issue 7)

	defaultBrand *brands.Brand
}

// New builds a node from cfg: it opens and migrates the database, creates
// the default brand and its demo number pool when they are missing, and
// wires every part. It does not start serving; Run does.
func New(ctx context.Context, cfg *config.Config, logger *slog.Logger) (*Service, error) {
	s := &Service{Config: cfg, Logger: logger, Clock: clock.System{}}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return nil, err
	}
	s.DB = db
	ok := false
	defer func() {
		if !ok {
			db.Close()
		}
	}()
	if err := Migrate(ctx, db); err != nil {
		return nil, err
	}

	s.Keys, err = keys.New(db, keys.Config{MasterKeyFile: cfg.MasterKey, Clock: s.Clock})
	if err != nil {
		return nil, err
	}
	disk, err := blobs.Open(blobs.Config{Dir: cfg.BlobDir})
	if err != nil {
		return nil, err
	}
	// A Put cut short by a crash leaves a temporary file and nothing else.
	if _, err := disk.SweepTemp(ctx, time.Hour); err != nil {
		logger.Warn("blob store: temporary files left", "err", err)
	}
	s.Blobs = disk
	secret, err := db.Secret(ctx, "login-limits")
	if err != nil {
		return nil, err
	}
	bounceKey, err := db.Secret(ctx, "bounce-tags")
	if err != nil {
		return nil, err
	}

	s.Brands = &brands.Service{DB: db, Clock: s.Clock}
	if s.defaultBrand, err = s.Brands.EnsureDefault(ctx, cfg.BrandHost, cfg.FaxDomain); err != nil {
		return nil, err
	}
	s.Numbers = &numbers.Service{DB: db, Clock: s.Clock}
	if err := s.Numbers.AddPool(ctx, s.defaultBrand.ID, cfg.DemoNumbers, "loopback", cfg.DemoPoolSize); err != nil {
		return nil, err
	}

	if s.Queue, err = jobs.New(db, jobs.Config{
		RescueStuckJobsAfter: cfg.RescueAfter,
		// Every job must end (or be cancelled) before a node that sees it
		// still running may take it for dead.
		JobTimeout: cfg.RescueAfter * 2 / 3,
		Logger:     logger,
		Kinds: map[string]jobs.KindPolicy{
			faxes.SendJob{}.Kind(): {MaxAttempts: cfg.SendAttempts, Backoff: jobs.Backoff{Initial: cfg.SendRetryBackoff, Max: 8 * cfg.SendRetryBackoff}},
		},
		// Privacy (issue 7): retention runs hourly across the cluster.
		Periodic: []*river.PeriodicJob{privacy.RetentionPeriodic(time.Hour)},
	}); err != nil {
		return nil, err
	}
	s.DKIM = &mailout.DKIMKeys{} // email (issue 6): used by newMail when cfg.DKIM
	if s.Mail, err = newMail(s); err != nil {
		return nil, err
	}

	s.Accounts = &accounts.Service{
		DB: db, Brands: s.Brands, Clock: s.Clock, Mailer: accountMail{s.Mail}, Numbers: assigner{s.Numbers},
		Secret: secret, Link: s.link,
	}
	s.Staff = &staff.Service{DB: db, Clock: s.Clock, Sessions: s.Accounts.SessionStore(), Limiter: s.Accounts.LoginLimiter()}

	retryOn, err := retryPolicy(cfg.RetryOn)
	if err != nil {
		return nil, err
	}
	s.Faxes = &faxes.Service{
		DB: db, Clock: s.Clock, Content: keys.Blobs{Store: s.Blobs, Keys: s.Keys}, Queue: queue{s.Queue},
		Mail: faxMail{s.Mail}, Numbers: s.Numbers, Brands: s.Brands, Logger: logger,
		Render:    render.Options{CacheDir: filepath.Join(cfg.DataDir, "cache", "pdfium"), MaxPages: cfg.MaxPages},
		MaxUpload: int64(cfg.MaxUploadMB) << 20, MaxPages: cfg.MaxPages, SendAttempts: cfg.SendAttempts, RetryOn: retryOn, BounceKey: bounceKey,
	}
	s.Faxes.Carrier = &carrier.Loopback{Owns: s.ownsLoopback, Sink: s.Faxes, Clock: s.Clock}
	// SIP trunks (internal/sip, docs/sip.md), with sip-config: each trunk's
	// number block joins the pool, calls to those numbers land in the
	// inbox, and faxes to numbers the loopback does not route go out
	// through the trunks.
	if cfg.SIPConfig != "" {
		ua, file, err := sip.Open(cfg.SIPConfig, s.ownsSIP, s.Faxes, logger)
		if err != nil {
			return nil, err
		}
		for _, t := range file.Trunks {
			if t.Numbers.Count > 0 {
				if err := s.Numbers.AddPool(ctx, s.defaultBrand.ID, t.Numbers.Prefix, t.Name, t.Numbers.Count); err != nil {
					ua.Close()
					return nil, err
				}
			}
		}
		s.SIP = ua
		s.Faxes.Carrier = &sip.Split{Local: s.Faxes.Carrier, IsLocal: s.ownsLoopback, Trunks: ua}
	}
	if err := jobs.Register(s.Queue, river.Worker[faxes.SendJob](&faxes.SendWorker{Service: s.Faxes})); err != nil {
		return nil, err
	}
	// Email to fax (issue 6): accepted messages are sealed with the
	// account's key and turned into faxes by their own job.
	s.Faxes.Sealer, s.Faxes.EmailRateLimit = s.Keys, cfg.EmailFaxPerHour
	if err := jobs.Register(s.Queue, river.Worker[faxes.EmailFaxJob](&faxes.EmailFaxWorker{Service: s.Faxes})); err != nil {
		return nil, err
	}
	if s.MailIn, err = newMailIn(s); err != nil {
		return nil, err
	}
	if s.Privacy, err = newPrivacy(ctx, s); err != nil { // issue 7
		return nil, err
	}

	if s.Web, err = web.New(web.Deps{
		DB: db, Brands: s.Brands, Accounts: s.Accounts, Staff: s.Staff, Outbox: s.Mail, Faxes: s.Faxes, Privacy: s.Privacy,
		Clock: s.Clock, Logger: logger, TrustProxy: cfg.BehindTLS, MaxBodyBytes: int64(cfg.MaxUploadMB)<<20 + 2<<20,
	}); err != nil {
		return nil, err
	}
	ok = true
	return s, nil
}

// Migrate brings the service's schema and the job queue's up to date.
func Migrate(ctx context.Context, db *store.DB) error {
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	return jobs.Migrate(ctx, db)
}

// link makes an absolute portal URL for emails. The default brand lives at
// the configured base URL; other brands at their own host.
func (s *Service) link(b *brands.Brand, path string) string {
	if b == nil || b.ID == s.defaultBrand.ID {
		return s.Config.BaseURL + path
	}
	return "https://" + b.Host + path
}

// ownsLoopback reports whether the loopback carrier routes the number: a
// demo number some account holds.
func (s *Service) ownsLoopback(ctx context.Context, e164 string) (bool, error) {
	return s.assigned(ctx, e164, func(carrier string) bool { return carrier == "loopback" })
}

// ownsSIP reports whether a number a trunk calls belongs to an account.
func (s *Service) ownsSIP(ctx context.Context, e164 string) (bool, error) {
	return s.assigned(ctx, e164, func(carrier string) bool { return carrier != "loopback" })
}

// assigned reports whether e164 is one of the service's numbers, held by
// an account, on a carrier that via accepts.
func (s *Service) assigned(ctx context.Context, e164 string, via func(carrier string) bool) (bool, error) {
	n, err := s.Numbers.Lookup(ctx, e164)
	if errors.Is(err, numbers.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return via(n.Carrier) && n.AccountID != 0, nil
}

// Run starts the job queue and the portal and serves until ctx ends; then
// it stops taking requests and gives running work the shutdown timeout to
// finish. The listener, if given, is used instead of Config.Listen.
func (s *Service) Run(ctx context.Context, ln net.Listener) error {
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", s.Config.Listen); err != nil {
			return fmt.Errorf("listen: %w", err)
		}
	}
	if err := s.Queue.Start(ctx); err != nil {
		return err
	}
	if s.SIP != nil {
		s.SIP.Start(ctx)
		defer s.SIP.Close()
	}
	// Compile (or load from the cache) the PDF renderer now, so the first
	// PDF a user sends is not the one that waits for it.
	go func() {
		if err := render.WarmUp(s.Faxes.Render.CacheDir); err != nil {
			s.Logger.Warn("PDF renderer unavailable", "err", err)
		}
	}()
	srv := &http.Server{
		Handler:           s.Web.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() {
		var err error
		if s.Config.TLSCert != "" {
			err = srv.ServeTLS(ln, s.Config.TLSCert, s.Config.TLSKey)
		} else {
			err = srv.Serve(ln)
		}
		errc <- err
	}()
	// Email to fax (issue 6). A port that is taken turns it off with a
	// warning rather than stopping the portal.
	if s.Config.SMTPListen != "" {
		if sl, err := net.Listen("tcp", s.Config.SMTPListen); err != nil {
			s.Logger.Warn("email to fax is off: the SMTP port could not be opened; set --smtp-listen", "err", err)
		} else {
			go s.MailIn.Serve(sl)
			defer s.MailIn.Shutdown(context.WithoutCancel(ctx))
		}
	}
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	stop, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.Config.ShutdownTimeout)
	defer cancel()
	srv.Shutdown(stop)
	s.Queue.Stop(stop)
	if s.SIP != nil {
		s.SIP.Shutdown(stop) // inbound calls in progress finish first
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close releases the database.
func (s *Service) Close() error { return s.DB.Close() }

// NeedsFirstAdmin reports whether no staff member exists yet.
func (s *Service) NeedsFirstAdmin(ctx context.Context) (bool, error) {
	list, err := s.Staff.List(ctx)
	return len(list) == 0, err
}

// retryPolicy reads the --retry-on list of call outcomes.
func retryPolicy(list string) (func(carrier.Status) bool, error) {
	retry := map[carrier.Status]bool{}
	for _, name := range strings.Split(list, ",") {
		if name = strings.TrimSpace(name); name == "" {
			continue
		}
		st, err := carrier.ParseStatus(name)
		if err != nil {
			return nil, fmt.Errorf("--retry-on: %w", err)
		}
		retry[st] = true
	}
	return func(st carrier.Status) bool { return retry[st] }, nil
}

// assigner adapts the number pool to what accounts need.
type assigner struct{ n *numbers.Service }

func (a assigner) AssignTx(ctx context.Context, tx *sql.Tx, brandID, accountID int64) (string, error) {
	n, err := a.n.AssignTx(ctx, tx, brandID, accountID)
	if err != nil {
		return "", err
	}
	return n.E164, nil
}

// queue adapts the job queue to what the fax service needs.
type queue struct{ q *jobs.Queue }

func (q queue) InsertTx(ctx context.Context, tx *sql.Tx, args faxes.JobArgs) error {
	a, ok := args.(river.JobArgs)
	if !ok {
		return fmt.Errorf("service: %T is not a job", args)
	}
	_, err := q.q.InsertTx(ctx, tx, a, nil)
	return err
}

// newMailIn builds the inbound SMTP server of email to fax (issue 6).
func newMailIn(s *Service) (*mailin.Server, error) {
	cfg := mailin.Config{Hostname: s.Config.SMTPHostname, MaxMessageBytes: int64(s.Config.SMTPMaxMessageMB) << 20, Logger: s.Logger}
	if s.Config.SMTPTLSCert != "" {
		cert, err := tls.LoadX509KeyPair(s.Config.SMTPTLSCert, s.Config.SMTPTLSKey)
		if err != nil {
			return nil, fmt.Errorf("--smtp-tls-cert: %w", err)
		}
		cfg.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	}
	return mailin.NewServer(cfg, mailin.BrandDomains{Brands: s.Brands}, s.Faxes, mailin.FailingRecipients{Faxes: s.Faxes}), nil
}

// DKIMRecords returns, per brand, the DNS TXT record that publishes the
// key its mail is signed with, as "name TXT value" (issue 6).
func (s *Service) DKIMRecords(ctx context.Context) ([]string, error) {
	list, err := s.Brands.List(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, b := range list {
		_, domain, _ := strings.Cut(b.MailFrom, "@")
		domain = strings.TrimSuffix(domain, ">")
		k, err := s.DKIM.Key(ctx, s.DB, domain)
		if err != nil {
			return nil, err
		}
		name, value, err := k.DNSRecord()
		if err != nil {
			return nil, err
		}
		out = append(out, name+" TXT \""+value+"\"")
	}
	return out, nil
}
