// Command bench measures crmsync against DuckDB on the same generated CRM
// export: CSV to JSONL chunks, merged results to Parquet, and the whole
// pipeline against a local emulator. Every case runs as a separate process,
// so peak RSS and CPU time come from that process's rusage, and each figure
// is the median of several interleaved rounds. It writes a markdown report.
//
//	cd bench && go run . -out ../docs/benchmarks.md
//	cd bench && go run . -rows 100000 -runs 1        # quick check while developing
package main

import (
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmsync/crmsync/bench/internal/gen"
)

// options are the command-line settings.
type options struct {
	Out     string
	Rows    []int64
	Runs    int
	Seed    uint64
	DataDir string
	WorkDir string
	Only    []string
	Profile bool
	GenOnly bool
	Keep    bool
	// PipelineMaxRows skips the pipeline case above this row count; 0 runs
	// it at every size.
	PipelineMaxRows int64
	Args            []string
	Started         time.Time
}

// SizeResult holds every case measured at one row count.
type SizeResult struct {
	Dataset       gen.Dataset
	ContactsBytes int64
	ResultsBytes  int64
	Generated     time.Duration // 0 when the files already existed
	Cases         []*CaseResult
	Profiles      map[string]string // case ID -> `go tool pprof -top` output
}

// CaseResult is the samples of one case, or why it could not run.
type CaseResult struct {
	Case     Case
	Samples  []Sample
	Emulator []Sample // pipeline case only
	Err      error
}

func main() {
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	opts, err := parseFlags()
	if err != nil {
		log.Error("invalid flags", "err", err)
		os.Exit(2)
	}
	if err := run(opts, log); err != nil {
		log.Error("bench failed", "err", err)
		os.Exit(1)
	}
}

func parseFlags() (options, error) {
	o := options{Args: os.Args[1:], Started: time.Now()}
	rows := flag.String("rows", "1000000,5000000", "row counts to measure, separated by commas")
	only := flag.String("only", "", "case IDs to run, separated by commas (default: all): "+caseIDs())
	flag.StringVar(&o.Out, "out", "", "markdown report to write (default: standard output)")
	flag.IntVar(&o.Runs, "runs", 3, "measured runs of every case; each figure is their median")
	flag.Uint64Var(&o.Seed, "seed", 1, "seed of the generated data")
	flag.StringVar(&o.DataDir, "data", "data", "folder for generated inputs, reused when present")
	flag.StringVar(&o.WorkDir, "results", "results", "folder for binaries, outputs, logs and CPU profiles")
	flag.BoolVar(&o.Profile, "profile", true, "after the measured runs, run each crmsync driver once more with a CPU profile")
	flag.BoolVar(&o.Keep, "keep", false, "keep each case's outputs and logs under -results/work until its next run, for inspection")
	flag.Int64Var(&o.PipelineMaxRows, "pipeline-max-rows", 0, "run the whole-pipeline case only up to this row count (0: at every size); the emulator keeps every result in memory, about 2.3 GB per million rows")
	flag.BoolVar(&o.GenOnly, "generate-only", false, "generate the missing data for -rows and exit without measuring")
	flag.Parse()

	if o.Runs < 1 {
		return o, fmt.Errorf("-runs %d: give at least 1", o.Runs)
	}
	for _, s := range strings.Split(*rows, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n < 1 {
			return o, fmt.Errorf("-rows: %q is not a positive row count", s)
		}
		o.Rows = append(o.Rows, n)
	}
	if *only != "" {
		for _, id := range strings.Split(*only, ",") {
			id = strings.TrimSpace(id)
			if !slices.ContainsFunc(allCases, func(c Case) bool { return c.ID == id }) {
				return o, fmt.Errorf("-only: unknown case %q; use %s", id, caseIDs())
			}
			o.Only = append(o.Only, id)
		}
	}
	var err error
	if o.DataDir, err = filepath.Abs(o.DataDir); err != nil {
		return o, err
	}
	o.WorkDir, err = filepath.Abs(o.WorkDir)
	return o, err
}

func caseIDs() string {
	ids := make([]string, len(allCases))
	for i, c := range allCases {
		ids[i] = c.ID
	}
	return strings.Join(ids, ", ")
}

func run(opts options, log *slog.Logger) error {
	if opts.GenOnly {
		for _, rows := range opts.Rows {
			if _, err := ensureDataset(opts, rows, log); err != nil {
				return err
			}
		}
		return nil
	}
	loadStart := loadAverage()
	log.Info("bench starting", "rows", opts.Rows, "runs", opts.Runs, "load_average", loadStart)
	bins, buildErrs := buildBinaries(opts.WorkDir, log)
	cases := selectedCases(opts.Only)

	var sizes []*SizeResult
	for _, rows := range opts.Rows {
		sr, err := measureSize(opts, bins, buildErrs, cases, rows, log)
		if err != nil {
			return err
		}
		sizes = append(sizes, sr)
	}

	report := renderReport(opts, machineInfo(), sizes, loadStart, loadAverage())
	if opts.Out == "" {
		_, err := os.Stdout.WriteString(report)
		return err
	}
	if err := os.WriteFile(opts.Out, []byte(report), 0o644); err != nil {
		return err
	}
	log.Info("report written", "path", opts.Out)
	return nil
}

