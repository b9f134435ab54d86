package runner

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/crmsync/crmsync/enrich"
	"github.com/crmsync/crmsync/pipelines"
	"github.com/crmsync/crmsync/pipelines/state"
)

// clientOptionsHook, when a test sets it, adjusts the client options before
// the client is built. Tests install a simulated clock through it, so rate
// limit waits of a minute take no real time.
var clientOptionsHook func(*enrich.Options)

// enricher submits chunks, waits for their jobs and downloads the results.
type enricher struct {
	r      *run
	client *enrich.Client
	ep     enrich.Endpoint
	poll   enrich.PollOptions

	mu   sync.Mutex // guards the manifest, stop and the counters below
	stop *StopError
	done int64
}

// enrich runs the enrichment phase. It returns a *StopError when submitting
// stopped early (credits, budget, access); chunks already running are still
// collected first.
func (r *run) enrich(ctx context.Context) (*StopError, error) {
	p := r.p
	baseURL := p.Enrich.BaseURL
	if r.opts.BaseURL != "" {
		baseURL = r.opts.BaseURL
	}
	clientOpts := enrich.Options{
		BaseURL:          baseURL,
		APIKey:           r.opts.APIKey,
		HTTPClient:       r.opts.HTTPClient,
		Logger:           r.log,
		RateLimit:        p.Enrich.RateLimit,
		PriorSubmissions: r.m.SubmissionTimes,
	}
	if r.opts.Retry != nil {
		clientOpts.Retry = *r.opts.Retry
	}
	if clientOptionsHook != nil {
		clientOptionsHook(&clientOpts)
	}
	client, err := enrich.New(clientOpts)
	if err != nil {
		return nil, err
	}
	defer client.CloseIdleConnections()
	initial, maxWait, timeout := p.PollDurations()
	e := &enricher{r: r, client: client, ep: enrich.Endpoint(p.Enrich.Endpoint),
		poll: enrich.PollOptions{Initial: initial, Max: maxWait, Timeout: timeout}}

	// A resumed run retries chunks whose job failed, with a new attempt
	// number so the API starts a new job instead of replaying the failure.
	for i := range r.m.Chunks {
		c := &r.m.Chunks[i]
		if c.Status == state.ChunkFailed && c.JobStatus != "" {
			c.Attempt++
			sum := mustHex32(c.SHA256)
			c.IdempotencyKey = enrich.IdempotencyKey(e.ep, r.apiCfg, sum, c.Attempt)
			c.Status, c.TaskID, c.JobStatus, c.Error = state.ChunkPending, "", "", ""
			c.EstimatedCents, c.ChargedCents = nil, nil
		}
	}
	r.m.StopReason = ""
	if err := r.save(); err != nil {
		return nil, err
	}
	if err := r.checkWebhookHost(ctx); err != nil {
		return nil, err
	}

	workers := p.Enrich.Concurrency
	if workers <= 0 {
		workers = 4
	}
	queue := make(chan int)
	errs := make(chan error, len(r.m.Chunks))
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				if err := e.process(ctx, i); err != nil {
					errs <- err
				}
			}
		}()
	}
	total := int64(len(r.m.Chunks))
feed:
	for i := range r.m.Chunks {
		select {
		case queue <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	close(errs)
	r.progress(EventChunkDone, e.done, total)

	var first error
	for err := range errs {
		if first == nil || errors.Is(first, context.Canceled) {
			first = err
		}
	}
	if ctx.Err() != nil {
		r.save()
		return nil, ctx.Err()
	}
	if first != nil {
		return nil, first
	}
	if e.stop != nil {
		r.m.StopReason = e.stop.Reason
		r.sum.StopReason = e.stop.Reason
		return e.stop, r.save()
	}
	return nil, nil
}

func (e *enricher) chunkLog(c *state.Chunk) *slog.Logger {
	l := e.r.log.With("chunk", c.Index)
	if c.TaskID != "" {
		l = l.With("task_id", c.TaskID)
	}
	return l
}

// update applies fn to chunk i under the lock and saves the manifest.
func (e *enricher) update(i int, fn func(c *state.Chunk)) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	fn(&e.r.m.Chunks[i])
	e.r.m.SubmissionTimes = e.client.SubmissionTimes()
	return e.r.save()
}

func (e *enricher) chunk(i int) state.Chunk {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.r.m.Chunks[i]
}

// process moves chunk i through its states until it is downloaded or failed.
func (e *enricher) process(ctx context.Context, i int) error {
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		c := e.chunk(i)
		log := e.chunkLog(&c)
		switch c.Status {
		case state.ChunkPending, state.ChunkSubmitting, state.ChunkSkipped:
			submitted, err := e.submit(ctx, i, c, log)
			if err != nil || !submitted {
				return err
			}
		case state.ChunkSubmitted:
			if err := e.wait(ctx, i, c, log); err != nil {
				return err
			}
		case state.ChunkCompleted:
			if err := e.download(ctx, i, c, log); err != nil {
				return err
			}
		default: // downloaded or failed
			e.mu.Lock()
			e.done++
			done := e.done
			e.mu.Unlock()
			e.r.progress(EventChunkDone, done, int64(len(e.r.m.Chunks)))
			return nil
		}
	}
}

