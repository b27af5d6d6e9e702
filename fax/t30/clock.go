package t30

import (
	"time"

	"github.com/faxhaven/faxhaven/fax/clock"
)

// Clock is the only source of time for a Session. Production code uses
// SystemClock; tests use a VirtualClock so that T.30's long timers cost no
// real time. It is fax/clock's Clock, so one clock drives T.30 and T.38.
type Clock = clock.Clock

// Timer is a pending call scheduled with Clock.AfterFunc.
type Timer = clock.Timer

// SystemClock returns a Clock that reads the wall clock.
func SystemClock() Clock { return clock.System{} }

// VirtualClock is a manual Clock; see clock.Virtual.
type VirtualClock = clock.Virtual

// NewVirtualClock returns a VirtualClock that starts at start.
func NewVirtualClock(start time.Time) *VirtualClock { return clock.NewVirtual(start) }
