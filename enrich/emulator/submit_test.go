package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestSubmitAuth(t *testing.T) {
	base, s, _ := startServer(t, Options{APIKey: testKey})
	for name, key := range map[string]string{"missing": "-", "wrong": "other-key"} {
		t.Run(name, func(t *testing.T) {
			resp := submit(t, base, submitRequest{file: leadsCSV(1), config: basicConfig, key: key})
			if resp.status != http.StatusUnauthorized {
				t.Fatalf("status %d, want 401: %s", resp.status, resp.body)
			}
			if d := resp.detail(t); d != "Machine authentication required" {
				t.Errorf("detail %q", d)
			}
		})
	}
	if got := s.Stats().Submissions; got != 0 {
		t.Errorf("submissions %d after rejected requests, want 0", got)
	}
}

func TestSubmitAnyKeyWhenUnset(t *testing.T) {
	base, _, _ := startServer(t, Options{})
	submitOK(t, base, submitRequest{file: leadsCSV(1), config: basicConfig, key: "whatever"})
}

func TestSubmitLimits(t *testing.T) {
	base, s, _ := startServer(t, Options{RateLimit: -1})
	tests := []struct {
		name    string
		req     submitRequest
		inside  string
		wantErr int
	}{
		{"too many rows", submitRequest{file: leadsCSV(maxUploadRows + 1), config: basicConfig}, "100000 rows", 400},
		{"config too long", submitRequest{file: leadsCSV(1), config: `{"research_plan":"` + strings.Repeat("x", maxConfigChars) + `"}`}, "300000 characters", 400},
		{"empty file", submitRequest{file: []byte{}, config: basicConfig}, "empty", 400},
		{"header only", submitRequest{file: []byte("a,b\n"), config: basicConfig}, "no data rows", 400},
		{"unsupported extension", submitRequest{filename: "rows.xlsx", file: leadsCSV(1), config: basicConfig}, "Unsupported file type", 400},
		{"invalid config JSON", submitRequest{file: leadsCSV(1), config: `{"struct":`}, "not valid JSON", 400},
		{"idempotency key too long", submitRequest{file: leadsCSV(1), config: basicConfig, idemKey: strings.Repeat("k", 256)}, "255", 400},
		{"ragged CSV", submitRequest{file: []byte("a,b\n1,2,3\n"), config: basicConfig}, "Invalid CSV", 400},
		{"JSON not an array", submitRequest{filename: "rows.json", file: []byte(`{"a":1}`), config: basicConfig}, "top-level array", 400},
		{"JSON Lines bad line", submitRequest{filename: "rows.jsonl", file: []byte("{\"a\":1}\n[1]\n"), config: basicConfig}, "line 2", 400},
		{"struct shadows column", submitRequest{file: leadsCSV(1), config: `{"struct":{"company":"Company name"}}`}, "company", 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := submit(t, base, tt.req)
			if resp.status != tt.wantErr {
				t.Fatalf("status %d, want %d: %.300s", resp.status, tt.wantErr, resp.body)
			}
			if d := resp.detail(t); !strings.Contains(d, tt.inside) {
				t.Errorf("detail %q does not mention %q", d, tt.inside)
			}
		})
	}
	if got := s.Stats().Submissions; got != 0 {
		t.Errorf("submissions %d after rejected requests, want 0", got)
	}
}

