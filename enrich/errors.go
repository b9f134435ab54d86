package enrich

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Sentinel errors that classify an *APIError. Test them with errors.Is.
var (
	// ErrUnauthorized is a 401: the API key is missing, invalid or revoked.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrInsufficientCredits is a 402: the balance does not cover the
	// estimated cost. The API charges nothing for a rejected submission.
	ErrInsufficientCredits = errors.New("insufficient credits")
	// ErrForbidden is a 403 from submit or job-status: a tier or feature is
	// not enabled for the organisation, or the organisation lost access.
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound is a 404: the task id is unknown to the API.
	ErrNotFound = errors.New("not found")
	// ErrInvalidRequest is a 400 or 422: the request failed validation.
	ErrInvalidRequest = errors.New("invalid request")
	// ErrRateLimited is a 429 that persisted through every retry.
	ErrRateLimited = errors.New("rate limited")
	// ErrServer is a 5xx that persisted through every retry.
	ErrServer = errors.New("server error")
	// ErrLinkExpired is a 403 or 410 from a result download link, or a link
	// past its lifetime, that fresh job-status links did not cure.
	ErrLinkExpired = errors.New("download link expired")
)

// Operations named in APIError.Op.
const (
	OpSubmit   = "submit"
	OpStatus   = "status"
	OpDownload = "download"
)

// FieldError is one entry of a 422 validation body.
type FieldError struct {
	// Loc is the path to the invalid value, for example ["body", "config"].
	// Integer path elements (list indexes) are converted to decimal text.
	Loc  []string
	Msg  string
	Type string
}

// APIError is a non-2xx response from the API or from a download link.
type APIError struct {
	Status int
	// Op is OpSubmit, OpStatus or OpDownload.
	Op string
	// TaskID is set for status and download requests.
	TaskID string
	// Chunk is the base name of the chunk file for submit requests.
	Chunk string
	// Detail is the server's message: "detail" when it is a string, else
	// "message", else "error", else the start of a non-JSON body.
	Detail string
	// Fields lists the validation errors of a 422 body.
	Fields []FieldError
	// RetryAfter is the wait the server requested with a 429 or 503, or 0.
	RetryAfter time.Duration
	// Attempts is the number of requests sent before giving up, when the
	// error was retried.
	Attempts int
}

func (e *APIError) Error() string {
	var b strings.Builder
	b.WriteString("sixtyfour ")
	b.WriteString(e.Op)
	switch {
	case e.Chunk != "":
		fmt.Fprintf(&b, " of chunk %s", e.Chunk)
	case e.TaskID != "":
		fmt.Fprintf(&b, " of task %s", e.TaskID)
	}
	fmt.Fprintf(&b, " failed: HTTP %d %s", e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		fmt.Fprintf(&b, ": %s", e.Detail)
	}
	for _, f := range e.Fields {
		fmt.Fprintf(&b, "; %s: %s", strings.Join(f.Loc, "."), f.Msg)
		if f.Type != "" {
			fmt.Fprintf(&b, " (%s)", f.Type)
		}
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (after %d attempts)", e.Attempts)
	}
	if hint := e.hint(); hint != "" {
		b.WriteString("; ")
		b.WriteString(hint)
	}
	return b.String()
}

// hint returns what the user can do about the error.
func (e *APIError) hint() string {
	switch {
	case e.Status == http.StatusUnauthorized:
		return "check the API key in the environment variable named by enrich.api_key_env (default SIXTYFOUR_API_KEY)"
	case e.Status == http.StatusPaymentRequired:
		return "nothing was charged for this submission; top up the balance and rerun the pipeline to resume"
	case e.Op == OpDownload && (e.Status == http.StatusForbidden || e.Status == http.StatusGone):
		return "the download link has expired; rerun the pipeline to fetch fresh links"
	case e.Status == http.StatusForbidden:
		return "the tier or feature is not enabled for this organisation; choose another enrich.tier or ask Sixtyfour to enable it"
	case e.Status == http.StatusNotFound && e.Op == OpStatus:
		return "the API does not know this task id; if it came from saved run state, rerun with --restart"
	case e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity:
		return "fix the listed values in the enrich section or the chunk and rerun"
	case e.Status == http.StatusTooManyRequests:
		return "lower enrich.rate_limit_per_minute or wait a minute and rerun"
	case e.Status >= 500:
		return "the API failed; rerun later to resume"
	}
	return ""
}

