package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/crmsync/crmsync/bench/internal/gen"
)

// rssFlatTolerance is how much larger the peak RSS at the largest row count
// may be than at the smallest for the "flat" target to count as met.
const rssFlatTolerance = 1.10

// figures are the derived numbers of one measured case.
type figures struct {
	Summary
	RowsPerSec float64
	MBPerSec   float64 // contact export bytes (decimal MB) per wall second
	CPUPer1M   float64 // CPU seconds per million rows
}

func derive(s Summary, contactsBytes int64) figures {
	f := figures{Summary: s}
	secs := s.Wall.Seconds()
	if secs > 0 {
		f.RowsPerSec = float64(s.Rows) / secs
		f.MBPerSec = float64(contactsBytes) / 1e6 / secs
	}
	if s.Rows > 0 {
		f.CPUPer1M = s.CPU.Seconds() / (float64(s.Rows) / 1e6)
	}
	return f
}

// caseFigures returns the figures of case id at one size, or false when it
// was not selected or failed.
func (sr *SizeResult) caseFigures(id string) (figures, bool) {
	for _, cr := range sr.Cases {
		if cr.Case.ID == id && cr.Err == nil && len(cr.Samples) > 0 {
			return derive(summarize(cr.Samples), sr.ContactsBytes), true
		}
	}
	return figures{}, false
}

func renderReport(opts options, m Machine, sizes []*SizeResult, loadStart, loadEnd string) string {
	var b strings.Builder
	duckdbVersion := "unknown"
	for _, sr := range sizes {
		for _, cr := range sr.Cases {
			if len(cr.Samples) > 0 && cr.Samples[0].Outputs["duckdb_version"] != "" {
				duckdbVersion = cr.Samples[0].Outputs["duckdb_version"]
			}
		}
	}

	b.WriteString("# Benchmarks: crmsync against DuckDB\n\n")
	b.WriteString("This file is written by the benchmark program in `bench/` (run `make bench`); edit the program, not the figures.\n")
	b.WriteString("It compares three crmsync steps with DuckDB on the same generated Salesforce-style contact export:\n\n")
	b.WriteString("- **CSV → JSONL**: crmsync reads the CSV with `connectors/source` and writes every column to 100,000-row JSONL chunk files with `transform.Chunker`, fsyncing each chunk. DuckDB runs `COPY (SELECT * FROM read_csv(in, all_varchar = true)) TO out (FORMAT json)`.\n")
	b.WriteString("- **results → Parquet**: crmsync reads the CSV again, joins every record by `_crmsync_key` with its row in the generated result files (one CSV per 100,000-row chunk) and writes one snappy Parquet file with `transform.Merge`, `sinks.NewLayout` and `sinks/parquet`. DuckDB converts the contact CSV alone: `COPY (SELECT * FROM read_csv(in, all_varchar = true)) TO out (FORMAT parquet)`. DuckDB therefore does less work here: no result files, no join.\n")
	b.WriteString("- **whole pipeline**: the `crmsync` binary runs a generated pipeline YAML against `crmsync emulate --job-latency 0 --rate-limit -1`, started by the bench on a free 127.0.0.1 port. crmsync's figures are its own process; the emulator's CPU and memory are reported on a separate line and not counted.\n\n")
	b.WriteString("DuckDB reads every column as text (`all_varchar`) because crmsync keeps the exact source text (phone numbers keep their leading zeros and `+`).\n\n")

	b.WriteString("## How the figures were taken\n\n")
	fmt.Fprintf(&b, "- Command: `cd bench && go run . %s`\n", strings.Join(opts.Args, " "))
	fmt.Fprintf(&b, "- Date: %s (UTC); the whole run took %s.\n", opts.Started.UTC().Format("2006-01-02 15:04"), time.Since(opts.Started).Round(time.Second))
	fmt.Fprintf(&b, "- Machine: %d CPUs, %s, %.1f GiB memory, %s.\n", m.CPUs, m.CPUModel, m.MemoryGiB, m.Kernel)
	fmt.Fprintf(&b, "- Toolchain: %s; DuckDB %s through github.com/duckdb/duckdb-go/v2 v2.20000.0.\n", m.GoVersion, duckdbVersion)
	fmt.Fprintf(&b, "- Load average (1, 5, 15 min) at the start: %s; at the end: %s. The machine may be shared, so read the figures as ratios between cases run side by side, not as absolute promises.\n", loadStart, loadEnd)
	fmt.Fprintf(&b, "- Each case is a separate process. Wall time is measured by the bench; CPU time (user + system) and peak RSS (`ru_maxrss`) come from `wait4` for that process alone. Each figure is the median, per column, of %s; a round runs every case once, in the order of the tables.\n", plural(opts.Runs, "round"))
	b.WriteString("- Wall time above CPU time means the process waited: on disk writes and fsync, on the emulator's job and poll interval (whole pipeline), or for a core that another process held.\n")
	b.WriteString("- Inputs are read once before the first round, so every run starts from a warm page cache. rows/s and MB/s are over wall time; MB/s counts the contact CSV only (decimal megabytes), also for the merge, which reads the result files too.\n")
	fmt.Fprintf(&b, "- Data: `bench/internal/gen`, seed %d: %d columns (%s); about 20%% of the notes span several lines, and the notes hold commas and double quotes. Result files: %s; %d%% of result rows come back un-enriched.\n\n",
		opts.Seed, len(gen.ContactColumns), strings.Join(gen.ContactColumns, ", "), strings.Join(gen.ResultColumns(), ", "), gen.PassthroughPercent)

	for _, sr := range sizes {
		renderSize(&b, sr)
	}
	renderTargets(&b, sizes)
	renderProfiles(&b, sizes)
	renderFailures(&b, sizes)
	return b.String()
}

