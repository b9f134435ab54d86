package runner

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/preset"
	"github.com/crmsync/crmsync/connectors/source"
	"github.com/crmsync/crmsync/pipelines"
	"github.com/crmsync/crmsync/pipelines/state"
	"github.com/crmsync/crmsync/sinks"
	csvsink "github.com/crmsync/crmsync/sinks/csv"
	jsonlsink "github.com/crmsync/crmsync/sinks/jsonl"
	parquetsink "github.com/crmsync/crmsync/sinks/parquet"
	"github.com/crmsync/crmsync/transform"
)

// StructFields returns enrich.struct with each field's output kind.
func StructFields(p *pipelines.Pipeline) ([]sinks.StructField, error) {
	fields := make([]sinks.StructField, 0, len(p.Enrich.Struct))
	for _, f := range p.Enrich.Struct {
		kind, elem := sinks.String, sinks.Kind("")
		if f.Type != "" {
			var err error
			kind, elem, err = sinks.ParseKind(f.Type)
			if err != nil {
				return nil, &ConfigError{Err: fmt.Errorf("enrich.struct.%s.type: %w", f.Name, err)}
			}
		}
		fields = append(fields, sinks.StructField{Name: f.Name, Kind: kind, Elem: elem})
	}
	return fields, nil
}

// LayoutConfig converts one sink's YAML settings.
func LayoutConfig(p *pipelines.Pipeline, s pipelines.SinkConfig, columns []string) (sinks.LayoutConfig, error) {
	cfg := sinks.LayoutConfig{
		Keep:        s.Columns.Keep,
		KeepList:    s.Columns.KeepList,
		Rename:      s.Columns.Rename,
		Prefix:      s.Columns.Prefix,
		Metadata:    s.Columns.Metadata,
		CRM:         s.CRM,
		OnlyChanged: s.OnlyChanged,
		Overwrite:   s.Overwrite,
		Clear:       s.Clear,
	}
	if s.CRM != "" {
		cfg.IDColumn = p.Source.Key
		if cfg.IDColumn == "" {
			pr, err := preset.Get(p.Source.Preset)
			if err != nil {
				return cfg, err
			}
			cfg.IDColumn = pr.KeyColumn(columns)
		}
	}
	return cfg, nil
}

// merge joins the results with the records and writes every sink.
func (r *run) merge(ctx context.Context) error {
	p := r.p
	fields, err := StructFields(p)
	if err != nil {
		return err
	}
	kinds := map[string]sinks.Kind{}
	for col, t := range p.Source.Types {
		k, _, err := sinks.ParseKind(t)
		if err != nil {
			return &ConfigError{Err: fmt.Errorf("source.types.%s: %w", col, err)}
		}
		kinds[col] = k
	}

	// The second pass writes its rejects to a scratch file: the first pass
	// already recorded them.
	tmpRejects := r.store.Path(filepath.Join("tmp", "rejects-merge.jsonl"))
	os.MkdirAll(filepath.Dir(tmpRejects), 0o755)
	opts, err := SourceOptions(p, tmpRejects)
	if err != nil {
		return err
	}
	opts.MaxRejected = "" // counted and judged in the first pass
	// Merge copies every record's values before it reads the next one.
	opts.ReuseFields = true
	src, err := source.Open(p.Source.Path, opts)
	if err != nil {
		return err
	}
	defer src.Close()

	outputs := make([]transform.Output, 0, len(p.Sinks))
	abort := func() {
		for _, o := range outputs {
			o.Sink.Abort()
		}
	}
	for i, s := range p.Sinks {
		lc, err := LayoutConfig(p, s, r.m.Columns)
		if err != nil {
			abort()
			return &ConfigError{Err: fmt.Errorf("sinks[%d]: %w", i, err)}
		}
		layout, err := sinks.NewLayout(lc, r.m.Columns, kinds, fields)
		if err != nil {
			abort()
			return &ConfigError{Err: fmt.Errorf("sinks[%d]: %w", i, err)}
		}
		sink, err := r.openSink(s, layout.Columns())
		if err != nil {
			abort()
			return fmt.Errorf("sinks[%d] %s: %w", i, s.Path, err)
		}
		outputs = append(outputs, transform.Output{Layout: layout, Sink: sink})
	}

	chunks := make([]transform.MergeChunk, len(r.m.Chunks))
	for i, c := range r.m.Chunks {
		chunks[i] = transform.MergeChunk{FirstOrdinal: c.FirstOrdinal, Rows: c.Rows}
		if c.Status == state.ChunkDownloaded {
			chunks[i].ResultPath = r.store.Path(c.ResultFile)
			chunks[i].ResultFormat = c.ResultFormat
		}
	}
	r.progress(EventMergeStart, 0, r.m.RowsRead)
	r.crash(CrashMidMerge)
	st, err := transform.Merge(transform.MergeInput{
		Source:     &mergeSource{Source: src, ctx: ctx, r: r},
		Columns:    r.m.Columns,
		Fields:     fields,
		Chunks:     chunks,
		OpenResult: transform.OpenResult,
		Outputs:    outputs,
	})
	if err != nil {
		abort()
		return err
	}
	if ctx.Err() != nil {
		abort()
		return ctx.Err()
	}
	r.sum.RowsEnriched = st.Enriched
	r.sum.RowsNotEnriched = st.NotEnriched
	r.sum.TypeMismatches = st.TypeMismatches
	r.sum.ResultKeys = ResultKeys{Duplicate: st.DuplicateKeys, Unknown: st.UnknownKeys, Missing: st.MissingKeys}
	if chunked := r.chunkedRows(); st.Rows != chunked {
		abort()
		return fmt.Errorf("merge read %d records but %d were chunked; the input changed during the run, rerun with --restart", st.Rows, chunked)
	}

	r.crash(CrashBeforeCommit)
	for i, o := range outputs {
		if err := o.Sink.Commit(); err != nil {
			abort()
			return fmt.Errorf("sinks[%d] %s: %w", i, p.Sinks[i].Path, err)
		}
		r.sum.Outputs = append(r.sum.Outputs, OutputResult{Path: p.Sinks[i].Path, Format: p.Sinks[i].Type, Rows: st.Written[i]})
	}
	if err := r.commitRejects(); err != nil {
		return err
	}
	r.progress(EventMergeDone, st.Rows, st.Rows)
	return nil
}

