// Package clock is the time of the fax stack: the wall clock for real
// calls, and a virtual clock that moves only when told to, so that a whole
// fax call with its 35-second timers and minutes of paced data runs in
// milliseconds, deterministically, under test. fax/t30 and fax/t38 both
// take a Clock, so one clock drives a whole call.
package clock

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is a source of time that can schedule work.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// AfterFunc calls f once after d has elapsed: in its own goroutine for
	// the wall clock, in the goroutine that advances time for a virtual one.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a pending call scheduled with Clock.AfterFunc; Stop cancels it
// and reports whether it was still pending. It is an alias of the plain
// interface type, so *time.Timer is a Timer.
type Timer = interface{ Stop() bool }

// System is the wall clock.
type System struct{}

// Now returns time.Now().
func (System) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (System) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// Virtual is a manual Clock. Time stands still until Advance or Step
// moves it; scheduled functions then run in the caller's goroutine, in time
// order, which makes whole calls deterministic.
type Virtual struct {
	mu  sync.Mutex
	now time.Time
	seq uint64
	q   timerQueue
}

// NewVirtual returns a Virtual that starts at start.
func NewVirtual(start time.Time) *Virtual {
	return &Virtual{now: start}
}

// Now returns the virtual time.
func (c *Virtual) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d. A negative or zero d schedules f for
// the next Step without moving time.
func (c *Virtual) AfterFunc(d time.Duration, f func()) Timer {
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
func (c *Virtual) Step() bool {
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
func (c *Virtual) Next() (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.q) == 0 {
		return time.Time{}, false
	}
	return c.q[0].at, true
}

// Advance moves time forward by d, running every function that falls due on
// the way.
func (c *Virtual) Advance(d time.Duration) {
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
	c     *Virtual
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
