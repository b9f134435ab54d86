package json

import (
	"bytes"
	stdjson "encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/crmsync/crmsync/connectors"
)

// ArrayMode selects how Flatten names the elements of a JSON array.
type ArrayMode string

const (
	// ArraysIndex flattens each element under its index: email.0.value,
	// email.1.label. An empty array produces no field.
	ArraysIndex ArrayMode = "index"
	// ArraysJSON keeps the whole array as one field whose text is the
	// array's JSON with insignificant whitespace removed.
	ArraysJSON ArrayMode = "json"
)

// ParseArrayMode converts the flatten_arrays setting; "" means ArraysIndex.
func ParseArrayMode(s string) (ArrayMode, error) {
	switch ArrayMode(s) {
	case "", ArraysIndex:
		return ArraysIndex, nil
	case ArraysJSON:
		return ArraysJSON, nil
	}
	return "", fmt.Errorf("invalid flatten_arrays %q: use index or json", s)
}

// FlattenError reports why one JSON record cannot become a
// connectors.Record. Kind is KindNotRecord, KindInvalidUTF8, KindNULByte or
// KindDuplicateKey.
type FlattenError struct {
	Kind connectors.ErrorKind
	Err  error
}

func (e *FlattenError) Error() string { return e.Err.Error() }
func (e *FlattenError) Unwrap() error { return e.Err }

// Flatten appends the fields of the JSON object in data to fields and returns
// the result. data must be one syntactically valid JSON value, as checked by
// encoding/json. Names of nested values are joined with dots
// (properties.email); arrays follow mode. Values keep their source text:
// strings are unescaped, numbers and booleans are their literal text, null is
// a null field. An empty object produces no field.
func Flatten(data []byte, mode ArrayMode, fields []connectors.Field) ([]connectors.Field, error) {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return fields, &FlattenError{Kind: connectors.KindNotRecord, Err: fmt.Errorf("expected a JSON object, found %s", describeValue(data[i:]))}
	}

	f := flattener{mode: mode, fields: fields}
	if _, err := f.object(data, i); err != nil {
		return fields, err
	}
	if err := checkDuplicates(f.fields[len(fields):]); err != nil {
		return fields, err
	}
	return f.fields, nil
}

type flattener struct {
	mode   ArrayMode
	fields []connectors.Field
	name   []byte // dotted name of the value being read
}

// value reads the value starting at data[i] and returns the index after it.
func (f *flattener) value(data []byte, i int) (int, error) {
	switch data[i] {
	case '{':
		return f.object(data, i)
	case '[':
		if f.mode == ArraysJSON {
			return f.arrayText(data, i)
		}
		return f.array(data, i)
	case '"':
		text, end, err := unquote(data, i)
		if err != nil {
			return 0, f.textError(err)
		}
		f.emit(connectors.Field{Text: text})
		return end, nil
	}

	end := literalEnd(data, i)
	literal := data[i:end]
	if string(literal) == "null" {
		f.emit(connectors.Field{Null: true})
	} else {
		f.emit(connectors.Field{Text: string(literal)})
	}
	return end, nil
}

func (f *flattener) object(data []byte, i int) (int, error) {
	i = skipSpace(data, i+1)
	if data[i] == '}' {
		return i + 1, nil
	}
	outer := len(f.name)
	for {
		key, end, err := unquote(data, i)
		if err != nil {
			return 0, f.textError(err)
		}
		if outer > 0 {
			f.name = append(f.name, '.')
		}
		f.name = append(f.name, key...)

		i = skipSpace(data, end)
		i = skipSpace(data, i+1) // the colon
		if i, err = f.value(data, i); err != nil {
			return 0, err
		}
		f.name = f.name[:outer]

		i = skipSpace(data, i)
		if data[i] == '}' {
			return i + 1, nil
		}
		i = skipSpace(data, i+1) // the comma
	}
}

func (f *flattener) array(data []byte, i int) (int, error) {
	i = skipSpace(data, i+1)
	if data[i] == ']' {
		return i + 1, nil
	}
	outer := len(f.name)
	for index := 0; ; index++ {
		if outer > 0 {
			f.name = append(f.name, '.')
		}
		f.name = strconv.AppendInt(f.name, int64(index), 10)

		var err error
		if i, err = f.value(data, i); err != nil {
			return 0, err
		}
		f.name = f.name[:outer]

		i = skipSpace(data, i)
		if data[i] == ']' {
			return i + 1, nil
		}
		i = skipSpace(data, i+1)
	}
}

