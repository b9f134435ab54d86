package enrich

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"testing"
	"time"
)

const (
	webhookSecret    = "sk_whsec_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	webhookOldSecret = "sk_whsec_fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"
)

var webhookBody = []byte(`{"event_id":"3f1c","run_id":"t1","results":[{"full_name":"Ada L.","email":"ada@acme.com"}]}`)

// sign computes a v1 signature independently of the code under test.
func sign(secret string, timestamp int64, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10) + "." + string(body)))
	return hex.EncodeToString(mac.Sum(nil))
}

func TestWebhookSignatureValid(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	ts := now.Unix() - 10
	header := "t=" + strconv.FormatInt(ts, 10) + ",v1=" + sign(webhookSecret, ts, webhookBody)

	if err := VerifyWebhookSignature(webhookSecret, header, webhookBody, now); err != nil {
		t.Errorf("valid signature rejected: %v", err)
	}
}

func TestWebhookSignatureRotation(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	ts := now.Unix()
	// During a rotation the new secret signs first, then the old one.
	header := "t=" + strconv.FormatInt(ts, 10) +
		", v1=" + sign(webhookSecret, ts, webhookBody) +
		", v1=" + sign(webhookOldSecret, ts, webhookBody)

	if err := VerifyWebhookSignature(webhookOldSecret, header, webhookBody, now); err != nil {
		t.Errorf("receiver with the old secret rejected a dual-signed delivery: %v", err)
	}
	if err := VerifyWebhookSignature(webhookSecret, header, webhookBody, now); err != nil {
		t.Errorf("receiver with the new secret rejected a dual-signed delivery: %v", err)
	}
}

func TestWebhookSignatureRejects(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	ts := now.Unix()
	stamp := strconv.FormatInt(ts, 10)
	good := sign(webhookSecret, ts, webhookBody)
	tampered := append([]byte(nil), webhookBody...)
	tampered[len(tampered)-3] = 'X'

	cases := []struct {
		name   string
		secret string
		header string
		body   []byte
		want   error
	}{
		{"tampered body", webhookSecret, "t=" + stamp + ",v1=" + good, tampered, ErrSignatureMismatch},
		{"wrong secret", webhookOldSecret, "t=" + stamp + ",v1=" + good, webhookBody, ErrSignatureMismatch},
		{"timestamp changed", webhookSecret, "t=" + strconv.FormatInt(ts+1, 10) + ",v1=" + good, webhookBody, ErrSignatureMismatch},
		{"stale", webhookSecret, "t=" + strconv.FormatInt(ts-301, 10) + ",v1=" + sign(webhookSecret, ts-301, webhookBody), webhookBody, ErrSignatureStale},
		{"future", webhookSecret, "t=" + strconv.FormatInt(ts+301, 10) + ",v1=" + sign(webhookSecret, ts+301, webhookBody), webhookBody, ErrSignatureStale},
		{"empty header", webhookSecret, "", webhookBody, ErrSignatureMalformed},
		{"missing t", webhookSecret, "v1=" + good, webhookBody, ErrSignatureMalformed},
		{"missing v1", webhookSecret, "t=" + stamp, webhookBody, ErrSignatureMalformed},
		{"only v0", webhookSecret, "t=" + stamp + ",v0=" + good, webhookBody, ErrSignatureMalformed},
		{"t not a number", webhookSecret, "t=yesterday,v1=" + good, webhookBody, ErrSignatureMalformed},
		{"two t", webhookSecret, "t=" + stamp + ",t=" + stamp + ",v1=" + good, webhookBody, ErrSignatureMalformed},
		{"v1 not hex", webhookSecret, "t=" + stamp + ",v1=zz" + good[2:], webhookBody, ErrSignatureMalformed},
		{"v1 short", webhookSecret, "t=" + stamp + ",v1=" + good[:32], webhookBody, ErrSignatureMalformed},
		{"segment without =", webhookSecret, "t=" + stamp + ",v1", webhookBody, ErrSignatureMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := VerifyWebhookSignature(tc.secret, tc.header, tc.body, now)
			if !errors.Is(err, tc.want) {
				t.Errorf("error = %v, want %v", err, tc.want)
			}
		})
	}
}

func TestWebhookSignatureBoundary(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	ts := now.Unix() - 300
	header := "t=" + strconv.FormatInt(ts, 10) + ",v1=" + sign(webhookSecret, ts, webhookBody)
	if err := VerifyWebhookSignature(webhookSecret, header, webhookBody, now); err != nil {
		t.Errorf("signature exactly 300 s old rejected: %v", err)
	}
}

func TestWebhookSignatureIgnoresUnknownScheme(t *testing.T) {
	now := time.Unix(1_780_000_000, 0)
	ts := now.Unix()
	header := "t=" + strconv.FormatInt(ts, 10) + ",v2=abc,v1=" + sign(webhookSecret, ts, webhookBody)
	if err := VerifyWebhookSignature(webhookSecret, header, webhookBody, now); err != nil {
		t.Errorf("unknown v2 segment broke verification: %v", err)
	}
}

func TestWebhookSignatureMissingSecret(t *testing.T) {
	if err := VerifyWebhookSignature("", "t=1,v1=00", webhookBody, time.Unix(1, 0)); err == nil {
		t.Error("empty secret accepted")
	}
}
