package enrich_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/enrich"
	"github.com/crmsync/crmsync/enrich/emulator"
)

// TestContractRetryReusesIdempotencyKey submits one chunk through 500s and
// dropped responses. Every attempt must carry the same Idempotency-Key, and
// the emulator must start exactly one job.
func TestContractRetryReusesIdempotencyKey(t *testing.T) {
	for seed := int64(1); seed <= 6; seed++ {
		env := newContractEnv(t, emulator.Options{ErrorRate: 0.3, DropRate: 0.3, Seed: seed},
			enrich.Options{Retry: enrich.RetryPolicy{MaxAttempts: 30}})
		key := idemKey("retry")

		res, err := env.client.Submit(context.Background(), enrich.People, writeChunk(t, "a", 4), []byte(peopleConfig), key)
		if err != nil {
			t.Fatalf("seed %d: Submit: %v", seed, err)
		}

		requests := env.rec.matching(http.MethodPost, "/bulk-intelligence/people")
		for i, r := range requests {
			if got := r.header.Get("Idempotency-Key"); got != key {
				t.Errorf("seed %d: attempt %d sent Idempotency-Key %q, want %q", seed, i+1, got, key)
			}
		}
		stats := env.emu.Stats()
		if stats.Submissions != 1 {
			t.Errorf("seed %d: emulator started %d jobs for one chunk, want 1", seed, stats.Submissions)
		}
		if int64(len(requests)) != 1+stats.Replays+stats.RequestsByStatus["500"] {
			t.Errorf("seed %d: %d submit requests, want 1 + %d replays + %d injected 500s",
				seed, len(requests), stats.Replays, stats.RequestsByStatus["500"])
		}
		if stats.Replays > 0 && !res.AlreadyStarted {
			t.Errorf("seed %d: the last response was a replay but AlreadyStarted is false", seed)
		}
		if len(requests) > 1 {
			return // a seed that forced at least one retry has been checked
		}
	}
	t.Fatal("no seed in 1..6 made the emulator inject a fault into the submission; the test checked no retry")
}

// TestContractNoRetryOnClientError checks that a 422 is sent once.
func TestContractNoRetryOnClientError(t *testing.T) {
	env := newContractEnv(t, emulator.Options{}, enrich.Options{})
	_, err := env.client.Submit(context.Background(), enrich.People, writeChunk(t, "a", 2),
		[]byte(`{"struct":{"title":"Job title"},"tier":"gold"}`), idemKey("422"))
	if !errors.Is(err, enrich.ErrInvalidRequest) {
		t.Fatalf("err = %v, want ErrInvalidRequest", err)
	}
	if n := len(env.rec.matching(http.MethodPost, "/bulk-intelligence/")); n != 1 {
		t.Errorf("submit requests = %d, want 1", n)
	}
	if sleeps := env.clock.Sleeps(); len(sleeps) != 0 {
		t.Errorf("client waited %v after a 422, want no wait", sleeps)
	}
}

// TestContractCancelStopsRetries cancels the context during the first
// backoff wait; no second request may follow.
func TestContractCancelStopsRetries(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	clock := newSimClock()
	sleep := func(ctx context.Context, d time.Duration) error {
		cancel()
		return clock.Sleep(ctx, d)
	}
	env := newContractEnv(t, emulator.Options{ErrorRate: 1, Now: clock.Now},
		enrich.Options{Now: clock.Now, Sleep: sleep})

	_, err := env.client.Submit(ctx, enrich.People, writeChunk(t, "a", 2), []byte(peopleConfig), idemKey("cancel"))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(env.rec.matching(http.MethodPost, "/bulk-intelligence/")); n != 1 {
		t.Errorf("submit requests = %d, want 1", n)
	}
}

// TestContractTiers submits to both endpoints with every tier. The people
// endpoint accepts xhigh and the company endpoint rejects it; high needs
// the organisation to have it enabled.
func TestContractTiers(t *testing.T) {
	prices := emulator.DefaultPriceCents()
	configs := map[enrich.Endpoint]string{
		enrich.People:  `{"struct":{"title":"Job title"},"tier":"%s"}`,
		enrich.Company: `{"struct":{"domain":"Web domain"},"tier":"%s"}`,
	}
	const rows = 3
	for _, highEnabled := range []bool{false, true} {
		env := newContractEnv(t, emulator.Options{HighTierEnabled: highEnabled}, enrich.Options{RateLimit: 1000})
		for _, ep := range []enrich.Endpoint{enrich.People, enrich.Company} {
			for _, tier := range []string{"micro", "low", "medium", "high", "xhigh"} {
				name := string(ep) + "/" + tier
				if highEnabled {
					name += "/high-enabled"
				}
				t.Run(name, func(t *testing.T) {
					cfg := strings.Replace(configs[ep], "%s", tier, 1)
					res, err := env.client.Submit(context.Background(), ep, writeChunk(t, tier, rows), []byte(cfg), idemKey(name[:1]+tier+boolText(highEnabled)))
					switch {
					case ep == enrich.Company && tier == "xhigh":
						if !errors.Is(err, enrich.ErrInvalidRequest) {
							t.Errorf("err = %v, want ErrInvalidRequest (company has no xhigh)", err)
						}
					case tier == "high" && !highEnabled:
						if !errors.Is(err, enrich.ErrForbidden) {
							t.Errorf("err = %v, want ErrForbidden", err)
						}
					case err != nil:
						t.Errorf("Submit: %v", err)
					case res.EstimatedCostCents == nil:
						t.Error("no estimated_cost_cents in the response")
					case *res.EstimatedCostCents != rows*prices[tier]:
						t.Errorf("estimate = %d cents, want %d rows x %d cents", *res.EstimatedCostCents, rows, prices[tier])
					}
				})
			}
		}
	}
}