func TestSubmitFileOver100MB(t *testing.T) {
	base, s, _ := startServer(t, Options{})
	// Stream the multipart body, so the test does not hold 100 MB twice.
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile("file", "big.csv")
		if err == nil {
			line := bytes.Repeat([]byte("x"), 999)
			line = append(line, '\n')
			for written := 0; written <= maxUploadBytes && err == nil; written += len(line) {
				_, err = part.Write(line)
			}
		}
		if err == nil {
			err = mw.WriteField("config", basicConfig)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequest(http.MethodPost, base+"/bulk-intelligence/people", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("x-api-key", testKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", resp.StatusCode, body)
	}
	if !strings.Contains(string(body), "100 MB") {
		t.Errorf("detail does not name the 100 MB limit: %s", body)
	}
	if got := s.Stats().Submissions; got != 0 {
		t.Errorf("submissions %d, want 0", got)
	}
}

func TestSubmitMissingParts(t *testing.T) {
	base, _, _ := startServer(t, Options{})
	for _, tt := range []struct {
		name string
		req  submitRequest
		loc  string
	}{
		{"file", submitRequest{config: basicConfig}, "file"},
		{"config", submitRequest{file: leadsCSV(1)}, "config"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := submit(t, base, tt.req)
			if resp.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", resp.status, resp.body)
			}
			var body struct {
				Detail []validationError `json:"detail"`
			}
			if err := json.Unmarshal(resp.body, &body); err != nil {
				t.Fatal(err)
			}
			if len(body.Detail) != 1 {
				t.Fatalf("detail has %d entries, want 1: %s", len(body.Detail), resp.body)
			}
			d := body.Detail[0]
			if fmt.Sprint(d.Loc) != fmt.Sprint([]any{"body", tt.loc}) {
				t.Errorf("loc %v", d.Loc)
			}
			if d.Type != "missing" || d.Msg != "Field required" || d.Input != nil {
				t.Errorf("entry %+v", d)
			}
		})
	}
}

func TestConfigSchema(t *testing.T) {
	base, _, _ := startServer(t, Options{RateLimit: -1})
	tests := []struct {
		name     string
		endpoint string
		config   string
		loc      string
		errType  string
	}{
		{"unknown key", "people", `{"struct":{"email":"e"},"colums":["a"]}`, "[body config colums]", "extra_forbidden"},
		{"company needs struct", "company", `{"tier":"low"}`, "[body config struct]", "missing"},
		{"xhigh is people only", "company", `{"struct":{"website":"w"},"tier":"xhigh"}`, "[body config tier]", "enum"},
		{"unknown tier", "people", `{"tier":"ultra"}`, "[body config tier]", "enum"},
		{"struct not an object", "people", `{"struct":["email"]}`, "[body config struct]", "dict_type"},
		{"struct type unknown", "people", `{"struct":{"n":{"description":"d","type":"decimal"}}}`, "[body config struct n type]", "value_error"},
		{"struct value a number", "people", `{"struct":{"n":5}}`, "[body config struct n]", "value_error"},
		{"struct value extra key", "people", `{"struct":{"n":{"description":"d","enum":[1]}}}`, "[body config struct n enum]", "extra_forbidden"},
		{"field_confidence not bool", "people", `{"field_confidence":"yes"}`, "[body config field_confidence]", "bool_type"},
		{"webhook http", "people", `{"webhook_url":"http://hooks.example.com/x"}`, "[body config webhook_url]", "value_error"},
		{"webhook loopback", "people", `{"webhook_url":"https://127.0.0.1/x"}`, "[body config webhook_url]", "value_error"},
		{"webhook localhost", "people", `{"webhook_url":"https://localhost/x"}`, "[body config webhook_url]", "value_error"},
		{"webhook private", "people", `{"webhook_url":"https://10.1.2.3/x"}`, "[body config webhook_url]", "value_error"},
		{"webhook not a URL", "people", `{"webhook_url":"hooks"}`, "[body config webhook_url]", "url_parsing"},
		{"result format unknown", "people", `{"result_formats":["xlsx"]}`, "[body config result_formats 0]", "value_error"},
		{"config not an object", "people", `[1]`, "[body config]", "model_type"},
		{"find_people on people", "people", `{"find_people":true}`, "[body config find_people]", "extra_forbidden"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := submit(t, base, submitRequest{endpoint: tt.endpoint, file: leadsCSV(1), config: tt.config})
			if resp.status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422: %s", resp.status, resp.body)
			}
			var body struct {
				Detail []validationError `json:"detail"`
			}
			if err := json.Unmarshal(resp.body, &body); err != nil || len(body.Detail) == 0 {
				t.Fatalf("body is not a validation error list: %v: %s", err, resp.body)
			}
			if got := fmt.Sprint(body.Detail[0].Loc); got != tt.loc {
				t.Errorf("loc %s, want %s", got, tt.loc)
			}
			if body.Detail[0].Type != tt.errType {
				t.Errorf("type %q, want %q (%s)", body.Detail[0].Type, tt.errType, resp.body)
			}
		})
	}
}

