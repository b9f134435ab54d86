package transform

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

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
	// the same rejects skipped.
	Source  connectors.Source
	Columns []string // union of source column names, in first-seen order
	Fields  []sinks.StructField
	Chunks  []MergeChunk
	// OpenResult opens a downloaded result file.
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

type resultRow struct {
	enriched []sinks.Value
	meta     map[string]sinks.Value
}

// Merge joins each record with its result row by key and writes every output.
// It holds one chunk's results in memory at a time.
func Merge(in MergeInput) (MergeStats, error) {
	st := MergeStats{TypeMismatches: map[string]int64{}, Written: make([]int64, len(in.Outputs))}
	colIndex := make(map[string]int, len(in.Columns))
	for i, c := range in.Columns {
		colIndex[c] = i
	}
	for _, f := range in.Fields {
		if f.Kind != sinks.String {
			st.TypeMismatches[f.Name] = 0
		}
	}

	row := sinks.MergedRow{
		Source:   make([]sinks.Value, len(in.Columns)),
		Enriched: make([]sinks.Value, len(in.Fields)),
	}
	outBufs := make([][]sinks.Value, len(in.Outputs))
	nullEnriched := make([]sinks.Value, len(in.Fields))
	for i := range nullEnriched {
		nullEnriched[i] = sinks.Value{Null: true}
	}

	var ordinal int64
	chunkIdx := -1
	var results map[int64]*resultRow
	var chunkEnd int64
	failedChunk := false

	for {
		rec, err := in.Source.Next()
		if connectors.IsEOF(err) {
			break
		}
		if err != nil {
			return st, err
		}
		for ordinal >= chunkEnd {
			chunkIdx++
			if chunkIdx >= len(in.Chunks) {
				return st, fmt.Errorf("the source yields more records than were chunked (record at line %d); the input changed during the run, rerun with --restart", rec.Line)
			}
			c := in.Chunks[chunkIdx]
			if c.FirstOrdinal != chunkEnd {
				return st, fmt.Errorf("chunk %d starts at record %d, expected %d", chunkIdx, c.FirstOrdinal, chunkEnd)
			}
			chunkEnd = c.FirstOrdinal + int64(c.Rows)
			if results != nil {
				st.MissingKeys += int64(len(results))
			}
			results, failedChunk = nil, c.ResultPath == ""
			if !failedChunk {
				results, err = loadResults(in, c, &st)
				if err != nil {
					return st, err
				}
			}
		}

		for i := range row.Source {
			row.Source[i] = sinks.Value{Null: true}
		}
		for _, f := range rec.Fields {
			if i, ok := colIndex[f.Name]; ok {
				row.Source[i] = sinks.Value{Text: f.Text, Null: f.Null}
			}
		}

		status := StatusNotEnriched
		var r *resultRow
		if failedChunk {
			status = StatusFailed
			st.InFailed++
		} else if r = results[ordinal]; r == nil {
			st.MissingKeys++
		} else {
			delete(results, ordinal)
			for _, v := range r.enriched {
				if !v.Null {
					status = StatusEnriched
					break
				}
			}
		}
		if r != nil {
			row.Enriched = r.enriched
			row.Meta = r.meta
		} else {
			row.Enriched = nullEnriched
			row.Meta = map[string]sinks.Value{}
		}
		row.Meta["status"] = sinks.Value{Text: status}
		if status == StatusEnriched {
			st.Enriched++
			for i, f := range in.Fields {
				v := row.Enriched[i]
				if f.Kind == sinks.String || v.Null {
					continue
				}
				if _, err := sinks.Convert(f.Kind, f.Elem, v.Text); err != nil {
					st.TypeMismatches[f.Name]++
				}
			}
		} else {
			st.NotEnriched++
		}

		for i, o := range in.Outputs {
			out, write := o.Layout.Project(row, outBufs[i][:0])
			outBufs[i] = out
			if !write {
				continue
			}
			if err := o.Sink.Write(out); err != nil {
				return st, err
			}
			st.Written[i]++
		}
		st.Rows++
		ordinal++
	}
	if results != nil {
		st.MissingKeys += int64(len(results))
	}
	if chunkIdx+1 < len(in.Chunks) || ordinal != chunkEnd {
		return st, fmt.Errorf("the source yields %d records, but %d were chunked; the input changed during the run, rerun with --restart", ordinal, totalRows(in.Chunks))
	}
	return st, nil
}

func totalRows(chunks []MergeChunk) int64 {
	var n int64
	for _, c := range chunks {
		n += int64(c.Rows)
	}
	return n
}

// loadResults reads one chunk's result file into a map from ordinal to the
// struct and metadata values.
func loadResults(in MergeInput, c MergeChunk, st *MergeStats) (map[int64]*resultRow, error) {
	src, err := in.OpenResult(c.ResultPath, c.ResultFormat)
	if err != nil {
		return nil, fmt.Errorf("open result %s: %w", c.ResultPath, err)
	}
	defer src.Close()

	fieldIndex := make(map[string]int, len(in.Fields))
	for i, f := range in.Fields {
		fieldIndex[f.Name] = i
	}
	confidence := make(map[string]string, len(in.Fields))
	for _, f := range in.Fields {
		confidence[f.Name+"_confidence"] = f.Name
	}

	results := make(map[int64]*resultRow, c.Rows)
	end := c.FirstOrdinal + int64(c.Rows)
	for {
		rec, err := src.Next()
		if connectors.IsEOF(err) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read result %s: %w", c.ResultPath, err)
		}
		key, ok := rec.Get(KeyColumn)
		if !ok || key.Null {
			st.UnknownKeys++
			continue
		}
		ord, err := strconv.ParseInt(key.Text, 10, 64)
		if err != nil || ord < c.FirstOrdinal || ord >= end {
			st.UnknownKeys++
			continue
		}
		if _, dup := results[ord]; dup {
			st.DuplicateKeys++
			continue
		}
		r := &resultRow{enriched: make([]sinks.Value, len(in.Fields)), meta: map[string]sinks.Value{}}
		for i := range r.enriched {
			r.enriched[i] = sinks.Value{Null: true}
		}
		for _, f := range rec.Fields {
			v := sinks.Value{Text: f.Text, Null: f.Null || f.Text == ""}
			if i, ok := fieldIndex[f.Name]; ok {
				r.enriched[i] = v
				continue
			}
			if _, ok := confidence[f.Name]; ok {
				r.meta[f.Name] = v
				continue
			}
			for _, m := range metaColumns {
				if f.Name == m {
					r.meta[m] = v
				}
			}
		}
		expandFieldConfidence(r.meta, in.Fields)
		results[ord] = r
	}
	return results, nil
}

// expandFieldConfidence fills "<field>_confidence" from a field_confidence
// value that is a JSON object mapping struct fields to scores, the form the
// single-row API returns, unless the result also has that column.
func expandFieldConfidence(meta map[string]sinks.Value, fields []sinks.StructField) {
	v, ok := meta["field_confidence"]
	if !ok || v.Null || !strings.HasPrefix(strings.TrimSpace(v.Text), "{") {
		return
	}
	var scores map[string]json.RawMessage
	if err := json.Unmarshal([]byte(v.Text), &scores); err != nil {
		return
	}
	for _, f := range fields {
		key := f.Name + "_confidence"
		if _, set := meta[key]; set {
			continue
		}
		raw, ok := scores[f.Name]
		if !ok {
			continue
		}
		field, err := resultField(key, raw)
		if err != nil {
			continue
		}
		meta[key] = sinks.Value{Text: field.Text, Null: field.Null || field.Text == ""}
	}
}
