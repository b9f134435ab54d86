package sinks

import (
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
)

// StructField is one enrich.struct field with its declared type (String when
// the struct gives no type).
type StructField struct {
	Name       string
	Kind, Elem Kind
}

// MergedRow is one output record before projection.
type MergedRow struct {
	// Source is aligned with the source columns given to NewLayout.
	Source []Value
	// Enriched is aligned with the struct fields given to NewLayout; every
	// value is null when the row was not enriched.
	Enriched []Value
	// Meta holds "status" ("enriched", "not_enriched" or "failed"),
	// "confidence_score", "notes", "references" and "<field>_confidence".
	// A missing key is written as null.
	Meta map[string]Value
	// MetaKeys and MetaValues, when MetaKeys is not nil, take the place of
	// Meta: MetaValues[i] is the value of the metadata key MetaKeys[i]. A
	// caller that projects many rows keeps one MetaKeys slice for all of
	// them and so builds no map per row. Project finds each key's position
	// once per MetaKeys slice, so its contents must not change.
	MetaKeys   []string
	MetaValues []Value
}

// Row status values in MergedRow.Meta["status"].
const (
	StatusEnriched    = "enriched"
	StatusNotEnriched = "not_enriched"
	StatusFailed      = "failed"
)

// Metadata column names accepted in LayoutConfig.Metadata.
const (
	MetaStatus          = "status"
	MetaConfidenceScore = "confidence_score"
	MetaFieldConfidence = "field_confidence" // one "<field>_confidence" column per struct field
	MetaNotes           = "notes"
	MetaReferences      = "references"
)

// Overwrite policies in LayoutConfig.Overwrite.
const (
	FillEmpty = "fill_empty"
	Overwrite = "overwrite"
)

// LayoutConfig is the columns part of one sink's configuration.
type LayoutConfig struct {
	// Keep is "all" (the default when empty) or "none"; KeepList, when not
	// empty, names the source columns to keep in the order to write them.
	// CRM update layouts (all but dynamics) write the id column and the
	// mapped fields, plus only the source columns that KeepList names.
	Keep     string
	KeepList []string
	// Rename maps a struct field, source column or metadata column to its
	// output name.
	Rename map[string]string
	// Prefix is prepended to the names of enriched columns that Rename does
	// not name.
	Prefix string
	// Metadata lists metadata columns to append: status, confidence_score,
	// field_confidence, notes, references. CRM layouts reject it.
	Metadata []string
	// CRM selects an import layout: "" (none), salesforce, hubspot, dynamics,
	// zoho or pipedrive.
	CRM string
	// IDColumn is the source column holding the CRM record id. When empty, a
	// CRM layout looks for the usual id column of that CRM.
	IDColumn string
	// OnlyChanged drops rows in which no cell changes.
	OnlyChanged bool
	// Overwrite is fill_empty (the default when empty) or overwrite.
	Overwrite string
	// Clear lists enriched fields (by struct field or output name) that a
	// CRM import clears when the row was enriched, the enrichment returned
	// no value and the source has one.
	Clear []string
}

// planKind selects how Project fills one output column.
type planKind int

const (
	planSource    planKind = iota // the source value
	planEnriched                  // the enriched value
	planMerged                    // the source value, or the enriched one per the overwrite policy
	planCRMUpdate                 // only a change: the enriched value, a clear marker or empty
	planMeta                      // a metadata value
)

type columnPlan struct {
	kind  planKind
	src   int    // index into MergedRow.Source, or -1
	enr   int    // index into MergedRow.Enriched, or -1
	meta  string // key into MergedRow.Meta
	clear bool   // clear the value when enrichment returned none
}

// Layout maps merged rows to the columns of one sink.
type Layout struct {
	columns     []Column
	plans       []columnPlan
	overwrite   bool
	onlyChanged bool
	clearMarker Value
	// metaIndex caches the positions of the metadata columns in the last
	// MergedRow.MetaKeys seen. It is atomic, so concurrent Project calls
	// are safe.
	metaIndex atomic.Pointer[metaIndex]
}

// layoutBuilder collects columns while NewLayout checks the configuration.
type layoutBuilder struct {
	cfg         LayoutConfig
	sourceCols  []string
	sourceKinds map[string]Kind
	fields      []StructField
	sourceIndex map[string]int
	fieldIndex  map[string]int
	layout      *Layout
	names       map[string]string // output name -> what produces it, for error messages
}

