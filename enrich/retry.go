package enrich

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// RetryPolicy bounds the retries of one request. Zero fields select the
// defaults listed on each field.
type RetryPolicy struct {
	// MaxAttempts is the maximum number of requests, the first included.
	// Default 8.
	MaxAttempts int
	// MaxElapsed is the maximum time from the first request until the start
	// of the last retry. Default 15 minutes.
	MaxElapsed time.Duration
	// InitialInterval is the first backoff wait after a 5xx or a transport
	// failure. Default 1 second.
	InitialInterval time.Duration
	// MaxInterval caps each backoff wait. Default 60 seconds.
	MaxInterval time.Duration
	// Multiplier grows the backoff wait after each retry. Default 2.
	Multiplier float64
	// Jitter is the randomization factor: each wait is drawn from
	// [w*(1-Jitter), w*(1+Jitter)]. Default 0.5; a negative value disables it.
	Jitter float64
	// RateLimitWait is the wait after a 429 without a Retry-After header.
	// Default 60 seconds, as the API's error guide advises.
	RateLimitWait time.Duration
	// AttemptTimeout bounds one request, body included. A request that runs
	// out of time is retried. Default 10 minutes.
	AttemptTimeout time.Duration
	// LinkRefreshes is the maximum number of job-status requests that
	// DownloadResult sends to replace an expired download link. Default 3.
	LinkRefreshes int
}

func (p RetryPolicy) withDefaults() (RetryPolicy, error) {
	if p.MaxAttempts < 0 || p.MaxElapsed < 0 || p.InitialInterval < 0 || p.MaxInterval < 0 ||
		p.Multiplier < 0 || p.RateLimitWait < 0 || p.AttemptTimeout < 0 || p.LinkRefreshes < 0 {
		return p, fmt.Errorf("enrich: invalid retry policy %+v: durations and counts must not be negative (0 selects the default)", p)
	}
	if p.MaxAttempts == 0 {
		p.MaxAttempts = 8
	}
	if p.MaxElapsed == 0 {
		p.MaxElapsed = 15 * time.Minute
	}
	if p.InitialInterval == 0 {
		p.InitialInterval = time.Second
	}
	if p.MaxInterval == 0 {
		p.MaxInterval = 60 * time.Second
	}
	if p.Multiplier == 0 {
		p.Multiplier = 2
	}
	if p.Jitter == 0 {
		p.Jitter = 0.5
	} else if p.Jitter < 0 {
		p.Jitter = 0
	}
	if p.RateLimitWait == 0 {
		p.RateLimitWait = 60 * time.Second
	}
	if p.AttemptTimeout == 0 {
		p.AttemptTimeout = 10 * time.Minute
	}
	if p.LinkRefreshes == 0 {
		p.LinkRefreshes = 3
	}
	return p, nil
}

// transportError is a failure to send a request or to read its response:
// a refused or reset connection, a timeout, or a body cut short.
type transportError struct {
	err error
	// sent is false when the connection was never established, so the
	// server cannot have acted on the request.
	sent bool
}

func (e *transportError) Error() string { return e.err.Error() }
func (e *transportError) Unwrap() error { return e.err }

func newTransportError(err error) *transportError {
	var opErr *net.OpError
	notSent := errors.As(err, &opErr) && opErr.Op == "dial"
	return &transportError{err: err, sent: !notSent}
}

// malformedResponseError is a 2xx response whose body is not the expected
// JSON, as when a proxy cuts a response that had no Content-Length.
type malformedResponseError struct{ err error }

func (e *malformedResponseError) Error() string {
	return "invalid JSON in the response: " + e.err.Error()
}
func (e *malformedResponseError) Unwrap() error { return e.err }

