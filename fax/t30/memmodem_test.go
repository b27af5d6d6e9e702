package t30

import (
	"time"
)

// memModem is one end of an ideal in-memory line on a VirtualClock. What one
// end sends reaches the other as the events a real modem would report, at
// the times the signal would take on a telephone line.
type memModem struct {
	clk     *VirtualClock
	name    string
	peer    *memModem
	handler func(Event)
	hungup  bool
	// fault, if set, sees every event on its way to the peer and may
	// change it or drop it (return false).
	fault func(from string, at time.Duration, ev *Event) bool
	start time.Time
	sent  []string // log of transmitted signals, for assertions
}

func newMemPair(clk *VirtualClock) (*memModem, *memModem) {
	a := &memModem{clk: clk, name: "a", start: clk.Now()}
	b := &memModem{clk: clk, name: "b", start: clk.Now()}
	a.peer, b.peer = b, a
	return a, b
}

// trainTime approximates the training sequence of each modulation.
func trainTime(m Modulation, long bool) time.Duration {
	switch m.Family() {
	case "V.27ter":
		if m.Rate() == 2400 {
			return 943 * time.Millisecond
		}
		return 708 * time.Millisecond
	case "V.29":
		return 253 * time.Millisecond
	case "V.17":
		if long {
			return 1393 * time.Millisecond
		}
		return 142 * time.Millisecond
	}
	return time.Second // V.21 preamble
}

func bitsTime(n int, rate int) time.Duration {
	return time.Duration(int64(n) * int64(time.Second) / int64(rate))
}

// deliver schedules ev at the peer after d.
func (m *memModem) deliver(d time.Duration, ev Event) {
	at := m.clk.Now().Add(d).Sub(m.start)
	m.clk.AfterFunc(d, func() {
		p := m.peer
		if p.hungup || p.handler == nil {
			return
		}
		if m.fault != nil && !m.fault(m.name, at, &ev) {
			return
		}
		p.handler(ev)
	})
}

// done reports EventSent to the sender itself after d.
func (m *memModem) done(d time.Duration) {
	m.clk.AfterFunc(d, func() {
		if !m.hungup && m.handler != nil {
			m.handler(Event{Kind: EventSent})
		}
	})
}

func (m *memModem) SendTone(t Tone, d time.Duration) error {
	m.sent = append(m.sent, t.String())
	m.deliver(0, Event{Kind: EventTone, Tone: t})
	m.done(d)
	return nil
}

func (m *memModem) SendFrames(mod Modulation, frames [][]byte) error {
	if f, err := ParseFrame(frames[len(frames)-1]); err == nil {
		m.sent = append(m.sent, f.FCF.String())
	}
	t := trainTime(mod, false)
	m.deliver(t, Event{Kind: EventCarrier, Mod: mod})
	for _, f := range frames {
		t += bitsTime((len(f)+2)*8, mod.Rate())
		m.deliver(t, Event{Kind: EventFrame, Data: append([]byte(nil), f...), FCSOK: true})
	}
	t += bitsTime(16, mod.Rate())
	m.deliver(t, Event{Kind: EventCarrierDown})
	m.done(t)
	return nil
}

// sendData delivers data in 100 ms chunks after training.
func (m *memModem) sendData(mod Modulation, data []byte, long bool) {
	t := trainTime(mod, long)
	m.deliver(t, Event{Kind: EventCarrier, Mod: mod})
	chunk := mod.Rate() / 80
	for len(data) > 0 {
		n := min(chunk, len(data))
		t += bitsTime(n*8, mod.Rate())
		m.deliver(t, Event{Kind: EventData, Data: append([]byte(nil), data[:n]...)})
		data = data[n:]
	}
	m.deliver(t, Event{Kind: EventCarrierDown})
	m.done(t)
}

func (m *memModem) SendTCF(mod Modulation) error {
	m.sent = append(m.sent, "TCF")
	m.sendData(mod, make([]byte, mod.Rate()*3/16), true)
	return nil
}

func (m *memModem) SendImage(mod Modulation, data []byte) error {
	m.sent = append(m.sent, "image")
	m.sendData(mod, data, false)
	return nil
}

func (m *memModem) Listen(Modulation, bool) error { return nil }

// Hangup ends the call; the peer learns of it shortly after, as it would
// from the signalling (a SIP BYE) of a real call.
func (m *memModem) Hangup() error {
	if !m.hungup {
		m.hungup = true
		m.deliver(200*time.Millisecond, Event{Kind: EventHangup})
	}
	return nil
}
