package emulator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
)

// endpoint is a bulk submission route.
type endpoint string

const (
	endpointPeople  endpoint = "people"
	endpointCompany endpoint = "company"
)

// schemaName is the config model's name in the API's OpenAPI document.
func (e endpoint) schemaName() string {
	if e == endpointCompany {
		return "CompanyBulkIntelligenceConfig"
	}
	return "PeopleBulkIntelligenceConfig"
}

// tiers lists the accepted tier values in the order the API's messages use.
func (e endpoint) tiers() []string {
	if e == endpointCompany {
		return []string{"low", "micro", "medium", "high"}
	}
	return []string{"low", "micro", "medium", "high", "xhigh"}
}

// structField is one requested output column.
type structField struct {
	name        string
	description string
	kind        valueKind
}

// jobConfig is a validated config part.
type jobConfig struct {
	fields          []structField
	tier            string
	webhookURL      string
	fieldConfidence bool
	columns         []string
	resultFormat    fileFormat
}

// validationError is one entry of a FastAPI 422 body.
type validationError struct {
	Loc   []any          `json:"loc"`
	Msg   string         `json:"msg"`
	Type  string         `json:"type"`
	Input any            `json:"input"`
	Ctx   map[string]any `json:"ctx,omitempty"`
}

// keyRule checks one config key's value and returns the errors found.
type keyRule func(key string, value json.RawMessage) []validationError

// parseConfig validates the config part against the endpoint's schema. It
// returns either a config, a 400 detail message, or 422 validation errors.
func parseConfig(text string, ep endpoint, allowLoopbackWebhooks bool) (*jobConfig, string, []validationError) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var probe json.RawMessage
	if err := dec.Decode(&probe); err != nil || dec.More() {
		if err == nil {
			err = fmt.Errorf("unexpected data after the JSON value")
		}
		return nil, fmt.Sprintf("Invalid config: not valid JSON (%v); send the config part as a JSON object", err), nil
	}
	probe = bytes.TrimSpace(probe)
	if len(probe) == 0 || probe[0] != '{' {
		return nil, "", []validationError{{
			Loc:   []any{"body", "config"},
			Msg:   "Input should be a valid dictionary or instance of " + ep.schemaName(),
			Type:  "model_type",
			Input: rawInput(probe),
			Ctx:   map[string]any{"class_name": ep.schemaName()},
		}}
	}
	objDec := json.NewDecoder(bytes.NewReader(probe))
	objDec.UseNumber()
	keys, values, err := readObject(objDec)
	if err != nil {
		return nil, fmt.Sprintf("Invalid config: %v", err), nil
	}

	cfg := &jobConfig{tier: "low", resultFormat: formatCSV}
	rules := configRules(ep, cfg, allowLoopbackWebhooks)
	var errs []validationError
	seenStruct := false
	for i, key := range keys {
		rule, ok := rules[key]
		if !ok {
			errs = append(errs, validationError{
				Loc:   []any{"body", "config", key},
				Msg:   "Extra inputs are not permitted",
				Type:  "extra_forbidden",
				Input: rawInput(values[i]),
			})
			continue
		}
		if key == "struct" {
			seenStruct = true
		}
		errs = append(errs, rule(key, values[i])...)
	}
	if ep == endpointCompany && !seenStruct {
		errs = append(errs, validationError{
			Loc:   []any{"body", "config", "struct"},
			Msg:   "Field required",
			Type:  "missing",
			Input: rawInput(probe),
		})
	}
	if len(errs) > 0 {
		return nil, "", errs
	}
	return cfg, "", nil
}