func renderSize(b *strings.Builder, sr *SizeResult) {
	fmt.Fprintf(b, "## %s rows\n\n", thousands(sr.Dataset.Rows))
	fmt.Fprintf(b, "Contact CSV: %.1f MB; result files: %.1f MB in %s.", float64(sr.ContactsBytes)/1e6, float64(sr.ResultsBytes)/1e6, plural(sr.Dataset.Chunks(), "file"))
	if sr.Generated > 0 {
		fmt.Fprintf(b, " Generated in %s.", sr.Generated.Round(time.Second))
	}
	b.WriteString("\n\n")
	b.WriteString("| Step | Engine | Threads | Wall s | rows/s | MB/s | CPU s | CPU s per 1M rows | Peak RSS MiB | rows/s ÷ DuckDB default | rows/s ÷ DuckDB 1 thread |\n")
	b.WriteString("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	for _, cr := range sr.Cases {
		c := cr.Case
		f, ok := sr.caseFigures(c.ID)
		if !ok {
			fmt.Fprintf(b, "| %s | %s | %s | not measured; see below | | | | | | | |\n", c.Step, c.Engine, c.Threads)
			continue
		}
		ratioDefault, ratioOne := "", ""
		if !c.DuckDB && c.Step != StepPipeline {
			ratioDefault = ratio(sr, f.RowsPerSec, peerID(c.Step, false))
			ratioOne = ratio(sr, f.RowsPerSec, peerID(c.Step, true))
		}
		fmt.Fprintf(b, "| %s | %s | %s | %.2f | %s | %.1f | %.2f | %.2f | %.0f | %s | %s |\n",
			c.Step, c.Engine, c.Threads, f.Wall.Seconds(), thousands(int64(f.RowsPerSec)), f.MBPerSec,
			f.CPU.Seconds(), f.CPUPer1M, mib(f.MaxRSS), ratioDefault, ratioOne)
		if c.ID == "pipeline" && len(cr.Emulator) > 0 {
			e := summarize(cr.Emulator)
			fmt.Fprintf(b, "| %s | emulator (not counted) | GOMAXPROCS=2 | | | | %.2f | %.2f | %.0f | | |\n",
				c.Step, e.CPU.Seconds(), e.CPU.Seconds()/(float64(sr.Dataset.Rows)/1e6), mib(e.MaxRSS))
		}
	}
	b.WriteString("\n")
	if f, ok := sr.caseFigures("pipeline"); ok {
		for _, peer := range []string{"duckdb-parquet", "duckdb-parquet-1t"} {
			if p, ok := sr.caseFigures(peer); ok && p.CPUPer1M > 0 {
				fmt.Fprintf(b, "Whole pipeline, crmsync CPU per 1M rows ÷ DuckDB CSV → Parquet (%s) CPU per 1M rows: %.2f.\n", peerThreads(peer), f.CPUPer1M/p.CPUPer1M)
			}
		}
		b.WriteString("\n")
	}
}

