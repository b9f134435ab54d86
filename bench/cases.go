package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	"github.com/crmsync/crmsync/bench/internal/gen"
)

// Step names the conversion a case measures; crmsync and DuckDB cases of the
// same step are compared with each other.
type Step string

const (
	StepJSONL    Step = "CSV → JSONL"
	StepParquet  Step = "results → Parquet"
	StepPipeline Step = "whole pipeline"
)

// Case is one measured command.
type Case struct {
	ID      string // short name for -only, file names and logs
	Step    Step
	Engine  string // crmsync or DuckDB
	Threads string // thread setting the engine ran with
	// DuckDB marks the peer cases that crmsync cases are compared with.
	DuckDB bool
	// Profiled cases get one extra run with a CPU profile after the
	// measured runs.
	Profiled bool
}

// allCases lists every case in the order each round runs them.
var allCases = []Case{
	{ID: "chunk", Step: StepJSONL, Engine: "crmsync", Threads: "GOMAXPROCS=2", Profiled: true},
	{ID: "duckdb-json", Step: StepJSONL, Engine: "DuckDB", Threads: "default", DuckDB: true},
	{ID: "duckdb-json-1t", Step: StepJSONL, Engine: "DuckDB", Threads: "1", DuckDB: true},
	{ID: "merge", Step: StepParquet, Engine: "crmsync", Threads: "GOMAXPROCS=2", Profiled: true},
	{ID: "duckdb-parquet", Step: StepParquet, Engine: "DuckDB", Threads: "default", DuckDB: true},
	{ID: "duckdb-parquet-1t", Step: StepParquet, Engine: "DuckDB", Threads: "1", DuckDB: true},
	{ID: "pipeline", Step: StepPipeline, Engine: "crmsync", Threads: "GOMAXPROCS=2"},
}

// binaries are the built driver programs.
type binaries struct {
	Chunk, Merge, DuckDB, Crmsync string
}

// driverCommand returns the child process of a non-pipeline case. work is an
// empty folder for its outputs; profile, when set, is where a crmsync driver
// writes its CPU profile.
func driverCommand(c Case, bins binaries, d gen.Dataset, work, profile string) (command, error) {
	cmd := command{Dir: work, Log: filepath.Join(work, "stderr.log")}
	switch c.ID {
	case "chunk":
		cmd.Path = bins.Chunk
		cmd.Args = []string{"-in", d.Contacts, "-out", filepath.Join(work, "chunks")}
	case "merge":
		cmd.Path = bins.Merge
		cmd.Args = []string{"-in", d.Contacts, "-results", d.ResultsDir,
			"-out", filepath.Join(work, "contacts.parquet"), "-rows", strconv.FormatInt(d.Rows, 10)}
	case "duckdb-json", "duckdb-json-1t":
		cmd.Path = bins.DuckDB
		cmd.Args = []string{"-in", d.Contacts, "-out", filepath.Join(work, "contacts.json"), "-format", "json"}
	case "duckdb-parquet", "duckdb-parquet-1t":
		cmd.Path = bins.DuckDB
		cmd.Args = []string{"-in", d.Contacts, "-out", filepath.Join(work, "contacts.parquet"), "-format", "parquet"}
	default:
		return cmd, fmt.Errorf("case %s has no driver command", c.ID)
	}
	if c.DuckDB && c.Threads == "1" {
		cmd.Args = append(cmd.Args, "-threads", "1")
	}
	if profile != "" {
		cmd.Args = append(cmd.Args, "-cpuprofile", profile)
	}
	return cmd, nil
}

// freshDir empties dir, so a run never reads the previous run's output.
func freshDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.MkdirAll(dir, 0o755)
}
