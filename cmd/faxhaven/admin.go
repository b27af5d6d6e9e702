package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/faxhaven/faxhaven/internal/clock"
	"github.com/faxhaven/faxhaven/internal/config"
	"github.com/faxhaven/faxhaven/internal/staff"
	"github.com/faxhaven/faxhaven/internal/store"
)

// adminStdin is where "admin" reads passwords from; tests replace it.
var adminStdin io.Reader = os.Stdin

const adminUsage = `Usage: faxhaven admin <subcommand> [flags] [service flags]

Subcommands:
  create-staff  --email E --role admin|support|billing|legal [--name N] [--password-stdin]
                add a staff member; prints a one-time password unless
                --password-stdin reads one from standard input
  set-password  --email E [--password-stdin]
                give a staff member a new one-time password and end their
                sessions; they choose their own at the next login
  disable-staff --email E
                stop a staff member from logging in (their audit records stay)
  list-staff    list staff members

Service flags (such as --data-dir or --database-url) select the database
as for "faxhaven serve".
`

// runAdmin manages staff members from the command line.
func runAdmin(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, adminUsage)
		if len(args) == 0 {
			return &exitError{code: 2, err: errors.New("no subcommand given")}
		}
		return nil
	}
	sub, rest := args[0], args[1:]
	own, rest, err := adminFlags(rest, map[string]bool{"email": true, "role": true, "name": true}, map[string]bool{"password-stdin": true})
	if err != nil {
		return err
	}
	cfg, err := config.Load("admin", rest, os.Getenv, stderr)
	if err != nil {
		return err
	}
	db, err := store.Open(ctx, cfg.Database)
	if err != nil {
		return err
	}
	defer db.Close()
	if err := db.Migrate(ctx); err != nil {
		return err
	}
	svc := &staff.Service{DB: db, Clock: clock.System{}}
	need := func(name string) (string, error) {
		if own[name] == "" {
			return "", fmt.Errorf("%s needs --%s", sub, name)
		}
		return own[name], nil
	}
	password := func() (string, bool, error) {
		if own["password-stdin"] == "" {
			p, err := staff.GeneratePassword()
			return p, true, err
		}
		line, err := bufio.NewReader(adminStdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", false, fmt.Errorf("read password from standard input: %w", err)
		}
		return strings.TrimRight(line, "\r\n"), false, nil
	}
	switch sub {
	case "create-staff":
		email, err := need("email")
		if err != nil {
			return err
		}
		r, err := need("role")
		if err != nil {
			return err
		}
		role, err := staff.ParseRole(r)
		if err != nil {
			return err
		}
		pw, generated, err := password()
		if err != nil {
			return err
		}
		create := svc.Create
		if generated {
			create = svc.CreateOneTime
		}
		m, err := create(ctx, email, own["name"], role, pw)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "created staff member %s (%s), id %d\n", m.Email, m.Role, m.ID)
		if generated {
			fmt.Fprintf(stdout, "one-time password: %s\nlog in at /staff/login and choose your own password; this one is shown only now.\n", pw)
		}
	case "set-password":
		email, err := need("email")
		if err != nil {
			return err
		}
		pw, generated, err := password()
		if err != nil {
			return err
		}
		if err := svc.SetPassword(ctx, email, pw); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "password of %s changed; their sessions have ended and they must choose their own at the next login\n", email)
		if generated {
			fmt.Fprintf(stdout, "one-time password: %s\n", pw)
		}
	case "disable-staff":
		email, err := need("email")
		if err != nil {
			return err
		}
		if err := svc.Disable(ctx, email); err != nil {
			return err
		}
		fmt.Fprintf(stdout, "%s can no longer log in\n", email)
	case "list-staff":
		ms, err := svc.List(ctx)
		if err != nil {
			return err
		}
		for _, m := range ms {
			state := "active"
			if m.Disabled {
				state = "disabled"
			}
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%s\n", m.ID, m.Email, m.Role, state, m.CreatedAt.Format("2006-01-02"))
		}
	default:
		fmt.Fprint(stderr, adminUsage)
		return &exitError{code: 2, err: fmt.Errorf("unknown subcommand %q", sub)}
	}
	return nil
}

// adminFlags takes the subcommand's own flags (--name value, --name=value,
// and boolean --name) out of args and returns them with the rest, which
// are the service's configuration flags.
func adminFlags(args []string, valued, boolean map[string]bool) (map[string]string, []string, error) {
	own := map[string]string{}
	var rest []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, val, hasVal := strings.Cut(strings.TrimLeft(a, "-"), "=")
		switch {
		case !strings.HasPrefix(a, "-"):
			rest = append(rest, a)
		case valued[name] && hasVal:
			own[name] = val
		case valued[name]:
			if i+1 >= len(args) {
				return nil, nil, fmt.Errorf("flag --%s needs a value", name)
			}
			i++
			own[name] = args[i]
		case boolean[name]:
			own[name] = "true"
		default:
			rest = append(rest, a)
		}
	}
	return own, rest, nil
}
