package parquet

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// encoderQueue is the number of full batches that may wait for the encoder
// goroutine. Two let Write run ahead across a row group close, which
// compresses and copies a whole row group at once, while bounding memory to
// a few batches.
const encoderQueue = 2

// encoder runs pqarrow's WriteBuffered, which dictionary- or plain-encodes
// and compresses each column, in its own goroutine.
type encoder struct {
	writer  *pqarrow.FileWriter
	batches chan arrow.RecordBatch
	done    chan struct{}
	// err is the first WriteBuffered error. The goroutine sets it before it
	// closes failed or done, so readers that have seen either may read it.
	err    error
	failed chan struct{}
}

// startEncoder starts the goroutine that writes batches to writer.
func startEncoder(writer *pqarrow.FileWriter) *encoder {
	e := &encoder{
		writer:  writer,
		batches: make(chan arrow.RecordBatch, encoderQueue),
		done:    make(chan struct{}),
		failed:  make(chan struct{}),
	}
	go e.run()
	return e
}

func (e *encoder) run() {
	defer close(e.done)
	for rec := range e.batches {
		if e.err == nil {
			if err := e.writer.WriteBuffered(rec); err != nil {
				e.err = err
				close(e.failed)
			}
		}
		// After a failure the remaining batches are only released, so
		// send never blocks on a goroutine that stopped reading.
		rec.Release()
	}
}

// send queues rec for writing and takes over its reference. It returns the
// error of an earlier batch, if any, so Write stops soon after a failure.
func (e *encoder) send(rec arrow.RecordBatch) error {
	select {
	case <-e.failed:
		rec.Release()
		return e.err
	default:
	}
	e.batches <- rec
	return nil
}

// finish waits until every queued batch is written and returns the writer,
// which the caller closes, and the first write error.
func (e *encoder) finish() (*pqarrow.FileWriter, error) {
	close(e.batches)
	<-e.done
	return e.writer, e.err
}
