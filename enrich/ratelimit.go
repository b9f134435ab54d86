package enrich

import (
	"context"
	"slices"
	"sync"
	"time"
)

const (
	// defaultRateLimit is the API's documented submission limit: 10 per
	// minute per organisation.
	defaultRateLimit = 10
	rateWindow       = time.Minute
)

// rateLimiter admits at most limit events in any rolling window. It keeps a
// sliding log of event times, so a burst at the end of one minute cannot be
// followed by a second burst at the start of the next, as a fixed-window
// counter would allow.
type rateLimiter struct {
	limit  int
	window time.Duration

	mu  sync.Mutex
	log []time.Time // ascending; submissions whose response arrived
	// pending are the reservation times of submissions still in flight.
	// The server may admit them at any moment until their response, so
	// they hold a slot until moveLater records them in log.
	pending []time.Time
}

func newRateLimiter(limit int, window time.Duration, prior []time.Time) *rateLimiter {
	log := slices.Clone(prior)
	slices.SortFunc(log, func(a, b time.Time) int { return a.Compare(b) })
	return &rateLimiter{limit: limit, window: window, log: log}
}

// reserve records an event at now and returns 0 when the window has room.
// Otherwise it records nothing and returns how long to wait before trying
// again.
func (l *rateLimiter) reserve(now time.Time) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()

	l.prune(now)
	if len(l.log)+len(l.pending) < l.limit {
		l.pending = append(l.pending, now)
		return 0
	}
	if len(l.log) == 0 {
		// Every slot is held by a submission in flight; look again soon.
		return time.Second
	}
	wait := l.log[0].Add(l.window).Sub(now)
	if wait <= 0 {
		// Only reachable when the clock moved backwards between prune and
		// here; a retry will find room.
		wait = time.Millisecond
	}
	return wait
}

// prune drops events that left the window. Callers hold l.mu.
func (l *rateLimiter) prune(now time.Time) {
	cutoff := now.Add(-l.window)
	keep := 0
	for keep < len(l.log) && !l.log[keep].After(cutoff) {
		keep++
	}
	l.log = l.log[keep:]
}

// moveLater ends the in-flight submission reserved at from and records it
// at to, or at from when to is earlier. Submit calls it when the response
// arrives. The server admitted the submission between sending and the
// response, so counting from the response keeps the client's count at or
// above the server's, even when an upload takes minutes.
func (l *rateLimiter) moveLater(from, to time.Time) {
	if !to.After(from) {
		to = from
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if i := slices.IndexFunc(l.pending, func(t time.Time) bool { return t.Equal(from) }); i >= 0 {
		l.pending = slices.Delete(l.pending, i, i+1)
	} else if i := slices.IndexFunc(l.log, func(t time.Time) bool { return t.Equal(from) }); i >= 0 {
		l.log = slices.Delete(l.log, i, i+1)
	} else {
		return // already pruned
	}
	at, _ := slices.BinarySearchFunc(l.log, to, func(a, b time.Time) int { return a.Compare(b) })
	l.log = slices.Insert(l.log, at, to)
}

// times returns the submissions in the window, those in flight counted at
// now, for the run state.
func (l *rateLimiter) times(now time.Time) []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.prune(now)
	out := slices.Clone(l.log)
	for range l.pending {
		out = append(out, now)
	}
	return out
}

// waitForSubmission blocks until the rate limiter admits one submission,
// then records it and returns the time it was recorded at.
func (c *Client) waitForSubmission(ctx context.Context, logAttrs ...any) (time.Time, error) {
	for {
		if err := ctx.Err(); err != nil {
			return time.Time{}, err
		}
		now := c.now()
		wait := c.limiter.reserve(now)
		if wait == 0 {
			return now, nil
		}
		c.log.Info("waiting for the submission rate limit", append([]any{
			"wait", wait, "limit_per_minute", c.limiter.limit,
		}, logAttrs...)...)
		if err := c.sleep(ctx, wait); err != nil {
			return time.Time{}, err
		}
	}
}
