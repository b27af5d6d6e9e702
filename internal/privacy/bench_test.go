package privacy_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/faxhaven/faxhaven/internal/store/storetest"
)

// BenchmarkErase erases one account that has 20 faxes and a few choices,
// on SQLite: the cost of one user's "delete my account".
func BenchmarkErase(b *testing.B) {
	w := newWorld(b, storetest.Open(b, storetest.SQLiteURL(b)))
	ctx := context.Background()
	t := b
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		a := w.account(t, fmt.Sprintf("Bench User %d", i))
		for j := 0; j < 20; j++ {
			w.fax(t, a, "in", "+3120555", "")
		}
		w.p.SetMarketing(ctx, a, true, "portal")
		b.StartTimer()
		if _, err := w.p.Erase(ctx, a); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRetain runs one retention pass that finds 200 expired faxes
// among 100 accounts, on SQLite; it reports the time per pass.
func BenchmarkRetain(b *testing.B) {
	w := newWorld(b, storetest.Open(b, storetest.SQLiteURL(b)))
	ctx := context.Background()
	t := b
	var accts []int64
	for i := 0; i < 100; i++ {
		accts = append(accts, w.account(t, fmt.Sprintf("Retained %d", i)))
	}
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		for j := 0; j < 200; j++ {
			w.fax(t, accts[j%len(accts)], "in", "+3120555", "")
		}
		w.clk.Advance(100 * 24 * time.Hour)
		b.StartTimer()
		r, err := w.p.Retain(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if r.Faxes != 200 {
			b.Fatalf("deleted %d faxes, want 200", r.Faxes)
		}
	}
}
