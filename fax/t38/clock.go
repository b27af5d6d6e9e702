package t38

import (
	"container/heap"
	"sync"
	"time"
)

// Clock is the time source a Terminal paces by. It has the same shape as
// the clock of fax/t30, so one adapter serves both.
type Clock interface {
	Now() time.Time
	// AfterFunc calls f once after d: in its own goroutine for a real
	// clock, in the goroutine that advances time for a virtual one.
	AfterFunc(d time.Duration, f func()) Timer
}

// Timer is a call scheduled with Clock.AfterFunc; Stop cancels it and
// reports whether it was still pending. It is an alias of the plain
// interface type, so any clock whose AfterFunc returns
// interface{ Stop() bool } (or an alias of it) is a Clock here without an
// adapter.
type Timer = interface{ Stop() bool }

// SystemClock is the wall clock.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// AfterFunc wraps time.AfterFunc.
func (SystemClock) AfterFunc(d time.Duration, f func()) Timer { return time.AfterFunc(d, f) }

// VirtualClock is a Clock for tests: time moves only when Advance or Step
// moves it, and due functions run in the caller's goroutine in time order
// (ties in scheduling order), so a whole call is deterministic.
type VirtualClock struct {
	mu  sync.Mutex
	now time.Time
	n   uint64
	q   vqueue
}

// NewVirtualClock returns a VirtualClock set to start.
func NewVirtualClock(start time.Time) *VirtualClock { return &VirtualClock{now: start} }

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// AfterFunc schedules f at Now()+d (at Now() for d <= 0).
func (c *VirtualClock) AfterFunc(d time.Duration, f func()) Timer {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n++
	t := &vtimer{c: c, at: c.now.Add(max(d, 0)), n: c.n, f: f}
	heap.Push(&c.q, t)
	return t
}

// Step runs the earliest scheduled function, moving time to its due time,
// and reports whether there was one.
func (c *VirtualClock) Step() bool {
	c.mu.Lock()
	if len(c.q) == 0 {
		c.mu.Unlock()
		return false
	}
	t := heap.Pop(&c.q).(*vtimer)
	if t.at.After(c.now) {
		c.now = t.at
	}
	c.mu.Unlock()
	t.f()
	return true
}

// Advance moves time on by d, running every function due on the way.
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	end := c.now.Add(d)
	c.mu.Unlock()
	for {
		c.mu.Lock()
		due := len(c.q) > 0 && !c.q[0].at.After(end)
		c.mu.Unlock()
		if !due {
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

type vtimer struct {
	c   *VirtualClock
	at  time.Time
	n   uint64
	f   func()
	idx int
}

func (t *vtimer) Stop() bool {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	if t.idx < 0 {
		return false
	}
	heap.Remove(&t.c.q, t.idx)
	return true
}

type vqueue []*vtimer

func (q vqueue) Len() int { return len(q) }
func (q vqueue) Less(i, j int) bool {
	if q[i].at.Equal(q[j].at) {
		return q[i].n < q[j].n
	}
	return q[i].at.Before(q[j].at)
}
func (q vqueue) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].idx, q[j].idx = i, j
}
func (q *vqueue) Push(x any) {
	t := x.(*vtimer)
	t.idx = len(*q)
	*q = append(*q, t)
}
func (q *vqueue) Pop() any {
	old := *q
	t := old[len(old)-1]
	t.idx = -1
	*q = old[:len(old)-1]
	return t
}
