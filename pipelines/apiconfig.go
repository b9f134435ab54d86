package pipelines

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// APIConfig returns the config object sent to the bulk API with each chunk.
// It holds only the keys the pipeline sets: struct (each field as a
// description string or {description, type}, as written), tier,
// research_plan, webhook_url, field_confidence, columns, result_formats,
// save_json and, for the company endpoint, find_people,
// people_focus_prompt, lead_struct and full_org_chart. When columns is set,
// KeyColumn is appended to it. It returns an error
// when the canonical JSON exceeds MaxConfigRunes characters.
func (p *Pipeline) APIConfig() (map[string]any, error) {
	e := p.Enrich
	cfg := map[string]any{}
	if len(e.Struct) > 0 {
		cfg["struct"] = structJSON(e.Struct)
	}
	setString(cfg, "tier", e.Tier)
	setString(cfg, "research_plan", e.ResearchPlan)
	setString(cfg, "webhook_url", e.WebhookURL)
	setBool(cfg, "field_confidence", e.FieldConfidence)
	if e.Columns != nil {
		// The key column must reach the results, or they cannot be joined
		// back to the source records.
		columns := slices.Clone(e.Columns)
		if !slices.Contains(columns, KeyColumn) {
			columns = append(columns, KeyColumn)
		}
		cfg["columns"] = columns
	}
	if e.ResultFormats != nil {
		cfg["result_formats"] = e.ResultFormats
	}
	setBool(cfg, "save_json", e.SaveJSON)
	setBool(cfg, "find_people", e.FindPeople)
	setString(cfg, "people_focus_prompt", e.PeopleFocus)
	if e.LeadStruct != nil {
		cfg["lead_struct"] = e.LeadStruct
	}
	setBool(cfg, "full_org_chart", e.FullOrgChart)

	data, err := CanonicalJSON(cfg)
	if err != nil {
		return nil, err
	}
	if n := utf8.RuneCount(data); n > MaxConfigRunes {
		return nil, fmt.Errorf("the API config is %d characters as JSON, more than the API's limit of %d; shorten the struct descriptions, research_plan or lead_struct", n, MaxConfigRunes)
	}
	return cfg, nil
}

func setString(cfg map[string]any, key, value string) {
	if value != "" {
		cfg[key] = value
	}
}

func setBool(cfg map[string]any, key string, value *bool) {
	if value != nil {
		cfg[key] = *value
	}
}

// structJSON converts struct fields to the API's form: a description string,
// or {description, type} where the YAML used the object form.
func structJSON(fields []StructField) map[string]any {
	out := make(map[string]any, len(fields))
	for _, f := range fields {
		if !f.Object {
			out[f.Name] = f.Description
			continue
		}
		obj := map[string]any{"description": f.Description}
		if f.Type != "" {
			obj["type"] = f.Type
		}
		out[f.Name] = obj
	}
	return out
}

// CanonicalJSON encodes v with map keys sorted at every level, no HTML
// escaping and no trailing newline, so equal configs give equal bytes. The
// bytes are sent as the config part and hashed into the Idempotency-Key.
func CanonicalJSON(v map[string]any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	// encoding/json writes map keys in sorted order.
	if err := enc.Encode(v); err != nil {
		return nil, fmt.Errorf("encode API config as JSON: %w", err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Estimate is the planned cost of enriching some rows.
type Estimate struct {
	Rows             int64
	PriceCentsPerRow int64
	Cents            int64
	// Assumed is true when the price comes from the built-in table, not from
	// enrich.price_cents_per_row.
	Assumed bool
}

// defaultPriceCentsPerRow is the placeholder price per row for each tier, in
// cents. The vendor publishes no per-row prices for the bulk API, so these
// are planning assumptions, and enrich.price_cents_per_row overrides them.
var defaultPriceCentsPerRow = map[string]int64{
	"micro":  1,
	"low":    2,
	"medium": 5,
	"high":   20,
	"xhigh":  40,
}

// EstimateCost returns the planned cost of enriching rows at the pipeline's
// tier. The API bills options such as find_people on top, so the estimate
// is a floor.
func (p *Pipeline) EstimateCost(rows int64) Estimate {
	tier := p.Enrich.Tier
	if tier == "" {
		tier = "low"
	}
	est := Estimate{Rows: rows}
	if price, ok := p.Enrich.PriceCentsPerRow[tier]; ok {
		est.PriceCentsPerRow = price
	} else {
		est.PriceCentsPerRow = defaultPriceCentsPerRow[tier]
		est.Assumed = true
	}
	est.Cents = rows * est.PriceCentsPerRow
	return est
}
