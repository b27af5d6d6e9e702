// Command faxhaven is the Faxhaven online fax service and its tools in one
// binary.
//
// Usage:
//
//	faxhaven <command> [flags]
//
// Run "faxhaven help" for the list of commands.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// command is one subcommand of the binary.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// commands lists every subcommand. Each lives in its own file.
var commands = map[string]command{
	"version": {"print the version", runVersion},
	"serve":   {"run the fax service: portal, jobs and carriers", runServe},
	"migrate": {"bring the database schema up to date and exit", runMigrate},
	"admin":   {"manage staff members (create-staff, list-staff, ...)", runAdmin},
	"convert": {"render documents as fax pages (TIFF, PDF or PBM)", runConvert},
	"t38":     {"send or receive one fax over T.38 (UDPTL on UDP)", runT38},
	"sip":     {"test a SIP trunk: register and ping it (sip check TRUNK)", runSip},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries a specific exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "faxhaven: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	if err := cmd.run(ctx, args[1:], stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "faxhaven %s: %v\n", args[0], err)
		if ee, ok := err.(*exitError); ok {
			return ee.code
		}
		return 1
	}
	return 0
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "Faxhaven: an online fax service.")
	fmt.Fprintln(w, "\nUsage: faxhaven <command> [flags]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun \"faxhaven <command> --help\" for a command's flags.")
}

func runVersion(_ context.Context, _ []string, stdout, _ io.Writer) error {
	fmt.Fprintln(stdout, "faxhaven", version)
	return nil
}
