package sinks

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"
)

// ParseKind parses a type name as written in source.types or in an
// enrich.struct {description, type} entry. It accepts, in any letter case:
// str, string, int, integer, float, bool, boolean, dict, timestamp, list
// (a list of str) and list[E] for any of those element types except list.
func ParseKind(s string) (kind, elem Kind, err error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if inner, ok := strings.CutPrefix(name, "list"); ok {
		if inner == "" {
			return List, String, nil
		}
		if !strings.HasPrefix(inner, "[") || !strings.HasSuffix(inner, "]") {
			return "", "", unknownKindError(s)
		}
		elem, ok := scalarKinds[strings.TrimSpace(inner[1:len(inner)-1])]
		if !ok {
			return "", "", unknownKindError(s)
		}
		return List, elem, nil
	}
	kind, ok := scalarKinds[name]
	if !ok {
		return "", "", unknownKindError(s)
	}
	return kind, "", nil
}

var scalarKinds = map[string]Kind{
	"str":       String,
	"string":    String,
	"int":       Int,
	"integer":   Int,
	"float":     Float,
	"bool":      Bool,
	"boolean":   Bool,
	"dict":      JSON,
	"timestamp": Timestamp,
}

func unknownKindError(s string) error {
	return fmt.Errorf("unknown type %q; use str, int, float, bool, dict, timestamp, list or list[E] with E one of those scalar types", s)
}

// isNumber reports whether text follows the JSON number grammar with an
// optional leading '+': [+-]?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
// It rejects what strconv and math/big would accept beyond it: hexadecimal,
// underscores, Inf, NaN and fractions such as "1/2".
func isNumber(text string) bool {
	i := 0
	if i < len(text) && (text[i] == '+' || text[i] == '-') {
		i++
	}
	switch {
	case i < len(text) && text[i] == '0':
		i++
	case i < len(text) && text[i] >= '1' && text[i] <= '9':
		i = skipDigits(text, i)
	default:
		return false
	}
	if i < len(text) && text[i] == '.' {
		start := i + 1
		if i = skipDigits(text, start); i == start {
			return false
		}
	}
	if i < len(text) && (text[i] == 'e' || text[i] == 'E') {
		i++
		if i < len(text) && (text[i] == '+' || text[i] == '-') {
			i++
		}
		start := i
		if i = skipDigits(text, start); i == start {
			return false
		}
	}
	return i == len(text)
}

// skipDigits returns the index of the first byte at or after i in text that
// is not an ASCII digit.
func skipDigits(text string, i int) int {
	for i < len(text) && text[i] >= '0' && text[i] <= '9' {
		i++
	}
	return i
}

// Convert converts the text of one cell to the Go value of kind:
//
//   - str: the text unchanged, as a string.
//   - int: an int64. The text must be a JSON number (optionally with a
//     leading '+') whose value is an exact integer within int64, so "42",
//     "42.0", "1e3" and Salesforce's "9.9213206E7" convert, while "42.5",
//     "1,200" and "50-100" are errors.
//   - float: a float64 from a JSON number (optionally with a leading '+'),
//     rounded to the nearest float64. Inf, NaN and hexadecimal are errors.
//   - bool: true for "true" or "1", false for "false" or "0", in any letter
//     case ("True" is what Python writes).
//   - list: a JSON array, returned as []any whose elements are converted
//     with elem (String when elem is empty). A JSON null element stays nil.
//   - dict: a JSON object, validated and returned as its text (a string).
//   - timestamp: a time.Time in UTC from RFC 3339 text with a time zone,
//     such as "2024-01-10T08:30:15.234Z".
//
// For every kind but str, a text that is empty or only white space converts
// to nil (null) without an error, and surrounding white space is ignored.
// A text that does not convert returns an error that quotes it.
func Convert(kind, elem Kind, text string) (any, error) {
	if kind == String {
		return text, nil
	}
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return nil, nil
	}
	switch kind {
	case Int:
		return convertInt(trimmed)
	case Float:
		return convertFloat(trimmed)
	case Bool:
		return convertBool(trimmed)
	case List:
		return convertList(elem, trimmed)
	case JSON:
		return convertDict(trimmed)
	case Timestamp:
		return convertTimestamp(trimmed)
	}
	return nil, fmt.Errorf("convert %s: unknown column type %q", quoteShort(text), kind)
}

// ConvertInt converts text as Convert does for Int, without boxing the
// result in an interface. null is true when text is empty or only white
// space.
func ConvertInt(text string) (n int64, null bool, err error) {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return 0, true, nil
	}
	n, err = convertInt(trimmed)
	return n, false, err
}

