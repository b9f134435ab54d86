package runner

import "time"

// Exit codes, one per class, so an orchestrator can tell a bad config from a
// transient failure.
const (
	ExitOK          = 0
	ExitRuntime     = 1
	ExitUsage       = 2
	ExitPartial     = 3
	ExitCredits     = 4
	ExitAccess      = 5
	ExitLocked      = 6
	ExitConfig      = 78
	ExitInterrupted = 130
)

// Run statuses.
const (
	StatusSucceeded   = "succeeded"
	StatusPartial     = "partial"
	StatusFailed      = "failed"
	StatusInterrupted = "interrupted"
)

// ChunkResult is one chunk's line in the summary.
type ChunkResult struct {
	Index              int      `json:"index"`
	Rows               int      `json:"rows"`
	TaskID             *string  `json:"task_id"`
	Status             string   `json:"status"`
	EstimatedCostCents *int64   `json:"estimated_cost_cents"`
	ChargedCents       *float64 `json:"charged_cents"`
	Error              *string  `json:"error"`
}

// Rejects describes the reject file.
type Rejects struct {
	Path   *string        `json:"path"`
	ByKind map[string]int `json:"by_kind"`
}

// OutputResult is one written output.
type OutputResult struct {
	Path   string `json:"path"`
	Format string `json:"format"`
	Rows   int64  `json:"rows"`
}

// ResultKeys counts result rows that could not be joined one to one.
type ResultKeys struct {
	Duplicate int64 `json:"duplicate"`
	Unknown   int64 `json:"unknown"`
	Missing   int64 `json:"missing"`
}

// Summary is the run summary written by --summary and logged at the end.
type Summary struct {
	Pipeline           string  `json:"pipeline"`
	RunID              string  `json:"run_id"`
	Status             string  `json:"status"`
	ExitCode           int     `json:"exit_code"`
	StartedAt          string  `json:"started_at"`
	DurationSeconds    float64 `json:"duration_seconds"`
	RowsRead           int64   `json:"rows_read"`
	RowsRejected       int64   `json:"rows_rejected"`
	RowsEnriched       int64   `json:"rows_enriched"`
	RowsNotEnriched    int64   `json:"rows_not_enriched"`
	Chunks             int     `json:"chunks"`
	Submissions        int     `json:"submissions"`
	Replays            int     `json:"replays"`
	EstimatedCostCents int64   `json:"estimated_cost_cents"`
	ChargedCents       float64 `json:"charged_cents"`
	// ReplayedChargedCents is the charge of jobs an earlier run started
	// and this run reused through their Idempotency-Keys. That run paid it,
	// so it is not part of charged_cents.
	ReplayedChargedCents float64          `json:"replayed_charged_cents"`
	ChunkResults         []ChunkResult    `json:"chunk_results"`
	Rejects              Rejects          `json:"rejects"`
	TypeMismatches       map[string]int64 `json:"type_mismatches"`
	ResultKeys           ResultKeys       `json:"result_keys"`
	Outputs              []OutputResult   `json:"outputs"`
	// Resumed is true when this run continued an unfinished one.
	Resumed bool `json:"resumed"`
	// StopReason is the reason submitting stopped early, when it did.
	StopReason string `json:"stop_reason,omitempty"`
	// Error is the error that ended the run, when one did.
	Error string `json:"error,omitempty"`
	// Synthetic is true when the results came from the emulator.
	Synthetic bool `json:"synthetic,omitempty"`

	start time.Time
}

// FailedSummary returns the summary of a run that ended with err before it
// started, for example on a pipeline that does not load. pipeline is ""
// when the name is unknown.
func FailedSummary(pipeline string, code int, err error) *Summary {
	sum := &Summary{
		Pipeline:       pipeline,
		Status:         StatusFailed,
		ExitCode:       code,
		StartedAt:      time.Now().UTC().Format(time.RFC3339),
		TypeMismatches: map[string]int64{},
		Rejects:        Rejects{ByKind: map[string]int{}},
		ChunkResults:   []ChunkResult{},
		Outputs:        []OutputResult{},
	}
	if err != nil {
		sum.Error = err.Error()
	}
	return sum
}
