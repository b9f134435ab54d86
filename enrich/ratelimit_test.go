package enrich

import (
	"context"
	"sync"
	"testing"
	"time"
)

func TestRateLimitEleventhSubmissionWaits(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/people", fakeResponse{body: exampleSubmitFirst})
	chunk := writeChunk(t, 1)
	start := env.clock.Now()

	for i := 1; i <= 11; i++ {
		key := "crmsync-rate-" + string(rune('a'+i))
		if _, err := env.client.Submit(context.Background(), People, chunk, []byte(testConfig), key); err != nil {
			t.Fatalf("Submit %d: %v", i, err)
		}
		if i == 10 {
			if sleeps := env.clock.Sleeps(); len(sleeps) != 0 {
				t.Fatalf("waits before the 11th submission = %v, want none", sleeps)
			}
		}
	}

	sleeps := env.clock.Sleeps()
	if len(sleeps) != 1 || sleeps[0] != time.Minute {
		t.Errorf("waits = %v, want one wait of 1m0s", sleeps)
	}
	requests := env.api.received()
	if len(requests) != 11 {
		t.Fatalf("requests = %d, want 11", len(requests))
	}
	if got := requests[10].at.Sub(start); got < time.Minute {
		t.Errorf("11th submission sent %s after the first, want at least 1m0s", got)
	}
	if got := len(env.client.SubmissionTimes()); got != 1 {
		t.Errorf("SubmissionTimes has %d entries, want 1 (the first 10 left the window)", got)
	}
}

func TestRateLimitSlidingWindow(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("POST /bulk-intelligence/people", fakeResponse{body: exampleSubmitFirst})
	chunk := writeChunk(t, 1)
	start := env.clock.Now()

	// Five submissions at 0 s and five at 40 s fill the window. The 11th, at
	// 50 s, must wait for the first five to leave at 60 s, and the 16th for the
	// second five at 100 s.
	for i := 0; i < 16; i++ {
		switch i {
		case 5:
			env.clock.Advance(40 * time.Second)
		case 10:
			env.clock.Advance(10 * time.Second)
		}
		if _, err := env.client.Submit(context.Background(), People, chunk, []byte(testConfig), ""); err != nil {
			t.Fatalf("Submit %d: %v", i+1, err)
		}
	}

	requests := env.api.received()
	if got := requests[10].at.Sub(start); got != 60*time.Second {
		t.Errorf("11th submission at %s, want 1m0s", got)
	}
	if got := requests[15].at.Sub(start); got != 100*time.Second {
		t.Errorf("16th submission at %s, want 1m40s", got)
	}
}

func TestRateLimitSeededFromPriorRun(t *testing.T) {
	env := newTestEnv(t, func(o *Options) {
		for i := 0; i < 10; i++ {
			o.PriorSubmissions = append(o.PriorSubmissions, o.Now().Add(-30*time.Second))
		}
	})
	env.api.on("POST /bulk-intelligence/people", fakeResponse{body: exampleSubmitFirst})

	if got := len(env.client.SubmissionTimes()); got != 10 {
		t.Fatalf("SubmissionTimes before submitting = %d, want the 10 seeded", got)
	}
	if _, err := env.client.Submit(context.Background(), People, writeChunk(t, 1), []byte(testConfig), ""); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	sleeps := env.clock.Sleeps()
	if len(sleeps) != 1 || sleeps[0] != 30*time.Second {
		t.Errorf("waits = %v, want one of 30s", sleeps)
	}
}

func TestRateLimitCustomLimit(t *testing.T) {
	env := newTestEnv(t, func(o *Options) { o.RateLimit = 2 })
	env.api.on("POST /bulk-intelligence/people", fakeResponse{body: exampleSubmitFirst})
	chunk := writeChunk(t, 1)
	for i := 0; i < 3; i++ {
		if _, err := env.client.Submit(context.Background(), People, chunk, []byte(testConfig), ""); err != nil {
			t.Fatal(err)
		}
	}
	if sleeps := env.clock.Sleeps(); len(sleeps) != 1 {
		t.Errorf("waits = %v, want 1 for the third submission at a limit of 2", sleeps)
	}
}

func TestRateLimiterConcurrentReservations(t *testing.T) {
	limiter := newRateLimiter(10, time.Minute, nil)
	now := time.Date(2026, 6, 10, 0, 0, 0, 0, time.UTC)

	var wg sync.WaitGroup
	var mu sync.Mutex
	admitted := 0
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if limiter.reserve(now) == 0 {
				mu.Lock()
				admitted++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if admitted != 10 {
		t.Errorf("admitted %d of 50 concurrent reservations, want 10", admitted)
	}
}
