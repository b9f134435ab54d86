// Package state keeps a run's manifest on disk so that a run killed at any
// point can be resumed without losing records or submitting a chunk twice.
// Every update replaces the manifest atomically: temporary file, fsync,
// rename, fsync of the folder.
package state

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"
)

// Version is the manifest format version.
const Version = 1

// Run phases, in order.
const (
	PhaseChunking  = "chunking"
	PhaseEnriching = "enriching"
	PhaseMerging   = "merging"
	PhaseDone      = "done"
)

// Chunk states. A chunk moves pending -> submitting -> submitted ->
// completed -> downloaded, or ends failed.
const (
	ChunkPending    = "pending"
	ChunkSubmitting = "submitting" // the submit request may have reached the API; resubmit with the same key
	ChunkSubmitted  = "submitted"  // task id recorded; poll, never resubmit
	ChunkCompleted  = "completed"  // job completed; result not yet downloaded
	ChunkDownloaded = "downloaded" // result file on disk
	ChunkFailed     = "failed"     // job ended failed, cancelled, terminated or timed_out, or submit was rejected
	ChunkSkipped    = "skipped"    // not submitted: budget, credits or access stopped the run
)

// Chunk is the state of one chunk.
type Chunk struct {
	Index          int      `json:"index"`
	File           string   `json:"file"` // relative to the run folder
	Rows           int      `json:"rows"`
	Bytes          int64    `json:"bytes"`
	SHA256         string   `json:"sha256"`
	FirstOrdinal   int64    `json:"first_ordinal"`
	Attempt        int      `json:"attempt"`
	IdempotencyKey string   `json:"idempotency_key"`
	TaskID         string   `json:"task_id,omitempty"`
	Status         string   `json:"status"`
	JobStatus      string   `json:"job_status,omitempty"`
	EstimatedCents *int64   `json:"estimated_cost_cents,omitempty"`
	ChargedCents   *float64 `json:"charged_cents,omitempty"`
	// EarlierKey is true when an earlier run submitted a chunk with the
	// same Idempotency-Key, so an already_started response means that
	// run's job.
	EarlierKey bool `json:"earlier_key,omitempty"`
	// Replayed is true when the API returned, for the submission, a job that
	// an earlier run started, so its charge was paid then.
	Replayed     bool   `json:"replayed,omitempty"`
	ResultFile   string `json:"result_file,omitempty"` // relative to the run folder
	ResultFormat string `json:"result_format,omitempty"`
	Error        string `json:"error,omitempty"`
}

// Manifest is the whole state of one run.
type Manifest struct {
	Version             int    `json:"version"`
	RunID               string `json:"run_id"`
	Pipeline            string `json:"pipeline"`
	PipelineFingerprint string `json:"pipeline_fingerprint"`
	InputFingerprint    string `json:"input_fingerprint"`
	// BaseURL is the API address the chunks were submitted to; task ids
	// mean nothing at another address.
	BaseURL       string         `json:"base_url,omitempty"`
	StartedAt     time.Time      `json:"started_at"`
	Phase         string         `json:"phase"`
	Columns       []string       `json:"columns,omitempty"`
	RowsRead      int64          `json:"rows_read"`
	RowsRejected  int64          `json:"rows_rejected"`
	RejectsByKind map[string]int `json:"rejects_by_kind,omitempty"`
	RejectsPath   string         `json:"rejects_path,omitempty"`
	Chunks        []Chunk        `json:"chunks"`
	// SubmissionTimes are the times of recent submissions, so a restarted
	// run respects the per-minute rate limit from its first request.
	SubmissionTimes []time.Time `json:"submission_times,omitempty"`
	// StopReason records why submitting stopped early (credits, budget,
	// access), so a resumed run reports it again.
	StopReason string `json:"stop_reason,omitempty"`
}

// Store reads and writes the manifest of one pipeline's run folder.
type Store struct {
	Dir string // the run folder: <state_dir>/<pipeline name>
}

const manifestName = "run.json"

// Load returns the saved manifest, or nil when there is none.
func (s Store) Load() (*Manifest, error) {
	data, err := os.ReadFile(filepath.Join(s.Dir, manifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("run state %s is corrupt (%v); rerun with --restart to start a new run", filepath.Join(s.Dir, manifestName), err)
	}
	if m.Version != Version {
		return nil, fmt.Errorf("run state %s has version %d, this crmsync writes %d; rerun with --restart", filepath.Join(s.Dir, manifestName), m.Version, Version)
	}
	return &m, nil
}

// Save replaces the manifest atomically.
func (s Store) Save(m *Manifest) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(s.Dir, manifestName), append(data, '\n'))
}

// Path returns a path inside the run folder.
func (s Store) Path(rel string) string { return filepath.Join(s.Dir, rel) }

// WriteFileAtomic writes data to a temporary file beside path, fsyncs it,
// renames it over path and fsyncs the folder.
func WriteFileAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	// CreateTemp makes the file private; a summary or manifest is read
	// by other tools, so give it the usual mode.
	err = f.Chmod(0o644)
	if err == nil {
		_, err = f.Write(data)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return SyncDir(dir)
}

// SyncDir fsyncs a folder so a rename inside it survives a crash.
func SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}

// RemoveTemps deletes the temporary manifests that a killed process left in
// the run folder. Call it only while holding the run's lock.
func (s Store) RemoveTemps() {
	stale, _ := filepath.Glob(filepath.Join(s.Dir, "."+manifestName+".*.tmp"))
	for _, f := range stale {
		os.Remove(f)
	}
}
