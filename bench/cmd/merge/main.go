// Command merge runs crmsync's merge step on a generated dataset: it reads
// the contact export again, joins each record by key with its row in the
// chunk result files, and writes one snappy Parquet file through
// transform.Merge, sinks.NewLayout and sinks/parquet. It prints "rows N".
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sort"

	"github.com/crmsync/crmsync/bench/internal/gen"
	"github.com/crmsync/crmsync/bench/internal/profile"
	"github.com/crmsync/crmsync/connectors/source"
	"github.com/crmsync/crmsync/sinks"
	parquetsink "github.com/crmsync/crmsync/sinks/parquet"
	"github.com/crmsync/crmsync/transform"
)

func main() {
	in := flag.String("in", "", "CSV contact export that was chunked")
	resultsDir := flag.String("results", "", "folder of result-NNNNN.csv files, one per chunk of 100,000 records in source order")
	out := flag.String("out", "", "Parquet file to write")
	rows := flag.Int64("rows", 0, "number of records in -in")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	if *in == "" || *resultsDir == "" || *out == "" || *rows <= 0 {
		log.Error("missing -in, -results, -out or -rows; give the contact export, its result folder, the Parquet file and the record count")
		os.Exit(2)
	}
	stop, err := profile.StartCPU(*cpuProfile)
	if err != nil {
		log.Error("CPU profile failed", "path", *cpuProfile, "err", err)
		os.Exit(1)
	}
	st, err := run(*in, *resultsDir, *out, *rows)
	if serr := stop(); err == nil {
		err = serr
	}
	if err != nil {
		log.Error("merge failed", "in", *in, "results", *resultsDir, "out", *out, "err", err)
		os.Exit(1)
	}
	fmt.Printf("rows %d\nenriched %d\nnot_enriched %d\nmissing_keys %d\n", st.Rows, st.Enriched, st.NotEnriched, st.MissingKeys)
}

func run(in, resultsDir, out string, rows int64) (transform.MergeStats, error) {
	var st transform.MergeStats
	columns, err := sourceColumns(in)
	if err != nil {
		return st, err
	}
	fields := make([]sinks.StructField, 0, len(gen.StructFields))
	for _, f := range gen.StructFields {
		kind, elem := sinks.String, sinks.Kind("")
		if f.Type != "" {
			if kind, elem, err = sinks.ParseKind(f.Type); err != nil {
				return st, err
			}
		}
		fields = append(fields, sinks.StructField{Name: f.Name, Kind: kind, Elem: elem})
	}
	chunks, err := resultChunks(resultsDir, rows)
	if err != nil {
		return st, err
	}

	layout, err := sinks.NewLayout(sinks.LayoutConfig{
		Metadata: []string{sinks.MetaStatus, sinks.MetaConfidenceScore, sinks.MetaNotes, sinks.MetaReferences},
	}, columns, nil, fields)
	if err != nil {
		return st, err
	}
	sink, err := parquetsink.Create(out, layout.Columns(), parquetsink.Options{Compression: "snappy"})
	if err != nil {
		return st, err
	}
	// Merge copies every record's values before it reads the next one, as
	// the runner's merge relies on too.
	src, err := source.Open(in, source.Options{Format: "csv", ReuseFields: true})
	if err != nil {
		sink.Abort()
		return st, err
	}
	defer src.Close()

	st, err = transform.Merge(transform.MergeInput{
		Source:     src,
		Columns:    columns,
		Fields:     fields,
		Chunks:     chunks,
		OpenResult: transform.OpenResult,
		Outputs:    []transform.Output{{Layout: layout, Sink: sink}},
	})
	if err != nil {
		sink.Abort()
		return st, err
	}
	return st, sink.Commit()
}

// sourceColumns returns the field names of the first record of in.
func sourceColumns(in string) ([]string, error) {
	src, err := source.Open(in, source.Options{Format: "csv"})
	if err != nil {
		return nil, err
	}
	defer src.Close()
	rec, err := src.Next()
	if err != nil {
		return nil, fmt.Errorf("read the header of %s: %w", in, err)
	}
	names := make([]string, len(rec.Fields))
	for i, f := range rec.Fields {
		names[i] = f.Name
	}
	return names, nil
}

// resultChunks lists the result files in name order; file i holds the
// records from ordinal i*gen.ChunkRows on.
func resultChunks(dir string, rows int64) ([]transform.MergeChunk, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "result-*.csv"))
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	want := int((rows + gen.ChunkRows - 1) / gen.ChunkRows)
	if len(paths) != want {
		return nil, fmt.Errorf("%s contains %d result files, expected %d for %d records; delete the folder so the bench generates it again", dir, len(paths), want, rows)
	}
	chunks := make([]transform.MergeChunk, len(paths))
	for i, p := range paths {
		first := int64(i) * gen.ChunkRows
		chunks[i] = transform.MergeChunk{
			FirstOrdinal: first,
			Rows:         int(min(gen.ChunkRows, rows-first)),
			ResultPath:   p,
			ResultFormat: "csv",
		}
	}
	return chunks, nil
}
