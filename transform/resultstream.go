package transform

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/sinks"
)

// resultBatchRows is the number of result rows the reader goroutine hands
// over at a time.
const resultBatchRows = 256

// resultBatch is a run of result rows in file order.
type resultBatch struct {
	// ordinals[i] is the ordinal that row i's key names, or -1 when the key
	// is missing, not a number or outside the chunk.
	ordinals []int64
	// texts holds row i's struct field values, then its metadata values in
	// the order of metaKeys, at [i*width, (i+1)*width). An empty text
	// stands for null, because the merge treats an empty result value as
	// null.
	texts []string
	n     int
	// err is the error that ended the file after these rows: io.EOF at the
	// end, nil when more batches follow.
	err error
}

// resultStream yields the result rows of one chunk by ordinal while the
// merge walks the chunk's records in order. A goroutine parses the file
// ahead into batches. Rows that come in ordinal order pass straight
// through, and a row that comes before its turn waits in pending.
//
// NOTE: the API does not guarantee row order. Memory stays at a few batches
// for a result in record order but grows to the whole chunk for a fully
// shuffled one.
type resultStream struct {
	first int64
	width int // struct field values plus metadata values per row
	// fields is the number of struct field values at the start of a row.
	fields  int
	batches chan *resultBatch
	free    chan *resultBatch
	stop    chan struct{}
	current *resultBatch
	next    int // index of the next row of current
	// seen[i] is set once a row for ordinal first+i was read. A later row
	// with that key is a duplicate.
	seen    []bool
	pending map[int64][]string
	ended   bool
	err     error

	duplicateKeys, unknownKeys int64
}

// openResultStream opens the result file of c and starts the goroutine that
// parses it.
func openResultStream(open func(path, format string) (connectors.Source, error), c MergeChunk, columns *resultColumns) (*resultStream, error) {
	src, err := open(c.ResultPath, c.ResultFormat)
	if err != nil {
		return nil, fmt.Errorf("open result %s: %w", c.ResultPath, err)
	}
	const inFlight = 4
	width := len(columns.fields) + len(columns.keys)
	s := &resultStream{
		first:   c.FirstOrdinal,
		width:   width,
		fields:  len(columns.fields),
		batches: make(chan *resultBatch, inFlight),
		free:    make(chan *resultBatch, inFlight+1),
		stop:    make(chan struct{}),
		seen:    make([]bool, c.Rows),
		pending: map[int64][]string{},
	}
	for range inFlight + 1 {
		s.free <- &resultBatch{ordinals: make([]int64, resultBatchRows), texts: make([]string, resultBatchRows*width)}
	}
	go s.read(src, c, columns)
	return s, nil
}

// read parses the result file into batches until it ends or stop is
// closed, then closes the file and the batches channel.
func (s *resultStream) read(src connectors.Source, c MergeChunk, columns *resultColumns) {
	defer close(s.batches)
	defer src.Close()
	parser := resultParser{columns: columns, first: c.FirstOrdinal, end: c.FirstOrdinal + int64(c.Rows)}
	for {
		var batch *resultBatch
		select {
		case batch = <-s.free:
		case <-s.stop:
			return
		}
		batch.n, batch.err = 0, nil
		for batch.n < resultBatchRows {
			rec, err := src.Next()
			if err != nil {
				batch.err = err
				if !connectors.IsEOF(err) {
					batch.err = fmt.Errorf("read result %s: %w", c.ResultPath, err)
				}
				break
			}
			row := batch.texts[batch.n*s.width : (batch.n+1)*s.width]
			batch.ordinals[batch.n] = parser.parse(rec, row)
			batch.n++
		}
		select {
		case s.batches <- batch:
		case <-s.stop:
			return
		}
		if batch.err != nil {
			return
		}
	}
}

// readRow returns the next row of the file: its ordinal (-1 for a key that
// names no record of the chunk) and its texts, valid until the next call.
// ok is false at the end of the file or after an error, kept in s.err.
func (s *resultStream) readRow() (ordinal int64, texts []string, ok bool) {
	for s.current == nil || s.next >= s.current.n {
		if s.current != nil {
			err := s.current.err
			s.free <- s.current
			s.current = nil
			if err != nil {
				s.ended = true
				if !connectors.IsEOF(err) {
					s.err = err
				}
				return 0, nil, false
			}
		}
		if s.ended {
			return 0, nil, false
		}
		batch, open := <-s.batches
		if !open {
			s.ended = true
			return 0, nil, false
		}
		s.current, s.next = batch, 0
	}
	i := s.next
	s.next++
	return s.current.ordinals[i], s.current.texts[i*s.width : (i+1)*s.width], true
}

// take returns the struct field and metadata texts of ordinal's result row,
// valid until the next call, reading ahead in the file as far as needed.
// found is false when the file has no row for ordinal. Ordinals must be
// asked for in increasing order, each once.
func (s *resultStream) take(ordinal int64) (enriched, meta []string, found bool, err error) {
	if texts, ok := s.pending[ordinal]; ok {
		delete(s.pending, ordinal)
		return texts[:s.fields], texts[s.fields:], true, nil
	}
	for {
		ord, texts, ok := s.readRow()
		if !ok {
			return nil, nil, false, s.err
		}
		if !s.markSeen(ord) {
			continue
		}
		if ord == ordinal {
			return texts[:s.fields], texts[s.fields:], true, nil
		}
		// A row ahead of its turn. A row behind it cannot be new: the
		// merge asked for that ordinal earlier and read to the end of the
		// file without finding it.
		s.pending[ord] = slices.Clone(texts)
	}
}

