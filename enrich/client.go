// Package enrich is the HTTP client for Sixtyfour's bulk enrichment API: it
// submits a chunk file, polls the job status, downloads the result file and
// verifies webhook signatures. It handles transport only: retries, the
// submission rate limit and typed errors. The pipelines package validates
// the enrichment config, and the runner decides how many jobs run at once.
package enrich

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// DefaultBaseURL is the production API. Tests and the emulator set
// Options.BaseURL to a loopback address instead.
const DefaultBaseURL = "https://api.sixtyfour.ai"

// Endpoint is the bulk endpoint a chunk is submitted to.
type Endpoint string

const (
	People  Endpoint = "people"
	Company Endpoint = "company"
)

// Options configures a Client. Zero values select the documented defaults.
type Options struct {
	// BaseURL is the API root, default DefaultBaseURL.
	BaseURL string
	// APIKey is sent as the x-api-key header. It is never logged and never
	// part of an error message.
	APIKey string
	// HTTPClient sends every request. The default has dial, TLS-handshake and
	// response-header timeouts but no total timeout, because a result file can
	// be 100 MB. The Client uses a copy whose redirect policy drops x-api-key
	// on a redirect to a host that is not trusted with the key.
	HTTPClient *http.Client
	// Logger receives retries, rate-limit waits and polls. Default: discard.
	Logger *slog.Logger
	// RateLimit is the maximum number of submissions per rolling minute,
	// default 10 (the API's documented limit per organisation).
	RateLimit int
	// PriorSubmissions seeds the rate limiter with the submission times that a
	// previous run saved (see Client.SubmissionTimes), so a restart does not
	// send a burst that the API rejects with 429.
	PriorSubmissions []time.Time
	// Retry bounds the retries of one request.
	Retry RetryPolicy
	// Now returns the current time, default time.Now. Tests pass a simulated clock.
	Now func() time.Time
	// Sleep waits for d or until ctx is done, returning ctx.Err() in that case.
	// Default: a timer. Tests pass a function that advances a simulated clock.
	Sleep func(ctx context.Context, d time.Duration) error
}

// String formats the options with the API key redacted, so formatting an
// Options value with %v, %+v or %s shows no key.
func (o Options) String() string {
	return fmt.Sprintf("enrich.Options{BaseURL: %q, APIKey: %s, RateLimit: %d, Retry: %+v}",
		o.BaseURL, redactedKey(o.APIKey), o.RateLimit, o.Retry)
}

// GoString redacts the API key for %#v as well.
func (o Options) GoString() string { return o.String() }

// LogValue redacts the API key when the options are logged through slog.
func (o Options) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("base_url", o.BaseURL),
		slog.String("api_key", redactedKey(o.APIKey)),
		slog.Int("rate_limit", o.RateLimit),
	)
}

func redactedKey(key string) string {
	if key == "" {
		return "(unset)"
	}
	return "(redacted)"
}

// Client sends requests to the bulk API. It is safe for concurrent use; all
// Submit calls on one Client share one rate limiter.
type Client struct {
	baseURL *url.URL
	apiKey  string
	http    *http.Client
	log     *slog.Logger
	retry   RetryPolicy
	now     func() time.Time
	sleep   func(ctx context.Context, d time.Duration) error
	limiter *rateLimiter
}

// New checks the options and returns a Client. It sends no request.
func New(opts Options) (*Client, error) {
	if opts.APIKey == "" {
		return nil, errors.New("enrich: missing API key: set the environment variable named by enrich.api_key_env (default SIXTYFOUR_API_KEY)")
	}

	rawBase := opts.BaseURL
	if rawBase == "" {
		rawBase = DefaultBaseURL
	}
	base, err := url.Parse(strings.TrimRight(rawBase, "/"))
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		redactedBase := strings.ReplaceAll(rawBase, opts.APIKey, "(redacted)")
		return nil, fmt.Errorf("enrich: invalid base URL %q: expected http(s)://host[:port], for example %s", redactedBase, DefaultBaseURL)
	}

	logger := opts.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if base.Scheme == "http" && !isLoopbackHost(base.Hostname()) {
		logger.Warn("the API key is sent unencrypted because the base URL uses plain http", "base_url", base.String())
	}

	rateLimit := opts.RateLimit
	if rateLimit < 0 {
		return nil, fmt.Errorf("enrich: invalid rate limit %d submissions per minute: expected a positive number, or 0 for the default of %d", rateLimit, defaultRateLimit)
	}
	if rateLimit == 0 {
		rateLimit = defaultRateLimit
	}

	now := opts.Now
	if now == nil {
		now = time.Now
	}
	sleep := opts.Sleep
	if sleep == nil {
		sleep = sleepContext
	}

	retry, err := opts.Retry.withDefaults()
	if err != nil {
		return nil, err
	}

	c := &Client{
		baseURL: base,
		apiKey:  opts.APIKey,
		log:     logger,
		retry:   retry,
		now:     now,
		sleep:   sleep,
		limiter: newRateLimiter(rateLimit, rateWindow, opts.PriorSubmissions),
	}
	c.http = c.guardRedirects(opts.HTTPClient)
	return c, nil
}

