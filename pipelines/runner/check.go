package runner

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/preset"
	"github.com/crmsync/crmsync/connectors/source"
	"github.com/crmsync/crmsync/pipelines"
	"github.com/crmsync/crmsync/sinks"
	"github.com/crmsync/crmsync/transform"
)

// validateSample is how many records Validate reads to learn the columns.
const validateSample = 1000

// Validate checks what Load cannot: the preset, the inputs against the
// source's columns, the struct types and every sink's layout. It reads the
// first records of the source and never touches the network.
func Validate(p *pipelines.Pipeline) error {
	_, err := Check(p)
	return err
}

// Check is Validate that also returns warnings: settings that are valid but
// probably not what the user meant.
func Check(p *pipelines.Pipeline) (warnings []string, err error) {
	if _, err := preset.Get(p.Source.Preset); err != nil {
		return nil, &ConfigError{Err: fmt.Errorf("source.preset: %w", err)}
	}
	inputs, err := Inputs(p)
	if err != nil {
		return nil, err
	}
	fields, err := StructFields(p)
	if err != nil {
		return nil, err
	}

	columns, err := sampleColumns(p)
	if err != nil {
		return nil, err
	}
	seen := make(map[string]bool, len(columns))
	for _, c := range columns {
		seen[c] = true
	}
	if len(columns) > 0 {
		for _, in := range inputs {
			for _, c := range in.Columns() {
				if !seen[c] {
					return nil, missingColumn(p, "enrich.inputs."+in.Name, c, columns)
				}
			}
		}
	}
	for _, f := range fields {
		if seen[f.Name] {
			warnings = append(warnings, fmt.Sprintf(
				"enrich.struct.%s has the name of a source column: outputs write one %q column, filled from the enrichment only where the source value is empty (sinks[].overwrite: overwrite replaces every value); rename the struct field to keep both",
				f.Name, f.Name))
		}
	}

	kinds := map[string]sinks.Kind{}
	for col, t := range p.Source.Types {
		k, _, err := sinks.ParseKind(t)
		if err != nil {
			return nil, &ConfigError{Err: fmt.Errorf("source.types.%s: %w", col, err)}
		}
		kinds[col] = k
		if len(columns) > 0 && !seen[col] {
			return nil, missingColumn(p, "source.types."+col, col, columns)
		}
	}

	for i, s := range p.Sinks {
		lc, err := LayoutConfig(p, s, columns)
		if err != nil {
			return nil, &ConfigError{Err: fmt.Errorf("sinks[%d]: %w", i, err)}
		}
		layout, err := sinks.NewLayout(lc, columns, kinds, fields)
		if err != nil {
			return nil, &ConfigError{Err: fmt.Errorf("sinks[%d]: %w", i, err)}
		}
		if s.Type == "parquet" {
			warnings = append(warnings, caseCollisions(i, layout.Columns())...)
		}
	}
	return warnings, nil
}

// sampleColumns returns the source's column names: a CSV header's, then the
// names first seen in the first validateSample records.
func sampleColumns(p *pipelines.Pipeline) ([]string, error) {
	opts, err := SourceOptions(p, "")
	if err != nil {
		return nil, err
	}
	opts.OnError = "fail"
	src, err := source.Open(p.Source.Path, opts)
	if err != nil {
		if _, ok := connectors.AsParseError(err); ok {
			return nil, err
		}
		return nil, fmt.Errorf("source.path: %w", err)
	}
	defer src.Close()

	columns := append([]string(nil), src.Stats().Columns...)
	seen := map[string]bool{}
	for _, c := range columns {
		seen[c] = true
	}
	for n := 0; n < validateSample; n++ {
		rec, err := src.Next()
		if connectors.IsEOF(err) {
			break
		}
		if err != nil {
			if pe, ok := connectors.AsParseError(err); ok && pe.Recoverable && p.Source.OnError == "reject" {
				continue
			}
			return nil, err
		}
		for _, f := range rec.Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				columns = append(columns, f.Name)
			}
		}
	}
	return columns, nil
}

// missingColumn is the error for a key that names a column the source lacks.
func missingColumn(p *pipelines.Pipeline, key, column string, columns []string) error {
	hint := ""
	if near := closest(column, columns); near != "" {
		hint = fmt.Sprintf("; did you mean %q?", near)
	}
	return &ConfigError{Err: fmt.Errorf("%s: column %q is not in the first %d records of %s%s (columns: %s)",
		key, column, validateSample, p.Source.Path, hint, preview(columns))}
}

