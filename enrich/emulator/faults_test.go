package emulator

import (
	"fmt"
	"io"
	"net/http"
	"testing"
)

func TestErrorRateSubmitCreatesNoJob(t *testing.T) {
	base, s, _ := startServer(t, Options{ErrorRate: 1})
	resp := submit(t, base, submitRequest{file: leadsCSV(2), config: basicConfig, idemKey: "k1"})
	if resp.status != http.StatusInternalServerError || resp.detail(t) != "Internal server error" {
		t.Fatalf("status %d: %s", resp.status, resp.body)
	}
	st := s.Stats()
	if st.Submissions != 0 || st.Jobs.Running != 0 || st.RequestsByStatus["500"] != 1 {
		t.Errorf("stats after an injected 500: %+v", st)
	}
	// An API key check is skipped too: the fault comes before any work.
	if resp := get(t, base+"/check-balance", ""); resp.status != http.StatusInternalServerError {
		t.Errorf("check-balance: status %d, want 500", resp.status)
	}
}

// sendMayDrop sends req and reports whether the response arrived whole.
func sendMayDrop(t *testing.T, req *http.Request) (response, bool) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return response{}, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return response{}, false
	}
	return response{status: resp.StatusCode, header: resp.Header, body: body}, true
}

func TestDropRateSubmitCreatesJob(t *testing.T) {
	base, s, _ := startServer(t, Options{DropRate: 1})
	req := submitRequest{file: leadsCSV(2), config: basicConfig, idemKey: "chunk-1"}
	if _, ok := sendMayDrop(t, req.build(t, base)); ok {
		t.Fatalf("response arrived whole with DropRate 1")
	}
	st := s.Stats()
	if st.Submissions != 1 || st.Jobs.Running != 1 || st.DroppedResponses != 1 || st.RequestsByStatus["200"] != 1 {
		t.Errorf("stats after a dropped submit: %+v", st)
	}
}

func TestDropRateRetryReplays(t *testing.T) {
	base, s, _ := startServer(t, Options{DropRate: 0.5, RateLimit: -1})
	drops := 0
	for chunk := range 8 {
		req := submitRequest{file: leadsCSV(2), config: basicConfig, idemKey: fmt.Sprintf("chunk-%d", chunk)}
		dropped := false
		for attempt := 0; ; attempt++ {
			if attempt == 50 {
				t.Fatalf("chunk %d: no whole response in 50 attempts", chunk)
			}
			resp, ok := sendMayDrop(t, req.build(t, base))
			if !ok {
				dropped = true
				drops++
				continue
			}
			if resp.status != http.StatusOK {
				t.Fatalf("chunk %d: status %d: %s", chunk, resp.status, resp.body)
			}
			if got := resp.json(t)["already_started"] == true; got != dropped {
				t.Errorf("chunk %d: already_started %v after dropped=%v", chunk, got, dropped)
			}
			break
		}
	}
	if drops == 0 {
		t.Fatalf("no response was dropped at DropRate 0.5; the test proved nothing")
	}
	st := s.Stats()
	if st.Submissions != 8 || st.Replays != int64(drops) || st.DroppedResponses != int64(drops) {
		t.Errorf("submissions %d, replays %d, dropped %d; want 8, %d, %d", st.Submissions, st.Replays, st.DroppedResponses, drops, drops)
	}
}

func TestStatsRouteHasNoFaults(t *testing.T) {
	base, _, _ := startServer(t, Options{ErrorRate: 1, DropRate: 1})
	resp := get(t, base+"/emulator/stats", "")
	if resp.status != http.StatusOK {
		t.Fatalf("stats: status %d", resp.status)
	}
	body := resp.json(t)
	for _, key := range []string{"submissions", "replays", "requests_by_status", "jobs", "rows_enriched", "rows_passthrough", "charged_cents", "charges_per_task", "balance_cents"} {
		if _, ok := body[key]; !ok {
			t.Errorf("stats lacks %s: %s", key, resp.body)
		}
	}
}
