package sip

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/faxhaven/faxhaven/internal/carrier"
)

// Open reads the SIP configuration file at path and sets up a user agent
// from it that answers calls to the numbers owns accepts and hands their
// faxes to sink. The caller starts it.
func Open(path string, owns func(ctx context.Context, e164 string) (bool, error), sink carrier.Sink, logger *slog.Logger) (*UA, *File, error) {
	r, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("sip config: %w", err)
	}
	f, err := ParseFile(r)
	r.Close()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", path, err)
	}
	if f.Listen == "" {
		return nil, nil, fmt.Errorf("%s: [sip] needs listen, such as 0.0.0.0:5060", path)
	}
	ua, err := New(Config{
		Listen: f.Listen, PublicIP: f.PublicIP, MediaIP: f.MediaIP, Trunks: f.Trunks,
		MaxInbound: f.MaxInbound, RingTimeout: f.RingTimeout,
		Owns: owns, Sink: sink, Logger: logger,
	})
	if err != nil {
		return nil, nil, err
	}
	return ua, f, nil
}

// Split sends a fax through Local when IsLocal says the number is one of
// the service's own that Local routes (the loopback demo numbers), and
// through Trunks otherwise.
type Split struct {
	Local   carrier.Carrier
	IsLocal func(ctx context.Context, e164 string) (bool, error)
	Trunks  carrier.Carrier
}

// Send implements carrier.Carrier.
func (s *Split) Send(ctx context.Context, out *carrier.Outbound) (*carrier.Result, error) {
	local, err := s.IsLocal(ctx, out.To)
	if err != nil {
		return nil, fmt.Errorf("sip: route %s: %w", out.To, err)
	}
	if local {
		return s.Local.Send(ctx, out)
	}
	return s.Trunks.Send(ctx, out)
}
