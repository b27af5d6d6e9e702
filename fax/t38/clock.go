package t38

import (
	"time"

	"github.com/faxhaven/faxhaven/fax/clock"
)

// Clock is the time source a Terminal paces by: fax/clock's Clock, the
// same one fax/t30 uses.
type Clock = clock.Clock

// Timer is a call scheduled with Clock.AfterFunc.
type Timer = clock.Timer

// SystemClock is the wall clock.
type SystemClock = clock.System

// VirtualClock is a Clock for tests; see clock.Virtual.
type VirtualClock = clock.Virtual

// NewVirtualClock returns a VirtualClock that starts at start.
func NewVirtualClock(start time.Time) *VirtualClock { return clock.NewVirtual(start) }
