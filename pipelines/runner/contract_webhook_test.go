package runner

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/enrich"
	"github.com/crmsync/crmsync/enrich/emulator"
)

// fakeResolver resolves every lookup from a fixed table and records the
// requested hosts. Tests use it in place of DNS.
type fakeResolver struct {
	addrs map[string][]netip.Addr
	err   error

	mu    sync.Mutex
	asked []string
}

func (f *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	f.mu.Lock()
	f.asked = append(f.asked, host)
	f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	return f.addrs[host], nil
}

// TestContractWebhookHostRejected resolves the webhook host to non-public
// addresses, or fails the lookup; the run must stop before any submission.
func TestContractWebhookHostRejected(t *testing.T) {
	cases := []struct {
		name     string
		resolver *fakeResolver
		code     int
		want     string
	}{
		{"private", &fakeResolver{addrs: map[string][]netip.Addr{"hooks.example.com": {netip.MustParseAddr("10.1.2.3")}}},
			ExitConfig, "resolves to 10.1.2.3, a private address"},
		{"one of several loopback", &fakeResolver{addrs: map[string][]netip.Addr{"hooks.example.com": {
			netip.MustParseAddr("93.184.216.34"), netip.MustParseAddr("::1")}}},
			ExitConfig, "a loopback address"},
		{"no address", &fakeResolver{addrs: map[string][]netip.Addr{}}, ExitConfig, "has no IP address"},
		{"lookup failure", &fakeResolver{err: errors.New("server misbehaving")}, ExitRuntime, "look up webhook host hooks.example.com"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			clock := newSimClock()
			useSimClock(t, clock)
			emu, base := startEmulator(t, clock, emulator.Options{})
			yaml := writePipeline(t, t.TempDir(), pipelineSpec{rows: 10, maxRows: 5, webhookURL: "https://hooks.example.com/crmsync"})

			run := runPipeline(t, yaml, base, t.TempDir(), Options{Resolver: tc.resolver})
			if run.code != tc.code {
				t.Errorf("exit %d, want %d; err %v", run.code, tc.code, run.err)
			}
			if run.err == nil || !strings.Contains(run.err.Error(), tc.want) {
				t.Errorf("error %v lacks %q", run.err, tc.want)
			}
			if len(tc.resolver.asked) != 1 || tc.resolver.asked[0] != "hooks.example.com" {
				t.Errorf("resolver was asked for %v, want [hooks.example.com]", tc.resolver.asked)
			}
			if n := emu.Stats().Submissions; n != 0 {
				t.Errorf("emulator started %d jobs, want 0", n)
			}
		})
	}
}

// TestContractWebhookDelivered resolves the webhook host to a public
// address and lets the emulator deliver to a TLS receiver on loopback. The
// receiver verifies every delivery's signature with VerifyWebhookSignature.
func TestContractWebhookDelivered(t *testing.T) {
	const secret = "sk_whsec_aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44ee55ff66aa11bb22cc33dd44"
	clock := newSimClock()
	useSimClock(t, clock)

	type delivery struct {
		signature string
		body      []byte
	}
	deliveries := make(chan delivery, 8)
	receiver := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		deliveries <- delivery{signature: r.Header.Get("Sixtyfour-Signature"), body: body}
		w.WriteHeader(http.StatusOK)
	}))
	defer receiver.Close()

	// The receiver's certificate is valid for example.com. Every dial goes
	// to the receiver, so no request leaves loopback and no DNS is used.
	transport := receiver.Client().Transport.(*http.Transport).Clone()
	transport.Proxy = nil
	receiverAddr := receiver.Listener.Addr().String()
	transport.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, receiverAddr)
	}
	emu, base := startEmulator(t, clock, emulator.Options{WebhookSecret: secret, WebhookTransport: transport})

	resolver := &fakeResolver{addrs: map[string][]netip.Addr{"example.com": {netip.MustParseAddr("93.184.216.34")}}}
	yaml := writePipeline(t, t.TempDir(), pipelineSpec{rows: 10, maxRows: 5, webhookURL: "https://example.com/crmsync-hook"})
	run := runPipeline(t, yaml, base, t.TempDir(), Options{Resolver: resolver})
	if run.err != nil {
		t.Fatalf("run failed: %v", run.err)
	}

	for i := range 2 {
		select {
		case d := <-deliveries:
			if err := enrich.VerifyWebhookSignature(secret, d.signature, d.body, clock.Now()); err != nil {
				t.Errorf("delivery %d: signature rejected: %v", i+1, err)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("received %d of 2 webhook deliveries within 30 s; emulator stats %+v", i, emu.Stats().Webhooks)
		}
	}
}