func defaultHTTPClient() *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	transport.DialContext = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	transport.TLSHandshakeTimeout = 15 * time.Second
	// The server parses and prices up to 100,000 rows before it responds to
	// a submission, so the wait for response headers is generous.
	transport.ResponseHeaderTimeout = 5 * time.Minute
	return &http.Client{Transport: transport}
}

// guardRedirects returns a copy of hc whose redirect policy removes the
// x-api-key header before following a redirect to an untrusted host. Go's
// client drops Authorization and Cookie on such redirects, but forwards
// custom headers such as x-api-key.
func (c *Client) guardRedirects(hc *http.Client) *http.Client {
	if hc == nil {
		hc = defaultHTTPClient()
	}
	guarded := *hc
	next := hc.CheckRedirect
	guarded.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if !c.trustsHost(req.URL) {
			req.Header.Del(headerAPIKey)
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &guarded
}

// trustsHost reports whether requests to u may carry the API key. The host
// must be the base URL's host or lie under the base host's parent domain
// (for api.sixtyfour.ai, any host under sixtyfour.ai). The scheme must be
// the base URL's scheme or https.
func (c *Client) trustsHost(u *url.URL) bool {
	if u.Scheme != c.baseURL.Scheme && u.Scheme != "https" {
		return false
	}
	host := strings.ToLower(u.Hostname())
	baseHost := strings.ToLower(c.baseURL.Hostname())
	if host == baseHost {
		return true
	}
	if net.ParseIP(baseHost) != nil {
		return false
	}
	labels := strings.Split(baseHost, ".")
	if len(labels) < 3 {
		return strings.HasSuffix(host, "."+baseHost)
	}
	parent := strings.Join(labels[1:], ".")
	return host == parent || strings.HasSuffix(host, "."+parent)
}

func isLoopbackHost(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func sleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}

// CloseIdleConnections closes the HTTP client's idle keep-alive
// connections. A runner calls it when its jobs are collected, so no
// connection stays open to the API after the run.
func (c *Client) CloseIdleConnections() { c.http.CloseIdleConnections() }

// SubmissionTimes returns the times of the submissions in the current
// rolling minute, oldest first. A runner saves them with its state and passes
// them back as Options.PriorSubmissions after a restart.
func (c *Client) SubmissionTimes() []time.Time {
	return c.limiter.times(c.now())
}

const headerAPIKey = "x-api-key"

// endpointURL joins the base URL with path segments, each escaped on its
// own (so a "/" inside a task id stays inside its segment), and a query.
func (c *Client) endpointURL(query url.Values, segments ...string) string {
	u := *c.baseURL
	escaped := make([]string, len(segments))
	for i, segment := range segments {
		escaped[i] = url.PathEscape(segment)
	}
	u.Path = strings.TrimRight(c.baseURL.Path, "/") + "/" + strings.Join(segments, "/")
	u.RawPath = strings.TrimRight(c.baseURL.EscapedPath(), "/") + "/" + strings.Join(escaped, "/")
	u.RawQuery = query.Encode()
	return u.String()
}

// newRequest builds a request with the headers every API call carries.
func (c *Client) newRequest(ctx context.Context, method, target string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, target, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set(headerAPIKey, c.apiKey)
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", "crmsync")
	return req, nil
}

// redact replaces the API key in server-supplied text, in case an error
// body echoes the request headers back.
//
// A key shorter than 8 characters (a test key such as "x", never a real
// one) is replaced only where it is a whole token, so ordinary words
// that contain it stay readable.
func (c *Client) redact(s string) string {
	if c.apiKey == "" || !strings.Contains(s, c.apiKey) {
		return s
	}
	if len(c.apiKey) < 8 {
		token := regexp.MustCompile(`(^|[^A-Za-z0-9_\-])` + regexp.QuoteMeta(c.apiKey) + `($|[^A-Za-z0-9_\-])`)
		return token.ReplaceAllString(s, "${1}(redacted)${2}")
	}
	return strings.ReplaceAll(s, c.apiKey, "(redacted)")
}