// shouldRetry is the one place that decides whether a failed request is sent
// again, and after what wait. A zero wait with retry=true means "use the
// exponential backoff". Idempotent requests are GETs and submissions that
// carry an Idempotency-Key. A submission without a key is resent only when
// the server cannot have started a job: after a 429, or when the connection
// was never made.
func (c *Client) shouldRetry(ctx context.Context, err error, idempotent bool) (retry bool, wait time.Duration) {
	if ctx.Err() != nil {
		return false, 0
	}

	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.Status == http.StatusTooManyRequests:
			if apiErr.RetryAfter > 0 {
				return true, apiErr.RetryAfter
			}
			// NOTE: the API documents no Retry-After on 429; its error
			// guide advises waiting 60 seconds, which RateLimitWait defaults to.
			return true, c.retry.RateLimitWait
		case apiErr.Status >= 500:
			if !idempotent {
				return false, 0
			}
			if apiErr.Status == http.StatusServiceUnavailable && apiErr.RetryAfter > 0 {
				return true, apiErr.RetryAfter
			}
			return true, 0
		default:
			return false, 0
		}
	}

	var transportErr *transportError
	if errors.As(err, &transportErr) {
		if isCertificateError(err) {
			return false, 0
		}
		if !idempotent && transportErr.sent {
			return false, 0
		}
		return true, 0
	}

	var malformed *malformedResponseError
	if errors.As(err, &malformed) {
		return idempotent, 0
	}
	return false, 0
}

// isCertificateError reports TLS failures that a retry cannot cure.
func isCertificateError(err error) bool {
	var unknownAuthority x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verification *tls.CertificateVerificationError
	var recordHeader tls.RecordHeaderError
	return errors.As(err, &unknownAuthority) || errors.As(err, &hostname) ||
		errors.As(err, &invalid) || errors.As(err, &verification) || errors.As(err, &recordHeader)
}

// clockAdapter lets backoff read the Client's clock.
type clockAdapter struct{ now func() time.Time }

func (a clockAdapter) Now() time.Time { return a.now() }

func (c *Client) newBackOff() *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     c.retry.InitialInterval,
		RandomizationFactor: c.retry.Jitter,
		Multiplier:          c.retry.Multiplier,
		MaxInterval:         c.retry.MaxInterval,
		// withRetry enforces MaxElapsed itself, because a Retry-After wait
		// also counts against it.
		MaxElapsedTime: 0,
		Stop:           backoff.Stop,
		Clock:          clockAdapter{c.now},
	}
	b.Reset()
	return b
}

// withRetry calls attempt until it succeeds, shouldRetry rejects the error,
// or the policy's attempt or time budget runs out. Each call of attempt gets
// a context bounded by AttemptTimeout. logAttrs name the request in logs.
func (c *Client) withRetry(ctx context.Context, op string, idempotent bool, attempt func(ctx context.Context) error, logAttrs ...any) error {
	b := c.newBackOff()
	start := c.now()

	for n := 1; ; n++ {
		attemptCtx, cancel := context.WithTimeout(ctx, c.retry.AttemptTimeout)
		err := attempt(attemptCtx)
		cancel()
		if err == nil {
			return nil
		}

		retry, wait := c.shouldRetry(ctx, err, idempotent)
		if !retry {
			if ctx.Err() != nil {
				return fmt.Errorf("sixtyfour %s stopped: %w", op, ctx.Err())
			}
			return err
		}
		if wait == 0 {
			wait = b.NextBackOff()
		}

		elapsed := c.now().Sub(start)
		if n >= c.retry.MaxAttempts || elapsed+wait > c.retry.MaxElapsed {
			return c.exhausted(op, n, elapsed, err)
		}

		c.log.Warn("retrying request", append([]any{
			"op", op, "attempt", n, "max_attempts", c.retry.MaxAttempts,
			"wait", wait, "error", err,
		}, logAttrs...)...)
		if sleepErr := c.sleep(ctx, wait); sleepErr != nil {
			return fmt.Errorf("sixtyfour %s stopped while waiting to retry: %w (last error: %v)", op, sleepErr, err)
		}
	}
}

// exhausted returns the last error of a request that ran out of retries.
func (c *Client) exhausted(op string, attempts int, elapsed time.Duration, err error) error {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		apiErr.Attempts = attempts
		return apiErr
	}
	return fmt.Errorf("sixtyfour %s failed after %d attempts over %s: %w; check the network and enrich.base_url, then rerun to resume",
		op, attempts, elapsed.Round(time.Second), err)
}
