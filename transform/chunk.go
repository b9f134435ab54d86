package transform

import (
	"errors"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/crmsync/crmsync/connectors"
)

// KeyColumn is the column crmsync adds to every uploaded row. Its value is
// the record's 0-based ordinal in the source, unique within a run, so results
// are joined back by key and never by position.
const KeyColumn = "_crmsync_key"

// API limits per uploaded file.
const (
	MaxRowsPerFile  = 100_000
	MaxBytesPerFile = 100 * 1000 * 1000 // "100 MB" read as decimal megabytes, the stricter reading
)

// Records travel from Add to the writer goroutine in batches of
// batchRecords records or, for large records, of field texts passing
// batchTextBytes. batchesInFlight batches are recycled between the two
// goroutines, so the chunker holds at most that many batches at once.
const (
	batchRecords    = 512
	batchTextBytes  = 1 << 20
	batchesInFlight = 4
)

// ChunkInfo describes one finished chunk file.
type ChunkInfo struct {
	Index        int
	Path         string
	Rows         int
	Bytes        int64
	SHA256       [32]byte
	FirstOrdinal int64 // ordinal of the chunk's first record
}

// Chunker writes records as JSONL chunk files, one object per line with the
// key column first and then the inputs in order, starting a new file before
// either limit would be passed. Each file is written under a temporary name,
// fsynced and renamed when complete.
//
// Add hands records over in batches to a goroutine that encodes, hashes and
// writes them, so reading the source and writing chunks use two cores. An
// error of that goroutine (an oversized record, a failed write) is returned
// by a later Add or by Close. A Chunker is used from one goroutine; call
// Close or Abort to stop its writer goroutine.
type Chunker struct {
	w *chunkWriter // owned by the writer goroutine while it runs

	batch   *chunkBatch // being filled by Add; nil before the first Add
	full    chan *chunkBatch
	free    chan *chunkBatch
	done    chan struct{} // closed when the writer goroutine returns
	failed  atomic.Bool   // set by the writer goroutine when w.err is set
	started bool
	stopped bool  // the writer goroutine has returned, or never started
	closed  bool  // Close or Abort was called
	err     error // w.err, copied once the writer goroutine has returned
}

// chunkBatch holds copies of records on their way from Add to the writer
// goroutine. Record i has line lines[i] and the fields from ends[i-1] (0 for
// the first) to ends[i].
type chunkBatch struct {
	ordinals  []int64
	lines     []int
	ends      []int
	fields    []connectors.Field
	textBytes int // sum of the field texts' lengths
}

func newChunkBatch() *chunkBatch {
	return &chunkBatch{
		ordinals: make([]int64, 0, batchRecords),
		lines:    make([]int, 0, batchRecords),
		ends:     make([]int, 0, batchRecords),
	}
}

func (b *chunkBatch) add(ordinal int64, rec connectors.Record) {
	b.ordinals = append(b.ordinals, ordinal)
	b.lines = append(b.lines, rec.Line)
	b.fields = append(b.fields, rec.Fields...)
	b.ends = append(b.ends, len(b.fields))
	for _, f := range rec.Fields {
		b.textBytes += len(f.Text)
	}
}

func (b *chunkBatch) full() bool {
	return len(b.ordinals) == batchRecords || b.textBytes >= batchTextBytes
}

// record returns record i; its Fields stay valid until reset.
func (b *chunkBatch) record(i int) connectors.Record {
	start := 0
	if i > 0 {
		start = b.ends[i-1]
	}
	return connectors.Record{Line: b.lines[i], Fields: b.fields[start:b.ends[i]:b.ends[i]]}
}

// reset empties the batch and drops its references to the field texts, so
// they can be freed while the batch waits to be reused.
func (b *chunkBatch) reset() {
	clear(b.fields)
	b.ordinals, b.lines, b.ends, b.fields = b.ordinals[:0], b.lines[:0], b.ends[:0], b.fields[:0]
	b.textBytes = 0
}

var (
	errChunkerClosed  = errors.New("chunker is already closed")
	errChunkerStopped = errors.New("chunker accepts no more records after Close, Abort or ReadChunks")
)

// NewChunker returns a chunker that writes chunk-NNNNN.jsonl files into dir.
func NewChunker(dir string, maxRows int, maxBytes int64, inputs []Input) (*Chunker, error) {
	if maxRows <= 0 || maxRows > MaxRowsPerFile {
		return nil, fmt.Errorf("chunk.max_rows %d is out of range 1..%d", maxRows, MaxRowsPerFile)
	}
	if maxBytes <= 0 || maxBytes > MaxBytesPerFile {
		return nil, fmt.Errorf("chunk.max_bytes %d is out of range 1..%d", maxBytes, MaxBytesPerFile)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	w := &chunkWriter{dir: dir, maxRows: maxRows, maxBytes: maxBytes, enc: newRowEncoder(inputs)}
	return &Chunker{w: w}, nil
}

// ChunkFileName returns the file name of chunk index.
func ChunkFileName(index int) string { return fmt.Sprintf("chunk-%05d.jsonl", index) }

// EncodeRow appends the JSONL line of one record to dst.
func EncodeRow(dst []byte, inputs []Input, ordinal int64, rec connectors.Record) []byte {
	return newRowEncoder(inputs).appendRow(dst, ordinal, rec)
}

// Add appends one record. It copies rec.Fields, so the caller may reuse the
// slice (see source.Options.ReuseFields). The error may concern an earlier
// record.
func (c *Chunker) Add(ordinal int64, rec connectors.Record) error {
	if c.stopped {
		if c.err != nil {
			return c.err
		}
		return errChunkerStopped
	}
	if c.failed.Load() {
		return c.stop()
	}
	if c.batch == nil {
		c.batch = c.nextBatch()
	}
	c.batch.add(ordinal, rec)
	if c.batch.full() {
		c.full <- c.batch
		c.batch = nil
	}
	return nil
}

// nextBatch returns an empty batch, starting the writer goroutine at the
// first call and otherwise waiting until the goroutine returns one.
func (c *Chunker) nextBatch() *chunkBatch {
	if !c.started {
		c.started = true
		c.full = make(chan *chunkBatch, batchesInFlight)
		c.free = make(chan *chunkBatch, batchesInFlight)
		c.done = make(chan struct{})
		for range batchesInFlight {
			c.free <- newChunkBatch()
		}
		go c.w.run(c.full, c.free, &c.failed, c.done)
	}
	return <-c.free
}

// stop sends the batch being filled, waits until the writer goroutine has
// written every record handed over, and returns its error.
func (c *Chunker) stop() error {
	if c.stopped {
		return c.err
	}
	c.stopped = true
	if !c.started {
		return nil
	}
	if c.batch != nil && len(c.batch.ordinals) > 0 && !c.failed.Load() {
		c.full <- c.batch
	}
	c.batch = nil
	close(c.full)
	<-c.done
	c.err = c.w.err
	return c.err
}

// Close finishes the last chunk and returns every chunk written.
func (c *Chunker) Close() ([]ChunkInfo, error) {
	if c.closed {
		return nil, errChunkerClosed
	}
	c.closed = true
	if err := c.stop(); err != nil {
		return nil, err
	}
	if c.w.file != nil {
		if err := c.w.finish(); err != nil {
			return nil, err
		}
	}
	if err := c.w.waitSync(); err != nil {
		return nil, err
	}
	return c.w.chunks, syncDir(c.w.dir)
}

// Abort stops the writer goroutine and removes the chunk being written.
// Finished chunks stay. Abort after a successful Close does nothing.
func (c *Chunker) Abort() {
	c.closed = true
	c.stop()
	c.w.abort()
}
