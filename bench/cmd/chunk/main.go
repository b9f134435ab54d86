// Command chunk runs crmsync's read-and-chunk step on one CSV file: it reads
// the file with connectors/source and writes every column of every record to
// JSONL chunk files with transform.Chunker, then prints "rows N". Sending
// every column makes its output match DuckDB's SELECT * export.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/crmsync/crmsync/bench/internal/profile"
	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/source"
	"github.com/crmsync/crmsync/transform"
)

func main() {
	in := flag.String("in", "", "CSV file to read")
	outDir := flag.String("out", "", "folder for the chunk-NNNNN.jsonl files")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile to this file")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	if *in == "" || *outDir == "" {
		log.Error("missing -in or -out; give the CSV file to read and the folder for chunks")
		os.Exit(2)
	}
	stop, err := profile.StartCPU(*cpuProfile)
	if err != nil {
		log.Error("CPU profile failed", "path", *cpuProfile, "err", err)
		os.Exit(1)
	}
	rows, chunks, err := run(*in, *outDir)
	if serr := stop(); err == nil {
		err = serr
	}
	if err != nil {
		log.Error("chunking failed", "in", *in, "err", err)
		os.Exit(1)
	}
	fmt.Printf("rows %d\nchunks %d\n", rows, chunks)
}

func run(in, outDir string) (rows int64, chunks int, err error) {
	src, err := source.Open(in, source.Options{Format: "csv"})
	if err != nil {
		return 0, 0, err
	}
	defer src.Close()

	var chunker *transform.Chunker
	for {
		rec, err := src.Next()
		if connectors.IsEOF(err) {
			break
		}
		if err != nil {
			return rows, 0, err
		}
		if chunker == nil {
			if chunker, err = newChunker(outDir, rec); err != nil {
				return 0, 0, err
			}
			defer chunker.Abort()
		}
		if err := chunker.Add(rows, rec); err != nil {
			return rows, 0, err
		}
		rows++
	}
	if chunker == nil {
		return 0, 0, fmt.Errorf("%s has no records", in)
	}
	infos, err := chunker.Close()
	return rows, len(infos), err
}

// newChunker sends every column of the first record, under its own name.
func newChunker(outDir string, first connectors.Record) (*transform.Chunker, error) {
	inputs := make([]transform.Input, 0, len(first.Fields))
	for _, f := range first.Fields {
		in, err := transform.ParseInput(f.Name, f.Name)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, in)
	}
	return transform.NewChunker(outDir, transform.MaxRowsPerFile, transform.MaxBytesPerFile, inputs)
}