func TestConfigAcceptsDocumentedShapes(t *testing.T) {
	base, _, _ := startServer(t, Options{RateLimit: -1})
	configs := map[string]string{
		"people":  `{"struct":{"email":"The individual's email address","employees":{"description":"n","type":"int"}},"tier":"xhigh","field_confidence":true,"research_plan":"r","columns":["full_name"],"result_formats":["csv"],"save_json":false,"webhook_url":null}`,
		"company": `{"struct":{"website":"w"},"find_people":true,"people_focus_prompt":"CTO","lead_struct":{"email":"e"},"full_org_chart":false,"tier":"medium"}`,
	}
	for ep, cfg := range configs {
		submitOK(t, base, submitRequest{endpoint: ep, file: leadsCSV(2), config: cfg})
	}
}

func TestHighTier(t *testing.T) {
	config := `{"struct":{"website":"w"},"tier":"high"}`
	t.Run("disabled", func(t *testing.T) {
		base, s, _ := startServer(t, Options{})
		resp := submit(t, base, submitRequest{endpoint: "company", file: leadsCSV(1), config: config})
		if resp.status != http.StatusForbidden {
			t.Fatalf("status %d, want 403: %s", resp.status, resp.body)
		}
		want := "High tier company enrichment is not enabled for this org. Contact sales to request access."
		if d := resp.detail(t); d != want {
			t.Errorf("detail %q, want %q", d, want)
		}
		if got := s.Stats().Submissions; got != 0 {
			t.Errorf("submissions %d, want 0", got)
		}
	})
	t.Run("enabled", func(t *testing.T) {
		base, _, _ := startServer(t, Options{HighTierEnabled: true})
		resp := submit(t, base, submitRequest{endpoint: "company", file: leadsCSV(3), config: config})
		if resp.status != http.StatusOK {
			t.Fatalf("status %d: %s", resp.status, resp.body)
		}
		if got := resp.json(t)["estimated_cost_cents"]; got != float64(60) {
			t.Errorf("estimate %v, want 3 rows x 20 cents", got)
		}
	})
}

func TestInsufficientBalance(t *testing.T) {
	balance := int64(10)
	base, s, _ := startServer(t, Options{BalanceCents: &balance})
	// 6 rows at 2 cents is 12 cents, more than the balance.
	resp := submit(t, base, submitRequest{file: leadsCSV(6), config: basicConfig})
	if resp.status != http.StatusPaymentRequired {
		t.Fatalf("status %d, want 402: %s", resp.status, resp.body)
	}
	if d := resp.detail(t); d != "Insufficient API credits" {
		t.Errorf("detail %q", d)
	}
	st := s.Stats()
	if st.Submissions != 0 || st.ChargedCents != 0 || *st.BalanceCents != 10 {
		t.Errorf("stats after 402: submissions %d, charged %d, balance %d", st.Submissions, st.ChargedCents, *st.BalanceCents)
	}
	// 5 rows cost exactly the balance and are accepted.
	submitOK(t, base, submitRequest{file: leadsCSV(5), config: basicConfig})
	// The running job holds its estimate, so a second one does not fit.
	resp = submit(t, base, submitRequest{file: leadsCSV(1), config: basicConfig})
	if resp.status != http.StatusPaymentRequired {
		t.Errorf("second job while the first holds the balance: status %d, want 402", resp.status)
	}
}

func TestRateLimit(t *testing.T) {
	base, s, clock := startServer(t, Options{RateLimit: 2})
	submitOK(t, base, submitRequest{file: leadsCSV(1), config: basicConfig, idemKey: "a"})
	clock.Advance(10 * time.Second)
	submitOK(t, base, submitRequest{file: leadsCSV(1), config: basicConfig})
	clock.Advance(5 * time.Second)

	resp := submit(t, base, submitRequest{file: leadsCSV(1), config: basicConfig})
	if resp.status != http.StatusTooManyRequests {
		t.Fatalf("status %d, want 429: %s", resp.status, resp.body)
	}
	if d := resp.detail(t); d != "Rate limit exceeded" {
		t.Errorf("detail %q", d)
	}
	// The first slot frees 60 s after the first submission, 45 s from now.
	if got := resp.header.Get("Retry-After"); got != "45" {
		t.Errorf("Retry-After %q, want 45", got)
	}

	// A replay succeeds even at the limit and takes no slot.
	replay := submit(t, base, submitRequest{file: leadsCSV(1), config: basicConfig, idemKey: "a"})
	if replay.status != http.StatusOK || replay.json(t)["already_started"] != true {
		t.Errorf("replay at the limit: status %d: %s", replay.status, replay.body)
	}

	clock.Advance(45 * time.Second)
	submitOK(t, base, submitRequest{file: leadsCSV(1), config: basicConfig})
	st := s.Stats()
	if st.Submissions != 3 || st.RequestsByStatus["429"] != 1 {
		t.Errorf("stats: submissions %d, 429s %d; want 3 and 1", st.Submissions, st.RequestsByStatus["429"])
	}
}

