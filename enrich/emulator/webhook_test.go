package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"
)

// verifySignature checks a Sixtyfour-Signature header the way a receiver
// would: every v1 segment counts, the timestamp must be within 300 seconds of
// now, and the HMAC-SHA256 key is the whole secret string.
func verifySignature(header, secret string, body []byte, now time.Time) error {
	var ts string
	var sigs []string
	for _, part := range strings.Split(header, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return errors.New("malformed segment " + part)
		}
		switch name {
		case "t":
			ts = value
		case "v1":
			sigs = append(sigs, value)
		}
	}
	unix, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return errors.New("missing or invalid t")
	}
	if d := now.Unix() - unix; d > 300 || d < -300 {
		return errors.New("timestamp outside tolerance")
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(ts + "."))
	mac.Write(body)
	want := hex.EncodeToString(mac.Sum(nil))
	for _, sig := range sigs {
		if hmac.Equal([]byte(sig), []byte(want)) {
			return nil
		}
	}
	return errors.New("no v1 signature matches")
}

// delivery is one webhook request as the receiver saw it.
type delivery struct {
	header http.Header
	body   []byte
}

// webhookReceiver starts a loopback receiver that responds with the given statuses
// in turn (200 once they run out) and sends each request on the channel.
func webhookReceiver(t *testing.T, statuses ...int) (string, chan delivery) {
	t.Helper()
	got := make(chan delivery, 16)
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{header: r.Header.Clone(), body: body}
		status := http.StatusOK
		if calls < len(statuses) {
			status = statuses[calls]
		}
		calls++
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/hooks/sixtyfour", got
}

func receive(t *testing.T, got chan delivery) delivery {
	t.Helper()
	select {
	case d := <-got:
		return d
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook delivery arrived")
		return delivery{}
	}
}

func TestWebhookSignedDelivery(t *testing.T) {
	const secret = "sk_whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	hookURL, got := webhookReceiver(t)
	base, s, clock := startServer(t, Options{WebhookSecret: secret, AllowLoopbackWebhooks: true})
	config := `{"struct":{"email":"Work email"},"webhook_url":"` + hookURL + `"}`
	id := submitOK(t, base, submitRequest{file: leadsCSV(2), config: config})
	clock.Advance(DefaultJobLatency)
	s.Stats() // moves the job to completed, which starts the delivery

	d := receive(t, got)
	if err := verifySignature(d.header.Get("Sixtyfour-Signature"), secret, d.body, clock.Now()); err != nil {
		t.Errorf("signature: %v (header %q)", err, d.header.Get("Sixtyfour-Signature"))
	}
	if err := verifySignature(d.header.Get("Sixtyfour-Signature"), secret+"x", d.body, clock.Now()); err == nil {
		t.Errorf("signature verified with the wrong secret")
	}
	if got := d.header.Get("Sixtyfour-Event-Type"); got != "outgoing_webhook.completed" {
		t.Errorf("event type %q", got)
	}
	if got := d.header.Get("Sixtyfour-Delivery-Attempt"); got != "1" {
		t.Errorf("attempt %q, want 1", got)
	}

	var env webhookEnvelope
	if err := json.Unmarshal(d.body, &env); err != nil {
		t.Fatalf("body is not the envelope: %v", err)
	}
	if env.TaskID != id || env.Status != "completed" || env.RunID == "" || len(env.Results) != 2 {
		t.Errorf("envelope %s", d.body)
	}
	if env.EventID == "" || env.EventID != d.header.Get("Sixtyfour-Event-Id") {
		t.Errorf("event id %q, header %q", env.EventID, d.header.Get("Sixtyfour-Event-Id"))
	}
	if resp := get(t, env.ResultsDownloadURL, ""); resp.status != http.StatusOK {
		t.Errorf("results_download_url: status %d", resp.status)
	}
}

func TestWebhookRetries(t *testing.T) {
	hookURL, got := webhookReceiver(t, http.StatusInternalServerError, http.StatusBadGateway)
	base, s, clock := startServer(t, Options{AllowLoopbackWebhooks: true, WebhookRetryDelay: time.Millisecond})
	config := `{"struct":{"email":"Work email"},"webhook_url":"` + hookURL + `"}`
	submitOK(t, base, submitRequest{file: leadsCSV(1), config: config})
	clock.Advance(DefaultJobLatency)
	s.Stats()

	var eventIDs []string
	for attempt := 1; attempt <= 3; attempt++ {
		d := receive(t, got)
		if got := d.header.Get("Sixtyfour-Delivery-Attempt"); got != strconv.Itoa(attempt) {
			t.Errorf("delivery %d: attempt header %q", attempt, got)
		}
		if d.header.Get("Sixtyfour-Signature") != "" {
			t.Errorf("delivery %d signed without a secret", attempt)
		}
		eventIDs = append(eventIDs, d.header.Get("Sixtyfour-Event-Id"))
	}
	if eventIDs[0] != eventIDs[1] || eventIDs[1] != eventIDs[2] {
		t.Errorf("event id changed across attempts: %v", eventIDs)
	}
	// The receiver sees the third request before the emulator reads its
	// status, so wait until the delivery is recorded.
	st := waitForWebhookResult(t, s)
	if st.Webhooks.Attempts != 3 || st.Webhooks.Delivered != 1 || st.Webhooks.Failed != 0 {
		t.Errorf("webhook stats %+v", st.Webhooks)
	}
}

// waitForWebhookResult polls the stats until one delivery has ended.
func waitForWebhookResult(t *testing.T, s *Server) Stats {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		st := s.Stats()
		if st.Webhooks.Delivered+st.Webhooks.Failed > 0 {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("no webhook delivery ended: %+v", st.Webhooks)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestWebhookGivesUp(t *testing.T) {
	hookURL, got := webhookReceiver(t, 500, 500, 500)
	base, s, clock := startServer(t, Options{AllowLoopbackWebhooks: true, WebhookAttempts: 3, WebhookRetryDelay: time.Millisecond})
	submitOK(t, base, submitRequest{file: leadsCSV(1), config: `{"webhook_url":"` + hookURL + `"}`})
	clock.Advance(DefaultJobLatency)
	s.Stats()
	for range 3 {
		receive(t, got)
	}
	st := waitForWebhookResult(t, s)
	if st.Webhooks.Attempts != 3 || st.Webhooks.Failed != 1 || st.Webhooks.Delivered != 0 {
		t.Errorf("webhook stats %+v", st.Webhooks)
	}
}

func TestWebhookLoopbackNeedsOption(t *testing.T) {
	hookURL, _ := webhookReceiver(t)
	base, _, _ := startServer(t, Options{})
	resp := submit(t, base, submitRequest{file: leadsCSV(1), config: `{"webhook_url":"` + hookURL + `"}`})
	if resp.status != http.StatusUnprocessableEntity {
		t.Errorf("loopback webhook without AllowLoopbackWebhooks: status %d, want 422", resp.status)
	}
}

func TestWebhookClientBlocksPrivateAddresses(t *testing.T) {
	hookURL, got := webhookReceiver(t)
	client := webhookClient(false)
	resp, err := client.Post(hookURL, "application/json", strings.NewReader("{}"))
	if err == nil {
		resp.Body.Close()
		t.Fatalf("delivery to loopback went through without AllowLoopbackWebhooks")
	}
	select {
	case <-got:
		t.Errorf("receiver got a request")
	default:
	}
}