// arrayText emits the array at data[i] as one field of compact JSON text.
func (f *flattener) arrayText(data []byte, i int) (int, error) {
	end := valueEnd(data, i)
	text := data[i:end]
	if !utf8.Valid(text) {
		return 0, f.textError(invalidUTF8(text))
	}
	var buf bytes.Buffer
	if err := stdjson.Compact(&buf, text); err != nil {
		return 0, &FlattenError{Kind: connectors.KindInvalidJSON, Err: err}
	}
	f.emit(connectors.Field{Text: buf.String()})
	return end, nil
}

func (f *flattener) emit(field connectors.Field) {
	field.Name = string(f.name)
	f.fields = append(f.fields, field)
}

func (f *flattener) textError(err error) error {
	where := "a key"
	if len(f.name) > 0 {
		where = fmt.Sprintf("field %q", f.name)
	}
	kind := connectors.KindInvalidUTF8
	if errors.Is(err, errNULEscape) {
		kind = connectors.KindNULByte
	}
	return &FlattenError{Kind: kind, Err: fmt.Errorf("%s: %w", where, err)}
}

// checkDuplicates rejects a record in which two values flatten to one name,
// as {"a":1,"a":2} or {"a.b":1,"a":{"b":2}} do.
func checkDuplicates(fields []connectors.Field) error {
	if len(fields) < 2 {
		return nil
	}
	seen := make(map[string]struct{}, len(fields))
	for _, field := range fields {
		if _, ok := seen[field.Name]; ok {
			return &FlattenError{Kind: connectors.KindDuplicateKey, Err: fmt.Errorf("duplicate field %q in the record (a repeated key, or a dotted key that equals a nested name)", field.Name)}
		}
		seen[field.Name] = struct{}{}
	}
	return nil
}

// unquote returns the unescaped text of the JSON string starting at data[i]
// and the index after its closing quote. It rejects invalid UTF-8, which
// encoding/json would silently replace with U+FFFD.
func unquote(data []byte, i int) (string, int, error) {
	j := i + 1
	escaped := false
	for data[j] != '"' {
		if data[j] == '\\' {
			escaped = true
			j++
		}
		j++
	}
	content := data[i+1 : j]
	if !utf8.Valid(content) {
		return "", 0, invalidUTF8(content)
	}
	if !escaped {
		return string(content), j + 1, nil
	}
	var s string
	if err := stdjson.Unmarshal(data[i:j+1], &s); err != nil {
		return "", 0, err
	}
	if strings.IndexByte(s, 0) >= 0 {
		return "", 0, errNULEscape
	}
	return s, j + 1, nil
}

// errNULEscape rejects a \u0000 escape. A NUL is a data error wherever it
// comes from, as a raw byte in CSV or as this escape in JSON, so no record
// ever contains one.
var errNULEscape = errors.New(`\u0000 escape (NUL character) in a string; remove it from the export`)

func invalidUTF8(b []byte) error {
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size <= 1 {
			return fmt.Errorf("invalid UTF-8 byte 0x%02X (the file may be in another encoding; set source.encoding, for example windows-1252)", b[i])
		}
		i += size
	}
	return errors.New("invalid UTF-8")
}

func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// literalEnd returns the index after the number, true, false or null at
// data[i].
func literalEnd(data []byte, i int) int {
	for i < len(data) && !strings.ContainsRune(" \t\r\n,}]", rune(data[i])) {
		i++
	}
	return i
}

// valueEnd returns the index after the valid JSON value at data[i].
func valueEnd(data []byte, i int) int {
	switch data[i] {
	case '"':
		j := i + 1
		for data[j] != '"' {
			if data[j] == '\\' {
				j++
			}
			j++
		}
		return j + 1
	case '{', '[':
		depth := 0
		for j := i; j < len(data); j++ {
			switch data[j] {
			case '"':
				j = valueEnd(data, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return j + 1
				}
			}
		}
		return len(data)
	}
	return literalEnd(data, i)
}

// describeValue names the kind of the JSON value at the start of data for
// error messages.
func describeValue(data []byte) string {
	if len(data) == 0 {
		return "nothing"
	}
	switch data[0] {
	case '[':
		return "an array"
	case '"':
		return "a string"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
