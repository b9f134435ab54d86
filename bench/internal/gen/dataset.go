package gen

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// ChunkRows is the number of rows per result file, the chunk size crmsync
// uses by default (the API's limit of 100,000 rows per uploaded file).
const ChunkRows = 100_000

// Dataset names the files generated for one row count and seed.
type Dataset struct {
	Rows       int64
	Seed       uint64
	Contacts   string // CSV contact export
	ResultsDir string // result-NNNNN.csv, one per chunk of ChunkRows
}

// NewDataset returns the file names under dir for rows and seed; it writes
// nothing.
func NewDataset(dir string, rows int64, seed uint64) Dataset {
	base := fmt.Sprintf("%d-seed%d", rows, seed)
	return Dataset{
		Rows:       rows,
		Seed:       seed,
		Contacts:   filepath.Join(dir, "contacts-"+base+".csv"),
		ResultsDir: filepath.Join(dir, "results-"+base),
	}
}

// ResultFile returns the path of chunk index's result file.
func (d Dataset) ResultFile(index int) string {
	return filepath.Join(d.ResultsDir, fmt.Sprintf("result-%05d.csv", index))
}

// Chunks returns the number of result files.
func (d Dataset) Chunks() int { return int((d.Rows + ChunkRows - 1) / ChunkRows) }

// Exists reports whether both the contacts file and the results folder are
// in place. Both are renamed into place only when complete.
func (d Dataset) Exists() bool {
	_, errContacts := os.Stat(d.Contacts)
	_, errResults := os.Stat(d.ResultsDir)
	return errContacts == nil && errResults == nil
}

// Write generates the contacts file and its result files. Partial output
// from an interrupted run is left under .tmp names and overwritten next time.
func (d Dataset) Write() error {
	if err := os.MkdirAll(filepath.Dir(d.Contacts), 0o755); err != nil {
		return err
	}
	tmpContacts := d.Contacts + ".tmp"
	tmpResults := d.ResultsDir + ".tmp"
	if err := os.RemoveAll(tmpResults); err != nil {
		return err
	}
	if err := os.MkdirAll(tmpResults, 0o755); err != nil {
		return err
	}

	f, err := os.Create(tmpContacts)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<20)
	contacts := csv.NewWriter(bw)
	if err := contacts.Write(ContactColumns); err != nil {
		return err
	}

	contactGen := NewContactGenerator(d.Seed)
	resultGen := NewResultGenerator(d.Seed)
	var c Contact
	var cells, resultCells []string
	var results *resultWriter
	for ordinal := int64(0); ordinal < d.Rows; ordinal++ {
		if ordinal%ChunkRows == 0 {
			if err := results.close(); err != nil {
				return err
			}
			name := filepath.Join(tmpResults, filepath.Base(d.ResultFile(int(ordinal/ChunkRows))))
			if results, err = createResultWriter(name); err != nil {
				return err
			}
		}
		contactGen.Next(&c)
		cells = c.Values(cells)
		if err := contacts.Write(cells); err != nil {
			return err
		}
		resultCells = resultGen.Row(resultCells, ordinal, &c)
		if err := results.w.Write(resultCells); err != nil {
			return err
		}
	}
	if err := results.close(); err != nil {
		return err
	}

	contacts.Flush()
	if err := errors.Join(contacts.Error(), bw.Flush(), f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", tmpContacts, err)
	}
	if err := os.RemoveAll(d.ResultsDir); err != nil {
		return err
	}
	if err := os.Rename(tmpResults, d.ResultsDir); err != nil {
		return err
	}
	return os.Rename(tmpContacts, d.Contacts)
}

// resultWriter is one result file being written.
type resultWriter struct {
	f  *os.File
	bw *bufio.Writer
	w  *csv.Writer
}

func createResultWriter(path string) (*resultWriter, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	w := csv.NewWriter(bw)
	if err := w.Write(ResultColumns()); err != nil {
		f.Close()
		return nil, err
	}
	return &resultWriter{f: f, bw: bw, w: w}, nil
}

// close flushes and closes the file; it does nothing on a nil writer.
func (r *resultWriter) close() error {
	if r == nil {
		return nil
	}
	r.w.Flush()
	if err := errors.Join(r.w.Error(), r.bw.Flush(), r.f.Close()); err != nil {
		return fmt.Errorf("write %s: %w", r.f.Name(), err)
	}
	return nil
}
