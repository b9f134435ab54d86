package pipelines

import (
	"fmt"
	"math/big"
	"strings"
	"time"
)

// sizeUnits maps a unit suffix, compared without case, to its byte count.
// KB, MB and GB are powers of 1000, and KiB, MiB and GiB powers of 1024.
var sizeUnits = map[string]int64{
	"":    1,
	"b":   1,
	"kb":  1000,
	"mb":  1000 * 1000,
	"gb":  1000 * 1000 * 1000,
	"kib": 1 << 10,
	"mib": 1 << 20,
	"gib": 1 << 30,
}

// ParseSize parses a byte size such as "100MB", "64 KiB", "1.5GB" or
// "4096". Units are B, KB, MB, GB (powers of 1000) and KiB, MiB, GiB
// (powers of 1024), in any case. The result must be a whole, positive number
// of bytes.
func ParseSize(s string) (int64, error) {
	text := strings.TrimSpace(s)
	end := 0
	for end < len(text) && (text[end] >= '0' && text[end] <= '9' || text[end] == '.') {
		end++
	}
	number, unit := text[:end], strings.ToLower(strings.TrimSpace(text[end:]))
	mult, ok := sizeUnits[unit]
	if number == "" || !ok {
		return 0, fmt.Errorf("invalid size %q; write a number with an optional unit B, KB, MB, GB, KiB, MiB or GiB, such as 100MB", s)
	}
	r, ok := new(big.Rat).SetString(number)
	if !ok {
		return 0, fmt.Errorf("invalid number %q in size %q", number, s)
	}
	r.Mul(r, new(big.Rat).SetInt64(mult))
	if !r.IsInt() {
		return 0, fmt.Errorf("size %q is not a whole number of bytes", s)
	}
	if !r.Num().IsInt64() {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	n := r.Num().Int64()
	if n <= 0 {
		return 0, fmt.Errorf("size %q must be more than 0 bytes", s)
	}
	return n, nil
}

// MaxBytes returns chunk.max_bytes in bytes, or MaxChunkBytes when the key is
// unset or invalid (validation has reported an invalid value already).
func (p *Pipeline) MaxBytes() int64 {
	n, err := ParseSize(p.Chunk.MaxBytes)
	if err != nil {
		return MaxChunkBytes
	}
	return n
}

// Poll interval defaults: first wait, longest wait between polls, and the
// time after which a job is given up.
const (
	defaultPollInitial = 5 * time.Second
	defaultPollMax     = 60 * time.Second
	defaultPollTimeout = 24 * time.Hour
)

// PollDurations returns enrich.poll as durations, using the defaults for
// unset or invalid values (validation has reported an invalid value
// already).
func (p *Pipeline) PollDurations() (initial, max, timeout time.Duration) {
	return durationOr(p.Enrich.Poll.Initial, defaultPollInitial),
		durationOr(p.Enrich.Poll.Max, defaultPollMax),
		durationOr(p.Enrich.Poll.Timeout, defaultPollTimeout)
}

func durationOr(s string, fallback time.Duration) time.Duration {
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fallback
	}
	return d
}

// parseDuration parses a positive Go duration such as 5s, 1m30s or 24h.
func parseDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid duration %q; write a number with a unit s, m or h, such as 5s or 24h", s)
	}
	if d <= 0 {
		return 0, fmt.Errorf("duration %q is not positive; give a length of time such as 5s", s)
	}
	return d, nil
}
