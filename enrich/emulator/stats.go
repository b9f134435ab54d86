package emulator

import (
	"maps"
	"net/http"
)

// counters is the mutable form of Stats, guarded by Server.mu.
type counters struct {
	submissions      int64
	replays          int64
	requestsByStatus map[string]int64
	jobsCompleted    int64
	// jobsEnded counts jobs that ended without a result, by final state.
	jobsEnded        map[string]int64
	rowsEnriched     int64
	rowsPassthrough  int64
	chargedCents     int64
	chargesPerTask   map[string]int64
	droppedResponses int64
	webhooks         WebhookStats
}

func newCounters() counters {
	return counters{requestsByStatus: map[string]int64{}, chargesPerTask: map[string]int64{}, jobsEnded: map[string]int64{}}
}

// Stats is the body of GET /emulator/stats.
type Stats struct {
	// Submissions counts new jobs; replays of an Idempotency-Key are in Replays.
	Submissions int64 `json:"submissions"`
	Replays     int64 `json:"replays"`
	// RequestsByStatus counts API responses by HTTP status code, including
	// injected faults and dropped responses, but not requests for these stats.
	RequestsByStatus map[string]int64 `json:"requests_by_status"`
	Jobs             JobStats         `json:"jobs"`
	RowsEnriched     int64            `json:"rows_enriched"`
	RowsPassthrough  int64            `json:"rows_passthrough"`
	ChargedCents     int64            `json:"charged_cents"`
	// ChargesPerTask has one entry per completed job; failed jobs are not charged.
	ChargesPerTask map[string]int64 `json:"charges_per_task"`
	// BalanceCents is nil when the balance is unlimited.
	BalanceCents     *int64       `json:"balance_cents"`
	DroppedResponses int64        `json:"dropped_responses"`
	Webhooks         WebhookStats `json:"webhooks"`
}

// JobStats counts jobs by state.
type JobStats struct {
	Running    int64 `json:"running"`
	Completed  int64 `json:"completed"`
	Failed     int64 `json:"failed"`
	Cancelled  int64 `json:"cancelled"`
	Terminated int64 `json:"terminated"`
	TimedOut   int64 `json:"timed_out"`
}

// WebhookStats counts webhook deliveries. A delivery is one webhook; each
// delivery makes one or more attempts.
type WebhookStats struct {
	Attempts  int64 `json:"attempts"`
	Delivered int64 `json:"delivered"`
	Failed    int64 `json:"failed"`
}

// Stats returns the counters served at GET /emulator/stats, after moving
// jobs whose latency has passed to their final state.
func (s *Server) Stats() Stats {
	s.settle()
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counters
	var ended int64
	for _, n := range c.jobsEnded {
		ended += n
	}
	st := Stats{
		Submissions:      c.submissions,
		Replays:          c.replays,
		RequestsByStatus: maps.Clone(c.requestsByStatus),
		Jobs: JobStats{
			Running:    int64(len(s.jobs)) - c.jobsCompleted - ended,
			Completed:  c.jobsCompleted,
			Failed:     c.jobsEnded[stateFailed],
			Cancelled:  c.jobsEnded[stateCancelled],
			Terminated: c.jobsEnded[stateTerminated],
			TimedOut:   c.jobsEnded[stateTimedOut],
		},
		RowsEnriched:     c.rowsEnriched,
		RowsPassthrough:  c.rowsPassthrough,
		ChargedCents:     c.chargedCents,
		ChargesPerTask:   maps.Clone(c.chargesPerTask),
		DroppedResponses: c.droppedResponses,
		Webhooks:         c.webhooks,
	}
	if s.balance != nil {
		balance := *s.balance
		st.BalanceCents = &balance
	}
	return st
}

func (s *Server) handleStats(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

// unlimitedCredits is the GET /check-balance value for an unlimited balance,
// because the API's response has no way to express "unlimited".
const unlimitedCredits = 1e12

// handleCheckBalance returns the balance in credits, at 10 cents per credit.
func (s *Server) handleCheckBalance(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.authorize(w, r); !ok {
		return
	}
	s.settle()
	s.mu.Lock()
	credits := float64(unlimitedCredits)
	if s.balance != nil {
		credits = centsToCredits(*s.balance)
	}
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string]any{"credits": credits})
}
