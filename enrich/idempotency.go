package enrich

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
)

// IdempotencyKey returns the Idempotency-Key for one submission of a chunk:
// "crmsync-" + hex SHA-256 over (endpoint, canonical config JSON, SHA-256 of
// the chunk bytes) + "-" + attempt. Each of the three inputs is framed with
// its length, so no two different inputs hash alike. The same chunk, config
// and attempt always give the same key, so a resent submission replays the
// job. The caller raises attempt (starting at 1) to start a new job on
// purpose. The key is at most 8+64+1+19 = 92 characters, well under the
// API's 255. It panics when attempt < 1, a caller bug.
func IdempotencyKey(ep Endpoint, canonicalConfig []byte, chunkSHA256 [32]byte, attempt int) string {
	if attempt < 1 {
		panic(fmt.Sprintf("enrich.IdempotencyKey: attempt %d, expected 1 or more", attempt))
	}
	h := sha256.New()
	writeFramed(h, []byte(ep))
	writeFramed(h, canonicalConfig)
	writeFramed(h, chunkSHA256[:])
	return "crmsync-" + hex.EncodeToString(h.Sum(nil)) + "-" + strconv.Itoa(attempt)
}

func writeFramed(w io.Writer, data []byte) {
	var length [8]byte
	binary.BigEndian.PutUint64(length[:], uint64(len(data)))
	w.Write(length[:]) // a hash.Hash never returns an error
	w.Write(data)
}

// HashFile returns the SHA-256 of a file's content, the chunkSHA256 input
// of IdempotencyKey.
func HashFile(path string) ([32]byte, error) {
	var sum [32]byte
	f, err := os.Open(path)
	if err != nil {
		return sum, fmt.Errorf("enrich: hash chunk: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return sum, fmt.Errorf("enrich: hash chunk %s: %w", path, err)
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}
