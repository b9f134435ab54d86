package emulator

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

const (
	maxWebhookURLLength = 2083
	// webhookTimeout is the time a receiver has to respond, matching the
	// API's rule that handlers must return 2xx within 10 seconds.
	webhookTimeout = 10 * time.Second
	// webhookEventType is the event type of a bulk job's webhook, which the
	// API delivers from a workflow webhook block.
	webhookEventType = "outgoing_webhook.completed"
)

// checkWebhookURL validates a webhook_url value at submission: an absolute
// https URL whose host is not a loopback, private or link-local address.
// With allowLoopback, loopback hosts are accepted over http or https.
// Host names other than localhost are checked when the delivery connects.
func checkWebhookURL(loc []any, raw string, allowLoopback bool) *validationError {
	input := marshalString(raw)
	if len(raw) == 0 {
		return &validationError{Loc: loc, Msg: "String should have at least 1 character", Type: "string_too_short", Input: input, Ctx: map[string]any{"min_length": 1}}
	}
	if len(raw) > maxWebhookURLLength {
		return &validationError{Loc: loc, Msg: fmt.Sprintf("String should have at most %d characters", maxWebhookURLLength), Type: "string_too_long", Input: input, Ctx: map[string]any{"max_length": maxWebhookURLLength}}
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return &validationError{Loc: loc, Msg: "Input should be a valid URL, relative URL without a base", Type: "url_parsing", Input: input}
	}
	host := u.Hostname()
	if isLoopbackHost(host) {
		if !allowLoopback {
			verr := valueError(loc, input, "webhook_url must be a public address; loopback addresses are rejected")
			return &verr
		}
		if u.Scheme != "https" && u.Scheme != "http" {
			verr := valueError(loc, input, "webhook_url must use https")
			return &verr
		}
		return nil
	}
	if u.Scheme != "https" {
		verr := valueError(loc, input, "webhook_url must use https")
		return &verr
	}
	if addr, err := netip.ParseAddr(host); err == nil && !isPublicAddr(addr) {
		verr := valueError(loc, input, "webhook_url must be a public address; private, link-local and reserved addresses are rejected")
		return &verr
	}
	return nil
}

func isLoopbackHost(host string) bool {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	addr, err := netip.ParseAddr(host)
	return err == nil && addr.Unmap().IsLoopback()
}

var sharedAddressSpace = netip.MustParsePrefix("100.64.0.0/10")

func isPublicAddr(addr netip.Addr) bool {
	addr = addr.Unmap()
	return addr.IsGlobalUnicast() && !addr.IsPrivate() && !sharedAddressSpace.Contains(addr)
}

