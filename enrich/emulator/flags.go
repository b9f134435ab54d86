package emulator

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// BindFlags registers the emulator's command-line flags on fs and returns the
// Options they fill in when fs is parsed. Logger and Now are left for the
// caller to set.
func BindFlags(fs *pflag.FlagSet) *Options {
	o := &Options{PriceCents: DefaultPriceCents()}
	fs.StringVar(&o.Addr, "addr", DefaultAddr, "listen address (host:port); loopback only unless --allow-non-loopback is set")
	fs.BoolVar(&o.AllowNonLoopback, "allow-non-loopback", false, "allow --addr to name an address other than loopback")
	fs.StringVar(&o.APIKey, "api-key", "", "the only accepted x-api-key value (default: any non-empty key)")
	fs.Var(&balanceFlag{target: &o.BalanceCents}, "balance-cents", "starting balance in cents; a submission whose estimate exceeds it gets 402")
	fs.Var(&priceFlag{target: o.PriceCents}, "price-cents", "per-row price in cents by tier, as tier=cents pairs separated by commas (placeholders, not real prices)")
	fs.IntVar(&o.RateLimit, "rate-limit", DefaultRateLimit, "new submissions per API key per rolling minute; past it 429 with Retry-After; negative disables the limit")
	fs.DurationVar(&o.JobLatency, "job-latency", DefaultJobLatency, "time from submission to the completed or failed job status")
	fs.DurationVar(&o.LinkTTL, "link-ttl", DefaultLinkTTL, "lifetime of a signed download link")
	fs.Float64Var(&o.ErrorRate, "error-rate", 0, "fraction of API requests that get a 500 response before any work is done")
	fs.Float64Var(&o.DropRate, "drop-rate", 0, "fraction of API responses cut off mid-response after the work was done")
	fs.Float64Var(&o.ExpiredLinkRate, "expired-link-rate", 0, "fraction of valid downloads answered 403 as expired")
	fs.Float64Var(&o.JobFailureRate, "job-failure-rate", 0, "fraction of jobs ending failed")
	fs.Float64Var(&o.PassthroughRate, "passthrough-rate", 0, "fraction of rows returned without enrichment")
	fs.Float64Var(&o.MistypeRate, "mistype-rate", 0, "fraction of typed values returned as text of the wrong type (\"50-100\" for an int)")
	fs.BoolVar(&o.Shuffle, "shuffle", false, "return result rows in random order")
	fs.Float64Var(&o.HostileRate, "hostile-rate", 0, "fraction of string values replaced by hostile text (formula prefixes, CR/LF, tab, right-to-left override, 100 KB strings)")
	fs.BoolVar(&o.HighTierEnabled, "high-tier-enabled", false, "accept tier high; without it such a submission gets 403")
	fs.StringVar(&o.WebhookSecret, "webhook-secret", "", "secret that signs webhook deliveries (default: unsigned)")
	fs.BoolVar(&o.AllowLoopbackWebhooks, "allow-loopback-webhooks", false, "accept webhook URLs on loopback, over http or https")
	fs.Int64Var(&o.Seed, "seed", DefaultSeed, "seed for every random choice")
	return o
}

// balanceFlag sets an optional balance, so that an unset flag keeps nil (unlimited).
type balanceFlag struct {
	target **int64
}

func (f *balanceFlag) String() string {
	if f.target == nil || *f.target == nil {
		return "unlimited"
	}
	return strconv.FormatInt(**f.target, 10)
}

func (f *balanceFlag) Set(s string) error {
	cents, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || cents < 0 {
		return fmt.Errorf("invalid balance %q: use a whole number of cents >= 0", s)
	}
	*f.target = &cents
	return nil
}

func (f *balanceFlag) Type() string { return "cents" }

// priceFlag parses "micro=1,low=2" into a tier price map. Tiers not named keep
// their current price.
type priceFlag struct {
	target map[string]int64
}

func (f *priceFlag) String() string {
	if f.target == nil {
		return ""
	}
	tiers := make([]string, 0, len(f.target))
	for tier := range f.target {
		tiers = append(tiers, tier)
	}
	sort.Slice(tiers, func(i, j int) bool { return f.target[tiers[i]] < f.target[tiers[j]] })
	pairs := make([]string, len(tiers))
	for i, tier := range tiers {
		pairs[i] = tier + "=" + strconv.FormatInt(f.target[tier], 10)
	}
	return strings.Join(pairs, ",")
}

func (f *priceFlag) Set(s string) error {
	known := DefaultPriceCents()
	for _, pair := range strings.Split(s, ",") {
		pair = strings.TrimSpace(pair)
		if pair == "" {
			continue
		}
		tier, value, ok := strings.Cut(pair, "=")
		tier = strings.TrimSpace(tier)
		if !ok {
			return fmt.Errorf("invalid price %q: write tier=cents, for example low=2", pair)
		}
		if _, ok := known[tier]; !ok {
			return fmt.Errorf("invalid price %q: unknown tier %q; use one of %s", pair, tier, tierList(known))
		}
		cents, err := strconv.ParseInt(strings.TrimSpace(value), 10, 64)
		if err != nil || cents < 0 {
			return fmt.Errorf("invalid price %q: use a whole number of cents >= 0", pair)
		}
		f.target[tier] = cents
	}
	return nil
}

func (f *priceFlag) Type() string { return "tier=cents,..." }
