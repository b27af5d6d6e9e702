package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"time"

	"github.com/faxhaven/faxhaven/internal/carrier"
	"github.com/faxhaven/faxhaven/internal/sip"
)

const sipUsage = `Usage:
  faxhaven sip check [flags] TRUNK

Tests a SIP trunk from the SIP configuration file (sip-config): registers with it (when the trunk
registers) and pings it with OPTIONS, then reports what happened. The exit
status is 0 when the trunk looks usable. See docs/sip.md.

Flags:
`

// runSip implements "faxhaven sip".
func runSip(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprint(stderr, sipUsage)
		return &exitError{2, errors.New(`want "check"`)}
	}
	fs := flag.NewFlagSet("sip check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, sipUsage); fs.PrintDefaults() }
	confPath := fs.String("config", os.Getenv("FAXHAVEN_SIP_CONFIG"), "SIP configuration file (default $FAXHAVEN_SIP_CONFIG)")
	listen := fs.String("listen", "", "local UDP address for the check (default: the address that reaches the trunk, any port)")
	public := fs.String("public-ip", "", "address the trunk reaches this host at, when behind NAT (default: public-ip of [sip])")
	timeout := fs.Duration("timeout", 20*time.Second, "give up after this long")
	if err := fs.Parse(args[1:]); err != nil {
		return &exitError{2, err}
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return &exitError{2, errors.New("name one trunk to check")}
	}
	name := fs.Arg(0)
	if *confPath == "" {
		return &exitError{2, errors.New("no SIP configuration: pass --config FILE or set FAXHAVEN_SIP_CONFIG")}
	}
	f, err := os.Open(*confPath)
	if err != nil {
		return &exitError{2, err}
	}
	file, err := sip.ParseFile(f)
	f.Close()
	if err != nil {
		return &exitError{2, err}
	}
	ts := file.Trunks
	var trunk *sip.Trunk
	for i := range ts {
		if ts[i].Name == name {
			trunk = &ts[i]
		}
	}
	if trunk == nil {
		return &exitError{2, fmt.Errorf("%s has no trunk named %q", *confPath, name)}
	}
	if *public == "" {
		*public = file.PublicIP
	}
	addr := *listen
	if addr == "" {
		ip, err := localIPToward(trunk.Host)
		if err != nil {
			return err
		}
		addr = net.JoinHostPort(ip, "0")
	}
	ua, err := sip.New(sip.Config{
		Listen: addr, PublicIP: *public, Trunks: []sip.Trunk{*trunk}, NoKeepRegistered: true,
		// A check takes no calls.
		Owns: func(context.Context, string) (bool, error) { return false, nil },
		Sink: refuseAll{},
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	ua.Start(ctx)
	defer ua.Close()
	rep, err := ua.Check(ctx, name)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "trunk %s (%s), checked from %s\n", name, trunk.Host, ua.Addr())
	switch {
	case !trunk.Register:
		fmt.Fprintln(stdout, "  register: not used (static peer)")
	case rep.Registered:
		fmt.Fprintf(stdout, "  register: ok as %s, for %v\n", trunk.Username, rep.Granted)
	default:
		fmt.Fprintf(stdout, "  register: FAILED: %v\n", rep.RegisterErr)
	}
	if rep.OptionsErr != nil {
		fmt.Fprintf(stdout, "  options:  FAILED: %v\n", rep.OptionsErr)
	} else {
		fmt.Fprintf(stdout, "  options:  %d in %.1f ms\n", rep.OptionsCode, float64(rep.RTT.Microseconds())/1000)
	}
	if !rep.OK() {
		fmt.Fprintln(stdout, "result: the trunk is not usable")
		return &exitError{1, fmt.Errorf("trunk %s failed the check", name)}
	}
	fmt.Fprintln(stdout, "result: ok")
	return nil
}

// localIPToward returns the local address the system would use to reach
// host; no packet is sent.
func localIPToward(host string) (string, error) {
	if _, _, err := net.SplitHostPort(host); err != nil {
		host = net.JoinHostPort(host, "5060")
	}
	c, err := net.Dial("udp", host)
	if err != nil {
		return "", fmt.Errorf("no route to trunk %s: %w", host, err)
	}
	defer c.Close()
	h, _, _ := net.SplitHostPort(c.LocalAddr().String())
	return h, nil
}

// refuseAll is the sink of a check: it takes no faxes.
type refuseAll struct{}

func (refuseAll) Deliver(context.Context, *carrier.Inbound) error {
	return errors.New("faxhaven sip check takes no calls")
}
