package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/faxhaven/faxhaven/internal/config"
	"github.com/faxhaven/faxhaven/internal/service"
	"github.com/faxhaven/faxhaven/internal/store"
)

// runServe runs the whole service on its configuration.
func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load("serve", args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	logger, err := newLogger(cfg, stderr)
	if err != nil {
		return err
	}
	svc, err := service.New(ctx, cfg, logger)
	if err != nil {
		return err
	}
	defer svc.Close()
	fmt.Fprintf(stdout, "Faxhaven %s is running: open %s in your browser.\n", version, cfg.BaseURL)
	if need, err := svc.NeedsFirstAdmin(ctx); err == nil && need {
		fmt.Fprintf(stdout, "No administrator exists yet. Create the first one with:\n  faxhaven admin create-staff --email you@example.org --role admin %s\n",
			strings.Join(args, " "))
	}
	if cfg.SMTPRelayHost == "" {
		fmt.Fprintln(stdout, "Outgoing email stays in the local outbox (no --smtp-relay-host); administrators read it in the staff console.")
	}
	// Email (issue 6): where mail to fax goes, and the DKIM records to publish.
	if cfg.SMTPListen != "" {
		fmt.Fprintf(stdout, "Email to fax: mail to <number>@%s reaches the SMTP server on %s.\n", cfg.FaxDomain, cfg.SMTPListen)
	}
	if cfg.DKIM {
		recs, err := svc.DKIMRecords(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, "Outbound mail is DKIM-signed; publish these DNS records:")
		for _, r := range recs {
			fmt.Fprintln(stdout, "  "+r)
		}
	}
	return svc.Run(ctx, nil)
}

// newLogger makes the service's structured logger.
func newLogger(cfg *config.Config, w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(cfg.LogLevel)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", cfg.LogLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return slog.New(slog.NewTextHandler(w, opts)), nil
}

// runMigrate brings the database schema up to date and exits.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := config.Load("migrate", args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := service.Migrate(ctx, db); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "The database schema is up to date.")
	return nil
}
