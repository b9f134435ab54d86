// Package runner runs a pipeline: read and chunk the source, submit each
// chunk to the bulk API, collect the results, merge them back and write the
// sinks. Every step is recorded in the run state, so a run killed at any
// point resumes where it stopped without submitting a chunk twice.
package runner

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/crmsync/crmsync/enrich"
	"github.com/crmsync/crmsync/pipelines"
	"github.com/crmsync/crmsync/pipelines/state"
)

// Options are the settings of one run that do not come from the YAML file.
type Options struct {
	// BaseURL, when set, replaces enrich.base_url (the CLI sets it for --emulator).
	BaseURL string
	// APIKey is the key sent to the API. The CLI reads it from the
	// environment variable named by enrich.api_key_env.
	APIKey string
	// StateDir, when set, replaces state_dir.
	StateDir string
	// Restart discards an unfinished run and starts a new one whose chunks
	// get new Idempotency-Keys.
	Restart    bool
	Logger     *slog.Logger
	HTTPClient *http.Client
	// Synthetic marks the results as coming from the emulator.
	Synthetic bool
	// Version is written into Parquet metadata.
	Version string
	// Progress receives progress events; nil reports nothing.
	Progress Progress
	// Crash, when set, is called at each named point of the run; tests use
	// it to stop a run exactly there.
	Crash func(point string)
	// Retry, when set, replaces the client's default retry policy (tests
	// shorten its waits).
	Retry *enrich.RetryPolicy
	// Resolver resolves the webhook host before the first submission; nil
	// uses the system resolver.
	Resolver pipelines.HostResolver
}

// Crash points, in the order a run passes them.
const (
	CrashAfterChunking   = "after-chunking"
	CrashBeforeSubmit    = "before-submit"     // state is submitting; request not sent
	CrashAfterSubmitSent = "after-submit-sent" // response received, task id not yet recorded
	CrashAfterSubmit     = "after-submit"      // task id recorded
	CrashAfterComplete   = "after-complete"    // job completed, not downloaded
	CrashAfterDownload   = "after-download"
	CrashMidMerge        = "mid-merge"
	CrashMidSinkWrite    = "mid-sink-write"
	CrashBeforeCommit    = "before-commit"
)

// run is the state of one run in memory.
type run struct {
	p        *pipelines.Pipeline
	opts     Options
	log      *slog.Logger
	store    state.Store
	m        *state.Manifest
	sum      *Summary
	apiCfg   []byte
	attempt0 int
	// prevAttempts maps a chunk's SHA-256 to the attempt number the new
	// run uses for it: the previous run's attempt, plus one when that job
	// ended failed, cancelled, terminated or timed out.
	prevAttempts map[string]int
	// prevKeys are the Idempotency-Keys the previous run sent.
	prevKeys map[string]bool
}

func (r *run) crash(point string) {
	if r.opts.Crash != nil {
		r.opts.Crash(point)
	}
}

func (r *run) save() error {
	if err := r.store.Save(r.m); err != nil {
		return fmt.Errorf("save run state: %w", err)
	}
	return nil
}

// Run runs or resumes the pipeline. It always returns a summary, whose
// ExitCode classifies the outcome. A non-nil error is what stopped the run.
func Run(ctx context.Context, p *pipelines.Pipeline, opts Options) (*Summary, error) {
	start := time.Now()
	sum := &Summary{
		Pipeline:       p.Name,
		StartedAt:      start.UTC().Format(time.RFC3339),
		TypeMismatches: map[string]int64{},
		Rejects:        Rejects{ByKind: map[string]int{}},
		ChunkResults:   []ChunkResult{},
		Outputs:        []OutputResult{},
		Synthetic:      opts.Synthetic,
		start:          start,
	}
	err := execute(ctx, p, opts, sum)
	finish(sum, err)
	return sum, err
}

func finish(sum *Summary, err error) {
	sum.DurationSeconds = time.Since(sum.start).Seconds()
	if err != nil {
		sum.Error = err.Error()
	}
	sum.ExitCode = exitCode(sum, err)
	switch {
	case sum.ExitCode == ExitOK:
		sum.Status = StatusSucceeded
	case sum.ExitCode == ExitPartial:
		sum.Status = StatusPartial
	case sum.ExitCode == ExitInterrupted:
		sum.Status = StatusInterrupted
	default:
		sum.Status = StatusFailed
	}
}

