package t30

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the only source of time for a Session. Production code uses
// SystemClock; tests use a VirtualClock so that T.30's long timers cost no
// real time.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f once, in its own goroutine or (for a virtual
	// clock) in the goroutine that advances time, after d has elapsed.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending call scheduled with Clock.AfterFunc; Stop cancels it
// and reports whether it was still pending. It is an alias, like fax/t38's
// Timer, so that one clock serves both packages.
type Timer = interface{ Stop() bool }

// SystemClock returns a Clock that reads the wall clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// VirtualClock is a manual Clock. Time stands still until Advance or Step
// moves it; scheduled functions then run in the caller's goroutine, in time
// order, which makes whole calls deterministic.
type VirtualClock struct {
	mu  sync.Mutex
	now time.Time
	seq uint64
	q   timerQueue
}

// NewVirtualClock returns a VirtualClock that starts at start.
func NewVirtualClock(start time.Time) *VirtualClock {
	return &VirtualClock{now: start}
}

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d. A negative or zero d schedules f for
// the next Step without moving time.
func (c *VirtualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d < 0 {
		d = 0
	}
	c.seq++
	t := &virtualTimer{c: c, at: c.now.Add(d), seq: c.seq, f: f, index: -1}
	heap.Push(&c.q, t)
	return t
}

// Step runs the earliest pending function, first moving time forward to
// when it is due. It reports false when nothing is pending.
func (c *VirtualClock) Step() bool {
	c.mu.Lock()
	if len(c.q) == 0 {
		c.mu.Unlock()
		return false
	}
	t := heap.Pop(&c.q).(*virtualTimer)
	if t.at.After(c.now) {
		c.now = t.at
	}
	c.mu.Unlock()
	t.f()
	return true
}

// Next returns when the earliest pending function is due, and false when
// nothing is pending.
func (c *VirtualClock) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.q) == 0 {
		return time.Time{}, false
	}
	return c.q[0].at, true
}

// Advance moves time forward by d, running every function that falls due on
// the way.
func (c *VirtualClock) Advance(d time.Duration) {
	end := c.Now().Add(d)
	for {
		at, ok := c.Next()
		if !ok || at.After(end) {
			break
		}
		c.Step()
	}
	c.mu.Lock()
	if end.After(c.now) {
		c.now = end
	}
	c.mu.Unlock()
}

type virtualTimer struct {
	c     *VirtualClock
	at    time.Time
	seq   uint64
	f     func()
	index int
}

func (t *virtualTimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.index < 0 {
		return false
	}
	heap.Remove(&t.c.q, t.index)
	return true
}

// timerQueue orders timers by due time, then by creation so that equal
// times run first-scheduled first.
type timerQueue []*virtualTimer

func (q timerQueue) Len() int { return len(q) }
func (q timerQueue) Less(i, j int) bool {
	if q[i].at.Equal(q[j].at) {
		return q[i].seq < q[j].seq
	}
	return q[i].at.Before(q[j].at)
}
func (q timerQueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}
func (q *timerQueue) Push(x any) {
	t := x.(*virtualTimer)
	t.index = len(*q)
	*q = append(*q, t)
}
func (q *timerQueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	t.index = -1
	return t
}