// peerID returns the DuckDB case compared with crmsync's case of step.
func peerID(step Step, oneThread bool) string {
	id := "duckdb-json"
	if step == StepParquet || step == StepPipeline {
		id = "duckdb-parquet"
	}
	if oneThread {
		id += "-1t"
	}
	return id
}

func peerThreads(id string) string {
	if strings.HasSuffix(id, "-1t") {
		return "1 thread"
	}
	return "default threads"
}

func ratio(sr *SizeResult, rowsPerSec float64, peer string) string {
	p, ok := sr.caseFigures(peer)
	if !ok || p.RowsPerSec == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", rowsPerSec/p.RowsPerSec)
}

// verdict is one target at one size.
type verdict struct {
	text string
	met  bool
	ok   bool // false when a case needed for it did not run
}

func renderTargets(b *strings.Builder, sizes []*SizeResult) {
	b.WriteString("## Targets\n\n")
	b.WriteString("| Target | " + joinSizes(sizes, " | ") + " |\n")
	b.WriteString("| --- |" + strings.Repeat(" --- |", len(sizes)) + "\n")

	perSize := []struct {
		name  string
		check func(*SizeResult) verdict
	}{
		{"CSV → JSONL rows/s ≥ DuckDB (default threads)", func(sr *SizeResult) verdict {
			return compareThroughput(sr, "chunk", "duckdb-json", 1.0)
		}},
		{"CSV → JSONL peak RSS ≤ 64 MiB", func(sr *SizeResult) verdict { return rssAtMost(sr, "chunk", 64) }},
		{"results → Parquet rows/s ≥ 0.8 × DuckDB CSV → Parquet (default threads)", func(sr *SizeResult) verdict {
			return compareThroughput(sr, "merge", "duckdb-parquet", 0.8)
		}},
		{"results → Parquet peak RSS ≤ 256 MiB", func(sr *SizeResult) verdict { return rssAtMost(sr, "merge", 256) }},
		{"whole pipeline CPU per 1M rows ≤ 3 × DuckDB CSV → Parquet (default threads)", func(sr *SizeResult) verdict {
			return compareCPU(sr, "pipeline", "duckdb-parquet", 3)
		}},
		{"whole pipeline CPU per 1M rows ≤ 3 × DuckDB CSV → Parquet (1 thread)", func(sr *SizeResult) verdict {
			return compareCPU(sr, "pipeline", "duckdb-parquet-1t", 3)
		}},
	}
	for _, t := range perSize {
		cells := make([]string, len(sizes))
		for i, sr := range sizes {
			cells[i] = t.check(sr).String()
		}
		fmt.Fprintf(b, "| %s | %s |\n", t.name, strings.Join(cells, " | "))
	}
	b.WriteString("\n")

	fmt.Fprintf(b, "Peak RSS flat with input size (largest row count at most %.0f%% above the smallest):\n\n", (rssFlatTolerance-1)*100)
	for _, id := range []string{"chunk", "merge"} {
		fmt.Fprintf(b, "- %s: %s\n", id, rssFlat(sizes, id))
	}
	b.WriteString("\n")
}

func (v verdict) String() string {
	switch {
	case !v.ok:
		return "not measured"
	case v.met:
		return "met (" + v.text + ")"
	default:
		return "**not met** (" + v.text + ")"
	}
}

func compareThroughput(sr *SizeResult, id, peer string, factor float64) verdict {
	f, ok1 := sr.caseFigures(id)
	p, ok2 := sr.caseFigures(peer)
	if !ok1 || !ok2 || p.RowsPerSec == 0 {
		return verdict{}
	}
	r := f.RowsPerSec / p.RowsPerSec
	return verdict{ok: true, met: r >= factor, text: fmt.Sprintf("%.2f×: %s vs %s rows/s", r, thousands(int64(f.RowsPerSec)), thousands(int64(p.RowsPerSec)))}
}

func compareCPU(sr *SizeResult, id, peer string, factor float64) verdict {
	f, ok1 := sr.caseFigures(id)
	p, ok2 := sr.caseFigures(peer)
	if !ok1 || !ok2 || p.CPUPer1M == 0 {
		return verdict{}
	}
	r := f.CPUPer1M / p.CPUPer1M
	return verdict{ok: true, met: r <= factor, text: fmt.Sprintf("%.2f×: %.2f vs %.2f CPU s", r, f.CPUPer1M, p.CPUPer1M)}
}

