// Command chunk runs crmsync's read-and-chunk step on one CSV file. It reads
// the file with connectors/source and writes every column of every record to
// JSONL chunk files with transform.ReadChunks and transform.Chunker, which
// are the calls the pipeline runner's read phase makes. Then it prints
// "rows N". Sending every column makes its output match DuckDB's SELECT *
// export.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"

	"github.com/crmsync/crmsync/bench/internal/profile"
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

// run reads and chunks the file the way the pipeline runner's read phase
// does, through transform.ReadChunks.
func run(in, outDir string) (rows int64, chunks int, err error) {
	src, err := source.Open(in, source.Options{Format: "csv", ReuseFields: true})
	if err != nil {
		return 0, 0, err
	}
	defer src.Close()

	chunker, err := newChunker(outDir, src.Stats().Columns)
	if err != nil {
		return 0, 0, err
	}
	defer chunker.Abort()
	rows, _, err = transform.ReadChunks(context.Background(), src, chunker, src.Stats().Columns, nil)
	if err != nil {
		return rows, 0, err
	}
	if rows == 0 {
		return 0, 0, fmt.Errorf("%s has no records", in)
	}
	infos, err := chunker.Close()
	return rows, len(infos), err
}

// newChunker sends every column of the header, under its own name.
func newChunker(outDir string, columns []string) (*transform.Chunker, error) {
	inputs := make([]transform.Input, 0, len(columns))
	for _, name := range columns {
		in, err := transform.ParseInput(name, name)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, in)
	}
	return transform.NewChunker(outDir, transform.MaxRowsPerFile, transform.MaxBytesPerFile, inputs)
}
