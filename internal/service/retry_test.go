package service

import (
	"strings"
	"testing"

	"github.com/faxhaven/faxhaven/internal/carrier"
)

func TestRetryPolicy(t *testing.T) {
	retry, err := retryPolicy("busy, no_answer,,trunk_down")
	if err != nil {
		t.Fatal(err)
	}
	for st, want := range map[carrier.Status]bool{carrier.Busy: true, carrier.NoAnswer: true, carrier.TrunkDown: true,
		carrier.Failed: false, carrier.NoSuchNumber: false, carrier.Delivered: false} {
		if retry(st) != want {
			t.Errorf("retry(%v) = %v, want %v", st, !want, want)
		}
	}
	if _, err := retryPolicy("busy,sometimes"); err == nil || !strings.Contains(err.Error(), `"sometimes"`) {
		t.Errorf("an unknown outcome gives %v, want an error naming it", err)
	}
	none, err := retryPolicy("")
	if err != nil || none(carrier.Busy) {
		t.Errorf("an empty list: %v; it must retry nothing", err)
	}
}