// Is matches the sentinel errors by status code and operation.
func (e *APIError) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrInsufficientCredits:
		return e.Status == http.StatusPaymentRequired
	case ErrForbidden:
		return e.Status == http.StatusForbidden && e.Op != OpDownload
	case ErrLinkExpired:
		return e.Op == OpDownload && (e.Status == http.StatusForbidden || e.Status == http.StatusGone)
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	case ErrInvalidRequest:
		return e.Status == http.StatusBadRequest || e.Status == http.StatusUnprocessableEntity
	case ErrRateLimited:
		return e.Status == http.StatusTooManyRequests
	case ErrServer:
		return e.Status >= 500
	}
	return false
}

// maxDetailLen caps server text copied into an error, because a proxy can
// respond with a whole HTML page.
const maxDetailLen = 500

// parseAPIError builds an *APIError from a non-2xx response. It accepts the
// FastAPI shapes {"detail": "..."} and {"detail": [{loc, msg, type}]}, and
// the {"error": "...", "message": "..."} shape of the API's error guide.
func (c *Client) parseAPIError(op string, resp *http.Response, body []byte) *APIError {
	apiErr := &APIError{Status: resp.StatusCode, Op: op}
	apiErr.RetryAfter, _ = parseRetryAfter(resp.Header.Get("Retry-After"), c.now())

	var wire struct {
		Detail  json.RawMessage `json:"detail"`
		Error   json.RawMessage `json:"error"`
		Message json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(body, &wire); err != nil {
		apiErr.Detail = c.redact(truncate(firstLine(string(body)), maxDetailLen))
		return apiErr
	}

	var detailText string
	if json.Unmarshal(wire.Detail, &detailText) == nil && detailText != "" {
		apiErr.Detail = detailText
	} else if fields, ok := parseFieldErrors(wire.Detail); ok {
		apiErr.Fields = fields
	}
	if apiErr.Detail == "" {
		apiErr.Detail = jsonText(wire.Message)
	}
	if apiErr.Detail == "" {
		apiErr.Detail = jsonText(wire.Error)
	}
	apiErr.Detail = c.redact(truncate(apiErr.Detail, maxDetailLen))
	for i := range apiErr.Fields {
		apiErr.Fields[i].Msg = c.redact(truncate(apiErr.Fields[i].Msg, maxDetailLen))
	}
	return apiErr
}

// parseFieldErrors decodes a 422 detail array. The offending "input" value
// is dropped on purpose: it can contain record contents.
func parseFieldErrors(raw json.RawMessage) ([]FieldError, bool) {
	var items []struct {
		Loc  []json.RawMessage `json:"loc"`
		Msg  string            `json:"msg"`
		Type string            `json:"type"`
	}
	if len(raw) == 0 || json.Unmarshal(raw, &items) != nil || len(items) == 0 {
		return nil, false
	}
	fields := make([]FieldError, 0, len(items))
	for _, item := range items {
		f := FieldError{Msg: item.Msg, Type: item.Type}
		for _, part := range item.Loc {
			f.Loc = append(f.Loc, jsonText(part))
		}
		fields = append(fields, f)
	}
	return fields, true
}

// jsonText returns a JSON string's value, or the raw text of any other JSON
// value (a number, an object), or "" for null and absent values.
func jsonText(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return string(raw)
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexAny(s, "\r\n"); i >= 0 {
		return s[:i]
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !isRuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "..."
}

func isRuneStart(b byte) bool { return b&0xC0 != 0x80 }

// parseRetryAfter reads a Retry-After header given in seconds or as an HTTP
// date. It returns false when the header is absent or invalid.
func parseRetryAfter(value string, now time.Time) (time.Duration, bool) {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0, false
	}
	if seconds, err := strconv.Atoi(value); err == nil {
		if seconds < 0 {
			return 0, false
		}
		return time.Duration(seconds) * time.Second, true
	}
	when, err := http.ParseTime(value)
	if err != nil {
		return 0, false
	}
	wait := when.Sub(now)
	if wait < 0 {
		wait = 0
	}
	return wait, true
}
