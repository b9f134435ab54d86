package pipelines

import (
	"context"
	"errors"
	"net/netip"
	"testing"
)

func TestWebhookURL(t *testing.T) {
	withHook := func(url string) string {
		return pipelineYAML("", defaultEnrich+"  webhook_url: \""+url+"\"\n", "")
	}
	accepted := []string{
		"https://hooks.example.com/sixtyfour",
		"https://hooks.example.com:8443/a?b=c",
		"https://8.8.8.8/hook",
		"https://[2606:4700:4700::1111]/hook",
		"https://[::ffff:8.8.8.8]/hook",
	}
	for _, url := range accepted {
		p := mustParse(t, withHook(url))
		if p.Enrich.WebhookURL != url {
			t.Errorf("WebhookURL = %q, want %q", p.Enrich.WebhookURL, url)
		}
	}

	cases := []struct {
		url, fragment string
	}{
		{"http://hooks.example.com/x", "does not use https"},
		{"hooks.example.com/x", "does not use https"},
		{"https:///path", "has no host"},
		{"https://user:secret@hooks.example.com/", "user name or password"},
		{"https://127.0.0.1/hook", "loopback address"},
		{"https://127.8.9.10/hook", "loopback address"},
		{"https://[::1]/hook", "loopback address"},
		{"https://[::ffff:127.0.0.1]/hook", "loopback address"},
		{"https://[::ffff:10.1.2.3]/hook", "private address"},
		{"https://10.0.0.5/hook", "private address"},
		{"https://172.16.0.1/hook", "private address"},
		{"https://192.168.1.1/hook", "private address"},
		{"https://169.254.169.254/latest/meta-data", "link-local address"},
		{"https://[fe80::1]/hook", "link-local address"},
		{"https://[fe80::1%25eth0]/hook", "link-local address"},
		{"https://[fd12:3456::1]/hook", "unique-local address"},
		{"https://0.0.0.0/hook", "unspecified address"},
		{"https://[::]/hook", "unspecified address"},
		{"https://224.0.0.1/hook", "multicast address"},
		{"https://[ff02::1]/hook", "multicast address"},
		{"https://100.64.0.1/hook", "carrier-grade NAT"},
		{"https://255.255.255.255/hook", "broadcast"},
		{"https://[64:ff9b::7f00:1]/hook", "NAT64"},
		{"https://localhost/hook", "loopback name"},
		{"https://api.localhost./hook", "loopback name"},
		{"https://2130706433/hook", "non-standard form"},
		{"https://0x7f.1/hook", "non-standard form"},
		{"https://0177.0.0.1/hook", "non-standard form"},
		{"", "empty URL"},
	}
	for _, c := range cases {
		t.Run(c.url, func(t *testing.T) {
			wantError(t, withHook(c.url), "enrich.webhook_url", c.fragment)
		})
	}
}

func TestWebhookURLLength(t *testing.T) {
	long := "https://hooks.example.com/"
	for len(long) <= maxWebhookURLLength {
		long += "a"
	}
	wantError(t, pipelineYAML("", defaultEnrich+"  webhook_url: "+long+"\n", ""), "enrich.webhook_url", "2084 characters")
}

// fakeResolver returns fixed addresses and counts its calls.
type fakeResolver struct {
	addrs []string
	err   error
	calls int
	host  string
}

func (r *fakeResolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.calls++
	r.host = host
	if r.err != nil {
		return nil, r.err
	}
	out := make([]netip.Addr, len(r.addrs))
	for i, a := range r.addrs {
		out[i] = netip.MustParseAddr(a)
	}
	return out, nil
}

func TestResolveWebhookHost(t *testing.T) {
	withHook := func(url string) *Pipeline {
		return mustParse(t, pipelineYAML("", defaultEnrich+"  webhook_url: "+url+"\n", ""))
	}
	ctx := context.Background()

	r := &fakeResolver{addrs: []string{"93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"}}
	if err := withHook("https://hooks.example.com/x").ResolveWebhookHost(ctx, r); err != nil {
		t.Errorf("public addresses: %v", err)
	}
	if r.host != "hooks.example.com" {
		t.Errorf("looked up %q, want hooks.example.com", r.host)
	}

	for _, addr := range []string{"10.0.0.7", "::1", "::ffff:192.168.0.1", "fd00::5"} {
		r = &fakeResolver{addrs: []string{"93.184.215.14", addr}}
		err := withHook("https://hooks.example.com/x").ResolveWebhookHost(ctx, r)
		var cerr *ConfigError
		if !errors.As(err, &cerr) {
			t.Errorf("address %s: error %v is not a *ConfigError", addr, err)
			continue
		}
		if cerr.Path != "enrich.webhook_url" || cerr.File != "/work/pipe/pipeline.yaml" {
			t.Errorf("address %s: Path, File = %q, %q", addr, cerr.Path, cerr.File)
		}
	}

	r = &fakeResolver{}
	if err := withHook("https://hooks.example.com/x").ResolveWebhookHost(ctx, r); err == nil {
		t.Error("a host without addresses was accepted")
	}

	lookupErr := errors.New("no such host")
	r = &fakeResolver{err: lookupErr}
	err := withHook("https://hooks.example.com/x").ResolveWebhookHost(ctx, r)
	var cerr *ConfigError
	if !errors.Is(err, lookupErr) || errors.As(err, &cerr) {
		t.Errorf("lookup failure gave %v; want the lookup error, not a configuration error", err)
	}

	r = &fakeResolver{}
	if err := withHook("https://8.8.8.8/x").ResolveWebhookHost(ctx, r); err != nil || r.calls != 0 {
		t.Errorf("literal public address: err %v, %d lookups; want nil and none", err, r.calls)
	}
	if err := mustParse(t, pipelineYAML("", "", "")).ResolveWebhookHost(ctx, r); err != nil || r.calls != 0 {
		t.Errorf("no webhook: err %v, %d lookups; want nil and none", err, r.calls)
	}
}
