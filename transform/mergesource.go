package transform

import (
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/sinks"
)

// sourceBatchRows is the number of records the source goroutine hands over
// at a time; batches amortise the channel operations.
const sourceBatchRows = 256

// sourceBatch is a run of source records as rows of values aligned with
// MergeInput.Columns.
type sourceBatch struct {
	values []sinks.Value // n rows of len(columns) values
	lines  []int         // the line each record starts on
	n      int
	// err is the error that ended the source after these rows: io.EOF at
	// the end, nil when more batches follow.
	err error
}

// sourceReader connects Merge with the goroutine that reads the source.
type sourceReader struct {
	batches chan *sourceBatch // closed by the goroutine when it ends
	free    chan *sourceBatch // batches the merge has finished with
}

// readSource starts a goroutine that reads src into batches of rows until
// the source ends or stop is closed.
func readSource(src connectors.Source, columns []string, stop <-chan struct{}) *sourceReader {
	const inFlight = 4
	r := &sourceReader{
		batches: make(chan *sourceBatch, inFlight),
		free:    make(chan *sourceBatch, inFlight+1),
	}
	for range inFlight + 1 {
		r.free <- &sourceBatch{
			values: make([]sinks.Value, sourceBatchRows*len(columns)),
			lines:  make([]int, sourceBatchRows),
		}
	}
	go func() {
		defer close(r.batches)
		aligner := newColumnAligner(columns)
		for {
			var batch *sourceBatch
			select {
			case batch = <-r.free:
			case <-stop:
				return
			}
			batch.n, batch.err = 0, nil
			for batch.n < sourceBatchRows && batch.err == nil {
				rec, err := src.Next()
				if err != nil {
					batch.err = err
					break
				}
				row := batch.values[batch.n*len(columns) : (batch.n+1)*len(columns)]
				aligner.fill(row, rec.Fields)
				batch.lines[batch.n] = rec.Line
				batch.n++
			}
			select {
			case r.batches <- batch:
			case <-stop:
				return
			}
			if batch.err != nil {
				return
			}
		}
	}()
	return r
}

// columnAligner places record fields at the index of their column. It
// remembers the column of each field position, because the records of a CSV
// source, and of most JSON sources, name the same fields in the same order.
type columnAligner struct {
	columns []string
	index   map[string]int
	// last[i] is the column index of the previous record's field i.
	last []int
}

func newColumnAligner(columns []string) *columnAligner {
	a := &columnAligner{columns: columns, index: make(map[string]int, len(columns))}
	for i, c := range columns {
		a.index[c] = i
	}
	return a
}

// fill sets row to the values of fields. A column that fields do not name
// is null. A field whose name is no column is ignored.
func (a *columnAligner) fill(row []sinks.Value, fields []connectors.Field) {
	for i := range row {
		row[i] = sinks.Value{Null: true}
	}
	for i, f := range fields {
		col := -1
		if i < len(a.last) && a.last[i] >= 0 && a.columns[a.last[i]] == f.Name {
			col = a.last[i]
		} else if c, ok := a.index[f.Name]; ok {
			col = c
		}
		if i >= len(a.last) {
			a.last = append(a.last, col)
		} else {
			a.last[i] = col
		}
		if col >= 0 {
			row[col] = sinks.Value{Text: f.Text, Null: f.Null}
		}
	}
}
