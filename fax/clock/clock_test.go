package clock

import (
	"testing"
	"time"
)

var epoch = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

func TestVirtualRunsInTimeOrder(t *testing.T) {
	c := NewVirtual(epoch)
	var got []string
	at := func(name string) func() {
		return func() { got = append(got, name+"@"+c.Now().Sub(epoch).String()) }
	}
	c.AfterFunc(3*time.Second, at("c"))
	c.AfterFunc(time.Second, at("a"))
	c.AfterFunc(time.Second, at("a2")) // same time: scheduling order
	stopped := c.AfterFunc(2*time.Second, at("never"))
	c.AfterFunc(2*time.Second, func() {
		got = append(got, "b@"+c.Now().Sub(epoch).String())
		c.AfterFunc(0, at("b-now")) // due at once, without moving time
	})
	if !stopped.Stop() || stopped.Stop() {
		t.Fatal("Stop should report true once, then false")
	}
	for c.Step() {
	}
	want := []string{"a@1s", "a2@1s", "b@2s", "b-now@2s", "c@3s"}
	if len(got) != len(want) {
		t.Fatalf("ran %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("ran %v, want %v", got, want)
		}
	}
	if _, ok := c.Next(); ok {
		t.Error("Next reports work after everything ran")
	}
}

func TestVirtualAdvance(t *testing.T) {
	c := NewVirtual(epoch)
	n := 0
	c.AfterFunc(time.Second, func() { n++ })
	c.AfterFunc(5*time.Second, func() { n += 10 })
	c.Advance(2 * time.Second)
	if n != 1 || c.Now() != epoch.Add(2*time.Second) {
		t.Fatalf("after 2s: n=%d now=%v", n, c.Now())
	}
	if next, ok := c.Next(); !ok || next != epoch.Add(5*time.Second) {
		t.Fatalf("Next = %v, %v", next, ok)
	}
	c.Advance(time.Hour)
	if n != 11 || c.Now() != epoch.Add(2*time.Second+time.Hour) {
		t.Fatalf("after an hour: n=%d now=%v", n, c.Now())
	}
}

func TestSystemIsAClock(t *testing.T) {
	var c Clock = System{}
	done := make(chan struct{})
	c.AfterFunc(time.Millisecond, func() { close(done) })
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("System.AfterFunc never ran")
	}
}
