package emulator

import (
	"encoding/json"
	"math"
	"net/http"
	"time"
)

// Job states as job-status reports them.
const (
	stateRunning    = "running"
	stateCompleted  = "completed"
	stateFailed     = "failed"
	stateCancelled  = "cancelled"
	stateTerminated = "terminated"
	stateTimedOut   = "timed_out"
)

// isFinalState reports whether state is one of the final job states that
// Options.JobOutcome may return.
func isFinalState(state string) bool {
	switch state {
	case stateCompleted, stateFailed, stateCancelled, stateTerminated, stateTimedOut:
		return true
	}
	return false
}

// job is one accepted bulk submission.
//
// NOTE: jobs, with their uploads and result files, stay in memory until the
// Server is closed, so a long emulate session grows with every submission.
type job struct {
	id       string
	runID    string
	endpoint endpoint
	cfg      *jobConfig

	rowCount      int
	priceCents    int64
	estimateCents int64
	// outcome is the final state the job reaches when its latency has passed.
	outcome string

	submitted time.Time
	due       time.Time
	state     string
	timer     *time.Timer

	uploadName    string
	uploadFormat  fileFormat
	upload        []byte
	uploadPreview []json.RawMessage // nil when the upload has more rows than the preview limit

	result       *resultFile // nil for a job that fails
	chargedCents int64

	// baseURL is the scheme and host the submission was sent to, for the
	// download link in a webhook delivery.
	baseURL string
}

// resultFilename is the name of block 2's file.
func (j *job) resultFilename() string {
	return "enriched" + j.cfg.resultFormat.extension()
}

// settleLocked moves every running job whose latency has passed to its final
// state and charges completed jobs. It returns the jobs that completed now.
// The caller holds s.mu.
func (s *Server) settleLocked() []*job {
	now := s.now()
	var completed []*job
	for _, j := range s.jobs {
		if j.state != stateRunning || now.Before(j.due) {
			continue
		}
		if j.timer != nil {
			j.timer.Stop()
		}
		if j.outcome != stateCompleted {
			j.state = j.outcome
			s.counters.jobsEnded[j.outcome]++
			s.log.Info("emulator job ended without a result", "task_id", j.id, "rows", j.rowCount, "status", j.outcome)
			continue
		}
		j.state = stateCompleted
		j.chargedCents = int64(j.result.enriched) * j.priceCents
		if s.balance != nil {
			*s.balance -= j.chargedCents
		}
		s.counters.jobsCompleted++
		s.counters.rowsEnriched += int64(j.result.enriched)
		s.counters.rowsPassthrough += int64(j.result.passthrough)
		s.counters.chargedCents += j.chargedCents
		s.counters.chargesPerTask[j.id] = j.chargedCents
		s.log.Info("emulator job completed", "task_id", j.id, "rows", j.rowCount,
			"rows_enriched", j.result.enriched, "charged_cents", j.chargedCents)
		completed = append(completed, j)
	}
	return completed
}

// settle runs settleLocked and starts the webhook deliveries it makes due.
func (s *Server) settle() {
	s.mu.Lock()
	completed := s.settleLocked()
	s.mu.Unlock()
	for _, j := range completed {
		s.startWebhook(j)
	}
}

// reservedCentsLocked sums the estimates of jobs that are not charged yet.
// The balance check subtracts them, so concurrent jobs cannot overdraw it.
func (s *Server) reservedCentsLocked() int64 {
	var reserved int64
	for _, j := range s.jobs {
		if j.state == stateRunning {
			reserved += j.estimateCents
		}
	}
	return reserved
}

// retryAfterLocked returns the whole seconds until the oldest of the API
// key's submissions in the last minute leaves the window, or 0 when a new
// submission is allowed now. The caller holds s.mu.
func (s *Server) retryAfterLocked(apiKey string) int {
	if s.opts.RateLimit < 0 {
		return 0
	}
	now := s.now()
	window := now.Add(-time.Minute)
	times := s.submitTimes[apiKey]
	inWindow := times[:0]
	for _, t := range times {
		if t.After(window) {
			inWindow = append(inWindow, t)
		}
	}
	s.submitTimes[apiKey] = inWindow
	if len(inWindow) < s.opts.RateLimit {
		return 0
	}
	oldest := inWindow[len(inWindow)-s.opts.RateLimit]
	wait := oldest.Add(time.Minute).Sub(now)
	return max(1, int(math.Ceil(wait.Seconds())))
}

