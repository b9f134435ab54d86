package runner

import (
	"context"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/crmsync/crmsync/connectors/preset"
	"github.com/crmsync/crmsync/connectors/source"
	"github.com/crmsync/crmsync/enrich"
	"github.com/crmsync/crmsync/pipelines"
	"github.com/crmsync/crmsync/pipelines/state"
	"github.com/crmsync/crmsync/transform"
)

// SourceOptions returns the reader options for the pipeline's source.
// rejectsPath is where rejected rows go; "" keeps the pipeline's setting off.
func SourceOptions(p *pipelines.Pipeline, rejectsPath string) (source.Options, error) {
	opts := source.Options{
		Format:        p.Source.Format,
		Encoding:      p.Source.Encoding,
		Delimiter:     p.Source.Delimiter,
		RecordsPath:   p.Source.RecordsPath,
		Member:        p.Source.Member,
		FlattenArrays: p.Source.FlattenArrays,
		Preset:        p.Source.Preset,
		OnError:       p.Source.OnError,
		MaxRejected:   p.Source.MaxRejected,
		RejectsPath:   rejectsPath,
		Types:         p.Source.Types,
	}
	if p.Source.MaxRecordSize != "" {
		n, err := pipelines.ParseSize(p.Source.MaxRecordSize)
		if err != nil {
			return opts, &ConfigError{Err: fmt.Errorf("source.max_record_size: %w", err)}
		}
		opts.MaxRecordBytes = n
	}
	return opts, nil
}

// Inputs compiles enrich.inputs, or the preset's default inputs when the
// pipeline gives none.
func Inputs(p *pipelines.Pipeline) ([]transform.Input, error) {
	names, specs := p.Enrich.InputOrder, p.Enrich.Inputs
	if len(specs) == 0 {
		pr, err := preset.Get(p.Source.Preset)
		if err != nil {
			return nil, &ConfigError{Err: err}
		}
		specs = pr.Inputs
		names = sortedKeys(specs)
	}
	if len(specs) == 0 {
		return nil, &ConfigError{Err: fmt.Errorf("enrich.inputs: no inputs, and preset %q has no default mapping; list the columns to send, for example full_name: \"{FirstName} {LastName}\"", p.Source.Preset)}
	}
	inputs := make([]transform.Input, 0, len(names))
	for _, name := range names {
		in, err := transform.ParseInput(name, specs[name])
		if err != nil {
			return nil, &ConfigError{Err: fmt.Errorf("enrich.inputs.%s: %w", name, err)}
		}
		inputs = append(inputs, in)
	}
	return inputs, nil
}

// chunk reads the whole source once, writes the chunk files and records
// them in the manifest.
func (r *run) chunk(ctx context.Context) error {
	p := r.p
	if err := resetRunDir(r.store.Dir); err != nil {
		return err
	}
	inputs, err := Inputs(p)
	if err != nil {
		return err
	}
	opts, err := SourceOptions(p, r.store.Path("rejects.jsonl"))
	if err != nil {
		return err
	}
	// The chunker copies every record it is given.
	opts.ReuseFields = true
	src, err := source.Open(p.Source.Path, opts)
	if err != nil {
		return err
	}
	defer src.Close()

	maxBytes := p.MaxBytes()
	chunker, err := transform.NewChunker(r.store.Path("chunks"), p.Chunk.MaxRows, maxBytes, inputs)
	if err != nil {
		return &ConfigError{Err: err}
	}
	defer chunker.Abort()

	inputCols := map[string]bool{}
	for _, in := range inputs {
		for _, c := range in.Columns() {
			inputCols[c] = true
		}
	}
	r.progress(EventReadStart, 0, 0)
	// A CSV header gives the columns even when the file has no data rows,
	// so the outputs keep their schema.
	ordinal, columns, err := transform.ReadChunks(ctx, src, chunker, src.Stats().Columns, func(n int64) {
		r.progress(EventRead, n, 0)
	})
	if err != nil {
		return err
	}
	chunks, err := chunker.Close()
	if err != nil {
		return err
	}
	seen := make(map[string]bool, len(columns))
	for _, c := range columns {
		seen[c] = true
	}
	for c := range inputCols {
		if !seen[c] && ordinal > 0 {
			return &ConfigError{Err: fmt.Errorf("enrich.inputs: column %q is not in %s (columns: %s)", c, p.Source.Path, preview(columns))}
		}
	}
	st := src.Stats()
	// Rows read counts the records of this object, kept or rejected;
	// records a preset skips (another object's stream) are not counted.
	r.m.RowsRead = ordinal + int64(st.Rejected)
	r.m.RowsRejected = int64(st.Rejected)
	r.m.RejectsByKind = map[string]int{}
	for k, v := range st.RejectsByKind {
		r.m.RejectsByKind[string(k)] = v
	}
	if st.Rejected > 0 {
		r.m.RejectsPath = "rejects.jsonl"
	}
	r.m.Columns = columns
	r.m.Chunks = make([]state.Chunk, 0, len(chunks))
	for _, c := range chunks {
		rel, _ := filepath.Rel(r.store.Dir, c.Path)
		sum := hex.EncodeToString(c.SHA256[:])
		attempt := r.attempt0
		if a, ok := r.prevAttempts[sum]; ok && a > attempt {
			attempt = a
		}
		key := enrich.IdempotencyKey(enrich.Endpoint(p.Enrich.Endpoint), r.apiCfg, c.SHA256, attempt)
		r.m.Chunks = append(r.m.Chunks, state.Chunk{
			Index:          c.Index,
			File:           rel,
			Rows:           c.Rows,
			Bytes:          c.Bytes,
			SHA256:         sum,
			FirstOrdinal:   c.FirstOrdinal,
			Attempt:        attempt,
			IdempotencyKey: key,
			EarlierKey:     r.prevKeys[key],
			Status:         state.ChunkPending,
		})
	}
	r.m.Phase = state.PhaseEnriching
	r.progress(EventReadDone, ordinal, int64(len(chunks)))
	r.log.Info("source read", "rows", ordinal, "rejected", st.Rejected, "chunks", len(chunks))
	return r.save()
}

func preview(cols []string) string {
	if len(cols) > 12 {
		return fmt.Sprintf("%q and %d more", cols[:12], len(cols)-12)
	}
	return fmt.Sprintf("%q", cols)
}

func removeIfExists(path string) {
	if _, err := os.Stat(path); err == nil {
		os.Remove(path)
	}
}