// commitRejects copies the run's reject file beside the first output.
func (r *run) commitRejects() error {
	if r.m.RejectsPath == "" || len(r.p.Sinks) == 0 {
		return nil
	}
	data, err := os.ReadFile(r.store.Path(r.m.RejectsPath))
	if err != nil {
		return fmt.Errorf("read rejects: %w", err)
	}
	dst := filepath.Join(filepath.Dir(r.p.Sinks[0].Path), r.p.Name+".rejects.jsonl")
	if err := state.WriteFileAtomic(dst, data); err != nil {
		return err
	}
	r.sum.Rejects.Path = &dst
	return nil
}

func (r *run) openSink(s pipelines.SinkConfig, cols []sinks.Column) (sinks.Sink, error) {
	if err := os.MkdirAll(filepath.Dir(s.Path), 0o755); err != nil {
		return nil, err
	}
	removeStaleTemps(s.Path, r.log)
	switch s.Type {
	case "parquet":
		return parquetsink.Create(s.Path, cols, parquetsink.Options{
			Compression:  s.Compression,
			RowGroupRows: int64(s.RowGroupRows),
			Metadata: map[string]string{
				"crmsync.pipeline": r.p.Name,
				"crmsync.run_id":   r.m.RunID,
				"crmsync.version":  r.opts.Version,
			},
		})
	case "csv":
		delim := ','
		if s.Delimiter != "" {
			d := s.Delimiter
			if d == "tab" || d == `\t` {
				d = "\t"
			}
			delim = []rune(d)[0]
		}
		guard := s.CRM == ""
		if s.FormulaGuard != nil {
			guard = *s.FormulaGuard
		}
		return csvsink.Create(s.Path, cols, csvsink.Options{Delimiter: delim, BOM: s.BOM, CRLF: s.LineEnding == "crlf", FormulaGuard: guard})
	case "jsonl":
		return jsonlsink.Create(s.Path, cols)
	}
	return nil, fmt.Errorf("unknown sink type %q; use parquet, csv or jsonl", s.Type)
}

// mergeSource feeds the source records to the merge. It stops the merge
// when ctx is cancelled, reports progress and calls the mid-sink-write
// crash point halfway through. Merge calls Next from its reader goroutine,
// which runs at most a few batches of records ahead of the sink writes.
type mergeSource struct {
	connectors.Source
	ctx context.Context
	r   *run
	n   int64
}

func (m *mergeSource) Next() (connectors.Record, error) {
	m.n++
	if m.n%1024 == 0 {
		if err := m.ctx.Err(); err != nil {
			return connectors.Record{}, err
		}
		m.r.progress(EventMerged, m.n, m.r.m.RowsRead)
	}
	if m.n == m.r.m.RowsRead/2+1 {
		m.r.crash(CrashMidSinkWrite)
	}
	return m.Source.Next()
}

// removeStaleTemps deletes the temporary files that a killed run left beside
// path. The sinks name them "."+base+".tmp-*" and the run lock guarantees no
// other run of this pipeline writes them now.
func removeStaleTemps(path string, log *slog.Logger) {
	pattern := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	stale, err := filepath.Glob(pattern)
	if err != nil {
		return
	}
	for _, f := range stale {
		if err := os.Remove(f); err != nil {
			log.Warn("removing a temporary output file left by an earlier run failed", "path", f, "err", err)
		}
	}
}

// chunkedRows returns the number of records in all chunks.
func (r *run) chunkedRows() int64 {
	var n int64
	for _, c := range r.m.Chunks {
		n += int64(c.Rows)
	}
	return n
}
