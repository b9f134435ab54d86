package transform

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/crmsync/crmsync/connectors"
)

// writeSize is how many encoded bytes the writer collects before it hashes
// them and writes them to the chunk file in one call.
const writeSize = 1 << 20

// chunkWriter encodes records, splits them into chunk files and writes and
// hashes each file. It runs on the Chunker's writer goroutine, and the
// Chunker uses it directly only after that goroutine has returned.
type chunkWriter struct {
	dir      string
	maxRows  int
	maxBytes int64
	enc      *rowEncoder

	file   *os.File
	h      hash.Hash
	cur    ChunkInfo
	buf    []byte // encoded lines of the current chunk not yet written
	chunks []ChunkInfo
	err    error // first error; the records after it are dropped

	syncing     chan error // result of the chunk being synced; nil when none
	syncingPath string     // final path of that chunk
}

// run writes the batches from full and returns each one to free. After an
// error it goes on recycling the batches without writing them, so Add keeps
// getting free batches until it checks the failure flag.
func (w *chunkWriter) run(full <-chan *chunkBatch, free chan<- *chunkBatch, failed *atomic.Bool, done chan<- struct{}) {
	defer close(done)
	for b := range full {
		if w.err == nil {
			w.err = w.writeBatch(b)
		}
		if w.err != nil {
			failed.Store(true)
		}
		b.reset()
		free <- b
	}
	if w.err == nil && len(w.buf) > 0 {
		w.err = w.flush(len(w.buf))
	}
}

func (w *chunkWriter) writeBatch(b *chunkBatch) error {
	for i, ordinal := range b.ordinals {
		if err := w.add(ordinal, b.record(i)); err != nil {
			return err
		}
	}
	return nil
}

// add encodes one record after the buffered lines, first finishing the
// current chunk when the line would pass one of its limits.
func (w *chunkWriter) add(ordinal int64, rec connectors.Record) error {
	start := len(w.buf)
	w.buf = w.enc.appendRow(w.buf, ordinal, rec)
	n := int64(len(w.buf) - start)
	if n > w.maxBytes {
		w.buf = w.buf[:start]
		return fmt.Errorf("record at line %d encodes to %d bytes, more than chunk.max_bytes (%d)", rec.Line, n, w.maxBytes)
	}
	if w.file != nil && (w.cur.Rows >= w.maxRows || w.cur.Bytes+n > w.maxBytes) {
		if err := w.flush(start); err != nil {
			return err
		}
		if err := w.finish(); err != nil {
			return err
		}
	}
	if w.file == nil {
		if err := w.start(ordinal); err != nil {
			return err
		}
	}
	w.cur.Rows++
	w.cur.Bytes += n
	if len(w.buf) >= writeSize {
		return w.flush(len(w.buf))
	}
	return nil
}

// flush hashes and writes buf[:end] to the current chunk and keeps the
// rest of buf.
func (w *chunkWriter) flush(end int) error {
	p := w.buf[:end]
	w.h.Write(p)
	if _, err := w.file.Write(p); err != nil {
		return fmt.Errorf("write chunk %s: %w", w.cur.Path, err)
	}
	n := copy(w.buf, w.buf[end:])
	w.buf = w.buf[:n]
	return nil
}

func (w *chunkWriter) start(ordinal int64) error {
	idx := len(w.chunks)
	path := filepath.Join(w.dir, ChunkFileName(idx))
	f, err := os.Create(path + ".tmp")
	if err != nil {
		return err
	}
	w.file = f
	w.h = sha256.New()
	w.cur = ChunkInfo{Index: idx, Path: path, FirstOrdinal: ordinal}
	return nil
}

// finish completes the current chunk and starts to fsync, close and rename
// it on another goroutine, so writing the next chunk overlaps the wait for
// the disk. The caller has written the chunk's buffered lines. At most one
// chunk is being synced; waitSync returns its error.
func (w *chunkWriter) finish() error {
	if err := w.waitSync(); err != nil {
		return err
	}
	copy(w.cur.SHA256[:], w.h.Sum(nil))
	f, path := w.file, w.cur.Path
	synced := make(chan error, 1)
	go func() { synced <- syncAndRename(f, path) }()
	w.syncing, w.syncingPath = synced, path
	w.chunks = append(w.chunks, w.cur)
	w.file = nil
	return nil
}

// waitSync waits until the chunk that finish started to sync is renamed,
// and returns the error of that step. It removes the temporary file of a
// chunk that failed.
func (w *chunkWriter) waitSync() error {
	if w.syncing == nil {
		return nil
	}
	err := <-w.syncing
	w.syncing = nil
	if err != nil {
		os.Remove(w.syncingPath + ".tmp")
	}
	return err
}

// syncAndRename fsyncs and closes f, the temporary file of the chunk at
// path, and renames it to path.
func syncAndRename(f *os.File, path string) error {
	err := f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(path+".tmp", path)
	}
	if err != nil {
		return fmt.Errorf("write chunk %s: %w", path, err)
	}
	return nil
}

// abort removes the chunk being written, and the chunk being synced when
// its sync fails.
func (w *chunkWriter) abort() {
	w.waitSync()
	if w.file != nil {
		w.file.Close()
		os.Remove(w.cur.Path + ".tmp")
		w.file = nil
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
