package emulator

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"strconv"
)

// Metadata columns added after the struct columns of every result row.
const (
	columnConfidenceScore = "confidence_score"
	columnNotes           = "notes"
	columnReferences      = "references"
	fieldConfidenceSuffix = "_confidence"
)

// outputColumns lists the result file's columns: the uploaded ones, one per
// struct field, the metadata columns, and one confidence column per field when
// field confidence is requested. A name that appears twice is an error,
// because the result file could not tell the two values apart.
func outputColumns(t *table, cfg *jobConfig) ([]string, error) {
	columns := append([]string(nil), t.columns...)
	for _, f := range cfg.fields {
		columns = append(columns, f.name)
	}
	columns = append(columns, columnConfidenceScore, columnNotes, columnReferences)
	if cfg.fieldConfidence {
		for _, f := range cfg.fields {
			columns = append(columns, f.name+fieldConfidenceSuffix)
		}
	}
	seen := make(map[string]bool, len(columns))
	for _, name := range columns {
		if seen[name] {
			return nil, fmt.Errorf("Result column %q would appear twice: a struct field or metadata column has the same name as an uploaded column or another field; rename the struct field or the column", name)
		}
		seen[name] = true
	}
	return columns, nil
}

// resultRates are the content fault rates applied while building a result.
type resultRates struct {
	passthrough float64
	mistype     float64
	hostile     float64
	shuffle     bool
}

// resultFile is a generated enrichment result.
type resultFile struct {
	format      fileFormat
	data        []byte
	rows        int
	enriched    int
	passthrough int
	// objects holds each result row as a JSON object, in file order.
	objects []json.RawMessage
}

// buildResult generates the enriched file for one job. Every choice is derived
// from the seed, the job's choice key (see newJob) and the row's position or
// content, so the same submissions reproduce the same files.
func buildResult(seed int64, choiceKey string, t *table, cfg *jobConfig, columns []string, rates resultRates) *resultFile {
	seedText := strconv.FormatInt(seed, 10)
	var use map[string]bool
	if len(cfg.columns) > 0 {
		// NOTE: names in config.columns that are not uploaded columns are
		// ignored; the API does not document what it does with them.
		use = make(map[string]bool, len(cfg.columns))
		for _, name := range cfg.columns {
			use[name] = true
		}
	}

	res := &resultFile{format: cfg.resultFormat, rows: len(t.rows)}
	rows := make([][]outValue, len(t.rows))
	for i, row := range t.rows {
		rowKey := strconv.Itoa(i)
		rc := newRowContext(seed, t.columns, row, use)
		out := make([]outValue, 0, len(columns))
		for _, c := range row {
			out = append(out, outValue{text: c.text, json: c.jsonValue(), empty: c.null})
		}
		if unitHash(seedText, choiceKey, rowKey, "passthrough") < rates.passthrough {
			res.passthrough++
			out = appendPassthrough(out, cfg)
		} else {
			res.enriched++
			out = appendEnriched(out, rc, cfg, func(field, purpose string) float64 {
				return unitHash(seedText, choiceKey, rowKey, field, purpose)
			}, rates)
		}
		rows[i] = out
	}

	if rates.shuffle {
		rng := seededRand(seedText, choiceKey, "shuffle")
		rng.Shuffle(len(rows), func(i, j int) { rows[i], rows[j] = rows[j], rows[i] })
	}

	res.objects = make([]json.RawMessage, len(rows))
	for i, row := range rows {
		res.objects[i] = encodeObject(columns, row)
	}
	res.data = encodeFile(cfg.resultFormat, columns, rows, res.objects)
	return res
}

func appendPassthrough(out []outValue, cfg *jobConfig) []outValue {
	for range cfg.fields {
		out = append(out, emptyValue())
	}
	out = append(out, emptyValue(), textValue("Row could not be enriched; it is returned unchanged."), emptyValue())
	if cfg.fieldConfidence {
		for range cfg.fields {
			out = append(out, emptyValue())
		}
	}
	return out
}

// appendEnriched adds the struct values and metadata of an enriched row.
// draw returns a fixed number in [0, 1) for a field and a purpose.
func appendEnriched(out []outValue, rc rowContext, cfg *jobConfig, draw func(field, purpose string) float64, rates resultRates) []outValue {
	for _, f := range cfg.fields {
		v := synthesize(rc, f)
		switch {
		case f.kind != kindString && f.kind != kindDict && draw(f.name, "mistype") < rates.mistype:
			v = mistyped(f.kind)
		case f.kind == kindString && draw(f.name, "hostile") < rates.hostile:
			v = textValue(hostileText(seededRand(rc.digest, f.name, "hostile")))
		}
		out = append(out, v)
	}
	first := "row"
	if len(cfg.fields) > 0 {
		first = cfg.fields[0].name
	}
	references := map[string]string{
		"https://www.example.com/sources/" + rc.digest[:12]: "Synthetic source for " + first,
	}
	out = append(out,
		confidenceScore(rc),
		textValue("Synthetic enrichment from the crmsync emulator; values are not real."),
		jsonTextValue(references),
	)
	if cfg.fieldConfidence {
		for _, f := range cfg.fields {
			out = append(out, fieldConfidence(rc, f))
		}
	}
	return out
}

// encodeObject writes a row as a JSON object with keys in column order.
func encodeObject(columns []string, row []outValue) json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, name := range columns {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(marshalString(name))
		b.WriteByte(':')
		b.Write(row[i].json)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func encodeFile(format fileFormat, columns []string, rows [][]outValue, objects []json.RawMessage) []byte {
	var b bytes.Buffer
	switch format {
	case formatJSON:
		b.WriteString("[")
		for i, obj := range objects {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString("\n")
			b.Write(obj)
		}
		b.WriteString("\n]\n")
	case formatNDJSON:
		for _, obj := range objects {
			b.Write(obj)
			b.WriteByte('\n')
		}
	default:
		w := csv.NewWriter(&b)
		_ = w.Write(columns)
		record := make([]string, len(columns))
		for _, row := range rows {
			for i, v := range row {
				record[i] = v.text
			}
			_ = w.Write(record)
		}
		w.Flush()
	}
	return b.Bytes()
}

// uploadObjects returns the uploaded rows as JSON objects, for the inline
// preview of block 1.
func uploadObjects(t *table, limit int) []json.RawMessage {
	n := min(limit, len(t.rows))
	objects := make([]json.RawMessage, n)
	for i := range n {
		row := make([]outValue, len(t.columns))
		for j, c := range t.rows[i] {
			row[j] = outValue{json: c.jsonValue()}
		}
		objects[i] = encodeObject(t.columns, row)
	}
	return objects
}
