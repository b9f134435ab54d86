package enrich_test

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/enrich"
	"github.com/crmsync/crmsync/enrich/emulator"
)

func int64Ptr(v int64) *int64 { return &v }

// TestContractErrorStatuses sends one request per error status to the
// emulator and checks the typed error and its message: what failed, the
// status, the server's detail and what to do next, and never the API key.
func TestContractErrorStatuses(t *testing.T) {
	ctx := context.Background()
	noRetry := enrich.RetryPolicy{MaxAttempts: 1}

	cases := []struct {
		name     string
		emu      emulator.Options
		client   enrich.Options
		call     func(t *testing.T, c *enrich.Client) error
		sentinel error
		status   int
		want     []string
	}{
		{
			name: "400 empty upload",
			call: func(t *testing.T, c *enrich.Client) error {
				path := filepath.Join(t.TempDir(), "blank.jsonl")
				os.WriteFile(path, []byte("\n"), 0o644)
				_, err := c.Submit(ctx, enrich.People, enrich.ChunkFile{Path: path, Rows: 1}, []byte(peopleConfig), idemKey("400"))
				return err
			},
			sentinel: enrich.ErrInvalidRequest, status: 400,
			want: []string{"submit of chunk blank.jsonl", "HTTP 400", "Uploaded file is empty", "fix the listed values"},
		},
		{
			name:   "401 wrong key",
			emu:    emulator.Options{APIKey: "the-only-accepted-key"},
			client: enrich.Options{APIKey: contractKey},
			call: func(t *testing.T, c *enrich.Client) error {
				_, err := c.Submit(ctx, enrich.People, writeChunk(t, "a", 3), []byte(peopleConfig), idemKey("401"))
				return err
			},
			sentinel: enrich.ErrUnauthorized, status: 401,
			want: []string{"HTTP 401", "Machine authentication required", "SIXTYFOUR_API_KEY"},
		},
		{
			name: "402 balance below estimate",
			emu:  emulator.Options{BalanceCents: int64Ptr(5)},
			call: func(t *testing.T, c *enrich.Client) error {
				_, err := c.Submit(ctx, enrich.People, writeChunk(t, "a", 3), []byte(peopleConfig), idemKey("402"))
				return err
			},
			sentinel: enrich.ErrInsufficientCredits, status: 402,
			want: []string{"HTTP 402", "Insufficient API credits", "nothing was charged"},
		},
		{
			name: "403 high tier not enabled",
			call: func(t *testing.T, c *enrich.Client) error {
				_, err := c.Submit(ctx, enrich.Company, writeChunk(t, "a", 3), []byte(`{"struct":{"domain":"Web domain"},"tier":"high"}`), idemKey("403"))
				return err
			},
			sentinel: enrich.ErrForbidden, status: 403,
			want: []string{"HTTP 403", "High tier company enrichment is not enabled", "choose another enrich.tier"},
		},
		{
			name: "404 unknown task",
			call: func(t *testing.T, c *enrich.Client) error {
				_, err := c.Status(ctx, "no-such-task")
				return err
			},
			sentinel: enrich.ErrNotFound, status: 404,
			want: []string{"status of task no-such-task", "HTTP 404", "Job not found", "--restart"},
		},
		{
			name: "422 unknown config key",
			call: func(t *testing.T, c *enrich.Client) error {
				_, err := c.Submit(ctx, enrich.People, writeChunk(t, "a", 3), []byte(`{"struct":{"title":"Job title"},"colour":"red"}`), idemKey("422"))
				return err
			},
			sentinel: enrich.ErrInvalidRequest, status: 422,
			want: []string{"HTTP 422", "body.config.colour: Extra inputs are not permitted (extra_forbidden)"},
		},
		{
			name:   "429 past the emulator's limit",
			emu:    emulator.Options{RateLimit: 1},
			client: enrich.Options{RateLimit: 100, Retry: noRetry},
			call: func(t *testing.T, c *enrich.Client) error {
				if _, err := c.Submit(ctx, enrich.People, writeChunk(t, "a", 3), []byte(peopleConfig), idemKey("429a")); err != nil {
					t.Fatalf("first submission: %v", err)
				}
				_, err := c.Submit(ctx, enrich.People, writeChunk(t, "b", 3), []byte(peopleConfig), idemKey("429b"))
				return err
			},
			sentinel: enrich.ErrRateLimited, status: 429,
			want: []string{"HTTP 429", "Rate limit exceeded", "enrich.rate_limit_per_minute"},
		},
		{
			name:   "500 on every attempt",
			emu:    emulator.Options{ErrorRate: 1},
			client: enrich.Options{Retry: enrich.RetryPolicy{MaxAttempts: 3}},
			call: func(t *testing.T, c *enrich.Client) error {
				_, err := c.Submit(ctx, enrich.People, writeChunk(t, "a", 3), []byte(peopleConfig), idemKey("500"))
				return err
			},
			sentinel: enrich.ErrServer, status: 500,
			want: []string{"HTTP 500", "Internal server error", "after 3 attempts", "rerun later"},
		},
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := newContractEnv(t, tc.emu, tc.client)
			err := tc.call(t, env.client)
			if err == nil {
				t.Fatal("expected an error, got nil")
			}
			if !errors.Is(err, tc.sentinel) {
				t.Errorf("errors.Is(err, %v) = false; err = %v", tc.sentinel, err)
			}
			var apiErr *enrich.APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("error is not an *enrich.APIError: %T %v", err, err)
			}
			if apiErr.Status != tc.status {
				t.Errorf("status = %d, want %d", apiErr.Status, tc.status)
			}
			msg := err.Error()
			for _, want := range tc.want {
				if !strings.Contains(msg, want) {
					t.Errorf("message lacks %q:\n%s", want, msg)
				}
			}
			if strings.Contains(msg, contractKey) {
				t.Errorf("message contains the API key:\n%s", msg)
			}
			if strings.Contains(env.logs.String(), contractKey) {
				t.Errorf("client log contains the API key:\n%s", env.logs.String())
			}
		})
	}
}

// TestContract429RetryAfterHonoured checks that a 429 is retried after the
// emulator's Retry-After, on the client's clock, and then succeeds.
func TestContract429RetryAfterHonoured(t *testing.T) {
	env := newContractEnv(t, emulator.Options{RateLimit: 1}, enrich.Options{RateLimit: 100})
	ctx := context.Background()

	if _, err := env.client.Submit(ctx, enrich.People, writeChunk(t, "a", 3), []byte(peopleConfig), idemKey("a")); err != nil {
		t.Fatalf("first submission: %v", err)
	}
	env.clock.Advance(10 * time.Second)
	if _, err := env.client.Submit(ctx, enrich.People, writeChunk(t, "b", 3), []byte(peopleConfig), idemKey("b")); err != nil {
		t.Fatalf("second submission was not retried to success: %v", err)
	}

	if n := len(env.rec.matching(http.MethodPost, "/bulk-intelligence/")); n != 3 {
		t.Errorf("submit requests = %d, want 3 (one accepted, one 429, one retry)", n)
	}
	sleeps := env.clock.Sleeps()
	if len(sleeps) != 1 {
		t.Fatalf("client waited %d times (%v), want once", len(sleeps), sleeps)
	}
	if sleeps[0] != 50*time.Second {
		t.Errorf("wait after 429 = %s, want the Retry-After of 50s", sleeps[0])
	}
	if got := env.emu.Stats().RequestsByStatus["429"]; got != 1 {
		t.Errorf("emulator 429 responses = %d, want 1", got)
	}
}
