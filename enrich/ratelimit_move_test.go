package enrich

import (
	"testing"
	"time"
)

// TestRateLimitCountsFromResponseTime checks that a submission counts from
// the time its response arrived, not the time it was sent, because the
// server admits it somewhere in between.
func TestRateLimitCountsFromResponseTime(t *testing.T) {
	start := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	limiter := newRateLimiter(1, time.Minute, nil)
	if wait := limiter.reserve(start); wait != 0 {
		t.Fatalf("first reservation waits %s, want 0", wait)
	}
	// The upload took 40 seconds.
	limiter.moveLater(start, start.Add(40*time.Second))

	if wait := limiter.reserve(start.Add(61 * time.Second)); wait != 39*time.Second {
		t.Errorf("wait 61 s after sending = %s, want 39s (a minute after the response)", wait)
	}
	if wait := limiter.reserve(start.Add(100 * time.Second)); wait != 0 {
		t.Errorf("wait a minute after the response = %s, want 0", wait)
	}
}

func TestRateLimitMoveLaterKeepsOrder(t *testing.T) {
	start := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	limiter := newRateLimiter(3, time.Minute, nil)
	for i := range 3 {
		limiter.reserve(start.Add(time.Duration(i) * time.Second))
	}
	limiter.moveLater(start, start.Add(5*time.Second))
	limiter.moveLater(start.Add(time.Second), start) // earlier: kept at 1s
	limiter.moveLater(start.Add(2*time.Second), start.Add(2*time.Second))

	got := limiter.times(start.Add(5 * time.Second))
	want := []time.Time{start.Add(time.Second), start.Add(2 * time.Second), start.Add(5 * time.Second)}
	if len(got) != len(want) {
		t.Fatalf("times = %v, want %v", got, want)
	}
	for i := range want {
		if !got[i].Equal(want[i]) {
			t.Errorf("times[%d] = %s, want %s", i, got[i], want[i])
		}
	}
}

func TestRateLimitInFlightHoldsSlot(t *testing.T) {
	start := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	limiter := newRateLimiter(1, time.Minute, nil)
	if wait := limiter.reserve(start); wait != 0 {
		t.Fatalf("first reserve waited %s", wait)
	}
	// Two minutes later the first submission still has no response: the
	// server may admit it now, so its slot is still taken.
	if wait := limiter.reserve(start.Add(2 * time.Minute)); wait == 0 {
		t.Fatal("second reserve admitted while the first submission is in flight")
	}
	limiter.moveLater(start, start.Add(2*time.Minute))
	if wait := limiter.reserve(start.Add(2*time.Minute + time.Second)); wait != 59*time.Second {
		t.Errorf("reserve after the response waited %s, want 59s (a minute from the response)", wait)
	}
}
