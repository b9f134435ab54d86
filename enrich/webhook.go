package enrich

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// WebhookTolerance is the maximum difference between a webhook's signed
// timestamp and the receiver's clock.
const WebhookTolerance = 300 * time.Second

// Errors from VerifyWebhookSignature; test them with errors.Is.
var (
	ErrSignatureMalformed = errors.New("malformed Sixtyfour-Signature header")
	ErrSignatureStale     = errors.New("webhook timestamp outside the tolerance")
	ErrSignatureMismatch  = errors.New("webhook signature mismatch")
)

// VerifyWebhookSignature checks a Sixtyfour-Signature header of the form
// "t=<unix seconds>,v1=<hex>[,v1=<hex>...]" against the raw request body.
// Each v1 is hex(HMAC-SHA256(key = the secret string's bytes, message =
// "<t>.<body>")). The body must be the bytes as received, before any JSON
// parsing. During a secret rotation the API sends two v1 values, so any one
// match is accepted. Segments other than t and v1 are ignored, so a future
// scheme version does not break verification. The timestamp must be within
// WebhookTolerance of now, which limits replays.
func VerifyWebhookSignature(secret string, header string, body []byte, now time.Time) error {
	if secret == "" {
		return errors.New("enrich: missing webhook signing secret")
	}

	var timestamp string
	var signatures [][]byte
	for _, segment := range strings.Split(header, ",") {
		name, value, ok := strings.Cut(strings.TrimSpace(segment), "=")
		if !ok {
			return fmt.Errorf("enrich: %w: segment %q is not name=value", ErrSignatureMalformed, segment)
		}
		switch name {
		case "t":
			if timestamp != "" {
				return fmt.Errorf("enrich: %w: more than one t= segment", ErrSignatureMalformed)
			}
			timestamp = value
		case "v1":
			sig, err := hex.DecodeString(value)
			if err != nil || len(sig) != sha256.Size {
				return fmt.Errorf("enrich: %w: a v1 value is not %d hex digits", ErrSignatureMalformed, 2*sha256.Size)
			}
			signatures = append(signatures, sig)
		}
	}
	if timestamp == "" {
		return fmt.Errorf("enrich: %w: missing t= segment", ErrSignatureMalformed)
	}
	if len(signatures) == 0 {
		return fmt.Errorf("enrich: %w: missing v1= segment", ErrSignatureMalformed)
	}
	seconds, err := strconv.ParseInt(timestamp, 10, 64)
	if err != nil {
		return fmt.Errorf("enrich: %w: t=%q is not unix seconds", ErrSignatureMalformed, timestamp)
	}

	skew := now.Sub(time.Unix(seconds, 0))
	if skew < 0 {
		skew = -skew
	}
	if skew > WebhookTolerance {
		return fmt.Errorf("enrich: %w: signed at %s, %s from now, over the %s tolerance; check the receiver's clock",
			ErrSignatureStale, time.Unix(seconds, 0).UTC().Format(time.RFC3339), skew.Round(time.Second), WebhookTolerance)
	}

	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	expected := mac.Sum(nil)
	for _, sig := range signatures {
		if hmac.Equal(expected, sig) {
			return nil
		}
	}
	return fmt.Errorf("enrich: %w: none of %d v1 signatures matches the body; check the webhook signing secret", ErrSignatureMismatch, len(signatures))
}
