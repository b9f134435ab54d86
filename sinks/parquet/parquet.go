// Package parquet writes sink rows to a Parquet file through arrow-go's
// pqarrow writer.
//
// Rows are collected into Arrow record batches of at most batchRows rows
// (or batchBytes bytes of text). A second goroutine encodes and compresses
// each full batch with WriteBuffered while Write fills the next one, so the
// caller's work and the Parquet encoding use two cores. WriteBuffered closes
// a row group every RowGroupRows rows. Memory therefore depends on the row
// group size and the row width, not on the number of rows in the file.
package parquet

import (
	"bufio"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/crmsync/crmsync/sinks"
)

// DefaultRowGroupRows is the row group size when Options.RowGroupRows is 0.
const DefaultRowGroupRows = 122880

const (
	batchRows  = 4096
	batchBytes = 32 << 20
)

// Options sets compression, row group size and file metadata.
type Options struct {
	// Compression is "snappy" (the default when empty), "zstd" or "none".
	Compression string
	// RowGroupRows is the number of rows per row group; 0 means
	// DefaultRowGroupRows.
	RowGroupRows int64
	// Metadata is written as the file's key-value metadata, such as
	// pipeline, run_id and crmsync_version.
	Metadata map[string]string
}

type sink struct {
	file     *sinks.AtomicFile
	buffered *bufio.Writer
	schema   *arrow.Schema
	codec    compress.Compression
	opts     Options
	builder  *array.RecordBuilder
	cols     []sinks.Column
	appends  []appendFunc
	// encoder is nil until the first batch is full, because the dictionary
	// choice of each column looks at that batch.
	encoder *encoder

	batchRows  int
	batchBytes int
	rows       int64
	closed     bool
}

// plainWriter hides the Close method of its writer, because the pqarrow
// writer closes a sink that has one and the atomic file must stay open
// until Commit.
type plainWriter struct{ w *bufio.Writer }

func (p plainWriter) Write(b []byte) (int, error) { return p.w.Write(b) }

// Create opens a Parquet sink for path with one nullable column per entry
// of cols: str becomes STRING, int INT64, float DOUBLE, bool BOOLEAN,
// list[E] a LIST of E, dict a STRING holding JSON text, and timestamp
// TIMESTAMP(MICROS, UTC). Nothing appears under path until Commit.
func Create(path string, cols []sinks.Column, opts Options) (sinks.Sink, error) {
	codec, err := compression(opts.Compression)
	if err != nil {
		return nil, fmt.Errorf("parquet sink %s: %w", path, err)
	}
	if opts.RowGroupRows < 0 {
		return nil, fmt.Errorf("parquet sink %s: row_group_rows %d is invalid; use a positive number", path, opts.RowGroupRows)
	}
	if opts.RowGroupRows == 0 {
		opts.RowGroupRows = DefaultRowGroupRows
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("parquet sink %s: no columns to write", path)
	}
	schema, err := arrowSchema(cols)
	if err != nil {
		return nil, fmt.Errorf("parquet sink %s: %w", path, err)
	}

	f, err := sinks.CreateAtomic(path)
	if err != nil {
		return nil, err
	}
	builder := array.NewRecordBuilder(memory.NewGoAllocator(), schema)
	s := &sink{
		file:     f,
		buffered: bufio.NewWriterSize(f, 1<<20),
		schema:   schema,
		codec:    codec,
		opts:     opts,
		builder:  builder,
		cols:     cols,
	}
	for i, c := range cols {
		s.appends = append(s.appends, newAppendFunc(c.Kind, c.Elem, builder.Field(i)))
	}
	return s, nil
}

func compression(name string) (compress.Compression, error) {
	switch strings.ToLower(name) {
	case "", "snappy":
		return compress.Codecs.Snappy, nil
	case "zstd":
		return compress.Codecs.Zstd, nil
	case "none", "uncompressed":
		return compress.Codecs.Uncompressed, nil
	}
	return compress.Codecs.Uncompressed, fmt.Errorf("compression %q is invalid; use snappy, zstd or none", name)
}

// Write appends one row. A value that does not convert to its column's kind
// is written as null. The sink keeps no reference to row.
func (s *sink) Write(row []sinks.Value) error {
	if s.closed {
		return fmt.Errorf("parquet sink %s: write after commit or abort", s.file.Path())
	}
	if len(row) != len(s.cols) {
		return fmt.Errorf("parquet sink %s: row %d has %d values, expected %d columns", s.file.Path(), s.rows+1, len(row), len(s.cols))
	}
	for i, v := range row {
		s.appends[i](v)
		s.batchBytes += len(v.Text)
	}
	s.batchRows++
	s.rows++
	if s.batchRows >= batchRows || s.batchBytes >= batchBytes {
		return s.flushBatch()
	}
	return nil
}

