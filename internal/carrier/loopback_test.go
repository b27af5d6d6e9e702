package carrier

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/faxhaven/faxhaven/fax/page"
	"github.com/faxhaven/faxhaven/fax/t4/t4test"
	"github.com/faxhaven/faxhaven/internal/clock"
)

// recordingSink keeps what it is given, or refuses it.
type recordingSink struct {
	got    []*Inbound
	refuse error
}

func (s *recordingSink) Deliver(_ context.Context, in *Inbound) error {
	if s.refuse != nil {
		return s.refuse
	}
	s.got = append(s.got, in)
	return nil
}

func testPages(t *testing.T, n int) []*page.Page {
	var ps []*page.Page
	for i := range n {
		p, err := t4test.Page("text", 1728, 300, uint64(i+1))
		if err != nil {
			t.Fatal(err)
		}
		p.Res = page.Fine
		ps = append(ps, p)
	}
	return ps
}

func TestLoopback(t *testing.T) {
	const demo = "+31970100001"
	owns := func(_ context.Context, n string) (bool, error) { return n == demo, nil }
	pages := testPages(t, 2)
	tests := []struct {
		name   string
		to     string
		refuse error
		want   Status
		pages  int
	}{
		{"delivered", demo, nil, Delivered, 2},
		{"unknown number", "+31201234567", nil, NoSuchNumber, 0},
		{"receiver cannot store", demo, errors.New("disk full"), Failed, 0},
		{"receiver refuses the sender", demo, fmt.Errorf("blocked: %w", ErrRefused), Rejected, 0},
	}
	for _, tt := range tests {
		sink := &recordingSink{refuse: tt.refuse}
		l := &Loopback{Owns: owns, Sink: sink, Clock: clock.System{}}
		res, err := l.Send(context.Background(), &Outbound{CallID: "c1", From: "+31970100000", To: tt.to, Ident: "+31970100000", Pages: pages})
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if res.Status != tt.want || res.Status.Retryable() != (tt.want == Failed) {
			t.Errorf("%s: status %v (%s), want %v", tt.name, res.Status, res.Reason, tt.want)
		}
		if len(sink.got) != map[bool]int{true: 1}[tt.pages > 0] {
			t.Fatalf("%s: %d deliveries", tt.name, len(sink.got))
		}
		if tt.pages == 0 {
			continue
		}
		in := sink.got[0]
		if res.PagesSent != tt.pages || len(in.Pages) != tt.pages || in.CallID != "c1" || in.RemoteID != "+31970100000" {
			t.Errorf("%s: result %+v, inbound call %q from %q with %d pages", tt.name, res, in.CallID, in.RemoteID, len(in.Pages))
		}
		for i, p := range in.Pages {
			if !p.Page.Equal(pages[i]) {
				t.Errorf("%s: page %d arrived with other pixels", tt.name, i+1)
			}
		}
	}
}

func TestIdent(t *testing.T) {
	tests := map[string]string{
		"+31 20 123 4567":           "+31 20 123 4567",
		"+31-20-(123)":              "+3120123",
		"+123456789012345678901234": "+1234567890123456789",
	}
	for in, want := range tests {
		if got := Ident(in); got != want {
			t.Errorf("Ident(%q) = %q, want %q", in, got, want)
		}
	}
}
