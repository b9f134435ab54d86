package enrich_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmsync/crmsync/enrich"
	"github.com/crmsync/crmsync/enrich/emulator"
)

var fastPoll = enrich.PollOptions{Initial: 20 * time.Millisecond, Max: 100 * time.Millisecond, Timeout: time.Hour}

// submitAndWait submits a chunk of rows and waits for its job to end.
func submitAndWait(t *testing.T, env *contractEnv, tag string, rows int, config string) enrich.JobStatus {
	t.Helper()
	ctx := context.Background()
	res, err := env.client.Submit(ctx, enrich.People, writeChunk(t, tag, rows), []byte(config), idemKey(tag))
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	st, err := env.client.Wait(ctx, res.TaskID, fastPoll)
	if err != nil {
		t.Fatalf("Wait: %v", err)
	}
	return st
}

// countLines returns the number of non-empty lines in a file.
func countLines(t *testing.T, path string) int {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) > 0 {
			n++
		}
	}
	return n
}

// TestContractJobOutcomes ends one job in each terminal state and checks
// that Wait returns it and that only a completed job can be downloaded.
func TestContractJobOutcomes(t *testing.T) {
	for _, outcome := range []string{"completed", "failed", "cancelled", "terminated", "timed_out"} {
		t.Run(outcome, func(t *testing.T) {
			env := newContractEnv(t, emulator.Options{
				JobLatency: 50 * time.Millisecond,
				JobOutcome: func(string, string) string { return outcome },
			}, enrich.Options{})

			st := submitAndWait(t, env, outcome, 3, peopleConfig)
			if st.Status != outcome {
				t.Errorf("status = %q, want %q", st.Status, outcome)
			}
			if !st.Terminal() {
				t.Errorf("Terminal() = false for %q", st.Status)
			}

			dst := filepath.Join(t.TempDir(), "result")
			_, err := env.client.DownloadResult(context.Background(), st.ID, st, dst)
			if outcome == "completed" {
				if err != nil {
					t.Errorf("DownloadResult: %v", err)
				}
				if st.ChargeAmount == nil || *st.ChargeAmount != 3*2 {
					t.Errorf("charge_amount = %v, want 6 cents (3 rows at 2)", st.ChargeAmount)
				}
				return
			}
			if err == nil {
				t.Errorf("DownloadResult of a %s job succeeded, want an error", outcome)
			}
			stats := env.emu.Stats()
			ended := map[string]int64{
				"failed": stats.Jobs.Failed, "cancelled": stats.Jobs.Cancelled,
				"terminated": stats.Jobs.Terminated, "timed_out": stats.Jobs.TimedOut,
			}
			if ended[outcome] != 1 {
				t.Errorf("emulator stats count %d %s jobs, want 1: %+v", ended[outcome], outcome, stats.Jobs)
			}
			if len(stats.ChargesPerTask) != 0 {
				t.Errorf("a %s job was charged: %v", outcome, stats.ChargesPerTask)
			}
		})
	}
}

// TestContractExpiredLinkAnswers downloads through "expired" 403 responses;
// the client fetches fresh links from job-status and checks the row count.
func TestContractExpiredLinkAnswers(t *testing.T) {
	env := newContractEnv(t, emulator.Options{JobLatency: 50 * time.Millisecond, ExpiredLinkRate: 0.6, Seed: 3},
		enrich.Options{Retry: enrich.RetryPolicy{LinkRefreshes: 20}})
	st := submitAndWait(t, env, "expired", 25, peopleConfig)
	statusBefore := len(env.rec.matching(http.MethodGet, "/job-status/"))

	dst := filepath.Join(t.TempDir(), "result")
	format, err := env.client.DownloadResult(context.Background(), st.ID, st, dst)
	if err != nil {
		t.Fatalf("DownloadResult: %v", err)
	}
	downloads := len(env.rec.matching(http.MethodGet, "/emulator/files/"))
	refreshes := len(env.rec.matching(http.MethodGet, "/job-status/")) - statusBefore
	if downloads < 2 {
		t.Fatalf("downloads = %d; seed 3 no longer makes the first link answer 403, so pick another seed", downloads)
	}
	if refreshes != downloads-1 {
		t.Errorf("job-status refreshes = %d, want one per rejected link (%d)", refreshes, downloads-1)
	}
	if format != enrich.FormatCSV {
		t.Errorf("format = %q, want csv", format)
	}
	if rows := countLines(t, dst) - 1; rows != 25 {
		t.Errorf("result has %d rows after the header, want 25", rows)
	}
}

// TestContractLinkPastLifetime lets the link outlive its TTL on the shared
// clock; the client must refresh before downloading.
func TestContractLinkPastLifetime(t *testing.T) {
	env := newContractEnv(t, emulator.Options{JobLatency: 50 * time.Millisecond, LinkTTL: time.Minute}, enrich.Options{})
	st := submitAndWait(t, env, "ttl", 12, peopleConfig)
	env.clock.Advance(2 * time.Minute)
	statusBefore := len(env.rec.matching(http.MethodGet, "/job-status/"))

	dst := filepath.Join(t.TempDir(), "result")
	if _, err := env.client.DownloadResult(context.Background(), st.ID, st, dst); err != nil {
		t.Fatalf("DownloadResult: %v", err)
	}
	if n := len(env.rec.matching(http.MethodGet, "/job-status/")) - statusBefore; n != 1 {
		t.Errorf("job-status refreshes = %d, want 1", n)
	}
	if n := len(env.rec.matching(http.MethodGet, "/emulator/files/")); n != 1 {
		t.Errorf("downloads = %d, want 1: the stale link must not be tried", n)
	}
}

