package transform

import (
	"context"

	"github.com/crmsync/crmsync/connectors"
)

// ReadProgressEvery is how many records ReadChunks reads between two
// progress calls.
const ReadProgressEvery = 10_000

// ReadChunks adds every record of src to c, numbering them from 0 in read
// order. It returns the number of records added and the field names in the
// order they were first seen, starting with columns, so that a CSV header's
// names count even when the file has no records. progress, when not nil, is
// called with the count after every ReadProgressEvery records. ctx is
// checked every 4,096 records.
//
// A recoverable error of src ends reading like any other, because a source
// in reject mode returns none. When src fails after c has failed on an
// earlier record, the chunker's error is returned. The caller closes or
// aborts c.
func ReadChunks(ctx context.Context, src connectors.Source, c *Chunker, columns []string, progress func(records int64)) (int64, []string, error) {
	var ordinal int64
	for {
		if ordinal%4096 == 0 && ctx.Err() != nil {
			return ordinal, nil, ctx.Err()
		}
		rec, err := src.Next()
		if connectors.IsEOF(err) {
			break
		}
		if err != nil {
			// The chunker's error concerns an earlier record, so it
			// comes first.
			if cerr := c.stop(); cerr != nil {
				return ordinal, nil, cerr
			}
			return ordinal, nil, err
		}
		if err := c.Add(ordinal, rec); err != nil {
			return ordinal, nil, err
		}
		ordinal++
		if progress != nil && ordinal%ReadProgressEvery == 0 {
			progress(ordinal)
		}
	}

	// The writer goroutine notes the field names while it encodes, which
	// keeps that work off this goroutine; stop waits until it has seen
	// every record.
	if err := c.stop(); err != nil {
		return ordinal, nil, err
	}
	return ordinal, mergeNames(columns, c.w.enc.fieldNames), nil
}

// mergeNames returns first followed by the names of more that first lacks,
// in order.
func mergeNames(first, more []string) []string {
	out := append([]string(nil), first...)
	seen := make(map[string]bool, len(first))
	for _, name := range first {
		seen[name] = true
	}
	for _, name := range more {
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}
