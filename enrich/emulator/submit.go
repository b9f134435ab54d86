package emulator

import (
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// submission is a parsed multipart submit body.
type submission struct {
	hasFile   bool
	filename  string
	file      []byte
	hasConfig bool
	config    string
}

func (s *Server) submitHandler(ep endpoint) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.handleSubmit(w, r, ep)
	})
}

// handleSubmit accepts a bulk job. The checks run in this order: API key,
// cost_units, Idempotency-Key length, replay, multipart parts, config,
// high tier, file, then rate limit and balance.
func (s *Server) handleSubmit(w http.ResponseWriter, r *http.Request, ep endpoint) {
	apiKey, ok := s.authorize(w, r)
	if !ok {
		return
	}
	credits, ok := costUnits(w, r)
	if !ok {
		return
	}
	idemKey := r.Header.Get("Idempotency-Key")
	if n := utf8.RuneCountInString(idemKey); n > maxIdempotencyKey {
		writeDetail(w, http.StatusBadRequest, fmt.Sprintf("Idempotency-Key exceeds the maximum of %d characters (it has %d)", maxIdempotencyKey, n))
		return
	}
	scope := idempotencyScope(apiKey, ep, idemKey)
	// A replay returns the original job whatever the body contains, so it is
	// handled before the body is read.
	if idemKey != "" && s.replay(w, scope) {
		return
	}

	sub, err := readSubmission(r)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return
	}
	if missing := missingParts(sub); len(missing) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": missing})
		return
	}
	if n := utf8.RuneCountInString(sub.config); n > maxConfigChars {
		writeDetail(w, http.StatusBadRequest, fmt.Sprintf("Config exceeds the maximum of %d characters (it has %d); shorten it, for example research_plan", maxConfigChars, n))
		return
	}
	cfg, detail, verrs := parseConfig(sub.config, ep, s.opts.AllowLoopbackWebhooks)
	if detail != "" {
		writeDetail(w, http.StatusBadRequest, detail)
		return
	}
	if len(verrs) > 0 {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": verrs})
		return
	}
	if cfg.tier == "high" && !s.opts.HighTierEnabled {
		writeDetail(w, http.StatusForbidden, fmt.Sprintf("High tier %s enrichment is not enabled for this org. Contact sales to request access.", ep))
		return
	}
	format, err := formatForFilename(sub.filename)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return
	}
	upload, err := parseUpload(sub.file, format)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return
	}
	columns, err := outputColumns(upload, cfg)
	if err != nil {
		writeDetail(w, http.StatusBadRequest, err.Error())
		return
	}

	j := s.newJob(ep, cfg, sub, format, upload, columns, requestBaseURL(r), idemKey)
	replayed, status, retryAfter := s.admit(apiKey, scope, idemKey != "", j)
	switch {
	case replayed != nil:
		s.writeReplay(w, replayed)
	case status == http.StatusTooManyRequests:
		w.Header().Set("Retry-After", strconv.Itoa(retryAfter))
		writeDetail(w, status, "Rate limit exceeded")
	case status == http.StatusPaymentRequired:
		writeDetail(w, status, "Insufficient API credits")
	default:
		body := map[string]any{"task_id": j.id, "status": "RUNNING", "row_count": j.rowCount}
		if credits {
			body["estimated_cost_credits"] = centsToCredits(j.estimateCents)
		} else {
			body["estimated_cost_cents"] = j.estimateCents
		}
		writeJSON(w, http.StatusOK, body)
	}
}

// idempotencyScope keys a replay by API key and endpoint, because the API does
// not document the scope and a key reused across endpoints most likely means
// two different jobs.
func idempotencyScope(apiKey string, ep endpoint, idemKey string) string {
	return apiKey + "\x00" + string(ep) + "\x00" + idemKey
}

// replay sends the replay response for a known Idempotency-Key and reports whether it did.
func (s *Server) replay(w http.ResponseWriter, scope string) bool {
	s.mu.Lock()
	var j *job
	if id, ok := s.idempotency[scope]; ok {
		j = s.jobs[id]
		s.counters.replays++
	}
	s.mu.Unlock()
	if j == nil {
		return false
	}
	s.writeReplay(w, j)
	return true
}

// writeReplay sends the replay body: the original task id and no row count
// or estimate. The status is the job's current state in upper case.
func (s *Server) writeReplay(w http.ResponseWriter, j *job) {
	s.mu.Lock()
	status := strings.ToUpper(j.state)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"task_id": j.id, "status": status, "already_started": true})
}

// newJob builds a job and its result file. Nothing is registered yet.
//
// The job's random choices (its outcome, pass-through rows, mistyped and
// hostile values, row order) hash the seed with the endpoint and the
// Idempotency-Key when there is one, else with the task id. Task ids come
// from the shared random source, which fault injection also draws from, so
// keying on the Idempotency-Key gives a chunk the same result with and
// without transport faults.
func (s *Server) newJob(ep endpoint, cfg *jobConfig, sub *submission, format fileFormat, upload *table, columns []string, baseURL, idemKey string) *job {
	id := s.newUUID()
	choiceKey := id
	if idemKey != "" {
		choiceKey = string(ep) + "\x00" + idemKey
	}
	j := &job{
		id:           id,
		runID:        s.newUUID(),
		endpoint:     ep,
		cfg:          cfg,
		rowCount:     len(upload.rows),
		priceCents:   s.opts.PriceCents[cfg.tier],
		uploadName:   sub.filename,
		uploadFormat: format,
		upload:       sub.file,
		state:        stateRunning,
		baseURL:      baseURL,
		outcome:      s.jobOutcome(id, sub.filename, choiceKey),
	}
	j.estimateCents = int64(j.rowCount) * j.priceCents
	if j.rowCount <= inlinePreviewLimit {
		j.uploadPreview = uploadObjects(upload, inlinePreviewLimit)
	}
	if j.outcome == stateCompleted {
		j.result = buildResult(s.opts.Seed, choiceKey, upload, cfg, columns, resultRates{
			passthrough: s.opts.PassthroughRate,
			mistype:     s.opts.MistypeRate,
			hostile:     s.opts.HostileRate,
			shuffle:     s.opts.Shuffle,
		})
	}
	return j
}