// NewLayout checks cfg against the source columns and struct fields and
// returns the layout that Project applies to every row. sourceKinds gives
// the declared kinds of source columns; a column it omits is String.
func NewLayout(cfg LayoutConfig, sourceCols []string, sourceKinds map[string]Kind, fields []StructField) (*Layout, error) {
	b := &layoutBuilder{
		cfg:         cfg,
		sourceCols:  sourceCols,
		sourceKinds: sourceKinds,
		fields:      fields,
		sourceIndex: make(map[string]int, len(sourceCols)),
		fieldIndex:  make(map[string]int, len(fields)),
		layout:      &Layout{onlyChanged: cfg.OnlyChanged},
		names:       map[string]string{},
	}
	for i, c := range sourceCols {
		if _, dup := b.sourceIndex[c]; dup {
			return nil, fmt.Errorf("source column %q appears twice; rename one of them in the source", c)
		}
		b.sourceIndex[c] = i
	}
	for i, f := range fields {
		if _, dup := b.fieldIndex[f.Name]; dup {
			return nil, fmt.Errorf("struct field %q appears twice", f.Name)
		}
		b.fieldIndex[f.Name] = i
	}
	if err := b.checkCommon(); err != nil {
		return nil, err
	}

	var err error
	switch strings.ToLower(cfg.CRM) {
	case "":
		err = b.buildPlain()
	case "dynamics":
		err = b.buildDynamics()
	default:
		err = b.buildCRMUpdate(strings.ToLower(cfg.CRM))
	}
	if err != nil {
		return nil, err
	}
	return b.layout, nil
}

func (b *layoutBuilder) checkCommon() error {
	switch b.cfg.Overwrite {
	case "", FillEmpty:
	case Overwrite:
		b.layout.overwrite = true
	default:
		return fmt.Errorf("overwrite %q is invalid; use %s or %s", b.cfg.Overwrite, FillEmpty, Overwrite)
	}
	switch b.cfg.Keep {
	case "", "all", "none":
	default:
		return fmt.Errorf("keep %q is invalid; use all, none or a list of source columns", b.cfg.Keep)
	}
	seen := map[string]bool{}
	for _, c := range b.cfg.KeepList {
		if _, ok := b.sourceIndex[c]; !ok {
			return fmt.Errorf("keep lists %q, which is not a source column; source columns are %s", c, quoteList(b.sourceCols))
		}
		if seen[c] {
			return fmt.Errorf("keep lists %q twice", c)
		}
		seen[c] = true
	}
	for key, name := range b.cfg.Rename {
		if name == "" {
			return fmt.Errorf("rename of %q is empty; give an output name", key)
		}
		if !b.isRenameKey(key) {
			return fmt.Errorf("rename key %q is not a source column, struct field or metadata column", key)
		}
	}
	return nil
}

func (b *layoutBuilder) isRenameKey(key string) bool {
	if meta, ok := strings.CutPrefix(key, "metadata."); ok {
		return b.isMetadataKey(meta)
	}
	if _, ok := b.sourceIndex[key]; ok {
		return true
	}
	if _, ok := b.fieldIndex[key]; ok {
		return true
	}
	return b.isMetadataKey(key)
}

// isMetadataKey reports whether key names a metadata column.
func (b *layoutBuilder) isMetadataKey(key string) bool {
	switch key {
	case MetaStatus, MetaConfidenceScore, MetaNotes, MetaReferences:
		return true
	}
	if field, ok := strings.CutSuffix(key, "_confidence"); ok {
		_, isField := b.fieldIndex[field]
		return isField
	}
	return false
}

// buildPlain builds a layout without a CRM: kept source columns, then one
// column per struct field, then metadata. A struct field whose output name
// equals a kept source column's output name fills that column instead.
func (b *layoutBuilder) buildPlain() error {
	if len(b.cfg.Clear) > 0 {
		return fmt.Errorf("clear applies only to CRM layouts; set crm or remove clear")
	}
	outputOfSource := map[string]int{} // output name -> position in b.layout.columns
	for _, src := range b.keptSourceColumns() {
		name := b.renamed(b.sourceCols[src], b.sourceCols[src])
		if err := b.claim(name, fmt.Sprintf("source column %q", b.sourceCols[src])); err != nil {
			return err
		}
		outputOfSource[name] = len(b.layout.columns)
		b.addSource(src, name)
	}
	for enr, f := range b.fields {
		name := b.enrichedName(f.Name)
		if pos, ok := outputOfSource[name]; ok {
			plan := &b.layout.plans[pos]
			if plan.kind == planMerged {
				return fmt.Errorf("struct fields %q and %q both map to output column %q; rename one of them", b.fields[plan.enr].Name, f.Name, name)
			}
			plan.kind = planMerged
			plan.enr = enr
			continue
		}
		if err := b.claim(name, fmt.Sprintf("struct field %q", f.Name)); err != nil {
			return err
		}
		b.addEnriched(enr, name, planEnriched)
	}
	return b.addMetadata()
}