func selectedCases(only []string) []Case {
	if len(only) == 0 {
		return allCases
	}
	var cases []Case
	for _, c := range allCases {
		if slices.Contains(only, c.ID) {
			cases = append(cases, c)
		}
	}
	return cases
}

// buildBinaries builds the drivers of this module and the crmsync binary of
// the root module into dir/bin, so build time never counts in a run. A
// failed build is returned per binary, so the cases that need another
// binary still run.
func buildBinaries(dir string, log *slog.Logger) (binaries, map[string]error) {
	binDir := filepath.Join(dir, "bin")
	bins := binaries{
		Chunk:   filepath.Join(binDir, "chunk"),
		Merge:   filepath.Join(binDir, "merge"),
		DuckDB:  filepath.Join(binDir, "duckdb"),
		Crmsync: filepath.Join(binDir, "crmsync"),
	}
	builds := []struct{ out, pkg, dir string }{
		{bins.Chunk, "./cmd/chunk", "."},
		{bins.Merge, "./cmd/merge", "."},
		{bins.DuckDB, "./cmd/duckdb", "."},
		{bins.Crmsync, "./cmd/crmsync", ".."},
	}
	failed := map[string]error{}
	for _, b := range builds {
		log.Info("building", "package", b.pkg, "in", b.dir)
		cmd := exec.Command("go", "build", "-o", b.out, b.pkg)
		cmd.Dir = b.dir
		if out, err := cmd.CombinedOutput(); err != nil {
			failed[b.out] = fmt.Errorf("go build %s in %s: %w: %s", b.pkg, b.dir, err, strings.TrimSpace(string(out)))
			log.Error("build failed; the cases that need it are reported as not run", "package", b.pkg, "err", failed[b.out])
		}
	}
	return bins, failed
}

// binaryFor returns the binary a case runs.
func binaryFor(c Case, bins binaries) string {
	switch {
	case c.ID == "chunk":
		return bins.Chunk
	case c.ID == "merge":
		return bins.Merge
	case c.DuckDB:
		return bins.DuckDB
	default:
		return bins.Crmsync
	}
}

// measureSize generates the dataset for rows when missing, then runs every
// case opts.Runs times in interleaved rounds, and profiles the crmsync
// drivers once more at the end.
func measureSize(opts options, bins binaries, buildErrs map[string]error, cases []Case, rows int64, log *slog.Logger) (*SizeResult, error) {
	d := gen.NewDataset(opts.DataDir, rows, opts.Seed)
	sr := &SizeResult{Dataset: d, Profiles: map[string]string{}}
	var err error
	if sr.Generated, err = ensureDataset(opts, rows, log); err != nil {
		return nil, err
	}
	if sr.ContactsBytes, err = fileSize(d.Contacts); err != nil {
		return nil, err
	}
	if sr.ResultsBytes, err = treeSize(d.ResultsDir); err != nil {
		return nil, err
	}
	// Read the inputs once so every measured run starts from a warm page cache.
	if _, err := treeSize(d.ResultsDir, readAll); err != nil {
		return nil, err
	}
	if err := readAll(d.Contacts); err != nil {
		return nil, err
	}

	for _, c := range cases {
		cr := &CaseResult{Case: c, Err: buildErrs[binaryFor(c, bins)]}
		if c.Step == StepPipeline && opts.PipelineMaxRows > 0 && rows > opts.PipelineMaxRows {
			cr.Err = fmt.Errorf("not run: -pipeline-max-rows %d is below %d rows, because the emulator would hold every result in memory", opts.PipelineMaxRows, rows)
		}
		sr.Cases = append(sr.Cases, cr)
	}
	for round := 1; round <= opts.Runs; round++ {
		for _, cr := range sr.Cases {
			if cr.Err != nil {
				continue
			}
			work := filepath.Join(opts.WorkDir, "work", strconv.FormatInt(rows, 10), cr.Case.ID)
			if err := runCase(cr, bins, d, work, opts.Keep); err != nil {
				cr.Err = err
				log.Error("case failed; later rounds skip it", "case", cr.Case.ID, "rows", rows, "round", round, "err", err)
				continue
			}
			last := cr.Samples[len(cr.Samples)-1]
			log.Info("case measured", "case", cr.Case.ID, "rows", rows, "round", round,
				"wall", last.Wall.Round(time.Millisecond), "cpu", last.CPU().Round(time.Millisecond), "max_rss_mib", last.MaxRSS>>20)
		}
	}
	if opts.Profile {
		for _, cr := range sr.Cases {
			if !cr.Case.Profiled || cr.Err != nil {
				continue
			}
			top, err := profileCase(cr.Case, bins, d, opts.WorkDir)
			if err != nil {
				log.Error("profile run failed", "case", cr.Case.ID, "rows", rows, "err", err)
				top = "profile run failed: " + err.Error()
			}
			sr.Profiles[cr.Case.ID] = top
		}
	}
	return sr, nil
}