// PlannedChunk is one chunk of a plan.
type PlannedChunk struct {
	Index int   `json:"index"`
	Rows  int   `json:"rows"`
	Bytes int64 `json:"bytes"`
}

// Plan is the set of chunks a run would submit, with their estimated cost.
type Plan struct {
	Pipeline           string         `json:"pipeline"`
	Endpoint           string         `json:"endpoint"`
	Tier               string         `json:"tier"`
	RowsRead           int64          `json:"rows_read"`
	RowsRejected       int            `json:"rows_rejected"`
	Chunks             []PlannedChunk `json:"chunks"`
	ConfigChars        int            `json:"config_chars"`
	PriceCentsPerRow   int64          `json:"price_cents_per_row"`
	EstimatedCostCents int64          `json:"estimated_cost_cents"`
	// PriceAssumed is true when the price is crmsync's placeholder, not one
	// set in enrich.price_cents_per_row: the real prices are not public.
	PriceAssumed bool `json:"price_assumed"`
	// BudgetCents is enrich.max_cost_cents, when set.
	BudgetCents *int64 `json:"budget_cents"`
	// ChunksWithinBudget is how many chunks a run submits before the
	// estimates would pass the budget.
	ChunksWithinBudget int `json:"chunks_within_budget"`
}

// MakePlan reads the whole source and chunks it into a scratch folder, as a
// run would, without any network access.
func MakePlan(p *pipelines.Pipeline) (*Plan, error) {
	if err := Validate(p); err != nil {
		return nil, err
	}
	inputs, err := Inputs(p)
	if err != nil {
		return nil, err
	}
	apiCfg, err := apiConfigJSON(p)
	if err != nil {
		return nil, &ConfigError{Err: err}
	}
	dir, err := os.MkdirTemp("", "crmsync-plan-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	opts, err := SourceOptions(p, dir+"/rejects.jsonl")
	if err != nil {
		return nil, err
	}
	opts.ReuseFields = true
	src, err := source.Open(p.Source.Path, opts)
	if err != nil {
		return nil, err
	}
	defer src.Close()
	chunker, err := transform.NewChunker(dir, p.Chunk.MaxRows, p.MaxBytes(), inputs)
	if err != nil {
		return nil, &ConfigError{Err: err}
	}
	defer chunker.Abort()
	ordinal, _, err := transform.ReadChunks(context.Background(), src, chunker, nil, nil)
	if err != nil {
		return nil, err
	}
	chunks, err := chunker.Close()
	if err != nil {
		return nil, err
	}
	est := p.EstimateCost(ordinal)
	plan := &Plan{
		Pipeline: p.Name, Endpoint: p.Enrich.Endpoint, Tier: p.Enrich.Tier,
		RowsRead: ordinal, RowsRejected: src.Stats().Rejected,
		ConfigChars: len([]rune(string(apiCfg))), PriceCentsPerRow: est.PriceCentsPerRow,
		EstimatedCostCents: est.Cents, PriceAssumed: est.Assumed,
	}
	plan.Chunks = make([]PlannedChunk, 0, len(chunks))
	for _, c := range chunks {
		plan.Chunks = append(plan.Chunks, PlannedChunk{Index: c.Index, Rows: c.Rows, Bytes: c.Bytes})
	}
	if budget := p.Enrich.MaxCostCents; budget != nil {
		plan.BudgetCents = budget
		var sum int64
		for _, c := range chunks {
			est := p.EstimateCost(int64(c.Rows)).Cents
			if sum+est > *budget {
				break
			}
			sum += est
			plan.ChunksWithinBudget++
		}
	} else {
		plan.ChunksWithinBudget = len(chunks)
	}
	return plan, nil
}

// caseCollisions warns about output columns whose names differ only in
// case: engines that ignore case in names, such as DuckDB, Spark and
// BigQuery, reject or rename one of them.
func caseCollisions(sink int, cols []sinks.Column) []string {
	var warnings []string
	seen := map[string]string{}
	for _, c := range cols {
		key := strings.ToLower(c.Name)
		if other, ok := seen[key]; ok {
			warnings = append(warnings, fmt.Sprintf(
				"sinks[%d]: output columns %q and %q differ only in case, which engines that ignore case in column names reject; rename one with columns.rename",
				sink, other, c.Name))
			continue
		}
		seen[key] = c.Name
	}
	return warnings
}