// jobOutcome picks the final state of a new job: Options.JobOutcome when it
// returns a state, else failed with probability JobFailureRate, else completed.
func (s *Server) jobOutcome(taskID, filename, choiceKey string) string {
	if s.opts.JobOutcome != nil {
		outcome := s.opts.JobOutcome(taskID, filename)
		if isFinalState(outcome) {
			return outcome
		}
		if outcome != "" {
			s.log.Error("emulator JobOutcome returned an unknown state; the job fails instead",
				"task_id", taskID, "state", outcome)
			return stateFailed
		}
	}
	if unitHash(strconv.FormatInt(s.opts.Seed, 10), choiceKey, "job-failure") < s.opts.JobFailureRate {
		return stateFailed
	}
	return stateCompleted
}

// admit registers j unless a concurrent request registered the same
// Idempotency-Key first (replayed is then that job), the rate limit is
// reached (429) or the balance does not cover the estimate (402).
//
// Replays neither count against the rate limit nor are refused by it, so a
// client retrying a lost response always gets its task id back. The API does
// not document this either way.
func (s *Server) admit(apiKey, scope string, hasKey bool, j *job) (replayed *job, status int, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if hasKey {
		if id, ok := s.idempotency[scope]; ok {
			s.counters.replays++
			return s.jobs[id], http.StatusOK, 0
		}
	}
	if wait := s.retryAfterLocked(apiKey); wait > 0 {
		return nil, http.StatusTooManyRequests, wait
	}
	s.settleLocked()
	if s.balance != nil && *s.balance-s.reservedCentsLocked() < j.estimateCents {
		return nil, http.StatusPaymentRequired, 0
	}

	now := s.now()
	j.submitted = now
	j.due = now.Add(s.opts.JobLatency)
	s.jobs[j.id] = j
	if hasKey {
		s.idempotency[scope] = j.id
	}
	s.submitTimes[apiKey] = append(s.submitTimes[apiKey], now)
	s.counters.submissions++
	j.timer = time.AfterFunc(s.opts.JobLatency, s.settle)
	s.log.Info("emulator job started", "task_id", j.id, "endpoint", string(j.endpoint),
		"rows", j.rowCount, "tier", j.cfg.tier, "estimated_cost_cents", j.estimateCents)
	return nil, http.StatusOK, 0
}

// missingParts returns the FastAPI 422 entries for absent form parts.
func missingParts(sub *submission) []validationError {
	var missing []validationError
	if !sub.hasFile {
		missing = append(missing, validationError{Loc: []any{"body", "file"}, Msg: "Field required", Type: "missing"})
	}
	if !sub.hasConfig {
		missing = append(missing, validationError{Loc: []any{"body", "config"}, Msg: "Field required", Type: "missing"})
	}
	return missing
}

// readSubmission reads the file and config parts. A body that is not
// multipart yields a submission with both parts missing, as FastAPI reports
// it. Its errors are messages for a 400 response.
func readSubmission(r *http.Request) (*submission, error) {
	sub := &submission{}
	mr, err := r.MultipartReader()
	if err != nil {
		return sub, nil
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return sub, nil
		}
		if err != nil {
			return nil, fmt.Errorf("Invalid multipart body: %v; send multipart/form-data with parts file and config", err)
		}
		switch part.FormName() {
		case "file":
			if sub.hasFile {
				continue
			}
			data, err := readLimited(part, maxUploadBytes)
			if errors.Is(err, errTooLarge) {
				return nil, fmt.Errorf("File exceeds the maximum size of 100 MB (%d bytes); split it into smaller files", maxUploadBytes)
			}
			if err != nil {
				return nil, fmt.Errorf("Invalid multipart body: reading part file failed: %v", err)
			}
			sub.hasFile, sub.filename, sub.file = true, part.FileName(), data
		case "config":
			if sub.hasConfig {
				continue
			}
			// A character takes at most 4 bytes in UTF-8.
			data, err := readLimited(part, 4*maxConfigChars)
			if errors.Is(err, errTooLarge) {
				return nil, fmt.Errorf("Config exceeds the maximum of %d characters", maxConfigChars)
			}
			if err != nil {
				return nil, fmt.Errorf("Invalid multipart body: reading part config failed: %v", err)
			}
			sub.hasConfig, sub.config = true, string(data)
		}
		_ = part.Close()
	}
}

var errTooLarge = errors.New("part too large")

// readLimited reads at most limit bytes from part, or returns errTooLarge.
func readLimited(part *multipart.Part, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(part, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errTooLarge
	}
	return data, nil
}
