package enrich

import (
	"crypto/sha256"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

func TestIdempotencyKeyFormat(t *testing.T) {
	chunk := sha256.Sum256([]byte("{\"a\":1}\n"))
	key := IdempotencyKey(People, []byte(testConfig), chunk, 1)

	if !regexp.MustCompile(`^crmsync-[0-9a-f]{64}-1$`).MatchString(key) {
		t.Errorf("key %q does not match crmsync-<64 hex>-<attempt>", key)
	}
	if len(key) > MaxIdempotencyKeyLen {
		t.Errorf("key is %d characters, over %d", len(key), MaxIdempotencyKeyLen)
	}
	if again := IdempotencyKey(People, []byte(testConfig), chunk, 1); again != key {
		t.Errorf("same inputs gave %q then %q", key, again)
	}
	long := IdempotencyKey(Company, []byte(testConfig), chunk, 1<<62)
	if len(long) > MaxIdempotencyKeyLen {
		t.Errorf("key with a huge attempt is %d characters", len(long))
	}
}

func TestIdempotencyKeyChangesWithEachInput(t *testing.T) {
	chunk := sha256.Sum256([]byte("rows"))
	other := sha256.Sum256([]byte("other rows"))
	base := IdempotencyKey(People, []byte(`{"tier":"low"}`), chunk, 1)

	variants := map[string]string{
		"endpoint": IdempotencyKey(Company, []byte(`{"tier":"low"}`), chunk, 1),
		"config":   IdempotencyKey(People, []byte(`{"tier":"high"}`), chunk, 1),
		"chunk":    IdempotencyKey(People, []byte(`{"tier":"low"}`), other, 1),
		"attempt":  IdempotencyKey(People, []byte(`{"tier":"low"}`), chunk, 2),
	}
	for name, key := range variants {
		if key == base {
			t.Errorf("changing the %s did not change the key", name)
		}
	}
	if base[:len(base)-2] != variants["attempt"][:len(base)-2] {
		t.Errorf("the attempt changed the hash part: %q vs %q", base, variants["attempt"])
	}
}

func TestIdempotencyKeyFramesInputs(t *testing.T) {
	chunk := sha256.Sum256(nil)
	// Without length framing, "people"+"x{}" and "peoplex"+"{}" would hash alike.
	a := IdempotencyKey(Endpoint("people"), []byte("x{}"), chunk, 1)
	b := IdempotencyKey(Endpoint("peoplex"), []byte("{}"), chunk, 1)
	if a == b {
		t.Errorf("ambiguous framing: both inputs gave %q", a)
	}
}

func TestIdempotencyKeyRejectsAttemptZero(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("attempt 0 did not panic")
		}
	}()
	IdempotencyKey(People, nil, [32]byte{}, 0)
}

func TestHashFileMatchesSHA256(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.jsonl")
	content := []byte("{\"a\":1}\n{\"a\":2}\n")
	os.WriteFile(path, content, 0o644)

	got, err := HashFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != sha256.Sum256(content) {
		t.Errorf("HashFile = %x, want %x", got, sha256.Sum256(content))
	}
	if _, err := HashFile(filepath.Join(t.TempDir(), "missing")); err == nil {
		t.Error("HashFile of a missing file succeeded")
	}
}
