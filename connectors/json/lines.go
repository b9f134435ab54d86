package json

import (
	"errors"
	"io"
)

// errRecordTooLarge is returned by lineCounter.Read when one value has
// buffered more than the limit.
var errRecordTooLarge = errors.New("record too large")

// readSlack covers the read-ahead of encoding/json.Decoder so that only a
// record over the limit trips lineCounter.
const readSlack = 64 << 10

// lineCounter sits between the decoded input and encoding/json.Decoder. It
// remembers the offsets of line breaks the decoder has not been asked about
// yet, so lineAt can map a decoder offset to a physical line, and it stops a
// single value from growing past limit.
type lineCounter struct {
	r        io.Reader
	read     int64   // bytes read so far
	newlines []int64 // offsets of '\n' at or after the last lineAt query
	line     int     // line of the offset of the last lineAt query
	lastByte byte
	boundary int64 // offset where the value being read starts
	limit    int64
}

func newLineCounter(r io.Reader, limit int64) *lineCounter {
	return &lineCounter{r: r, line: 1, limit: limit}
}

func (c *lineCounter) Read(p []byte) (int, error) {
	if c.read-c.boundary > c.limit {
		return 0, errRecordTooLarge
	}
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			c.newlines = append(c.newlines, c.read+int64(i))
		}
	}
	if n > 0 {
		c.lastByte = p[n-1]
	}
	c.read += int64(n)
	return n, err
}

// lineAt returns the 1-based line of the byte at offset. Offsets must not
// decrease between calls; a smaller offset returns the last line found.
func (c *lineCounter) lineAt(offset int64) int {
	k := 0
	for k < len(c.newlines) && c.newlines[k] < offset {
		k++
	}
	c.line += k
	c.newlines = c.newlines[:copy(c.newlines, c.newlines[k:])]
	return c.line
}

// lastLine returns the line of the last byte read: the line a truncated
// input ends on.
func (c *lineCounter) lastLine() int {
	line := c.lineAt(c.read)
	if c.lastByte == '\n' && line > 1 {
		line--
	}
	return line
}