// ensureDataset writes the dataset for rows unless it exists and returns how
// long writing took, 0 when it already existed.
func ensureDataset(opts options, rows int64, log *slog.Logger) (time.Duration, error) {
	d := gen.NewDataset(opts.DataDir, rows, opts.Seed)
	if d.Exists() {
		return 0, nil
	}
	log.Info("generating data", "rows", rows, "contacts", d.Contacts)
	start := time.Now()
	if err := d.Write(); err != nil {
		return 0, fmt.Errorf("generate %d rows: %w", rows, err)
	}
	took := time.Since(start)
	log.Info("data generated", "rows", rows, "took", took.Round(time.Second))
	return took, nil
}

// runCase runs one round of a case in an emptied work folder and appends
// its sample. Unless keep is set, it empties the folder again afterwards to
// free the disk.
func runCase(cr *CaseResult, bins binaries, d gen.Dataset, work string, keep bool) error {
	if err := freshDir(work); err != nil {
		return err
	}
	if cr.Case.ID == "pipeline" {
		ps, err := runPipeline(bins.Crmsync, d.Contacts, work)
		if err != nil {
			return err
		}
		if ps.Crmsync.Rows != d.Rows {
			return fmt.Errorf("crmsync run read %d rows, want %d", ps.Crmsync.Rows, d.Rows)
		}
		cr.Samples = append(cr.Samples, ps.Crmsync)
		cr.Emulator = append(cr.Emulator, ps.Emulator)
		return cleanUp(work, keep)
	}

	cmd, err := driverCommand(cr.Case, bins, d, work, "")
	if err != nil {
		return err
	}
	s, err := runChild(cmd)
	if err != nil {
		return err
	}
	if s.Rows != d.Rows {
		return fmt.Errorf("%s wrote %d rows, want %d (stderr in %s)", cr.Case.ID, s.Rows, d.Rows, cmd.Log)
	}
	cr.Samples = append(cr.Samples, s)
	return cleanUp(work, keep)
}

func cleanUp(work string, keep bool) error {
	if keep {
		return nil
	}
	return freshDir(work)
}

// profileCase runs a crmsync driver once with a CPU profile, keeps the
// profile under dir, and returns the top functions by flat CPU time and the
// top crmsync functions by cumulative CPU time.
func profileCase(c Case, bins binaries, d gen.Dataset, dir string) (string, error) {
	work := filepath.Join(dir, "work", strconv.FormatInt(d.Rows, 10), c.ID+"-profile")
	if err := freshDir(work); err != nil {
		return "", err
	}
	profile := filepath.Join(dir, fmt.Sprintf("cpu-%s-%d.pprof", c.ID, d.Rows))
	cmd, err := driverCommand(c, bins, d, work, profile)
	if err != nil {
		return "", err
	}
	if _, err := runChild(cmd); err != nil {
		return "", err
	}
	if err := freshDir(work); err != nil {
		return "", err
	}
	flat, err := exec.Command("go", "tool", "pprof", "-top", "-nodecount=20", cmd.Path, profile).Output()
	if err != nil {
		return "", fmt.Errorf("go tool pprof %s: %w", profile, err)
	}
	cum, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=15", "-show=github.com/crmsync/crmsync/", cmd.Path, profile).Output()
	if err != nil {
		return "", fmt.Errorf("go tool pprof -cum %s: %w", profile, err)
	}
	return "All functions by flat time:\n" + string(flat) + "\ncrmsync functions by cumulative time:\n" + string(cum), nil
}

func fileSize(path string) (int64, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	return fi.Size(), nil
}

// treeSize returns the total size of the regular files under dir, calling
// each visit function on every file.
func treeSize(dir string, visit ...func(string) error) (int64, error) {
	var total int64
	err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		total += fi.Size()
		for _, v := range visit {
			if err := v(path); err != nil {
				return err
			}
		}
		return nil
	})
	return total, err
}

// readAll reads a file to the end and discards it, to load it into the page
// cache.
func readAll(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(io.Discard, f)
	return err
}
