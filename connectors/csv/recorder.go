package csv

import (
	"errors"
	"io"
)

// errRecordTooLarge is returned by recorder.Read when one record has buffered
// more than the limit.
var errRecordTooLarge = errors.New("record too large")

// recorderSlack covers the read-ahead of the bufio.Reader inside
// encoding/csv (4096 bytes) so that only a record over the limit trips it.
const recorderSlack = 64 << 10

// recorder sits between the decoded input and encoding/csv. It keeps the
// bytes of the record being parsed, so a rejected row can be stored as it
// was, and it stops a record from growing past limit.
type recorder struct {
	r     io.Reader
	buf   []byte
	base  int64 // input offset of buf[0]
	start int   // index in buf where the current record starts
	limit int64
	eof   bool
}

func (c *recorder) Read(p []byte) (int, error) {
	if int64(len(c.buf)-c.start) > c.limit {
		return 0, errRecordTooLarge
	}
	if c.start > 0 && c.start >= len(c.buf)/2 {
		// Drop consumed bytes once they fill half the buffer, so the copy
		// cost stays proportional to the input size.
		n := copy(c.buf, c.buf[c.start:])
		c.buf = c.buf[:n]
		c.base += int64(c.start)
		c.start = 0
	}
	n, err := c.r.Read(p)
	c.buf = append(c.buf, p[:n]...)
	if errors.Is(err, io.EOF) {
		c.eof = true
	}
	return n, err
}

// take returns the bytes from the end of the previous record to end, an
// input offset as reported by encoding/csv.Reader.InputOffset. The slice is
// valid until the next Read.
func (c *recorder) take(end int64) []byte {
	stop := int(end - c.base)
	if stop > len(c.buf) {
		stop = len(c.buf)
	}
	if stop < c.start {
		stop = c.start
	}
	raw := c.buf[c.start:stop]
	c.start = stop
	return raw
}

// atEOF reports whether the input has ended and every byte read has been
// consumed by encoding/csv.
func (c *recorder) atEOF() bool {
	return c.eof && c.start == len(c.buf)
}
