package transform

import (
	"fmt"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/sinks"
)

// Row statuses written to the "status" metadata column.
const (
	StatusEnriched    = "enriched"
	StatusNotEnriched = "not_enriched"
	StatusFailed      = "failed" // the chunk's job failed; the record is kept un-enriched
)

// Metadata columns the API may add besides the struct fields.
var metaColumns = []string{"confidence_score", "notes", "references", "field_confidence"}

// MergeChunk is one chunk as the merge step sees it.
type MergeChunk struct {
	FirstOrdinal int64
	Rows         int
	ResultPath   string // "" when the chunk has no result (failed, skipped)
	ResultFormat string // csv | json | jsonl
}

// Output is one sink with the layout that projects merged rows onto it.
type Output struct {
	Layout *sinks.Layout
	Sink   sinks.Sink
}

// MergeInput is everything the merge step needs.
type MergeInput struct {
	// Source yields the records again, in the order they were chunked, with
	// the same rejects skipped. Merge calls Next from a goroutine of its
	// own, one call at a time, and never after Merge returns. It copies
	// each record's values before the next call, so the source may reuse
	// the Fields slice (source.Options.ReuseFields).
	Source  connectors.Source
	Columns []string // union of source column names, in first-seen order
	Fields  []sinks.StructField
	Chunks  []MergeChunk
	// OpenResult opens a downloaded result file. Merge calls it from the
	// caller's goroutine, and the returned source's Next and Close from a
	// goroutine of its own. As with Source, the returned source may reuse
	// the Fields slice.
	OpenResult func(path, format string) (connectors.Source, error)
	Outputs    []Output
}

// MergeStats counts what the merge step saw.
type MergeStats struct {
	Rows        int64
	Enriched    int64
	NotEnriched int64 // passed through by the API, missing from the result, or in a failed chunk
	InFailed    int64 // of NotEnriched: rows of chunks whose job failed
	// TypeMismatches counts, per struct field, values that did not convert
	// to the field's declared type; typed sinks write them as null.
	TypeMismatches map[string]int64
	// DuplicateKeys counts result rows whose key was already seen; the first
	// one is used. UnknownKeys counts result rows whose key belongs to no
	// record of the chunk. MissingKeys counts records absent from a result.
	DuplicateKeys int64
	UnknownKeys   int64
	MissingKeys   int64
	Written       []int64 // rows written per output
}

// Merge joins each record with its result row by key and writes every output.
//
// Two goroutines besides the caller's share the work: one reads the source
// records and one parses the current chunk's result file, while the
// caller's goroutine joins, projects and writes. Result rows in record
// order pass straight through, so memory does not grow with the chunk size
// unless a result file is out of order. Merge waits for both goroutines
// before it returns.
func Merge(in MergeInput) (MergeStats, error) {
	st := MergeStats{TypeMismatches: map[string]int64{}, Written: make([]int64, len(in.Outputs))}
	for _, f := range in.Fields {
		if f.Kind != sinks.String {
			st.TypeMismatches[f.Name] = 0
		}
	}

	stop := make(chan struct{})
	records := readSource(in.Source, in.Columns, stop)
	m := &merger{in: in, st: &st, outBufs: make([][]sinks.Value, len(in.Outputs))}
	m.init()
	defer func() {
		close(stop)
		// Drain the channel so the goroutine sees stop and ends.
		for range records.batches {
		}
		if m.results != nil {
			m.results.close()
		}
	}()

	for batch := range records.batches {
		for i := range batch.n {
			row := batch.values[i*len(in.Columns) : (i+1)*len(in.Columns)]
			if err := m.mergeRecord(row, batch.lines[i]); err != nil {
				return st, err
			}
		}
		err := batch.err
		records.free <- batch
		if connectors.IsEOF(err) {
			break
		}
		if err != nil {
			return st, err
		}
	}
	if err := m.finishChunk(); err != nil {
		return st, err
	}
	if m.chunkIdx+1 < len(in.Chunks) || m.ordinal != m.chunkEnd {
		return st, fmt.Errorf("the source yields %d records, but %d were chunked; the input changed during the run, rerun with --restart", m.ordinal, totalRows(in.Chunks))
	}
	return st, nil
}

// merger holds the state of the join while Merge walks the records.
type merger struct {
	in      MergeInput
	st      *MergeStats
	keys    []string // metadata keys, in the order of the result rows' metadata
	row     sinks.MergedRow
	outBufs [][]sinks.Value

	ordinal     int64
	chunkIdx    int
	chunkEnd    int64
	columns     *resultColumns
	results     *resultStream // nil for a failed chunk
	failedChunk bool
}