// ConvertFloat converts text as Convert does for Float, without boxing the
// result in an interface. null is true when text is empty or only white
// space.
func ConvertFloat(text string) (f float64, null bool, err error) {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return 0, true, nil
	}
	f, err = convertFloat(trimmed)
	return f, false, err
}

// ConvertBool converts text as Convert does for Bool. null is true when
// text is empty or only white space.
func ConvertBool(text string) (b bool, null bool, err error) {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return false, true, nil
	}
	b, err = convertBool(trimmed)
	return b, false, err
}

// ConvertTimestamp converts text as Convert does for Timestamp, without
// boxing the result in an interface. null is true when text is empty or
// only white space.
func ConvertTimestamp(text string) (t time.Time, null bool, err error) {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return time.Time{}, true, nil
	}
	t, err = convertTimestamp(trimmed)
	return t, false, err
}

// ConvertDict converts text as Convert does for JSON (dict): it returns the
// trimmed text of a JSON object. null is true when text is empty or only
// white space.
func ConvertDict(text string) (object string, null bool, err error) {
	trimmed := strings.TrimSpace(text)
	if trimmed == "" {
		return "", true, nil
	}
	object, err = convertDict(trimmed)
	return object, false, err
}

func convertInt(text string) (int64, error) {
	if !isNumber(text) {
		return 0, fmt.Errorf("%s is not an integer", quoteShort(text))
	}
	digits := strings.TrimPrefix(text, "+")
	if n, err := strconv.ParseInt(digits, 10, 64); err == nil {
		return n, nil
	}
	// A decimal point or exponent: accept the text only when its exact value
	// is a whole number, so that "42.5" never truncates to 42.
	var r big.Rat
	if _, ok := r.SetString(digits); !ok {
		return 0, fmt.Errorf("%s is not an integer", quoteShort(text))
	}
	if !r.IsInt() {
		return 0, fmt.Errorf("%s is not a whole number", quoteShort(text))
	}
	n := r.Num()
	if !n.IsInt64() {
		return 0, fmt.Errorf("%s is outside the int64 range", quoteShort(text))
	}
	return n.Int64(), nil
}

func convertFloat(text string) (float64, error) {
	if !isNumber(text) {
		return 0, fmt.Errorf("%s is not a number", quoteShort(text))
	}
	f, err := strconv.ParseFloat(strings.TrimPrefix(text, "+"), 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%s is outside the float64 range", quoteShort(text))
	}
	return f, nil
}

func convertBool(text string) (bool, error) {
	switch strings.ToLower(text) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%s is not a boolean; use true, false, 1 or 0", quoteShort(text))
}

func convertList(elem Kind, text string) ([]any, error) {
	if elem == "" {
		elem = String
	}
	if elem == List {
		return nil, errors.New("lists of lists are not supported")
	}
	if !strings.HasPrefix(text, "[") {
		return nil, fmt.Errorf("%s is not a JSON array", quoteShort(text))
	}
	var raw []json.RawMessage
	if err := json.Unmarshal([]byte(text), &raw); err != nil {
		return nil, fmt.Errorf("%s is not a JSON array: %v", quoteShort(text), err)
	}
	out := make([]any, len(raw))
	for i, item := range raw {
		itemText, isNull, err := jsonElementText(item)
		if err != nil {
			return nil, fmt.Errorf("list element %d: %v", i, err)
		}
		if isNull {
			continue
		}
		v, err := Convert(elem, "", itemText)
		if err != nil {
			return nil, fmt.Errorf("list element %d: %v", i, err)
		}
		out[i] = v
	}
	return out, nil
}

// jsonElementText returns the text a list element stands for: the content of
// a JSON string, or the literal text of a number, boolean, object or array.
func jsonElementText(item json.RawMessage) (text string, isNull bool, err error) {
	item = bytes.TrimSpace(item)
	if string(item) == "null" {
		return "", true, nil
	}
	if len(item) > 0 && item[0] == '"' {
		var s string
		if err := json.Unmarshal(item, &s); err != nil {
			return "", false, err
		}
		return s, false, nil
	}
	return string(item), false, nil
}

func convertDict(text string) (string, error) {
	if !strings.HasPrefix(text, "{") || !validJSON(text) {
		return "", fmt.Errorf("%s is not a JSON object", quoteShort(text))
	}
	return text, nil
}

func convertTimestamp(text string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s is not an RFC 3339 timestamp with a time zone, such as 2024-01-10T08:30:15Z", quoteShort(text))
	}
	return t.UTC(), nil
}

// quoteShort quotes text for an error message, cut to 80 bytes so that a
// 100 KB value does not flood the log.
func quoteShort(text string) string {
	const limit = 80
	if len(text) <= limit {
		return strconv.Quote(text)
	}
	return strconv.Quote(strings.ToValidUTF8(text[:limit], "")) + "..."
}
