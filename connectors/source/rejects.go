package source

import (
	"bufio"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/crmsync/crmsync/connectors"
)

// minRowsForPercent is the number of rows read before a percentage limit is
// applied in the middle of a file, because otherwise the first bad row would
// exceed any percentage. At the end of the file the limit always applies.
const minRowsForPercent = 1000

// rejectLimit is a parsed max_rejected: a count, a percentage, or none.
type rejectLimit struct {
	text    string
	count   int
	percent float64
	set     bool
	isPct   bool
}

func parseRejectLimit(s string) (rejectLimit, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return rejectLimit{}, nil
	}
	if number, ok := strings.CutSuffix(s, "%"); ok {
		pct, err := strconv.ParseFloat(strings.TrimSpace(number), 64)
		if err != nil || pct < 0 || pct > 100 || math.IsNaN(pct) {
			return rejectLimit{}, fmt.Errorf("invalid max_rejected %q: use a count such as 10 or a percentage from 0%% to 100%% such as 1%%", s)
		}
		return rejectLimit{text: s, percent: pct, set: true, isPct: true}, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return rejectLimit{}, fmt.Errorf("invalid max_rejected %q: use a count such as 10 or a percentage such as 1%%", s)
	}
	return rejectLimit{text: s, count: n, set: true}, nil
}

// check returns an error when rejected rows exceed the limit. atEnd is true
// once the whole file has been read.
func (l rejectLimit) check(rejected, rowsRead int, atEnd bool) error {
	if !l.set || rejected == 0 {
		return nil
	}
	if !l.isPct {
		if rejected > l.count {
			return fmt.Errorf("rejected %d rows, more than source.max_rejected %s; fix the input or raise the limit", rejected, l.text)
		}
		return nil
	}
	if !atEnd && rowsRead < minRowsForPercent {
		return nil
	}
	if float64(rejected)*100 > l.percent*float64(rowsRead) {
		return fmt.Errorf("rejected %d of %d rows read (%.2f%%), more than source.max_rejected %s; fix the input or raise the limit",
			rejected, rowsRead, float64(rejected)*100/float64(rowsRead), l.text)
	}
	return nil
}

// reject counts a recoverable error, stores it in the reject file and checks
// the limit.
func (r *Reader) reject(pe *connectors.ParseError) error {
	r.stats.Rejected++
	r.stats.RejectsByKind[pe.Kind]++
	if err := r.rejects.write(pe); err != nil {
		return err
	}
	if err := r.limit.check(r.stats.Rejected, r.stats.RowsRead, false); err != nil {
		return fmt.Errorf("%w (last rejected: %v)", err, pe)
	}
	return nil
}

// rejectWriter writes rejected rows as JSON lines, creating the file at the
// first row.
type rejectWriter struct {
	path string
	file *os.File
	buf  *bufio.Writer
}

// rejectLine is one line of the reject file. Raw holds the row's text when
// it is valid UTF-8, RawBase64 its bytes otherwise.
type rejectLine struct {
	File      string `json:"file"`
	Line      int    `json:"line"`
	Column    int    `json:"column,omitempty"`
	Header    string `json:"header,omitempty"`
	Kind      string `json:"kind"`
	Error     string `json:"error"`
	Raw       string `json:"raw,omitempty"`
	RawBase64 string `json:"raw_base64,omitempty"`
}

func (w *rejectWriter) write(pe *connectors.ParseError) error {
	if w.path == "" {
		return nil
	}
	if w.file == nil {
		f, err := os.Create(w.path)
		if err != nil {
			return fmt.Errorf("create reject file: %w", err)
		}
		w.file = f
		w.buf = bufio.NewWriter(f)
	}

	line := rejectLine{
		File: pe.File, Line: pe.Line, Column: pe.Column, Header: pe.Header,
		Kind: string(pe.Kind), Error: pe.Err.Error(),
	}
	if utf8.ValidString(pe.Raw) {
		line.Raw = pe.Raw
	} else {
		line.RawBase64 = base64.StdEncoding.EncodeToString([]byte(pe.Raw))
	}
	enc := json.NewEncoder(w.buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(line); err != nil {
		return fmt.Errorf("write reject file %s: %w", w.path, err)
	}
	return nil
}

func (w *rejectWriter) close() error {
	if w.file == nil {
		return nil
	}
	flushErr := w.buf.Flush()
	closeErr := w.file.Close()
	if flushErr != nil {
		return fmt.Errorf("write reject file %s: %w", w.path, flushErr)
	}
	if closeErr != nil {
		return fmt.Errorf("close reject file %s: %w", w.path, closeErr)
	}
	return nil
}