func (m *merger) init() {
	m.columns = newResultColumns(m.in.Fields)
	m.keys = m.columns.keys
	// MetaValues[0] is the status; the rest follow the result rows'
	// metadata.
	m.row = sinks.MergedRow{
		Enriched:   make([]sinks.Value, len(m.in.Fields)),
		MetaKeys:   append([]string{sinks.MetaStatus}, m.keys...),
		MetaValues: make([]sinks.Value, len(m.keys)+1),
	}
	m.chunkIdx = -1
}

// mergeRecord joins one source row with its result row and writes it to
// every output.
func (m *merger) mergeRecord(source []sinks.Value, line int) error {
	for m.ordinal >= m.chunkEnd {
		if err := m.nextChunk(line); err != nil {
			return err
		}
	}

	status := StatusNotEnriched
	var enriched, meta []string
	switch {
	case m.failedChunk:
		status = StatusFailed
		m.st.InFailed++
	default:
		var found bool
		var err error
		enriched, meta, found, err = m.results.take(m.ordinal)
		if err != nil {
			return err
		}
		if !found {
			m.st.MissingKeys++
			break
		}
		for _, text := range enriched {
			if text != "" {
				status = StatusEnriched
				break
			}
		}
	}

	row := &m.row
	row.Source = source
	for i := range row.Enriched {
		row.Enriched[i] = sinks.Value{Null: true}
		if enriched != nil && enriched[i] != "" {
			row.Enriched[i] = sinks.Value{Text: enriched[i]}
		}
	}
	row.MetaValues[0] = sinks.Value{Text: status}
	for i := range m.keys {
		row.MetaValues[1+i] = sinks.Value{Null: true}
		if meta != nil && meta[i] != "" {
			row.MetaValues[1+i] = sinks.Value{Text: meta[i]}
		}
	}

	if status == StatusEnriched {
		m.st.Enriched++
		for i, f := range m.in.Fields {
			if f.Kind != sinks.String && enriched[i] != "" && !convertible(f, enriched[i]) {
				m.st.TypeMismatches[f.Name]++
			}
		}
	} else {
		m.st.NotEnriched++
	}

	for i, o := range m.in.Outputs {
		out, write := o.Layout.Project(*row, m.outBufs[i][:0])
		m.outBufs[i] = out
		if !write {
			continue
		}
		if err := o.Sink.Write(out); err != nil {
			return err
		}
		m.st.Written[i]++
	}
	m.st.Rows++
	m.ordinal++
	return nil
}

// nextChunk moves to the chunk after the current one and opens its result
// file.
func (m *merger) nextChunk(line int) error {
	if err := m.finishChunk(); err != nil {
		return err
	}
	m.chunkIdx++
	if m.chunkIdx >= len(m.in.Chunks) {
		return fmt.Errorf("the source yields more records than were chunked (record at line %d); the input changed during the run, rerun with --restart", line)
	}
	c := m.in.Chunks[m.chunkIdx]
	if c.FirstOrdinal != m.chunkEnd {
		return fmt.Errorf("chunk %d starts at record %d, expected %d", m.chunkIdx, c.FirstOrdinal, m.chunkEnd)
	}
	m.chunkEnd = c.FirstOrdinal + int64(c.Rows)
	m.failedChunk = c.ResultPath == ""
	if m.failedChunk {
		return nil
	}
	results, err := openResultStream(m.in.OpenResult, c, m.columns)
	if err != nil {
		return err
	}
	m.results = results
	return nil
}

// finishChunk reads the rest of the current chunk's result file and adds
// its key counts to the stats.
func (m *merger) finishChunk() error {
	if m.results == nil {
		return nil
	}
	untaken, err := m.results.finish()
	m.st.MissingKeys += untaken
	m.st.DuplicateKeys += m.results.duplicateKeys
	m.st.UnknownKeys += m.results.unknownKeys
	m.results = nil
	return err
}

// convertible reports whether text converts to the kind of f.
func convertible(f sinks.StructField, text string) bool {
	var err error
	switch f.Kind {
	case sinks.Int:
		_, _, err = sinks.ConvertInt(text)
	case sinks.Float:
		_, _, err = sinks.ConvertFloat(text)
	case sinks.Bool:
		_, _, err = sinks.ConvertBool(text)
	case sinks.Timestamp:
		_, _, err = sinks.ConvertTimestamp(text)
	default:
		_, err = sinks.Convert(f.Kind, f.Elem, text)
	}
	return err == nil
}

func totalRows(chunks []MergeChunk) int64 {
	var n int64
	for _, c := range chunks {
		n += int64(c.Rows)
	}
	return n
}

// metaKeys returns the metadata keys a result row can fill, in the order of
// its metadata values: the metadata columns, then "<field>_confidence" for
// each struct field that does not name a metadata column already.
func metaKeys(fields []sinks.StructField) []string {
	keys := append([]string(nil), metaColumns...)
	for _, f := range fields {
		key := f.Name + "_confidence"
		if !containsString(keys, key) {
			keys = append(keys, key)
		}
	}
	return keys
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
