package enrich

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestAPIErrorSentinels(t *testing.T) {
	sentinels := []error{ErrUnauthorized, ErrInsufficientCredits, ErrForbidden, ErrNotFound,
		ErrInvalidRequest, ErrRateLimited, ErrServer, ErrLinkExpired}
	cases := []struct {
		status int
		op     string
		want   error
	}{
		{400, OpSubmit, ErrInvalidRequest},
		{401, OpStatus, ErrUnauthorized},
		{402, OpSubmit, ErrInsufficientCredits},
		{403, OpSubmit, ErrForbidden},
		{403, OpStatus, ErrForbidden},
		{403, OpDownload, ErrLinkExpired},
		{410, OpDownload, ErrLinkExpired},
		{404, OpStatus, ErrNotFound},
		{422, OpSubmit, ErrInvalidRequest},
		{429, OpSubmit, ErrRateLimited},
		{500, OpSubmit, ErrServer},
		{504, OpDownload, ErrServer},
		{409, OpSubmit, nil},
	}
	for _, tc := range cases {
		err := &APIError{Status: tc.status, Op: tc.op}
		for _, sentinel := range sentinels {
			got := errors.Is(err, sentinel)
			if got != (sentinel == tc.want) {
				t.Errorf("%d on %s: errors.Is(%v) = %v", tc.status, tc.op, sentinel, got)
			}
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 6, 10, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		value string
		want  time.Duration
		ok    bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{" 42 ", 42 * time.Second, true},
		{"-5", 0, false},
		{"soon", 0, false},
		{now.Add(2 * time.Minute).Format(http.TimeFormat), 2 * time.Minute, true},
		{now.Add(-time.Minute).Format(http.TimeFormat), 0, true},
		{"Wed, 10 Jun 2026 12:00:30 GMT", 30 * time.Second, true},
	}
	for _, tc := range cases {
		got, ok := parseRetryAfter(tc.value, now)
		if got != tc.want || ok != tc.ok {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tc.value, got, ok, tc.want, tc.ok)
		}
	}
}

func TestParseAPIErrorShapes(t *testing.T) {
	client, err := New(Options{BaseURL: "http://127.0.0.1:1", APIKey: testAPIKey})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		body   string
		detail string
		fields int
	}{
		{"detail string", example402, "Insufficient API credits", 0},
		{"detail array", example422, "", 1},
		{"error and message", exampleGuide429, "Rate limit exceeded", 0},
		{"error only", `{"error":"Payment Required"}`, "Payment Required", 0},
		{"nested error object", `{"error":{"code":"quota","message":"over"}}`, `{"code":"quota","message":"over"}`, 0},
		{"plain text", "upstream connect error\nreset reason: overflow", "upstream connect error", 0},
		{"long HTML", "<html>" + strings.Repeat("x", 2000), "<html>" + strings.Repeat("x", maxDetailLen-6) + "...", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: 400, Header: http.Header{}}
			apiErr := client.parseAPIError(OpSubmit, resp, []byte(tc.body))
			if apiErr.Detail != tc.detail {
				t.Errorf("Detail = %q, want %q", apiErr.Detail, tc.detail)
			}
			if len(apiErr.Fields) != tc.fields {
				t.Errorf("Fields = %+v, want %d", apiErr.Fields, tc.fields)
			}
		})
	}
}