func TestSubmitCostUnits(t *testing.T) {
	base, _, _ := startServer(t, Options{})
	resp := submit(t, base, submitRequest{file: leadsCSV(5), config: basicConfig, costUnits: "credits"})
	body := resp.json(t)
	if body["estimated_cost_credits"] != 1.0 {
		t.Errorf("estimated_cost_credits %v, want 1 (10 cents)", body["estimated_cost_credits"])
	}
	if _, ok := body["estimated_cost_cents"]; ok {
		t.Errorf("cents sent with cost_units=credits: %s", resp.body)
	}
	bad := submit(t, base, submitRequest{file: leadsCSV(1), config: basicConfig, costUnits: "dollars"})
	if bad.status != http.StatusUnprocessableEntity {
		t.Errorf("cost_units=dollars: status %d, want 422", bad.status)
	}
}

func TestSubmitResponse(t *testing.T) {
	base, _, _ := startServer(t, Options{})
	resp := submit(t, base, submitRequest{file: leadsCSV(4), config: `{"struct":{"email":"e"},"tier":"medium"}`})
	body := resp.json(t)
	if body["status"] != "RUNNING" || body["row_count"] != 4.0 || body["estimated_cost_cents"] != 20.0 {
		t.Errorf("body %s, want RUNNING, 4 rows, 20 cents", resp.body)
	}
	if _, ok := body["already_started"]; ok {
		t.Errorf("first submission carries already_started: %s", resp.body)
	}
}

func TestFileFormatsAccepted(t *testing.T) {
	base, _, clock := startServer(t, Options{RateLimit: -1})
	uploads := map[string]string{
		"rows.csv":    "id,name\n1,Ada\n2,Grace\n",
		"rows.json":   `[{"id":1,"name":"Ada"},{"id":2,"name":"Grace","extra":true}]`,
		"rows.jsonl":  "{\"id\":1,\"name\":\"Ada\"}\n\n{\"id\":2,\"name\":\"Grace\"}\n",
		"rows.ndjson": "{\"id\":1,\"name\":\"Ada\"}\n{\"id\":2,\"name\":\"Grace\"}",
		"ROWS.CSV":    "\ufeffid,name\n1,Ada\n2,Grace\n",
	}
	for name, content := range uploads {
		t.Run(name, func(t *testing.T) {
			resp := submit(t, base, submitRequest{filename: name, file: []byte(content), config: basicConfig})
			if resp.status != http.StatusOK {
				t.Fatalf("status %d: %s", resp.status, resp.body)
			}
			body := resp.json(t)
			if body["row_count"] != 2.0 {
				t.Errorf("row_count %v, want 2", body["row_count"])
			}
			_, entries := completedResults(t, base, clock, body["task_id"].(string))
			header, rows := readCSV(t, download(t, entries[1]))
			if header[0] != "id" || header[1] != "name" || len(rows) != 2 {
				t.Errorf("result header %v with %d rows", header, len(rows))
			}
			if rows[0]["id"] != "1" || rows[1]["name"] != "Grace" {
				t.Errorf("uploaded values changed: %v", rows)
			}
		})
	}
}

func TestIdempotencyKeyAtLimit(t *testing.T) {
	base, _, _ := startServer(t, Options{})
	key := strings.Repeat("k", maxIdempotencyKey)
	submitOK(t, base, submitRequest{file: leadsCSV(1), config: basicConfig, idemKey: key})
	resp := submit(t, base, submitRequest{file: leadsCSV(1), config: basicConfig, idemKey: key})
	if resp.json(t)["already_started"] != true {
		t.Errorf("replay with a %d-character key: %s", len(key), resp.body)
	}
}
