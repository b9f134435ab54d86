package pipelines

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
)

// maxWebhookURLLength is the API schema's limit for webhook_url.
const maxWebhookURLLength = 2083

// checkWebhookURL accepts an https URL with a host that is not a literal
// non-public IP address. It does no DNS lookup, which ResolveWebhookHost adds.
func checkWebhookURL(raw string) error {
	if raw == "" {
		return fmt.Errorf("empty URL; give an https URL or remove the key")
	}
	if len(raw) > maxWebhookURLLength {
		return fmt.Errorf("URL is %d characters, more than the API's limit of %d; use a shorter URL", len(raw), maxWebhookURLLength)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("invalid URL %q: %v; give an https URL such as https://hooks.example.com/crmsync", raw, err)
	}
	if u.Scheme != "https" {
		return fmt.Errorf("URL %q does not use https; the API delivers webhooks only over https", raw)
	}
	if u.Hostname() == "" {
		return fmt.Errorf("URL %q has no host; give an https URL such as https://hooks.example.com/crmsync", raw)
	}
	if u.User != nil {
		return fmt.Errorf("URL %q contains a user name or password, which the API would store and send in clear; remove them and verify deliveries by their signature", u.Redacted())
	}
	return checkWebhookHost(u.Hostname())
}

// checkWebhookHost rejects localhost names, literal non-public addresses and
// numeric hosts in non-standard forms such as 2130706433 or 0x7f.1, which
// some resolvers read as IPv4 addresses.
func checkWebhookHost(host string) error {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return fmt.Errorf("host %s is a loopback name; the API delivers webhooks only to public addresses, so give a public host", host)
	}
	if addr, err := netip.ParseAddr(h); err == nil {
		if kind := nonPublicKind(addr); kind != "" {
			return fmt.Errorf("host %s is a %s address; the API delivers webhooks only to public addresses, so give a public host", host, kind)
		}
		return nil
	}
	labels := strings.Split(h, ".")
	last := labels[len(labels)-1]
	if last == "" || strings.HasPrefix(last, "0x") || strings.Trim(last, "0123456789") == "" {
		return fmt.Errorf("host %s looks like an IP address in a non-standard form; write a public address in dotted IPv4 or in IPv6 form, or use a host name", host)
	}
	return nil
}

// reservedPrefixes are special-purpose ranges (IANA registries) that do not
// reach a public host, beyond those that netip.Addr classifies itself.
var reservedPrefixes = []struct {
	prefix netip.Prefix
	kind   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), `"this network"`},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("192.0.0.0/24"), "IETF protocol assignment"},
	{netip.MustParsePrefix("192.0.2.0/24"), "documentation"},
	{netip.MustParsePrefix("198.51.100.0/24"), "documentation"},
	{netip.MustParsePrefix("203.0.113.0/24"), "documentation"},
	{netip.MustParsePrefix("198.18.0.0/15"), "benchmarking"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved or broadcast"},
	{netip.MustParsePrefix("::/96"), "IPv4-compatible (deprecated)"},
	{netip.MustParsePrefix("64:ff9b::/96"), "NAT64"},
	{netip.MustParsePrefix("64:ff9b:1::/48"), "NAT64"},
	{netip.MustParsePrefix("100::/64"), "discard-only"},
	{netip.MustParsePrefix("2001::/32"), "Teredo"},
	{netip.MustParsePrefix("2001:db8::/32"), "documentation"},
	{netip.MustParsePrefix("2002::/16"), "6to4"},
	{netip.MustParsePrefix("fec0::/10"), "site-local (deprecated)"},
}

// nonPublicKind names the kind of a non-public address, or returns "" for a
// public one. An IPv4-mapped IPv6 address is judged by its IPv4 address.
func nonPublicKind(addr netip.Addr) string {
	addr = addr.Unmap().WithZone("")
	switch {
	case addr.IsUnspecified():
		return "unspecified"
	case addr.IsLoopback():
		return "loopback"
	case addr.Is4() && addr.IsPrivate():
		return "private"
	case addr.IsPrivate():
		return "unique-local"
	case addr.IsLinkLocalUnicast():
		return "link-local"
	case addr.IsMulticast():
		return "multicast"
	}
	for _, r := range reservedPrefixes {
		if r.prefix.Contains(addr) {
			return r.kind
		}
	}
	return ""
}

// HostResolver looks up the addresses of a host name. *net.Resolver
// implements it.
type HostResolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// ResolveWebhookHost resolves the host of enrich.webhook_url and returns a
// *ConfigError when any of its addresses is not public. It returns nil when
// the pipeline has no webhook, and an ordinary error when the lookup fails.
// The check only catches mistakes early, because a DNS answer can change
// later. The API checks the address again at delivery.
func (p *Pipeline) ResolveWebhookHost(ctx context.Context, r HostResolver) error {
	raw := p.Enrich.WebhookURL
	if raw == "" {
		return nil
	}
	configErr := func(format string, args ...any) error {
		return &ConfigError{File: p.Path, Path: "enrich.webhook_url", Msg: fmt.Sprintf(format, args...)}
	}
	if err := checkWebhookURL(raw); err != nil {
		return configErr("%v", err)
	}
	u, _ := url.Parse(raw)
	host := u.Hostname()
	if _, err := netip.ParseAddr(host); err == nil {
		return nil // checkWebhookURL has judged the literal address
	}
	addrs, err := r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return fmt.Errorf("look up webhook host %s: %w; check the host name in enrich.webhook_url and the network", host, err)
	}
	if len(addrs) == 0 {
		return configErr("host %s has no IP address; give a host that resolves to a public address", host)
	}
	for _, addr := range addrs {
		if kind := nonPublicKind(addr); kind != "" {
			return configErr("host %s resolves to %s, a %s address; the API delivers webhooks only to public addresses", host, addr, kind)
		}
	}
	return nil
}
