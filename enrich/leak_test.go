package enrich

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestAPIKeyNeverLeaks triggers every error class and checks that neither
// the error text nor the debug log contains the API key, even when the
// server echoes the key back in its error body.
func TestAPIKeyNeverLeaks(t *testing.T) {
	echo := `{"detail":"bad key ` + testAPIKey + `"}`
	submitCases := []fakeResponse{
		{status: 400, body: example400},
		{status: 401, body: echo},
		{status: 402, body: example402},
		{status: 403, body: example403},
		{status: 422, body: `{"detail":[{"loc":["header","x-api-key"],"msg":"invalid ` + testAPIKey + `","type":"value_error","input":"` + testAPIKey + `"}]}`},
		{status: 429, body: example429, header: map[string]string{"Retry-After": "1"}},
		{status: 500, body: echo},
		{body: exampleSubmitFirst, drop: true},
		{body: `{"status":"RUNNING"}`},
	}

	var errs []error
	var logs []string
	for _, resp := range submitCases {
		env := newTestEnv(t, func(o *Options) { o.Retry.MaxAttempts = 2 })
		env.api.on("POST /bulk-intelligence/people", resp)
		_, err := env.client.Submit(context.Background(), People, writeChunk(t, 1), []byte(testConfig), "crmsync-k-1")
		if err == nil {
			t.Errorf("Submit against %d succeeded, want an error", resp.status)
			continue
		}
		errs = append(errs, err)
		logs = append(logs, env.logs.String())
	}

	env := newTestEnv(t, func(o *Options) { o.Retry.MaxAttempts = 2; o.Retry.LinkRefreshes = 1 })
	env.api.on("GET /job-status/gone", fakeResponse{status: 404, body: echo})
	env.api.on("GET /job-status/t1", fakeResponse{body: completedWithLinks(env.api.URL()+"/files/s.csv", env.api.URL()+"/files/e.csv")})
	env.api.on("GET /files/e.csv", fakeResponse{status: 403, body: echo})
	_, err := env.client.Status(context.Background(), "gone")
	errs = append(errs, err)
	st, err := env.client.Status(context.Background(), "t1")
	if err != nil {
		t.Fatal(err)
	}
	_, err = env.client.DownloadResult(context.Background(), "t1", st, filepath.Join(t.TempDir(), "r.csv"))
	errs = append(errs, err)

	env.api.server.Close()
	_, err = env.client.Status(context.Background(), "t1")
	errs = append(errs, err)
	logs = append(logs, env.logs.String())

	if _, err := New(Options{APIKey: testAPIKey, BaseURL: "::" + testAPIKey}); err != nil {
		errs = append(errs, err)
	}

	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		if strings.Contains(err.Error(), testAPIKey) {
			t.Errorf("error contains the API key: %v", err)
		}
	}
	for _, log := range logs {
		if strings.Contains(log, testAPIKey) {
			t.Errorf("log contains the API key:\n%s", log)
		}
	}
	if !strings.Contains(strings.Join(logs, ""), "retrying request") {
		t.Errorf("no retry was logged, so the log check saw nothing")
	}
	var apiErr *APIError
	if !errors.As(errs[1], &apiErr) || !strings.Contains(apiErr.Detail, "(redacted)") {
		t.Errorf("echoed key not redacted in Detail: %v", errs[1])
	}
}