func execute(ctx context.Context, p *pipelines.Pipeline, opts Options, sum *Summary) error {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	chunks := newChunkTable()
	log = slog.New(newChunkLogHandler(log.Handler(), chunks)).With("pipeline", p.Name)

	stateDir := p.StateDir
	if opts.StateDir != "" {
		stateDir = opts.StateDir
	}
	if stateDir == "" {
		stateDir = filepath.Join(p.Dir, ".crmsync")
	}
	store := state.Store{Dir: filepath.Join(stateDir, p.Name)}
	lock, err := state.Acquire(store.Dir)
	if err != nil {
		return err
	}
	defer lock.Release()
	store.RemoveTemps()

	// Check the layouts and inputs against the source's columns before any
	// chunk is paid for.
	warnings, err := Check(p)
	if err != nil {
		return err
	}
	for _, w := range warnings {
		log.Warn(w)
	}
	apiCfg, err := apiConfigJSON(p)
	if err != nil {
		return &ConfigError{Err: err}
	}
	pipelineFP, err := pipelineFingerprint(p, apiCfg)
	if err != nil {
		return err
	}
	inputFP, err := fileFingerprint(p.Source.Path)
	if err != nil {
		return fmt.Errorf("read source %s: %w", p.Source.Path, err)
	}

	baseURL := p.Enrich.BaseURL
	if opts.BaseURL != "" {
		baseURL = opts.BaseURL
	}
	r := &run{p: p, opts: opts, store: store, sum: sum, apiCfg: apiCfg}
	prev, err := store.Load()
	if err != nil && !opts.Restart {
		return err
	}
	// Each chunk keeps the attempt number of its last job, so a rerun
	// replays that job instead of paying again. A job that failed gets the
	// next attempt, and --restart moves every chunk past all attempts seen.
	attemptBase := 1
	if prev != nil {
		for _, c := range prev.Chunks {
			if c.Attempt >= attemptBase {
				attemptBase = c.Attempt
			}
		}
	}
	resume := false
	switch {
	case prev == nil:
	case opts.Restart:
		attemptBase++
		log.Info("restart requested: starting a new run whose chunks get new Idempotency-Keys", "previous_run_id", prev.RunID)
	case prev.Phase == state.PhaseDone:
		// A finished run on the same input starts anew with the same
		// attempt numbers, so the API replays its jobs instead of charging.
	case prev.PipelineFingerprint != pipelineFP:
		log.Info("pipeline changed since the unfinished run: starting a new run", "previous_run_id", prev.RunID)
	case prev.InputFingerprint != inputFP:
		log.Info("input file changed since the unfinished run: starting a new run", "previous_run_id", prev.RunID)
	case prev.BaseURL != "" && prev.BaseURL != baseURL:
		log.Info("API address changed since the unfinished run, so its task ids do not apply: starting a new run",
			"previous_run_id", prev.RunID, "previous_base_url", prev.BaseURL, "base_url", baseURL)
	default:
		resume = true
	}
	if resume {
		r.m = prev
		sum.Resumed = true
	} else {
		if err := resetRunDir(store.Dir); err != nil {
			return err
		}
		r.m = &state.Manifest{
			Version:             state.Version,
			RunID:               newRunID(),
			Pipeline:            p.Name,
			PipelineFingerprint: pipelineFP,
			InputFingerprint:    inputFP,
			BaseURL:             baseURL,
			StartedAt:           time.Now().UTC(),
			Phase:               state.PhaseChunking,
		}
		if prev != nil {
			r.m.SubmissionTimes = prev.SubmissionTimes
		}
	}
	r.attempt0 = 1
	if opts.Restart {
		r.attempt0 = attemptBase
	} else if prev != nil && !resume {
		r.prevAttempts = map[string]int{}
		r.prevKeys = map[string]bool{}
		for _, c := range prev.Chunks {
			if c.TaskID != "" || c.Status == state.ChunkSubmitting {
				r.prevKeys[c.IdempotencyKey] = true
			}
			next := c.Attempt
			if c.Status == state.ChunkFailed && c.JobStatus != "" {
				next++
			}
			r.prevAttempts[c.SHA256] = next
		}
	}
	sum.RunID = r.m.RunID
	r.log = log.With("run_id", r.m.RunID)
	if resume {
		r.log.Info("resuming unfinished run", "phase", r.m.Phase)
	} else {
		r.log.Info("starting run", "source", p.Source.Path)
	}
	if err := r.save(); err != nil {
		return err
	}

	if r.m.Phase == state.PhaseChunking {
		if err := r.chunk(ctx); err != nil {
			return err
		}
		r.crash(CrashAfterChunking)
	} else {
		r.progress(EventReadDone, r.m.RowsRead, int64(len(r.m.Chunks)))
	}
	r.fillReadCounts()
	chunks.load(r.m)

	if r.m.Phase == state.PhaseEnriching {
		stop, err := r.enrich(ctx)
		r.fillChunkResults()
		if err != nil {
			return err
		}
		if stop != nil {
			return stop
		}
		r.m.Phase = state.PhaseMerging
		if err := r.save(); err != nil {
			return err
		}
	}
	r.fillChunkResults()

	if r.m.Phase == state.PhaseMerging {
		if err := r.merge(ctx); err != nil {
			return err
		}
		r.m.Phase = state.PhaseDone
		if err := r.save(); err != nil {
			return err
		}
	}
	r.log.Info("run finished", "rows_read", sum.RowsRead, "rows_enriched", sum.RowsEnriched,
		"rows_not_enriched", sum.RowsNotEnriched, "rows_rejected", sum.RowsRejected)
	return nil
}

