package emulator

import (
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sort"
	"time"
)

// Defaults for the zero values of Options.
const (
	DefaultAddr       = "127.0.0.1:8064"
	DefaultRateLimit  = 10
	DefaultJobLatency = 2 * time.Second
	DefaultLinkTTL    = 15 * time.Minute
	DefaultSeed       = 1

	defaultWebhookAttempts   = 4
	defaultWebhookRetryDelay = time.Second
)

// DefaultPriceCents returns the per-row price in cents for each tier. The
// values are placeholders, not the vendor's prices, which are not published.
func DefaultPriceCents() map[string]int64 {
	return map[string]int64{"micro": 1, "low": 2, "medium": 5, "high": 20, "xhigh": 40}
}

// Options configures a Server. The zero value of every field except Addr
// selects the documented default.
type Options struct {
	// Addr is the listen address for Start; "127.0.0.1:0" picks a free port.
	Addr string
	// AllowNonLoopback lets Start listen on an address other than loopback.
	AllowNonLoopback bool
	// APIKey is the only accepted x-api-key value; "" accepts any non-empty key.
	APIKey string
	// BalanceCents is the starting account balance; nil means unlimited.
	BalanceCents *int64
	// PriceCents is the per-row price in cents by tier. Tiers missing from the
	// map keep their DefaultPriceCents value.
	PriceCents map[string]int64
	// RateLimit is the number of new submissions allowed per API key in any
	// rolling minute: 0 selects DefaultRateLimit, a negative value disables it.
	RateLimit int
	// JobLatency is the time from submission to the final job status.
	JobLatency time.Duration
	// LinkTTL is the lifetime of a signed download link.
	LinkTTL time.Duration

	// Fault and content rates, each a probability in [0, 1].
	ErrorRate       float64 // API requests that get a 500 response before any work
	DropRate        float64 // API responses cut off after the work was done
	ExpiredLinkRate float64 // valid downloads that get 403 as if expired
	JobFailureRate  float64 // jobs that end failed
	PassthroughRate float64 // rows returned without enrichment
	MistypeRate     float64 // typed values returned as text of the wrong type
	HostileRate     float64 // string values replaced by hostile text

	// Shuffle returns result rows in a random order.
	Shuffle bool
	// HighTierEnabled accepts tier "high"; without it such a submission gets 403.
	HighTierEnabled bool
	// WebhookSecret signs webhook deliveries; "" sends them unsigned.
	WebhookSecret string
	// AllowLoopbackWebhooks accepts webhook URLs on loopback, over http or https.
	AllowLoopbackWebhooks bool
	// WebhookAttempts is the number of delivery attempts per webhook; 0 selects 4.
	WebhookAttempts int
	// WebhookRetryDelay is the wait before the second attempt, doubled before
	// each later one; 0 selects 1s.
	WebhookRetryDelay time.Duration

	// JobOutcome, when set, is called for each new job with its task id and
	// the uploaded file's name. It returns the job's final state: "completed",
	// "failed", "cancelled", "terminated" or "timed_out", or "" to let
	// JobFailureRate decide. Tests use it to produce outcomes that no flag
	// produces.
	JobOutcome func(taskID, filename string) string
	// WebhookTransport, when set, sends webhook deliveries in place of the
	// client that connects only to public addresses. Tests use it to route a
	// delivery for a public host name to a receiver on loopback, without DNS.
	WebhookTransport http.RoundTripper

	// Seed makes every random choice reproducible; 0 selects DefaultSeed.
	Seed int64
	// Logger receives request logs at debug and job transitions at info; nil discards.
	Logger *slog.Logger
	// Now is the clock used for job latency, link expiry and rate limits; nil is time.Now.
	Now func() time.Time
}

// withDefaults returns a copy of o with defaults filled in, or an error naming
// the first invalid field.
func (o Options) withDefaults() (Options, error) {
	if o.Addr == "" {
		o.Addr = DefaultAddr
	}
	prices := DefaultPriceCents()
	for tier, cents := range o.PriceCents {
		if _, ok := prices[tier]; !ok {
			return o, fmt.Errorf("emulator: price for unknown tier %q; use one of %s", tier, tierList(prices))
		}
		if cents < 0 {
			return o, fmt.Errorf("emulator: price for tier %q is %d cents; use a value >= 0", tier, cents)
		}
		prices[tier] = cents
	}
	o.PriceCents = prices
	if o.BalanceCents != nil {
		balance := *o.BalanceCents
		if balance < 0 {
			return o, fmt.Errorf("emulator: balance is %d cents; use a value >= 0", balance)
		}
		o.BalanceCents = &balance
	}
	if o.RateLimit == 0 {
		o.RateLimit = DefaultRateLimit
	}
	if o.JobLatency == 0 {
		o.JobLatency = DefaultJobLatency
	}
	if o.JobLatency < 0 {
		return o, fmt.Errorf("emulator: job latency is %s; use a duration >= 0", o.JobLatency)
	}
	if o.LinkTTL == 0 {
		o.LinkTTL = DefaultLinkTTL
	}
	if o.LinkTTL < time.Second {
		return o, fmt.Errorf("emulator: link TTL is %s; use at least 1s", o.LinkTTL)
	}
	rates := []struct {
		name  string
		value float64
	}{
		{"error rate", o.ErrorRate},
		{"drop rate", o.DropRate},
		{"expired-link rate", o.ExpiredLinkRate},
		{"job-failure rate", o.JobFailureRate},
		{"passthrough rate", o.PassthroughRate},
		{"mistype rate", o.MistypeRate},
		{"hostile rate", o.HostileRate},
	}
	for _, r := range rates {
		if math.IsNaN(r.value) || r.value < 0 || r.value > 1 {
			return o, fmt.Errorf("emulator: %s is %v; use a fraction between 0 and 1", r.name, r.value)
		}
	}
	if o.WebhookAttempts == 0 {
		o.WebhookAttempts = defaultWebhookAttempts
	}
	if o.WebhookAttempts < 0 {
		return o, fmt.Errorf("emulator: webhook attempts is %d; use a value >= 1", o.WebhookAttempts)
	}
	if o.WebhookRetryDelay == 0 {
		o.WebhookRetryDelay = defaultWebhookRetryDelay
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	return o, nil
}

func tierList(prices map[string]int64) string {
	tiers := make([]string, 0, len(prices))
	for tier := range prices {
		tiers = append(tiers, tier)
	}
	sort.Strings(tiers)
	return fmt.Sprint(tiers)
}
