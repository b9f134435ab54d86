// Package csv writes sink rows as an RFC 4180 CSV file with a header row.
//
// It has its own small writer because encoding/csv's Writer, with UseCRLF
// set, rewrites line breaks inside quoted fields (a lone CR is dropped and
// LF becomes CRLF), which would change source values such as multi-line
// notes. Here the row terminator is the only thing the CRLF option changes.
package csv

import (
	"bufio"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/crmsync/crmsync/sinks"
)

// Options sets the CSV dialect.
type Options struct {
	// Delimiter separates fields; 0 means ','.
	Delimiter rune
	// BOM writes a UTF-8 byte-order mark first, which Excel needs to read
	// the file as UTF-8.
	BOM bool
	// CRLF ends rows with "\r\n" instead of "\n".
	CRLF bool
	// FormulaGuard prefixes enriched and metadata text that a spreadsheet
	// would run as a formula with a single quote (see NeedsFormulaGuard).
	// Source values are never changed.
	FormulaGuard bool
}

type sink struct {
	file   *sinks.AtomicFile
	w      *bufio.Writer
	cols   []sinks.Column
	opts   Options
	delim  string
	eol    string
	rows   int64
	closed bool
}

// Create opens a CSV sink for path and writes the header row. Nothing
// appears under path until Commit.
func Create(path string, cols []sinks.Column, opts Options) (sinks.Sink, error) {
	if opts.Delimiter == 0 {
		opts.Delimiter = ','
	}
	if err := checkDelimiter(opts.Delimiter); err != nil {
		return nil, fmt.Errorf("csv sink %s: %w", path, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("csv sink %s: no columns to write", path)
	}
	f, err := sinks.CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	s := &sink{
		file:  f,
		w:     bufio.NewWriterSize(f, 64<<10),
		cols:  cols,
		opts:  opts,
		delim: string(opts.Delimiter),
		eol:   "\n",
	}
	if opts.CRLF {
		s.eol = "\r\n"
	}
	if opts.BOM {
		s.w.WriteString("\uFEFF")
	}
	for i, c := range cols {
		if i > 0 {
			s.w.WriteString(s.delim)
		}
		s.writeField(c.Name)
	}
	if _, err := s.w.WriteString(s.eol); err != nil {
		_ = f.Abort()
		return nil, err
	}
	return s, nil
}

func checkDelimiter(r rune) error {
	if r == '"' || r == '\r' || r == '\n' || !utf8.ValidRune(r) || r == utf8.RuneError {
		return fmt.Errorf("delimiter %q is invalid; use a character other than a quote, CR or LF", r)
	}
	return nil
}

// Write appends one row. A null is written as an empty field.
func (s *sink) Write(row []sinks.Value) error {
	if s.closed {
		return fmt.Errorf("csv sink %s: write after commit or abort", s.file.Path())
	}
	if len(row) != len(s.cols) {
		return fmt.Errorf("csv sink %s: row %d has %d values, the header has %d columns", s.file.Path(), s.rows+1, len(row), len(s.cols))
	}
	for i, v := range row {
		if i > 0 {
			s.w.WriteString(s.delim)
		}
		if v.Null || v.Text == "" {
			if len(row) == 1 {
				// A blank line would be skipped by most readers.
				s.w.WriteString(`""`)
			}
			continue
		}
		text := v.Text
		origin := sinks.CellOrigin(s.cols[i], v)
		if origin != sinks.FromSource {
			// Enrichment text is untrusted and may hold invalid UTF-8;
			// source text was checked when it was read.
			text = strings.ToValidUTF8(text, "\uFFFD")
			if s.opts.FormulaGuard && NeedsFormulaGuard(text) {
				text = "'" + text
			}
		}
		s.writeField(text)
	}
	if _, err := s.w.WriteString(s.eol); err != nil {
		return fmt.Errorf("csv sink %s: %w", s.file.Path(), err)
	}
	s.rows++
	return nil
}

// writeField writes one field, quoted when it holds the delimiter, a quote,
// CR or LF, or starts with a space or tab (which some readers trim).
func (s *sink) writeField(text string) {
	if !s.needsQuotes(text) {
		s.w.WriteString(text)
		return
	}
	s.w.WriteByte('"')
	s.w.WriteString(strings.ReplaceAll(text, `"`, `""`))
	s.w.WriteByte('"')
}

func (s *sink) needsQuotes(text string) bool {
	if text == "" {
		return false
	}
	if text[0] == ' ' || text[0] == '\t' {
		return true
	}
	return strings.Contains(text, s.delim) || strings.ContainsAny(text, "\"\r\n")
}

// Commit flushes the rows and moves the file into place.
func (s *sink) Commit() error {
	if s.closed {
		return fmt.Errorf("csv sink %s: commit after commit or abort", s.file.Path())
	}
	s.closed = true
	if err := s.w.Flush(); err != nil {
		_ = s.file.Abort()
		return fmt.Errorf("csv sink %s: %w", s.file.Path(), err)
	}
	return s.file.Commit()
}

// Abort removes the temporary file. It does nothing after Commit.
func (s *sink) Abort() error {
	s.closed = true
	return s.file.Abort()
}

func (s *sink) Rows() int64 { return s.rows }