// submit sends chunk i unless submitting has stopped. It returns false when
// the chunk was left unsubmitted.
func (e *enricher) submit(ctx context.Context, i int, c state.Chunk, log *slog.Logger) (bool, error) {
	// The budget check and the move to submitting share one critical
	// section, so concurrent workers count each other's chunks.
	e.mu.Lock()
	if e.stop == nil {
		e.checkBudget(c)
	}
	stopped := e.stop != nil
	var saveErr error
	if !stopped {
		e.r.m.Chunks[i].Status = state.ChunkSubmitting
		saveErr = e.r.save()
	}
	e.mu.Unlock()
	if stopped {
		return false, nil
	}
	if saveErr != nil {
		return false, saveErr
	}
	e.r.crash(CrashBeforeSubmit)
	path := filepath.Join(e.r.store.Dir, c.File)
	res, err := e.client.Submit(ctx, e.ep, enrich.ChunkFile{Path: path, Rows: c.Rows, Bytes: c.Bytes}, e.r.apiCfg, c.IdempotencyKey)
	if err != nil {
		return false, e.submitFailed(i, err, log)
	}
	e.r.crash(CrashAfterSubmitSent)
	err = e.update(i, func(c *state.Chunk) {
		c.TaskID = res.TaskID
		c.Status = state.ChunkSubmitted
		c.Error = ""
		if res.EstimatedCostCents != nil {
			v := *res.EstimatedCostCents
			c.EstimatedCents = &v
		} else if c.EstimatedCents == nil && res.AlreadyStarted {
			// A replay omits the estimate, so the planning estimate is used
			// until the charge is known.
			est := e.r.p.EstimateCost(int64(c.Rows))
			c.EstimatedCents = &est.Cents
		}
		// A replay of a key this run sent before (a lost response, or a
		// crash after sending) is this run's own job. A replay of a key an
		// earlier run sent is that run's job, paid by that run.
		c.Replayed = res.AlreadyStarted && c.EarlierKey
		if res.AlreadyStarted {
			e.r.sum.Replays++
		} else {
			e.r.sum.Submissions++
		}
	})
	if err != nil {
		return false, err
	}
	log.Info("chunk submitted", "task_id", res.TaskID, "rows", c.Rows, "already_started", res.AlreadyStarted)
	e.r.crash(CrashAfterSubmit)
	e.mu.Lock()
	n := int64(e.r.sum.Submissions + e.r.sum.Replays)
	e.mu.Unlock()
	e.r.progress(EventSubmitted, n, int64(len(e.r.m.Chunks)))
	return true, nil
}

// checkBudget stops submitting when chunk c would take the sum of estimates
// past enrich.max_cost_cents. The caller holds e.mu.
func (e *enricher) checkBudget(c state.Chunk) {
	budget := e.r.p.Enrich.MaxCostCents
	if budget == nil {
		return
	}
	var committed int64
	for _, o := range e.r.m.Chunks {
		if o.Index == c.Index || o.Status == state.ChunkPending || o.Status == state.ChunkSkipped {
			continue
		}
		switch {
		case o.EstimatedCents != nil:
			committed += *o.EstimatedCents
		case o.Status == state.ChunkSubmitting:
			// Its response has not arrived, so the planning estimate counts for it.
			committed += e.r.p.EstimateCost(int64(o.Rows)).Cents
		}
	}
	est := e.r.p.EstimateCost(int64(c.Rows)).Cents
	if committed+est > *budget {
		e.stop = &StopError{Code: ExitCredits, Reason: fmt.Sprintf(
			"budget reached: chunk %d would bring the estimated cost to %d cents, above enrich.max_cost_cents %d; raise the budget and rerun to resume",
			c.Index, committed+est, *budget)}
		e.r.log.Warn("submitting stopped", "reason", e.stop.Reason)
	}
}

// submitFailed records a rejected submission. Credits and access problems
// stop all further submissions, and a rejected request fails the chunk.
// Any other error (retries exhausted, cancellation) ends the run with the
// chunk left to resume.
func (e *enricher) submitFailed(i int, err error, log *slog.Logger) error {
	var stop *StopError
	switch {
	case errors.Is(err, context.Canceled):
		return err
	case errors.Is(err, enrich.ErrInsufficientCredits):
		stop = &StopError{Code: ExitCredits, Reason: "insufficient credits: " + err.Error(), Err: err}
	case errors.Is(err, enrich.ErrUnauthorized), errors.Is(err, enrich.ErrForbidden):
		stop = &StopError{Code: ExitAccess, Reason: "access denied: " + err.Error(), Err: err}
	case errors.Is(err, enrich.ErrInvalidRequest):
		log.Error("chunk rejected by the API", "err", err)
		return e.update(i, func(c *state.Chunk) { c.Status = state.ChunkFailed; c.Error = err.Error() })
	default:
		log.Error("submit failed", "err", err)
		e.update(i, func(c *state.Chunk) { c.Error = err.Error() })
		return fmt.Errorf("chunk %d: %w", i, err)
	}
	e.mu.Lock()
	if e.stop == nil {
		e.stop = stop
		e.r.log.Error("submitting stopped", "reason", stop.Reason)
	}
	e.mu.Unlock()
	return e.update(i, func(c *state.Chunk) { c.Status = state.ChunkPending; c.Error = err.Error() })
}