func boolText(b bool) string {
	if b {
		return "y"
	}
	return "n"
}

// TestContractUploadParts checks the multipart body the emulator receives:
// a "file" part named after the chunk with the .jsonl extension and the
// JSON Lines content type, and a "config" part holding the config JSON.
func TestContractUploadParts(t *testing.T) {
	env := newContractEnv(t, emulator.Options{}, enrich.Options{})
	chunk := writeChunk(t, "parts", 5)
	res, err := env.client.Submit(context.Background(), enrich.People, chunk, []byte(peopleConfig), idemKey("parts"))
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if res.RowCount == nil || *res.RowCount != chunk.Rows {
		t.Errorf("emulator parsed row_count %v, want %d", res.RowCount, chunk.Rows)
	}

	requests := env.rec.matching(http.MethodPost, "/bulk-intelligence/people")
	if len(requests) != 1 {
		t.Fatalf("submit requests = %d, want 1", len(requests))
	}
	req := requests[0]
	if req.query != "cost_units=cents" {
		t.Errorf("query = %q, want cost_units=cents", req.query)
	}
	if req.header.Get("x-api-key") != contractKey {
		t.Error("x-api-key header missing or wrong")
	}
	mediaType, params, err := mime.ParseMediaType(req.header.Get("Content-Type"))
	if err != nil || mediaType != "multipart/form-data" {
		t.Fatalf("Content-Type = %q, want multipart/form-data", req.header.Get("Content-Type"))
	}

	parts := map[string]*multipart.Part{}
	contents := map[string][]byte{}
	mr := multipart.NewReader(bytes.NewReader(req.body), params["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("multipart body: %v", err)
		}
		data, _ := io.ReadAll(part)
		parts[part.FormName()] = part
		contents[part.FormName()] = data
	}
	file, ok := parts["file"]
	if !ok {
		t.Fatal("no file part")
	}
	if file.FileName() != "chunk-parts.jsonl" {
		t.Errorf("file part filename = %q, want chunk-parts.jsonl", file.FileName())
	}
	if ct := file.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("file part Content-Type = %q, want application/x-ndjson", ct)
	}
	if int64(len(contents["file"])) != chunk.Bytes {
		t.Errorf("file part has %d bytes, want the chunk's %d", len(contents["file"]), chunk.Bytes)
	}
	config, ok := parts["config"]
	if !ok {
		t.Fatal("no config part")
	}
	if ct := config.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("config part Content-Type = %q, want application/json", ct)
	}
	if string(contents["config"]) != peopleConfig {
		t.Errorf("config part = %s, want %s", contents["config"], peopleConfig)
	}
}

// TestContractLimitsCheckedBeforeUpload checks that a chunk over the row
// limit and a config over the character limit are rejected without a request.
func TestContractLimitsCheckedBeforeUpload(t *testing.T) {
	env := newContractEnv(t, emulator.Options{}, enrich.Options{})
	ctx := context.Background()

	tooManyRows := writeChunk(t, "rows", 2)
	tooManyRows.Rows = enrich.MaxChunkRows + 1
	if _, err := env.client.Submit(ctx, enrich.People, tooManyRows, []byte(peopleConfig), ""); err == nil || !strings.Contains(err.Error(), "chunk.max_rows") {
		t.Errorf("chunk over the row limit: err = %v, want a message naming chunk.max_rows", err)
	}

	longPlan := strings.Repeat("é", enrich.MaxConfigChars)
	bigConfig := `{"struct":{"title":"Job title"},"research_plan":"` + longPlan + `"}`
	if _, err := env.client.Submit(ctx, enrich.People, writeChunk(t, "cfg", 2), []byte(bigConfig), ""); err == nil || !strings.Contains(err.Error(), "characters") {
		t.Errorf("config over the character limit: err = %v, want a message about characters", err)
	}

	if n := len(env.rec.matching(http.MethodPost, "/bulk-intelligence/")); n != 0 {
		t.Errorf("submit requests = %d, want 0: limits must be checked before upload", n)
	}
}
