package enrich

import (
	"bytes"
	"io"
)

// csvRecordCounter counts the records of comma-separated text in one pass
// over its bytes, without building fields. It accepts exactly what
// encoding/csv (Go 1.26) accepts with Comma ',', LazyQuotes false and
// FieldsPerRecord -1, and counts the records that encoding/csv.Reader.Read
// returns. Input it cannot vouch for, such as a bare or stray quote or an
// unclosed quoted field, makes feed or end return false. The caller then
// parses the input with encoding/csv, which decides the count or the error.
//
// It follows encoding/csv's line rules: a line that is empty, or holds only
// "\r" before "\n" or before the end of input, is skipped and is no record.
// A record ends at "\n" outside quotes or at the end of input. A quote
// starts a quoted field only as a field's first byte. After the closing
// quote comes a second quote, a comma, "\n", "\r\n", "\r" at the end of
// input, or the end of input. A quote anywhere else is an error.
type csvRecordCounter struct {
	state   csvCountState
	records int
}

type csvCountState uint8

const (
	// countRecordStart is the start of a line outside any record.
	countRecordStart csvCountState = iota
	// countRecordStartCR follows a "\r" at the start of a line, which is
	// an empty line when "\n" or the end of input follows.
	countRecordStartCR
	countFieldStart
	countUnquoted
	countQuoted
	// countQuoteSeen follows a quote inside a quoted field: the field's
	// end, or the first half of an escaped quote.
	countQuoteSeen
	// countQuoteSeenCR follows a closing quote and "\r".
	countQuoteSeenCR
)

// feed scans the next part of the input and returns false on input that
// encoding/csv may reject.
func (c *csvRecordCounter) feed(b []byte) bool {
	i := 0
	for i < len(b) {
		switch c.state {
		case countRecordStart:
			switch b[i] {
			case '\n':
				i++
			case '\r':
				c.state = countRecordStartCR
				i++
			default:
				// The byte starts the record's first field.
				c.records++
				c.state = countFieldStart
			}

		case countRecordStartCR:
			if b[i] == '\n' {
				c.state = countRecordStart
				i++
				break
			}
			// The "\r" is the first byte of an unquoted field.
			c.records++
			c.state = countUnquoted

		case countFieldStart:
			if b[i] == '"' {
				c.state = countQuoted
				i++
				break
			}
			c.state = countUnquoted

		case countUnquoted:
			rest := b[i:]
			line := rest
			newline := bytes.IndexByte(rest, '\n')
			if newline >= 0 {
				line = rest[:newline]
			}
			quote := bytes.IndexByte(line, '"')
			if quote < 0 {
				if newline >= 0 {
					i += newline + 1
					c.state = countRecordStart
					break
				}
				// The line goes on in the next part. A comma at the end
				// of this part means the next byte starts a field.
				if line[len(line)-1] == ',' {
					c.state = countFieldStart
				}
				return true
			}
			// Every byte before the quote is a comma or a byte of an
			// unquoted field, so the quote opens a field only right after
			// a comma.
			if quote == 0 || line[quote-1] != ',' {
				return false
			}
			i += quote + 1
			c.state = countQuoted

		case countQuoted:
			quote := bytes.IndexByte(b[i:], '"')
			if quote < 0 {
				return true
			}
			i += quote + 1
			c.state = countQuoteSeen

		case countQuoteSeen:
			switch b[i] {
			case '"':
				c.state = countQuoted
			case ',':
				c.state = countFieldStart
			case '\n':
				c.state = countRecordStart
			case '\r':
				c.state = countQuoteSeenCR
			default:
				return false
			}
			i++

		case countQuoteSeenCR:
			if b[i] != '\n' {
				return false
			}
			c.state = countRecordStart
			i++
		}
	}
	return true
}

// end reports whether the input may end in the current state: anywhere but
// inside a quoted field.
func (c *csvRecordCounter) end() bool {
	return c.state != countQuoted
}

// countCSVRecords returns the number of records in r as encoding/csv reads
// them. ok is false when the input has a quoting irregularity, so only
// encoding/csv can tell the count or the error.
func countCSVRecords(r io.Reader) (records int, ok bool, err error) {
	var c csvRecordCounter
	buf := make([]byte, 256<<10)
	for {
		n, readErr := r.Read(buf)
		if n > 0 && !c.feed(buf[:n]) {
			return 0, false, nil
		}
		if readErr == io.EOF {
			return c.records, c.end(), nil
		}
		if readErr != nil {
			return 0, false, readErr
		}
	}
}