// configRules returns the schema of one endpoint's config. Rules that accept
// a value store it in cfg.
func configRules(ep endpoint, cfg *jobConfig, allowLoopbackWebhooks bool) map[string]keyRule {
	rules := map[string]keyRule{
		"struct": func(key string, v json.RawMessage) []validationError {
			if isNull(v) && ep == endpointPeople {
				return nil
			}
			fields, errs := parseStruct([]any{"body", "config", key}, v)
			cfg.fields = fields
			return errs
		},
		"research_plan": nullableString,
		"tier": func(key string, v json.RawMessage) []validationError {
			if isNull(v) {
				return nil
			}
			var tier string
			if json.Unmarshal(v, &tier) == nil {
				for _, allowed := range ep.tiers() {
					if tier == allowed {
						cfg.tier = tier
						return nil
					}
				}
			}
			expected := quoteList(ep.tiers())
			return []validationError{{
				Loc: []any{"body", "config", key}, Msg: "Input should be " + expected,
				Type: "enum", Input: rawInput(v), Ctx: map[string]any{"expected": expected},
			}}
		},
		"webhook_url": func(key string, v json.RawMessage) []validationError {
			if isNull(v) {
				return nil
			}
			loc := []any{"body", "config", key}
			var raw string
			if json.Unmarshal(v, &raw) != nil {
				return []validationError{typeError(loc, v, "string_type", "Input should be a valid string")}
			}
			if verr := checkWebhookURL(loc, raw, allowLoopbackWebhooks); verr != nil {
				return []validationError{*verr}
			}
			cfg.webhookURL = raw
			return nil
		},
		"field_confidence": func(key string, v json.RawMessage) []validationError {
			if isNull(v) {
				return nil
			}
			var b bool
			if json.Unmarshal(v, &b) != nil {
				return []validationError{typeError([]any{"body", "config", key}, v, "bool_type", "Input should be a valid boolean")}
			}
			cfg.fieldConfidence = b
			return nil
		},
		"columns": func(key string, v json.RawMessage) []validationError {
			list, errs := nullableStringList(key, v)
			cfg.columns = list
			return errs
		},
		"result_formats": func(key string, v json.RawMessage) []validationError {
			list, errs := nullableStringList(key, v)
			if len(errs) > 0 || len(list) == 0 {
				return errs
			}
			for i, name := range list {
				format, ok := resultFormatByName(name)
				if !ok {
					errs = append(errs, validationError{
						Loc: []any{"body", "config", key, i}, Type: "value_error", Input: name,
						Msg: fmt.Sprintf("Value error, unknown result format %q; use csv, json or ndjson", name),
					})
					continue
				}
				// The first listed format decides the result file.
				if i == 0 {
					cfg.resultFormat = format
				}
			}
			return errs
		},
		"save_json": plainBool,
	}
	if ep == endpointCompany {
		rules["find_people"] = plainBool
		rules["full_org_chart"] = plainBool
		rules["people_focus_prompt"] = nullableString
		rules["lead_struct"] = func(key string, v json.RawMessage) []validationError {
			if isNull(v) {
				return nil
			}
			// NOTE: lead_struct is validated but adds no columns, because the
			// emulator does not model discovered people.
			_, errs := parseStruct([]any{"body", "config", key}, v)
			return errs
		}
	}
	return rules
}

func resultFormatByName(name string) (fileFormat, bool) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "csv":
		return formatCSV, true
	case "json":
		return formatJSON, true
	case "ndjson", "jsonl":
		return formatNDJSON, true
	}
	return 0, false
}

// parseStruct validates a struct object: each value is a description string
// or an object {"description": ..., "type": ...}. Field order is kept.
func parseStruct(loc []any, v json.RawMessage) ([]structField, []validationError) {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || v[0] != '{' {
		return nil, []validationError{typeError(loc, v, "dict_type", "Input should be a valid dictionary")}
	}
	dec := json.NewDecoder(bytes.NewReader(v))
	dec.UseNumber()
	names, values, err := readObject(dec)
	if err != nil {
		return nil, []validationError{typeError(loc, v, "dict_type", "Input should be a valid dictionary")}
	}
	var fields []structField
	var errs []validationError
	for i, name := range names {
		fieldLoc := appendLoc(loc, name)
		if strings.TrimSpace(name) == "" {
			errs = append(errs, valueError(fieldLoc, values[i], "struct field names must not be empty"))
			continue
		}
		field, verrs := parseStructValue(fieldLoc, name, values[i])
		errs = append(errs, verrs...)
		if len(verrs) == 0 {
			fields = append(fields, field)
		}
	}
	return fields, errs
}

