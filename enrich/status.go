package enrich

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// Job statuses as job-status reports them (lower case).
const (
	StatusRunning    = "running"
	StatusCompleted  = "completed"
	StatusFailed     = "failed"
	StatusCancelled  = "cancelled"
	StatusTerminated = "terminated"
	StatusTimedOut   = "timed_out"
)

// defaultLinkLifetime is the documented default of download_expires_in_seconds.
const defaultLinkLifetime = 900

// ResultEntry is one file of a completed job: one per pipeline stage
// (source, enrichment, webhook).
type ResultEntry struct {
	Filename      string
	StorageBucket string
	ContentType   string
	// DownloadURL is a signed link, or "" when the API failed to sign one.
	DownloadURL string
	Message     string
	CreatedAt   string
	// RowCount is the number of rows in the file; 0 when the API omitted it.
	RowCount int
	// BlockNumber is the sequence number of the stage that wrote the file.
	BlockNumber *int
	// FileSize is the uncompressed size in bytes, when known.
	FileSize *int64
	// ExpiresIn is the link lifetime in seconds, counted from
	// JobStatus.FetchedAt; 900 when the API omits it.
	ExpiresIn int
	// Results is the inline preview of a small file, with numbers kept as
	// json.Number; nil when the API sent none.
	Results []map[string]any
}

// JobStatus is one job-status response.
type JobStatus struct {
	// Status is lower case; "canceled" is reported as "cancelled".
	Status    string
	ID        string
	RunID     string
	StartTime string
	CloseTime string
	// Error is the failure message of a failed job, when the API sends one.
	Error   string
	Results []ResultEntry
	// ChargeAmount is the total charge in cents; nil until the job completes.
	ChargeAmount *float64
	// FetchedAt is the time the request that returned this status was sent.
	// Download link lifetimes count from it.
	FetchedAt time.Time
}

// Terminal reports whether the job has ended: completed, failed, cancelled,
// terminated or timed_out.
func (st JobStatus) Terminal() bool {
	switch st.Status {
	case StatusCompleted, StatusFailed, StatusCancelled, StatusTerminated, StatusTimedOut:
		return true
	}
	return false
}

// Final returns the result entry with the highest block_number, which is the
// output of the last stage. Entries without a block number rank below every
// numbered entry; among equals the later entry in the list wins. It returns
// false when there are no entries.
func (st JobStatus) Final() (ResultEntry, bool) {
	best := -1
	for i, entry := range st.Results {
		if best < 0 || !blockBefore(entry.BlockNumber, st.Results[best].BlockNumber) {
			best = i
		}
	}
	if best < 0 {
		return ResultEntry{}, false
	}
	return st.Results[best], true
}

// blockBefore reports whether block number a sorts strictly before b.
func blockBefore(a, b *int) bool {
	switch {
	case a == nil:
		return b != nil
	case b == nil:
		return false
	default:
		return *a < *b
	}
}

// Status fetches the job's status once, with retries for transient failures.
func (c *Client) Status(ctx context.Context, taskID string) (JobStatus, error) {
	if taskID == "" {
		return JobStatus{}, errors.New("enrich: missing task id")
	}
	target := c.endpointURL(url.Values{"cost_units": {"cents"}}, "job-status", taskID)

	var status JobStatus
	attempt := func(ctx context.Context) error {
		req, err := c.newRequest(ctx, http.MethodGet, target)
		if err != nil {
			return err
		}
		sentAt := c.now()
		body, err := c.send(req, OpStatus)
		if err != nil {
			var apiErr *APIError
			if errors.As(err, &apiErr) {
				apiErr.TaskID = taskID
			}
			return err
		}
		status, err = decodeJobStatus(body)
		status.FetchedAt = sentAt
		return err
	}
	if err := c.withRetry(ctx, OpStatus, true, attempt, "task_id", taskID); err != nil {
		return JobStatus{}, err
	}
	return status, nil
}

type wireResultEntry struct {
	Filename      string           `json:"filename"`
	StorageBucket string           `json:"storage_bucket"`
	ContentType   *string          `json:"content_type"`
	DownloadURL   *string          `json:"download_url"`
	Message       *string          `json:"message"`
	CreatedAt     *string          `json:"created_at"`
	RowCount      *json.Number     `json:"row_count"`
	BlockNumber   *json.Number     `json:"block_number"`
	FileSize      *json.Number     `json:"file_size"`
	ExpiresIn     *json.Number     `json:"download_expires_in_seconds"`
	Results       []map[string]any `json:"results"`
}