// webhookClient returns an HTTP client that connects only to public
// addresses (and loopback when allowed), checked on the resolved address so
// a host name cannot point a delivery at a private network. It ignores proxy
// settings and does not follow redirects.
func webhookClient(allowLoopback bool) *http.Client {
	dialer := &net.Dialer{
		Timeout: webhookTimeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			addr, err := netip.ParseAddr(host)
			if err != nil {
				return fmt.Errorf("webhook address %q is not an IP address", host)
			}
			if isPublicAddr(addr) || (allowLoopback && addr.Unmap().IsLoopback()) {
				return nil
			}
			return fmt.Errorf("webhook address %s is not public; deliveries to it are blocked", addr)
		},
	}
	return &http.Client{
		Timeout:       webhookTimeout,
		Transport:     &http.Transport{Proxy: nil, DialContext: dialer.DialContext, TLSHandshakeTimeout: webhookTimeout},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// webhookEnvelope is the body of a webhook delivery, in the shape of the
// API's workflow webhook block.
type webhookEnvelope struct {
	EventID            string            `json:"event_id"`
	RunID              string            `json:"run_id"`
	TaskID             string            `json:"task_id"`
	Status             string            `json:"status"`
	Results            []json.RawMessage `json:"results"`
	ResultsDownloadURL string            `json:"results_download_url"`
}

// startWebhook delivers j's webhook in the background when its config names one.
func (s *Server) startWebhook(j *job) {
	if j.cfg.webhookURL == "" {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.wg.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.wg.Done()
		s.deliverWebhook(j)
	}()
}

// deliverWebhook posts the envelope, retrying non-2xx responses and connection
// errors with a doubling delay. The event id is the same for every attempt;
// the signature is made again per attempt with the current time.
//
// NOTE: the API documents neither its retry schedule nor a webhook for a
// failed bulk job; the emulator sends webhooks for completed jobs only.
func (s *Server) deliverWebhook(j *job) {
	seedText := strconv.FormatInt(s.opts.Seed, 10)
	eventRand := seededRand(seedText, j.id, "webhook-event")
	eventID := formatUUID(eventRand.Uint64(), eventRand.Uint64())
	preview := j.result.objects[:min(len(j.result.objects), inlinePreviewLimit)]
	body, err := json.Marshal(webhookEnvelope{
		EventID:            eventID,
		RunID:              j.runID,
		TaskID:             j.id,
		Status:             stateCompleted,
		Results:            preview,
		ResultsDownloadURL: s.signedLink(j.baseURL, j.id, 2),
	})
	if err != nil {
		s.log.Error("emulator webhook not sent: encoding the body failed", "task_id", j.id, "error", err)
		return
	}
	target, _ := url.Parse(j.cfg.webhookURL)
	client := webhookClient(s.opts.AllowLoopbackWebhooks)
	if s.opts.WebhookTransport != nil {
		client = &http.Client{
			Timeout:       webhookTimeout,
			Transport:     s.opts.WebhookTransport,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	}
	delay := s.opts.WebhookRetryDelay

	for attempt := 1; attempt <= s.opts.WebhookAttempts; attempt++ {
		if attempt > 1 {
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(delay):
			}
			delay *= 2
		}
		status, err := s.postWebhook(client, j.cfg.webhookURL, body, eventID, attempt)
		s.mu.Lock()
		s.counters.webhooks.Attempts++
		s.mu.Unlock()
		if err == nil && status >= 200 && status < 300 {
			s.mu.Lock()
			s.counters.webhooks.Delivered++
			s.mu.Unlock()
			s.log.Info("emulator webhook delivered", "task_id", j.id, "host", target.Host, "attempt", attempt, "status", status)
			return
		}
		s.log.Warn("emulator webhook attempt failed", "task_id", j.id, "host", target.Host,
			"attempt", attempt, "status", status, "error", err)
	}
	s.mu.Lock()
	s.counters.webhooks.Failed++
	s.mu.Unlock()
	s.log.Error("emulator webhook delivery failed; no attempts left", "task_id", j.id, "host", target.Host, "attempts", s.opts.WebhookAttempts)
}

// postWebhook sends one attempt and returns the response status.
func (s *Server) postWebhook(client *http.Client, target string, body []byte, eventID string, attempt int) (int, error) {
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sixtyfour-Event-Id", eventID)
	req.Header.Set("Sixtyfour-Event-Type", webhookEventType)
	req.Header.Set("Sixtyfour-Delivery-Attempt", strconv.Itoa(attempt))
	if s.opts.WebhookSecret != "" {
		req.Header.Set("Sixtyfour-Signature", signWebhook(s.opts.WebhookSecret, s.now().Unix(), body))
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, err
	}
	_ = resp.Body.Close()
	return resp.StatusCode, nil
}

// signWebhook returns the Sixtyfour-Signature value: t=UNIX,v1=HEX, where HEX
// is the HMAC-SHA256 of "UNIX.BODY" keyed with the whole secret string.
func signWebhook(secret string, unix int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "%d.", unix)
	mac.Write(body)
	return fmt.Sprintf("t=%d,v1=%s", unix, hex.EncodeToString(mac.Sum(nil)))
}