func rssAtMost(sr *SizeResult, id string, limitMiB float64) verdict {
	f, ok := sr.caseFigures(id)
	if !ok {
		return verdict{}
	}
	return verdict{ok: true, met: mib(f.MaxRSS) <= limitMiB, text: fmt.Sprintf("%.0f MiB", mib(f.MaxRSS))}
}

func rssFlat(sizes []*SizeResult, id string) string {
	var small, large *SizeResult
	for _, sr := range sizes {
		if _, ok := sr.caseFigures(id); !ok {
			continue
		}
		if small == nil || sr.Dataset.Rows < small.Dataset.Rows {
			small = sr
		}
		if large == nil || sr.Dataset.Rows > large.Dataset.Rows {
			large = sr
		}
	}
	if small == nil || small == large {
		return "not measured (needs two row counts)"
	}
	fs, _ := small.caseFigures(id)
	fl, _ := large.caseFigures(id)
	v := verdict{ok: true, met: float64(fl.MaxRSS) <= float64(fs.MaxRSS)*rssFlatTolerance,
		text: fmt.Sprintf("%.0f MiB at %s rows, %.0f MiB at %s rows", mib(fs.MaxRSS), thousands(small.Dataset.Rows), mib(fl.MaxRSS), thousands(large.Dataset.Rows))}
	return v.String()
}

func renderProfiles(b *strings.Builder, sizes []*SizeResult) {
	any := false
	for _, sr := range sizes {
		if len(sr.Profiles) > 0 {
			any = true
		}
	}
	if !any {
		return
	}
	b.WriteString("## CPU profiles of the crmsync drivers\n\n")
	b.WriteString("One extra run per driver after the measured rounds, with `-cpuprofile`; the profiles are kept as `bench/results/cpu-CASE-ROWS.pprof`. Each block lists the top functions by flat CPU time (`go tool pprof -top -nodecount=20`), then crmsync's own functions by cumulative time (`-top -cum -show=github.com/crmsync/crmsync/`). In the second list the flat column also counts the hidden library functions a crmsync function calls, so read its cum column.\n\n")
	for _, sr := range sizes {
		for _, cr := range sr.Cases {
			top, ok := sr.Profiles[cr.Case.ID]
			if !ok {
				continue
			}
			fmt.Fprintf(b, "### %s (%s), %s rows\n\n```\n%s```\n\n", cr.Case.Step, cr.Case.ID, thousands(sr.Dataset.Rows), trimProfileHeader(top))
		}
	}
}

// trimProfileHeader drops pprof's file, build-id and type lines, which name
// local paths.
func trimProfileHeader(top string) string {
	var keep []string
	for _, line := range strings.SplitAfter(top, "\n") {
		if strings.HasPrefix(line, "File:") || strings.HasPrefix(line, "Build ID:") || strings.HasPrefix(line, "Type:") ||
			strings.HasPrefix(line, "Time:") || strings.HasPrefix(line, "Active filters:") || strings.HasPrefix(line, "   show=") {
			continue
		}
		keep = append(keep, line)
	}
	return strings.Join(keep, "")
}

func renderFailures(b *strings.Builder, sizes []*SizeResult) {
	var lines []string
	for _, sr := range sizes {
		for _, cr := range sr.Cases {
			if cr.Err != nil {
				lines = append(lines, fmt.Sprintf("%s rows, %s:\n\n```\n%v\n```\n", thousands(sr.Dataset.Rows), cr.Case.ID, cr.Err))
			}
		}
	}
	if len(lines) == 0 {
		return
	}
	b.WriteString("## Cases not measured\n\n")
	b.WriteString(strings.Join(lines, "\n"))
}

func joinSizes(sizes []*SizeResult, sep string) string {
	names := make([]string, len(sizes))
	for i, sr := range sizes {
		names[i] = thousands(sr.Dataset.Rows) + " rows"
	}
	return strings.Join(names, sep)
}

// plural returns n and noun, adding an s unless n is 1.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

func mib(bytes int64) float64 { return float64(bytes) / (1 << 20) }

// thousands formats n with commas between groups of three digits.
func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	var out []byte
	for i := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