// keptSourceColumns returns the indexes of the source columns that Keep and
// KeepList select, in output order.
func (b *layoutBuilder) keptSourceColumns() []int {
	if len(b.cfg.KeepList) > 0 {
		out := make([]int, len(b.cfg.KeepList))
		for i, c := range b.cfg.KeepList {
			out[i] = b.sourceIndex[c]
		}
		return out
	}
	if b.cfg.Keep == "none" {
		return nil
	}
	out := make([]int, len(b.sourceCols))
	for i := range out {
		out[i] = i
	}
	return out
}

func (b *layoutBuilder) addMetadata() error {
	seen := map[string]bool{}
	for _, m := range b.cfg.Metadata {
		if seen[m] {
			return fmt.Errorf("metadata lists %q twice", m)
		}
		seen[m] = true
		switch m {
		case MetaStatus, MetaNotes:
			if err := b.addMeta(m, String, ""); err != nil {
				return err
			}
		case MetaConfidenceScore:
			if err := b.addMeta(m, Float, ""); err != nil {
				return err
			}
		case MetaReferences:
			if err := b.addMeta(m, JSON, ""); err != nil {
				return err
			}
		case MetaFieldConfidence:
			// Field confidence is an integer from 0 to 100 per struct field.
			for _, f := range b.fields {
				key := f.Name + "_confidence"
				if err := b.addMeta(key, Int, b.enrichedName(f.Name)+"_confidence"); err != nil {
					return err
				}
			}
		default:
			return fmt.Errorf("metadata %q is invalid; use %s, %s, %s, %s or %s", m,
				MetaStatus, MetaConfidenceScore, MetaFieldConfidence, MetaNotes, MetaReferences)
		}
	}
	return nil
}

// addMeta adds the metadata column key. Its output name is the rename of
// key, else defaultName, else key.
func (b *layoutBuilder) addMeta(key string, kind Kind, defaultName string) error {
	if defaultName == "" {
		defaultName = key
	}
	// "metadata.<key>" renames only the metadata column, for when a source
	// column has the same name.
	name := b.renamed("metadata."+key, b.renamed(key, defaultName))
	if other, ok := b.names[name]; ok {
		return fmt.Errorf("output column %q would be written by both %s and metadata column %q; rename the metadata column, for example columns.rename {metadata.%s: enrichment_%s}",
			name, other, key, key, key)
	}
	if err := b.claim(name, fmt.Sprintf("metadata column %q", key)); err != nil {
		return err
	}
	b.layout.columns = append(b.layout.columns, Column{Name: name, Field: key, Kind: kind, Origin: FromMetadata})
	b.layout.plans = append(b.layout.plans, columnPlan{kind: planMeta, src: -1, enr: -1, meta: key})
	return nil
}

func (b *layoutBuilder) addSource(src int, name string) {
	col := b.sourceCols[src]
	kind := b.sourceKinds[col]
	if kind == "" {
		kind = String
	}
	b.layout.columns = append(b.layout.columns, Column{Name: name, Field: col, Kind: kind, Origin: FromSource})
	b.layout.plans = append(b.layout.plans, columnPlan{kind: planSource, src: src, enr: -1})
}

func (b *layoutBuilder) addEnriched(enr int, name string, kind planKind) {
	f := b.fields[enr]
	fieldKind := f.Kind
	if fieldKind == "" {
		fieldKind = String
	}
	b.layout.columns = append(b.layout.columns, Column{Name: name, Field: f.Name, Kind: fieldKind, Elem: f.Elem, Origin: FromEnriched})
	b.layout.plans = append(b.layout.plans, columnPlan{kind: kind, src: -1, enr: enr})
}

// enrichedName returns the output name of a struct field: its rename, else
// the prefix and the field name.
func (b *layoutBuilder) enrichedName(field string) string {
	return b.renamed(field, b.cfg.Prefix+field)
}

func (b *layoutBuilder) renamed(key, otherwise string) string {
	if name, ok := b.cfg.Rename[key]; ok {
		return name
	}
	return otherwise
}

// claim records that producer writes the output column name, and fails when
// another producer already writes it.
func (b *layoutBuilder) claim(name, producer string) error {
	if other, ok := b.names[name]; ok {
		return fmt.Errorf("output column %q would be written by both %s and %s; rename one of them (columns.rename) or set columns.prefix", name, other, producer)
	}
	b.names[name] = producer
	return nil
}

// Columns returns the output columns in order.
func (l *Layout) Columns() []Column {
	return slices.Clone(l.columns)
}

func quoteList(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(quoted, ", ")
}