// flushBatch hands the rows collected so far to the encoder goroutine,
// starting it on the first call.
func (s *sink) flushBatch() error {
	if s.batchRows == 0 && s.encoder != nil {
		return nil
	}
	rec := s.builder.NewRecordBatch()
	s.batchRows, s.batchBytes = 0, 0
	s.reserve(rec)
	if s.encoder == nil {
		props := writerProperties(s.codec, s.opts.RowGroupRows, s.cols, rec)
		writer, err := pqarrow.NewFileWriter(s.schema, plainWriter{s.buffered}, props, pqarrow.DefaultWriterProps())
		if err != nil {
			rec.Release()
			return fmt.Errorf("parquet sink %s: %w", s.file.Path(), err)
		}
		s.encoder = startEncoder(writer)
	}
	if rec.NumRows() == 0 {
		// An empty file: the writer exists for the schema and footer, but
		// an empty batch would add an empty row group.
		rec.Release()
		return nil
	}
	if err := s.encoder.send(rec); err != nil {
		return fmt.Errorf("parquet sink %s: %w", s.file.Path(), err)
	}
	return nil
}

// reserve sizes the builders for a batch like last, the batch just built,
// so that appending does not grow and copy their buffers step by step.
func (s *sink) reserve(last arrow.RecordBatch) {
	rows := int(last.NumRows())
	if rows == 0 {
		return
	}
	for i := range s.cols {
		b := s.builder.Field(i)
		b.Reserve(rows)
		if sb, ok := b.(*array.StringBuilder); ok {
			sb.ReserveData(len(last.Column(i).(*array.String).ValueBytes()))
		}
	}
}

// Commit writes the last rows, the key-value metadata and the footer, then
// moves the file into place. On error nothing appears under the path.
func (s *sink) Commit() error {
	if s.closed {
		return fmt.Errorf("parquet sink %s: commit after commit or abort", s.file.Path())
	}
	s.closed = true
	defer s.builder.Release()

	err := s.flushBatch()
	if s.encoder == nil {
		_ = s.file.Abort()
		return err
	}
	writer, encodeErr := s.encoder.finish()
	if err == nil {
		err = encodeErr
	}

	if err == nil {
		keys := make([]string, 0, len(s.opts.Metadata))
		for k := range s.opts.Metadata {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err = writer.AppendKeyValueMetadata(k, s.opts.Metadata[k]); err != nil {
				break
			}
		}
	}
	if closeErr := writer.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = s.buffered.Flush()
	}

	if err != nil {
		_ = s.file.Abort()
		return fmt.Errorf("parquet sink %s: %w", s.file.Path(), err)
	}
	return s.file.Commit()
}

// Abort removes the temporary file. It does nothing after Commit.
func (s *sink) Abort() error {
	if !s.closed {
		s.closed = true
		if s.encoder != nil {
			writer, _ := s.encoder.finish()
			_ = writer.Close()
		}
		s.builder.Release()
	}
	return s.file.Abort()
}

func (s *sink) Rows() int64 { return s.rows }

// arrowSchema maps sink columns to nullable Arrow fields.
func arrowSchema(cols []sinks.Column) (*arrow.Schema, error) {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		t, err := arrowType(c.Kind, c.Elem)
		if err != nil {
			return nil, fmt.Errorf("column %q: %w", c.Name, err)
		}
		fields[i] = arrow.Field{Name: c.Name, Type: t, Nullable: true}
	}
	return arrow.NewSchema(fields, nil), nil
}

func arrowType(kind, elem sinks.Kind) (arrow.DataType, error) {
	switch kind {
	case sinks.String, sinks.JSON:
		return arrow.BinaryTypes.String, nil
	case sinks.Int:
		return arrow.PrimitiveTypes.Int64, nil
	case sinks.Float:
		return arrow.PrimitiveTypes.Float64, nil
	case sinks.Bool:
		return arrow.FixedWidthTypes.Boolean, nil
	case sinks.Timestamp:
		return arrow.FixedWidthTypes.Timestamp_us, nil
	case sinks.List:
		if elem == "" {
			elem = sinks.String
		}
		if elem == sinks.List {
			return nil, fmt.Errorf("lists of lists are not supported")
		}
		inner, err := arrowType(elem, "")
		if err != nil {
			return nil, err
		}
		return arrow.ListOf(inner), nil
	}
	return nil, fmt.Errorf("unknown column type %q", kind)
}
