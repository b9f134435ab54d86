// Command duckdb is the benchmark's DuckDB peer: it converts one CSV file to
// newline-delimited JSON or to Parquet with a single COPY statement and
// prints "rows N". The bench runs it as a child process so that its peak RSS
// and CPU time come from the kernel's accounting of that process alone.
package main

import (
	"database/sql"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2"
)

func main() {
	in := flag.String("in", "", "CSV file to read")
	out := flag.String("out", "", "output file")
	format := flag.String("format", "json", "output format: json (newline-delimited) or parquet (snappy, DuckDB's default)")
	threads := flag.Int("threads", 0, "DuckDB worker threads; 0 keeps DuckDB's default (one per core)")
	flag.Parse()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))

	if *in == "" || *out == "" {
		log.Error("missing -in or -out; give the CSV file to read and the file to write")
		os.Exit(2)
	}
	if *format != "json" && *format != "parquet" {
		log.Error("invalid -format; use json or parquet", "format", *format)
		os.Exit(2)
	}
	rows, version, err := run(*in, *out, *format, *threads)
	if err != nil {
		log.Error("duckdb copy failed", "in", *in, "out", *out, "err", err)
		os.Exit(1)
	}
	fmt.Printf("rows %d\nduckdb_version %s\n", rows, version)
}

// run executes the COPY on one in-memory database connection. Every column
// is read as text (all_varchar), as crmsync keeps the exact source text.
func run(in, out, format string, threads int) (rows int64, version string, err error) {
	db, err := sql.Open("duckdb", "")
	if err != nil {
		return 0, "", err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)

	if err := db.QueryRow("SELECT version()").Scan(&version); err != nil {
		return 0, "", fmt.Errorf("query version: %w", err)
	}
	if threads > 0 {
		if _, err := db.Exec(fmt.Sprintf("SET threads = %d", threads)); err != nil {
			return 0, version, fmt.Errorf("set threads: %w", err)
		}
	}
	query := fmt.Sprintf("COPY (SELECT * FROM read_csv(%s, all_varchar = true)) TO %s (FORMAT %s)",
		quoteLiteral(in), quoteLiteral(out), format)
	res, err := db.Exec(query)
	if err != nil {
		return 0, version, err
	}
	rows, err = res.RowsAffected()
	return rows, version, err
}

// quoteLiteral returns s as an SQL string literal.
func quoteLiteral(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}