func parseStructValue(loc []any, name string, v json.RawMessage) (structField, []validationError) {
	var description string
	if json.Unmarshal(v, &description) == nil {
		return structField{name: name, description: description, kind: kindString}, nil
	}
	trimmed := bytes.TrimSpace(v)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return structField{}, []validationError{valueError(loc, v, "a struct value must be a description string or an object with description and type")}
	}
	dec := json.NewDecoder(bytes.NewReader(trimmed))
	keys, values, err := readObject(dec)
	if err != nil {
		return structField{}, []validationError{valueError(loc, v, err.Error())}
	}
	field := structField{name: name, kind: kindString}
	var errs []validationError
	for i, key := range keys {
		switch key {
		case "description":
			if json.Unmarshal(values[i], &field.description) != nil {
				errs = append(errs, typeError(appendLoc(loc, key), values[i], "string_type", "Input should be a valid string"))
			}
		case "type":
			var typeName string
			kind, ok := valueKind(0), false
			if json.Unmarshal(values[i], &typeName) == nil {
				kind, ok = parseValueKind(typeName)
			}
			if !ok {
				errs = append(errs, valueError(appendLoc(loc, key), values[i],
					"unknown type; use str, int, float, bool, list, list[str], list[int], list[float], list[bool] or dict"))
				continue
			}
			field.kind = kind
		default:
			errs = append(errs, validationError{
				Loc: appendLoc(loc, key), Msg: "Extra inputs are not permitted",
				Type: "extra_forbidden", Input: rawInput(values[i]),
			})
		}
	}
	return field, errs
}

func nullableString(key string, v json.RawMessage) []validationError {
	var s string
	if isNull(v) || json.Unmarshal(v, &s) == nil {
		return nil
	}
	return []validationError{typeError([]any{"body", "config", key}, v, "string_type", "Input should be a valid string")}
}

func plainBool(key string, v json.RawMessage) []validationError {
	var b bool
	if json.Unmarshal(v, &b) == nil && !isNull(v) {
		return nil
	}
	return []validationError{typeError([]any{"body", "config", key}, v, "bool_type", "Input should be a valid boolean")}
}

func nullableStringList(key string, v json.RawMessage) ([]string, []validationError) {
	if isNull(v) {
		return nil, nil
	}
	loc := []any{"body", "config", key}
	var items []json.RawMessage
	if json.Unmarshal(v, &items) != nil {
		return nil, []validationError{typeError(loc, v, "list_type", "Input should be a valid list")}
	}
	list := make([]string, 0, len(items))
	var errs []validationError
	for i, item := range items {
		var s string
		if json.Unmarshal(item, &s) != nil {
			errs = append(errs, typeError(appendLoc(loc, i), item, "string_type", "Input should be a valid string"))
			continue
		}
		list = append(list, s)
	}
	return list, errs
}

func typeError(loc []any, v json.RawMessage, errType, msg string) validationError {
	return validationError{Loc: loc, Msg: msg, Type: errType, Input: rawInput(v)}
}

func valueError(loc []any, v json.RawMessage, reason string) validationError {
	return validationError{Loc: loc, Msg: "Value error, " + reason, Type: "value_error", Input: rawInput(v), Ctx: map[string]any{"error": reason}}
}

func appendLoc(loc []any, elem any) []any {
	out := make([]any, len(loc), len(loc)+1)
	copy(out, loc)
	return append(out, elem)
}

func isNull(v json.RawMessage) bool {
	return bytes.Equal(bytes.TrimSpace(v), []byte("null"))
}

// rawInput returns v for the "input" member of a validation error.
func rawInput(v json.RawMessage) any {
	if len(bytes.TrimSpace(v)) == 0 {
		return nil
	}
	return v
}

// quoteList formats values as pydantic does: 'a', 'b' or 'c'.
func quoteList(values []string) string {
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + v + "'"
	}
	if len(quoted) == 1 {
		return quoted[0]
	}
	return strings.Join(quoted[:len(quoted)-1], ", ") + " or " + quoted[len(quoted)-1]
}