func (e *enricher) wait(ctx context.Context, i int, c state.Chunk, log *slog.Logger) error {
	st, err := e.client.Wait(ctx, c.TaskID, e.poll)
	if err != nil {
		if errors.Is(err, enrich.ErrNotFound) {
			log.Error("task not found", "err", err)
			return e.update(i, func(c *state.Chunk) {
				c.Status, c.JobStatus, c.Error = state.ChunkFailed, "not_found", err.Error()
			})
		}
		if !errors.Is(err, context.Canceled) {
			log.Error("waiting for job failed", "err", err)
		}
		return fmt.Errorf("chunk %d: %w", i, err)
	}
	if st.Status != "completed" {
		msg := fmt.Sprintf("job ended %s", st.Status)
		if st.Error != "" {
			msg += ": " + st.Error
		}
		log.Error("job did not complete", "status", st.Status)
		return e.update(i, func(c *state.Chunk) {
			c.Status, c.JobStatus, c.Error = state.ChunkFailed, st.Status, msg+"; rerun to resubmit this chunk"
		})
	}
	err = e.update(i, func(c *state.Chunk) {
		c.Status, c.JobStatus = state.ChunkCompleted, st.Status
		if st.ChargeAmount != nil {
			v := *st.ChargeAmount
			c.ChargedCents = &v
		}
	})
	if err != nil {
		return err
	}
	if st.ChargeAmount != nil {
		log.Info("job completed", "charge_cents", *st.ChargeAmount)
	} else {
		log.Info("job completed")
	}
	e.r.crash(CrashAfterComplete)
	return e.download(ctx, i, e.chunk(i), log, st)
}

// download fetches the final result file of a completed job. st is the
// job status just polled, when there is one; otherwise it is polled again.
func (e *enricher) download(ctx context.Context, i int, c state.Chunk, log *slog.Logger, st ...enrich.JobStatus) error {
	var status enrich.JobStatus
	if len(st) > 0 {
		status = st[0]
	} else {
		var err error
		status, err = e.client.Status(ctx, c.TaskID)
		if err != nil {
			return fmt.Errorf("chunk %d: %w", i, err)
		}
	}
	rel := filepath.Join("results", fmt.Sprintf("chunk-%05d.result", c.Index))
	if err := os.MkdirAll(filepath.Join(e.r.store.Dir, "results"), 0o755); err != nil {
		return err
	}
	format, err := e.client.DownloadResult(ctx, c.TaskID, status, filepath.Join(e.r.store.Dir, rel))
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			log.Error("download failed", "err", err)
			e.update(i, func(c *state.Chunk) {
				c.Error = "download failed: " + err.Error() + "; rerun to download it again (the job is not resubmitted)"
			})
		}
		return fmt.Errorf("chunk %d: download result: %w", i, err)
	}
	if err := e.update(i, func(c *state.Chunk) {
		c.Status, c.ResultFile, c.ResultFormat, c.Error = state.ChunkDownloaded, rel, format, ""
	}); err != nil {
		return err
	}
	log.Info("result downloaded", "format", format)
	e.r.crash(CrashAfterDownload)
	return nil
}

// checkWebhookHost resolves the host of enrich.webhook_url before the first
// submission and rejects a host with a non-public address. It does nothing
// without a webhook, or when every chunk has been submitted already.
func (r *run) checkWebhookHost(ctx context.Context) error {
	if r.p.Enrich.WebhookURL == "" {
		return nil
	}
	unsubmitted := false
	for _, c := range r.m.Chunks {
		if c.Status == state.ChunkPending || c.Status == state.ChunkSubmitting || c.Status == state.ChunkSkipped {
			unsubmitted = true
			break
		}
	}
	if !unsubmitted {
		return nil
	}
	var resolver pipelines.HostResolver = net.DefaultResolver
	if r.opts.Resolver != nil {
		resolver = r.opts.Resolver
	}
	err := r.p.ResolveWebhookHost(ctx, resolver)
	var cfgErr *pipelines.ConfigError
	if errors.As(err, &cfgErr) {
		return &ConfigError{Err: err}
	}
	return err
}

func mustHex32(s string) [32]byte {
	var out [32]byte
	b, _ := hex.DecodeString(s)
	copy(out[:], b)
	return out
}

// classifyAPIError maps an API error that ended the run to its exit code.
func classifyAPIError(err error) int {
	switch {
	case errors.Is(err, enrich.ErrInsufficientCredits):
		return ExitCredits
	case errors.Is(err, enrich.ErrUnauthorized), errors.Is(err, enrich.ErrForbidden):
		return ExitAccess
	}
	return 0
}
