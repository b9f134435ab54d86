package emulator

import (
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func TestBindFlagsDefaults(t *testing.T) {
	fs := pflag.NewFlagSet("emulate", pflag.ContinueOnError)
	o := BindFlags(fs)
	if err := fs.Parse(nil); err != nil {
		t.Fatal(err)
	}
	if o.Addr != DefaultAddr || o.RateLimit != 10 || o.JobLatency != 2*time.Second || o.LinkTTL != 15*time.Minute || o.Seed != 1 {
		t.Errorf("defaults %+v", o)
	}
	if o.BalanceCents != nil {
		t.Errorf("balance %d, want nil (unlimited)", *o.BalanceCents)
	}
	if o.PriceCents["low"] != 2 || o.PriceCents["high"] != 20 {
		t.Errorf("prices %v", o.PriceCents)
	}
}

func TestBindFlagsParse(t *testing.T) {
	fs := pflag.NewFlagSet("emulate", pflag.ContinueOnError)
	o := BindFlags(fs)
	args := []string{
		"--addr", "127.0.0.1:0", "--api-key", "k", "--balance-cents", "500",
		"--price-cents", "micro=3, low=4", "--rate-limit", "-1", "--job-latency", "150ms",
		"--link-ttl", "1m", "--error-rate", "0.1", "--drop-rate", "0.2", "--expired-link-rate", "0.3",
		"--job-failure-rate", "0.4", "--passthrough-rate", "0.5", "--mistype-rate", "0.6",
		"--hostile-rate", "0.7", "--shuffle", "--high-tier-enabled", "--webhook-secret", "s",
		"--allow-loopback-webhooks", "--seed", "42",
	}
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	if *o.BalanceCents != 500 || o.PriceCents["micro"] != 3 || o.PriceCents["low"] != 4 || o.PriceCents["medium"] != 5 {
		t.Errorf("balance %d, prices %v", *o.BalanceCents, o.PriceCents)
	}
	if o.RateLimit != -1 || o.JobLatency != 150*time.Millisecond || o.LinkTTL != time.Minute || o.Seed != 42 {
		t.Errorf("parsed %+v", o)
	}
	rates := []float64{o.ErrorRate, o.DropRate, o.ExpiredLinkRate, o.JobFailureRate, o.PassthroughRate, o.MistypeRate, o.HostileRate}
	for i, r := range rates {
		if want := float64(i+1) / 10; r != want {
			t.Errorf("rate %d is %v, want %v", i, r, want)
		}
	}
	if !o.Shuffle || !o.HighTierEnabled || !o.AllowLoopbackWebhooks || o.WebhookSecret != "s" || o.APIKey != "k" {
		t.Errorf("parsed %+v", o)
	}
	if _, err := New(*o); err != nil {
		t.Errorf("New with parsed flags: %v", err)
	}
}

func TestBindFlagsRejectsBadValues(t *testing.T) {
	for _, args := range [][]string{
		{"--price-cents", "gold=5"},
		{"--price-cents", "low"},
		{"--price-cents", "low=-1"},
		{"--balance-cents", "ten"},
	} {
		fs := pflag.NewFlagSet("emulate", pflag.ContinueOnError)
		fs.SetOutput(&strings.Builder{})
		BindFlags(fs)
		if err := fs.Parse(args); err == nil {
			t.Errorf("%v accepted", args)
		}
	}
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	for name, o := range map[string]Options{
		"rate above 1":  {ErrorRate: 1.5},
		"negative rate": {DropRate: -0.1},
		"unknown tier":  {PriceCents: map[string]int64{"gold": 1}},
		"short TTL":     {LinkTTL: time.Millisecond},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: New accepted %+v", name, o)
		}
	}
}

func TestStartRejectsNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:0"} {
		s, err := New(Options{Addr: addr})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Start(); err == nil || !strings.Contains(err.Error(), "loopback") {
			t.Errorf("Start on %s: err %v, want a loopback error", addr, err)
		}
		s.Close()
	}
}