func (s *Server) handleJobStatus(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r); !ok {
		return
	}
	credits, ok := costUnits(w, r)
	if !ok {
		return
	}
	s.settle()
	s.mu.Lock()
	j, found := s.jobs[r.PathValue("task_id")]
	var body map[string]any
	if found {
		body = s.jobStatusLocked(j, requestBaseURL(r), credits)
	}
	s.mu.Unlock()
	if !found {
		writeDetail(w, http.StatusNotFound, "Job not found")
		return
	}
	writeJSON(w, http.StatusOK, body)
}

// jobStatusLocked builds the job-status body. Each call signs fresh download
// links that expire LinkTTL from now.
func (s *Server) jobStatusLocked(j *job, baseURL string, credits bool) map[string]any {
	body := map[string]any{
		"status":     j.state,
		"id":         j.id,
		"run_id":     j.runID,
		"start_time": j.submitted.UTC().Format(time.RFC3339),
	}
	switch j.state {
	case stateFailed:
		// NOTE: the API documents no error member for a failed bulk job;
		// the emulator adds one for people reading the response.
		body["close_time"] = j.due.UTC().Format(time.RFC3339)
		body["error"] = "Emulated job failure"
	case stateCancelled, stateTerminated, stateTimedOut:
		body["close_time"] = j.due.UTC().Format(time.RFC3339)
	case stateCompleted:
		body["close_time"] = j.due.UTC().Format(time.RFC3339)
		if credits {
			body["charge_credits"] = centsToCredits(j.chargedCents)
		} else {
			body["charge_amount"] = j.chargedCents
		}
		body["results"] = []map[string]any{
			s.resultEntry(j, 1, baseURL),
			s.resultEntry(j, 2, baseURL),
		}
	}
	return body
}

// resultEntry describes one block's file. Block 1 is the upload as received,
// block 2 the enriched file. Files of at most inlinePreviewLimit rows carry
// their rows inline; larger files have "results": null.
func (s *Server) resultEntry(j *job, block int, baseURL string) map[string]any {
	entry := map[string]any{
		"storage_bucket":              "crmsync-emulator",
		"row_count":                   j.rowCount,
		"block_number":                block,
		"download_url":                s.signedLink(baseURL, j.id, block),
		"download_expires_in_seconds": int64(s.opts.LinkTTL / time.Second),
		"created_at":                  j.due.UTC().Format(time.RFC3339),
		"message":                     nil,
		"results":                     nil,
	}
	if block == 1 {
		entry["filename"] = j.uploadName
		entry["content_type"] = j.uploadFormat.contentType()
		entry["file_size"] = len(j.upload)
		if j.uploadPreview != nil {
			entry["results"] = j.uploadPreview
		}
		return entry
	}
	entry["filename"] = j.resultFilename()
	entry["content_type"] = j.result.format.contentType()
	entry["file_size"] = len(j.result.data)
	if j.rowCount <= inlinePreviewLimit {
		entry["results"] = j.result.objects
	}
	return entry
}

// centsToCredits converts cents to credits. NOTE: the ratio of 10 cents per
// credit is inferred from the API's example values, not documented.
func centsToCredits(cents int64) float64 {
	return float64(cents) / 10
}

// costUnits reads the cost_units query parameter and reports whether credits
// were requested. An unknown value gets a 422 response.
func costUnits(w http.ResponseWriter, r *http.Request) (credits bool, ok bool) {
	switch value := r.URL.Query().Get("cost_units"); value {
	case "", "cents":
		return false, true
	case "credits":
		return true, true
	default:
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": []validationError{{
			Loc:   []any{"query", "cost_units"},
			Msg:   "Input should be 'cents' or 'credits'",
			Type:  "enum",
			Input: value,
			Ctx:   map[string]any{"expected": "'cents' or 'credits'"},
		}}})
		return false, false
	}
}

// requestBaseURL returns the scheme and host the client used to reach the server.
func requestBaseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}