// TestContractPreviewWhenNoLinkWorks makes every download return 403. A small
// file falls back to its inline preview; a large one has none and fails.
func TestContractPreviewWhenNoLinkWorks(t *testing.T) {
	env := newContractEnv(t, emulator.Options{JobLatency: 50 * time.Millisecond, ExpiredLinkRate: 1},
		enrich.Options{Retry: enrich.RetryPolicy{LinkRefreshes: 2}})
	ctx := context.Background()

	small := submitAndWait(t, env, "small", 4, peopleConfig)
	dst := filepath.Join(t.TempDir(), "small")
	format, err := env.client.DownloadResult(ctx, small.ID, small, dst)
	if err != nil {
		t.Fatalf("small result: %v", err)
	}
	if format != enrich.FormatJSONL {
		t.Errorf("preview format = %q, want jsonl", format)
	}
	if rows := countLines(t, dst); rows != 4 {
		t.Errorf("preview has %d rows, want 4", rows)
	}

	large := submitAndWait(t, env, "large", 30, peopleConfig)
	_, err = env.client.DownloadResult(ctx, large.ID, large, filepath.Join(t.TempDir(), "large"))
	if !errors.Is(err, enrich.ErrLinkExpired) {
		t.Errorf("large result without preview: err = %v, want ErrLinkExpired", err)
	}
}

// delivery is one webhook request the receiver got.
type delivery struct {
	header http.Header
	body   []byte
}

// TestContractWebhookSignature receives the emulator's signed webhook on
// loopback and verifies it with VerifyWebhookSignature.
func TestContractWebhookSignature(t *testing.T) {
	const secret = "sk_whsec_00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
	got := make(chan delivery, 4)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		got <- delivery{header: r.Header.Clone(), body: body}
		w.WriteHeader(http.StatusNoContent)
	}))
	defer receiver.Close()

	env := newContractEnv(t, emulator.Options{
		JobLatency: 50 * time.Millisecond, WebhookSecret: secret, AllowLoopbackWebhooks: true,
	}, enrich.Options{})
	config := `{"struct":{"title":"Job title"},"webhook_url":"` + receiver.URL + `/hook"}`
	st := submitAndWait(t, env, "hook", 3, config)

	var d delivery
	select {
	case d = <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("no webhook delivery within 30 s")
	}
	signature := d.header.Get("Sixtyfour-Signature")
	if err := enrich.VerifyWebhookSignature(secret, signature, d.body, env.clock.Now()); err != nil {
		t.Errorf("emulator's signature rejected: %v", err)
	}
	if err := enrich.VerifyWebhookSignature("sk_whsec_wrong", signature, d.body, env.clock.Now()); !errors.Is(err, enrich.ErrSignatureMismatch) {
		t.Errorf("wrong secret: err = %v, want ErrSignatureMismatch", err)
	}
	tampered := bytes.Replace(d.body, []byte(st.ID), []byte(strings.Repeat("0", len(st.ID))), 1)
	if err := enrich.VerifyWebhookSignature(secret, signature, tampered, env.clock.Now()); !errors.Is(err, enrich.ErrSignatureMismatch) {
		t.Errorf("tampered body: err = %v, want ErrSignatureMismatch", err)
	}
	if err := enrich.VerifyWebhookSignature(secret, signature, d.body, env.clock.Now().Add(10*time.Minute)); !errors.Is(err, enrich.ErrSignatureStale) {
		t.Errorf("delivery 10 minutes old: err = %v, want ErrSignatureStale", err)
	}

	if d.header.Get("Sixtyfour-Event-Id") == "" {
		t.Error("no Sixtyfour-Event-Id header")
	}
	if got := d.header.Get("Sixtyfour-Delivery-Attempt"); got != "1" {
		t.Errorf("Sixtyfour-Delivery-Attempt = %q, want 1", got)
	}
	var envelope struct {
		TaskID  string            `json:"task_id"`
		Results []json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal(d.body, &envelope); err != nil {
		t.Fatalf("webhook body is not JSON: %v", err)
	}
	if envelope.TaskID != st.ID {
		t.Errorf("webhook task_id = %q, want %q", envelope.TaskID, st.ID)
	}
	if len(envelope.Results) != 3 {
		t.Errorf("webhook carries %d rows, want 3", len(envelope.Results))
	}
}

// TestContractConcurrentSubmitsShareLimiter submits more chunks at once
// than the limit allows per minute. The emulator enforces the same limit on
// the same clock, so any 429 means the goroutines did not share a limiter.
func TestContractConcurrentSubmitsShareLimiter(t *testing.T) {
	const limit, chunks = 3, 7
	env := newContractEnv(t, emulator.Options{RateLimit: limit}, enrich.Options{RateLimit: limit})

	var wg sync.WaitGroup
	errs := make(chan error, chunks)
	for i := range chunks {
		tag := string(rune('a' + i))
		chunk := writeChunk(t, tag, 2)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := env.client.Submit(context.Background(), enrich.People, chunk, []byte(peopleConfig), idemKey(tag))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Submit: %v", err)
		}
	}

	stats := env.emu.Stats()
	if stats.Submissions != chunks {
		t.Errorf("emulator jobs = %d, want %d", stats.Submissions, chunks)
	}
	if n := stats.RequestsByStatus["429"]; n != 0 {
		t.Errorf("emulator answered 429 %d times: the client sent more than %d submissions in a minute", n, limit)
	}
	waits := 0
	for _, d := range env.clock.Sleeps() {
		if d > 0 {
			waits++
		}
	}
	if waits == 0 {
		t.Error("no submission waited for the rate limit")
	}
}