func (r *run) fillReadCounts() {
	r.sum.RowsRead = r.m.RowsRead
	r.sum.RowsRejected = r.m.RowsRejected
	r.sum.Chunks = len(r.m.Chunks)
	for k, v := range r.m.RejectsByKind {
		r.sum.Rejects.ByKind[k] = v
	}
}

func (r *run) fillChunkResults() {
	r.sum.ChunkResults = r.sum.ChunkResults[:0]
	r.sum.EstimatedCostCents, r.sum.ChargedCents, r.sum.ReplayedChargedCents = 0, 0, 0
	for _, c := range r.m.Chunks {
		cr := ChunkResult{Index: c.Index, Rows: c.Rows, Status: chunkStatus(c),
			EstimatedCostCents: c.EstimatedCents, ChargedCents: c.ChargedCents}
		if c.TaskID != "" {
			id := c.TaskID
			cr.TaskID = &id
		}
		if c.Error != "" {
			e := c.Error
			cr.Error = &e
		}
		switch {
		case c.Replayed:
			// Paid by the run that started the job: not this run's cost.
			if c.ChargedCents != nil {
				r.sum.ReplayedChargedCents += *c.ChargedCents
			}
		default:
			if c.EstimatedCents != nil {
				r.sum.EstimatedCostCents += *c.EstimatedCents
			}
			if c.ChargedCents != nil {
				r.sum.ChargedCents += *c.ChargedCents
			}
		}
		r.sum.ChunkResults = append(r.sum.ChunkResults, cr)
	}
}

// chunkStatus is the job status shown in the summary.
func chunkStatus(c state.Chunk) string {
	switch c.Status {
	case state.ChunkDownloaded, state.ChunkCompleted:
		return "completed"
	case state.ChunkFailed:
		if c.JobStatus != "" {
			return c.JobStatus
		}
		return "failed"
	case state.ChunkSubmitted, state.ChunkSubmitting:
		return "running"
	default:
		return "not_submitted"
	}
}

// resetRunDir removes the chunk and result files of a previous run; the
// manifest is replaced by the caller.
func resetRunDir(dir string) error {
	for _, sub := range []string{"chunks", "results", "tmp"} {
		if err := os.RemoveAll(filepath.Join(dir, sub)); err != nil {
			return err
		}
	}
	os.Remove(filepath.Join(dir, "rejects.jsonl"))
	return os.MkdirAll(dir, 0o755)
}

func newRunID() string {
	var b [6]byte
	rand.Read(b[:])
	return time.Now().UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b[:])
}

// pipelineFingerprint hashes what decides the chunks and the jobs: the
// source settings, the chunk limits, the inputs, the endpoint and the API
// config. Sink settings are left out, so changing an output reuses results.
func pipelineFingerprint(p *pipelines.Pipeline, apiCfg []byte) (string, error) {
	inputs := make([][2]string, 0, len(p.Enrich.InputOrder))
	for _, k := range p.Enrich.InputOrder {
		inputs = append(inputs, [2]string{k, p.Enrich.Inputs[k]})
	}
	data, err := json.Marshal(struct {
		Source   pipelines.SourceConfig
		Chunk    pipelines.ChunkConfig
		Endpoint string
		Inputs   [][2]string
		Config   json.RawMessage
	}{p.Source, p.Chunk, p.Enrich.Endpoint, inputs, apiCfg})
	if err != nil {
		return "", err
	}
	h := sha256.Sum256(data)
	return hex.EncodeToString(h[:]), nil
}

// fileFingerprint hashes the source file's bytes.
func fileFingerprint(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

func apiConfigJSON(p *pipelines.Pipeline) ([]byte, error) {
	cfg, err := p.APIConfig()
	if err != nil {
		return nil, err
	}
	return pipelines.CanonicalJSON(cfg)
}

// ConfigError marks a configuration problem found while running.
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// StopError reports that submitting stopped early and why.
type StopError struct {
	Code   int // ExitCredits or ExitAccess
	Reason string
	Err    error
}

func (e *StopError) Error() string { return e.Reason }
func (e *StopError) Unwrap() error { return e.Err }

func exitCode(sum *Summary, err error) int {
	var cfg *ConfigError
	var stop *StopError
	var cerr *pipelines.ConfigErrors
	switch {
	case err == nil:
		if sum.RowsRejected > 0 || hasFailedChunk(sum) {
			return ExitPartial
		}
		return ExitOK
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	case errors.Is(err, state.ErrLocked):
		return ExitLocked
	case errors.As(err, &stop):
		return stop.Code
	case errors.As(err, &cfg), errors.As(err, &cerr):
		return ExitConfig
	default:
		if c := classifyAPIError(err); c != 0 {
			return c
		}
		return ExitRuntime
	}
}

func hasFailedChunk(sum *Summary) bool {
	for _, c := range sum.ChunkResults {
		if c.Status != "completed" {
			return true
		}
	}
	return false
}

// ExitCodeFor returns the exit code for a run that ended with err.
func ExitCodeFor(sum *Summary, err error) int { return exitCode(sum, err) }
