package transform

import (
	"bufio"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"strconv"

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
type Chunker struct {
	dir      string
	maxRows  int
	maxBytes int64
	inputs   []Input

	file   *os.File
	w      *bufio.Writer
	h      hash.Hash
	cur    ChunkInfo
	line   []byte
	chunks []ChunkInfo
}

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
	return &Chunker{dir: dir, maxRows: maxRows, maxBytes: maxBytes, inputs: inputs}, nil
}

// ChunkFileName returns the file name of chunk index.
func ChunkFileName(index int) string { return fmt.Sprintf("chunk-%05d.jsonl", index) }

// EncodeRow appends the JSONL line of one record to dst.
func EncodeRow(dst []byte, inputs []Input, ordinal int64, rec connectors.Record) []byte {
	dst = append(dst, `{"`+KeyColumn+`":"`...)
	dst = strconv.AppendInt(dst, ordinal, 10)
	dst = append(dst, '"')
	get := rec.Get
	for _, in := range inputs {
		dst = append(dst, ',')
		dst = AppendJSONString(dst, in.Name)
		dst = append(dst, ':')
		if v, ok := in.Value(get); ok {
			dst = AppendJSONString(dst, v)
		} else {
			dst = append(dst, "null"...)
		}
	}
	return append(dst, '}', '\n')
}

// Add appends one record.
func (c *Chunker) Add(ordinal int64, rec connectors.Record) error {
	c.line = EncodeRow(c.line[:0], c.inputs, ordinal, rec)
	n := int64(len(c.line))
	if n > c.maxBytes {
		return fmt.Errorf("record at line %d encodes to %d bytes, more than chunk.max_bytes (%d)", rec.Line, n, c.maxBytes)
	}
	if c.file != nil && (c.cur.Rows >= c.maxRows || c.cur.Bytes+n > c.maxBytes) {
		if err := c.finish(); err != nil {
			return err
		}
	}
	if c.file == nil {
		if err := c.start(ordinal); err != nil {
			return err
		}
	}
	c.h.Write(c.line)
	if _, err := c.w.Write(c.line); err != nil {
		return err
	}
	c.cur.Rows++
	c.cur.Bytes += n
	return nil
}

func (c *Chunker) start(ordinal int64) error {
	idx := len(c.chunks)
	path := filepath.Join(c.dir, ChunkFileName(idx))
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	c.file = f
	if c.w == nil {
		c.w = bufio.NewWriterSize(f, 1<<20)
	} else {
		c.w.Reset(f)
	}
	c.h = sha256.New()
	c.cur = ChunkInfo{Index: idx, Path: path, FirstOrdinal: ordinal}
	return nil
}

func (c *Chunker) finish() error {
	err := c.w.Flush()
	if err == nil {
		err = c.file.Sync()
	}
	if cerr := c.file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(c.cur.Path+".tmp", c.cur.Path)
	}
	if err != nil {
		return fmt.Errorf("write chunk %s: %w", c.cur.Path, err)
	}
	copy(c.cur.SHA256[:], c.h.Sum(nil))
	c.chunks = append(c.chunks, c.cur)
	c.file = nil
	return nil
}

// Close finishes the last chunk and returns every chunk written.
func (c *Chunker) Close() ([]ChunkInfo, error) {
	if c.file != nil {
		if err := c.finish(); err != nil {
			return nil, err
		}
	}
	return c.chunks, syncDir(c.dir)
}

// Abort removes the chunk being written.
func (c *Chunker) Abort() {
	if c.file != nil {
		c.file.Close()
		os.Remove(c.cur.Path + ".tmp")
		c.file = nil
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return err
	}
	return nil
}