// markSeen counts a row with an unknown or repeated key and returns false
// for it; otherwise it marks the row's ordinal seen and returns true.
func (s *resultStream) markSeen(ordinal int64) bool {
	if ordinal < 0 {
		s.unknownKeys++
		return false
	}
	i := ordinal - s.first
	if s.seen[i] {
		s.duplicateKeys++
		return false
	}
	s.seen[i] = true
	return true
}

// finish reads the rest of the file to count its unknown and duplicate
// keys, stops the goroutine and returns the number of rows that were found
// but never taken, which happens only when the source ended early.
func (s *resultStream) finish() (untaken int64, err error) {
	for {
		ord, _, ok := s.readRow()
		if !ok {
			break
		}
		if s.markSeen(ord) {
			untaken++
		}
	}
	s.close()
	return untaken + int64(len(s.pending)), s.err
}

// close stops the goroutine and waits until it has closed the file.
func (s *resultStream) close() {
	close(s.stop)
	for batch := range s.batches {
		_ = batch
	}
}

// resultColumns maps the columns of result rows to struct fields and
// metadata keys.
type resultColumns struct {
	fields []sinks.StructField
	keys   []string // metaKeys(fields)
	// slots maps a column name to a struct field index, or to -1-i for
	// metadata key i. A struct field wins over a metadata key of the same
	// name.
	slots map[string]int
	// fieldConfidence is the metadata index of field_confidence, and
	// confidence[i] that of "<field i>_confidence".
	fieldConfidence int
	confidence      []int
}

func newResultColumns(fields []sinks.StructField) *resultColumns {
	keys := metaKeys(fields)
	c := &resultColumns{fields: fields, keys: keys, slots: make(map[string]int, len(keys)+len(fields))}
	for i, k := range keys {
		c.slots[k] = -1 - i
	}
	for i, f := range fields {
		c.slots[f.Name] = i
	}
	c.fieldConfidence = slices.Index(keys, "field_confidence")
	for _, f := range fields {
		c.confidence = append(c.confidence, slices.Index(keys, f.Name+"_confidence"))
	}
	return c
}

// noSlot marks a result column that the merge does not use.
const noSlot = math.MinInt

// resultParser turns result records into rows of texts.
type resultParser struct {
	columns    *resultColumns
	first, end int64
	// lastNames and lastSlots are the column names and slots of the
	// previous record, by field position: CSV records repeat them.
	lastNames []string
	lastSlots []int
	// present[i] is set when the current row has metadata column i, even
	// an empty one, so field_confidence does not override it.
	present []bool
}

// parse fills row with the struct field values, then the metadata values,
// of rec and returns the ordinal its key names, or -1 when the key is
// missing, not a number or outside the chunk.
func (p *resultParser) parse(rec connectors.Record, row []string) int64 {
	clear(row)
	key, ok := rec.Get(KeyColumn)
	if !ok || key.Null {
		return -1
	}
	ord, err := strconv.ParseInt(key.Text, 10, 64)
	if err != nil || ord < p.first || ord >= p.end {
		return -1
	}

	nFields := len(p.columns.fields)
	enriched, meta := row[:nFields], row[nFields:]
	if p.present == nil {
		p.present = make([]bool, len(p.columns.keys))
	}
	clear(p.present)
	for len(p.lastNames) < len(rec.Fields) {
		p.lastNames = append(p.lastNames, "")
		p.lastSlots = append(p.lastSlots, noSlot)
	}
	for j, f := range rec.Fields {
		slot := p.lastSlots[j]
		if p.lastNames[j] != f.Name {
			slot = noSlot
			if s, ok := p.columns.slots[f.Name]; ok {
				slot = s
			}
			p.lastNames[j], p.lastSlots[j] = f.Name, slot
		}
		text := f.Text
		if f.Null {
			text = ""
		}
		switch {
		case slot == noSlot:
		case slot >= 0:
			enriched[slot] = text
		default:
			meta[-1-slot] = text
			p.present[-1-slot] = true
		}
	}
	p.columns.expandFieldConfidence(meta, p.present)
	return ord
}

// expandFieldConfidence fills "<field>_confidence" from a field_confidence
// value that is a JSON object mapping struct fields to scores, the form the
// single-row API returns, unless the result row also has that column.
func (c *resultColumns) expandFieldConfidence(meta []string, present []bool) {
	text := meta[c.fieldConfidence]
	if !strings.HasPrefix(strings.TrimSpace(text), "{") {
		return
	}
	var scores map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &scores); err != nil {
		return
	}
	for i, f := range c.fields {
		slot := c.confidence[i]
		if present[slot] {
			continue
		}
		raw, ok := scores[f.Name]
		if !ok {
			continue
		}
		field, err := resultField(f.Name+"_confidence", raw)
		if err != nil {
			continue
		}
		if !field.Null {
			meta[slot] = field.Text
		}
	}
}