func decodeJobStatus(body []byte) (JobStatus, error) {
	var wire struct {
		Status       string            `json:"status"`
		ID           string            `json:"id"`
		RunID        string            `json:"run_id"`
		StartTime    string            `json:"start_time"`
		CloseTime    *string           `json:"close_time"`
		Error        json.RawMessage   `json:"error"`
		Message      json.RawMessage   `json:"message"`
		Results      []wireResultEntry `json:"results"`
		ChargeAmount *json.Number      `json:"charge_amount"`
	}
	if err := decodeJSON(body, &wire); err != nil {
		return JobStatus{}, err
	}
	if wire.Status == "" {
		return JobStatus{}, &malformedResponseError{errors.New(`missing "status"`)}
	}

	st := JobStatus{
		Status:    normalizeStatus(wire.Status),
		ID:        wire.ID,
		RunID:     wire.RunID,
		StartTime: wire.StartTime,
		CloseTime: deref(wire.CloseTime),
		// NOTE: the API documents no error field on a failed job-status
		// response. Its failed-job webhooks carry "error", so that is read
		// first, with "message" as a fallback.
		Error: jsonText(wire.Error),
	}
	if st.Error == "" {
		st.Error = jsonText(wire.Message)
	}
	if wire.ChargeAmount != nil {
		charge, err := wire.ChargeAmount.Float64()
		if err != nil {
			return JobStatus{}, &malformedResponseError{fmt.Errorf("charge_amount: %w", err)}
		}
		st.ChargeAmount = &charge
	}
	for i, w := range wire.Results {
		entry, err := w.decode()
		if err != nil {
			return JobStatus{}, &malformedResponseError{fmt.Errorf("results[%d]: %w", i, err)}
		}
		st.Results = append(st.Results, entry)
	}
	return st, nil
}

func (w wireResultEntry) decode() (ResultEntry, error) {
	entry := ResultEntry{
		Filename:      w.Filename,
		StorageBucket: w.StorageBucket,
		ContentType:   deref(w.ContentType),
		DownloadURL:   deref(w.DownloadURL),
		Message:       deref(w.Message),
		CreatedAt:     deref(w.CreatedAt),
		ExpiresIn:     defaultLinkLifetime,
		Results:       w.Results,
	}
	if w.RowCount != nil {
		n, err := integerValue(*w.RowCount)
		if err != nil {
			return entry, fmt.Errorf("row_count: %w", err)
		}
		entry.RowCount = int(n)
	}
	if w.BlockNumber != nil {
		n, err := integerValue(*w.BlockNumber)
		if err != nil {
			return entry, fmt.Errorf("block_number: %w", err)
		}
		block := int(n)
		entry.BlockNumber = &block
	}
	if w.FileSize != nil {
		n, err := integerValue(*w.FileSize)
		if err != nil {
			return entry, fmt.Errorf("file_size: %w", err)
		}
		entry.FileSize = &n
	}
	if w.ExpiresIn != nil {
		n, err := integerValue(*w.ExpiresIn)
		if err != nil {
			return entry, fmt.Errorf("download_expires_in_seconds: %w", err)
		}
		entry.ExpiresIn = int(n)
	}
	return entry, nil
}

// normalizeStatus lower-cases a status and maps the American spelling
// "canceled", which the workflow cancel endpoint uses, to "cancelled".
func normalizeStatus(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "canceled" {
		return StatusCancelled
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// PollOptions sets the polling schedule of Wait. Zero fields select the
// defaults: Initial 5 s, Max 60 s, Timeout 24 h.
type PollOptions struct {
	// Initial is the wait before the second poll; waits grow exponentially
	// with 10% jitter.
	Initial time.Duration
	// Max caps the wait between polls.
	Max time.Duration
	// Timeout bounds the whole wait, measured from the first poll.
	Timeout time.Duration
}

// ErrWaitTimeout is returned by Wait when PollOptions.Timeout passes before
// the job ends.
var ErrWaitTimeout = errors.New("timed out waiting for the job")

// Wait polls the job's status until it is terminal and returns that status.
// A terminal status other than completed is returned without an error; the
// caller decides what a failed job means. Wait returns an error when a poll
// fails after its retries, when the timeout passes (ErrWaitTimeout, with the
// last status), or when ctx is cancelled.
func (c *Client) Wait(ctx context.Context, taskID string, p PollOptions) (JobStatus, error) {
	if p.Initial <= 0 {
		p.Initial = 5 * time.Second
	}
	if p.Max <= 0 {
		p.Max = 60 * time.Second
	}
	if p.Timeout <= 0 {
		p.Timeout = 24 * time.Hour
	}
	b := &backoff.ExponentialBackOff{
		InitialInterval:     p.Initial,
		RandomizationFactor: 0.1,
		Multiplier:          1.5,
		MaxInterval:         p.Max,
		MaxElapsedTime:      p.Timeout,
		Stop:                backoff.Stop,
		Clock:               clockAdapter{c.now},
	}
	b.Reset()

	for polls := 1; ; polls++ {
		st, err := c.Status(ctx, taskID)
		if err != nil {
			return st, err
		}
		c.log.Debug("polled job status", "task_id", taskID, "status", st.Status, "polls", polls)
		if st.Terminal() {
			c.log.Info("job ended", "task_id", taskID, "status", st.Status, "polls", polls)
			return st, nil
		}

		wait := b.NextBackOff()
		if wait == backoff.Stop {
			return st, fmt.Errorf("enrich: task %s still %q after %s (%d polls): %w; raise enrich.poll.timeout or rerun later to resume",
				taskID, st.Status, p.Timeout, polls, ErrWaitTimeout)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return st, fmt.Errorf("enrich: stopped waiting for task %s: %w", taskID, err)
		}
	}
}
