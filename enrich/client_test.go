package enrich

import (
	"context"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
)

func TestNewRejectsInvalidOptions(t *testing.T) {
	cases := []struct {
		name string
		opts Options
		want string
	}{
		{"missing key", Options{BaseURL: "http://127.0.0.1:1"}, "missing API key"},
		{"relative base URL", Options{BaseURL: "api.sixtyfour.ai", APIKey: "k"}, "invalid base URL"},
		{"ftp base URL", Options{BaseURL: "ftp://127.0.0.1", APIKey: "k"}, "invalid base URL"},
		{"negative rate limit", Options{BaseURL: "http://127.0.0.1:1", APIKey: "k", RateLimit: -1}, "invalid rate limit -1"},
		{"negative retry", Options{BaseURL: "http://127.0.0.1:1", APIKey: "k", Retry: RetryPolicy{MaxAttempts: -1}}, "invalid retry policy"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := New(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("New error = %v, want one containing %q", err, tc.want)
			}
		})
	}
}

func TestNewDefaultsWithoutRequest(t *testing.T) {
	client, err := New(Options{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	if client.baseURL.String() != DefaultBaseURL {
		t.Errorf("base URL = %s, want %s", client.baseURL, DefaultBaseURL)
	}
	if client.limiter.limit != 10 {
		t.Errorf("rate limit = %d, want 10", client.limiter.limit)
	}
	if client.retry.RateLimitWait.Seconds() != 60 {
		t.Errorf("RateLimitWait = %s, want 1m0s", client.retry.RateLimitWait)
	}
}

func TestBaseURLWithPathPrefix(t *testing.T) {
	env := newTestEnv(t, nil)
	env.api.on("GET /proxy/v1/job-status/t1", fakeResponse{body: exampleRunning})
	client, err := New(Options{BaseURL: env.api.URL() + "/proxy/v1/", APIKey: testAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.Status(context.Background(), "t1"); err != nil {
		t.Fatalf("Status through a path prefix: %v", err)
	}
}

func TestTrustsHost(t *testing.T) {
	client, err := New(Options{APIKey: "k"})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{
		"https://api.sixtyfour.ai/x":         true,
		"https://files.sixtyfour.ai/x":       true,
		"https://sixtyfour.ai/x":             true,
		"http://api.sixtyfour.ai/x":          false,
		"https://storage.googleapis.com/x":   false,
		"https://evilsixtyfour.ai/x":         false,
		"https://api.sixtyfour.ai.evil.io/x": false,
	}
	for raw, want := range cases {
		u, _ := url.Parse(raw)
		if got := client.trustsHost(u); got != want {
			t.Errorf("trustsHost(%s) = %v, want %v", raw, got, want)
		}
	}
}

func TestOptionsFormattingRedactsKey(t *testing.T) {
	opts := Options{BaseURL: "http://127.0.0.1:1", APIKey: testAPIKey}
	var logs lockedBuffer
	slog.New(slog.NewJSONHandler(&logs, nil)).Info("options", "opts", opts)
	text := fmt.Sprintf("%v %+v %#v %s", opts, opts, opts, opts) + logs.String()
	if strings.Contains(text, testAPIKey) {
		t.Errorf("formatted options contain the API key: %s", text)
	}
	if !strings.Contains(text, "127.0.0.1:1") {
		t.Errorf("formatted options lost the base URL: %s", text)
	}
}
