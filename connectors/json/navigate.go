package json

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/crmsync/crmsync/connectors"
)

// descend reads tokens up to the '[' of the records array, skipping and
// recording the values it passes.
func (r *Reader) descend(segments []string) error {
	tok, err := r.token()
	if err != nil {
		if pe, ok := connectors.AsParseError(err); ok && pe.Kind == connectors.KindTruncated && r.lines.read == 0 {
			pe.Kind = connectors.KindInvalidJSON
			pe.Err = errors.New("file is empty; expected a JSON array of records")
		}
		return err
	}

	path := ""
	for _, segment := range segments {
		delim, _ := tok.(stdjson.Delim)
		switch delim {
		case '{':
			r.levels = append(r.levels, level{object: true, path: path})
			if err := r.findKey(path, segment); err != nil {
				return err
			}
		case '[':
			r.levels = append(r.levels, level{path: path})
			if err := r.findIndex(path, segment); err != nil {
				return err
			}
		default:
			return r.pathError("the value at %q is %s, so it has no member %q", displayPointer(path), describeToken(tok), segment)
		}
		path += "/" + escapePointerToken(segment)
		if tok, err = r.token(); err != nil {
			return err
		}
	}

	if delim, ok := tok.(stdjson.Delim); ok && delim == '[' {
		return nil
	}
	if delim, ok := tok.(stdjson.Delim); ok && delim == '{' && len(segments) == 0 {
		return r.missingPathError(tok)
	}
	return r.pathError("the value at %q is %s, not an array of records", displayPointer(path), describeToken(tok))
}

// findKey skips the members of the object being read up to the key segment;
// the key's value is the next token.
func (r *Reader) findKey(path, segment string) error {
	line := r.lines.lineAt(r.dec.InputOffset())
	var keys []string
	for r.dec.More() {
		tok, err := r.token()
		if err != nil {
			return err
		}
		key, _ := tok.(string)
		if key == segment {
			return nil
		}
		if len(keys) < maxCandidates {
			keys = append(keys, strconv.Quote(key))
		}
		value, err := r.token()
		if err != nil {
			return err
		}
		if err := r.skipValue(value, path+"/"+escapePointerToken(key), false, len(r.levels)); err != nil {
			return err
		}
	}
	err := r.pathError("no key %q in the object at %q (keys: %s)", segment, displayPointer(path), strings.Join(keys, ", "))
	err.Line = line
	return err
}

// findIndex skips the elements of the array being read up to index segment.
func (r *Reader) findIndex(path, segment string) error {
	index, ok := arrayIndex(segment)
	if !ok {
		return r.pathError("%q is not an array index, but the value at %q is an array", segment, displayPointer(path))
	}
	for i := 0; i < index; i++ {
		if !r.dec.More() {
			return r.pathError("the array at %q has only %d elements", displayPointer(path), i)
		}
		value, err := r.token()
		if err != nil {
			return err
		}
		if err := r.skipValue(value, "", true, len(r.levels)); err != nil {
			return err
		}
	}
	if !r.dec.More() {
		return r.pathError("the array at %q has only %d elements", displayPointer(path), index)
	}
	return nil
}

// finish reads the rest of the document after the last record: the closing
// ']' of the records array, the members of every container around it, and
// nothing but white space after the top-level value.
func (r *Reader) finish() error {
	if _, err := r.token(); err != nil {
		return err
	}
	for i := len(r.levels) - 1; i >= 0; i-- {
		lv := r.levels[i]
		for r.dec.More() {
			path := ""
			if lv.object {
				tok, err := r.token()
				if err != nil {
					return err
				}
				key, _ := tok.(string)
				path = lv.path + "/" + escapePointerToken(key)
			}
			value, err := r.token()
			if err != nil {
				return err
			}
			if err := r.skipValue(value, path, !lv.object, i+1); err != nil {
				return err
			}
		}
		if _, err := r.token(); err != nil {
			return err
		}
	}

	tok, err := r.dec.Token()
	if errors.Is(err, io.EOF) {
		return nil
	}
	if err != nil {
		return r.decodeError(err, r.dec.InputOffset())
	}
	return &connectors.ParseError{
		File: r.file, Line: r.lines.lineAt(r.dec.InputOffset()), Kind: connectors.KindInvalidJSON,
		Err: fmt.Errorf("invalid JSON: unexpected %s after the top-level value, so the file contains more than one JSON document; for one object per line set source.format to jsonl", describeToken(tok)),
	}
}

// skipValue reads the rest of the value that starts with tok. Scalars not
// inside an array are kept in the envelope under path. Arrays whose first
// element is an object, and which are not inside another array, are noted as
// candidate records arrays.
func (r *Reader) skipValue(tok stdjson.Token, path string, inArray bool, depth int) error {
	if depth > maxDepth {
		return &connectors.ParseError{
			File: r.file, Line: r.lines.lineAt(r.dec.InputOffset()), Kind: connectors.KindInvalidJSON,
			Err: fmt.Errorf("invalid JSON: nesting deeper than %d levels", maxDepth),
		}
	}

	delim, isDelim := tok.(stdjson.Delim)
	if !isDelim {
		if !inArray {
			r.keep(path, tok)
		}
		return nil
	}

	for index := 0; r.dec.More(); index++ {
		childPath := path
		if delim == '{' {
			keyTok, err := r.token()
			if err != nil {
				return err
			}
			key, _ := keyTok.(string)
			childPath = path + "/" + escapePointerToken(key)
		}
		value, err := r.token()
		if err != nil {
			return err
		}
		if delim == '[' && index == 0 && !inArray {
			if d, ok := value.(stdjson.Delim); ok && d == '{' && len(r.candidates) < maxCandidates {
				r.candidates = append(r.candidates, displayPointer(path))
			}
		}
		if err := r.skipValue(value, childPath, inArray || delim == '[', depth+1); err != nil {
			return err
		}
	}
	_, err := r.token()
	return err
}

// keep stores one scalar of the envelope.
func (r *Reader) keep(path string, tok stdjson.Token) {
	if len(r.envelope) >= maxEnvelopeValues {
		return
	}
	switch t := tok.(type) {
	case string:
		r.envelope[path] = t
	case stdjson.Number:
		r.envelope[path] = t.String()
	case bool:
		r.envelope[path] = strconv.FormatBool(t)
	}
}

// missingPathError reads the top-level object that starts with tok to list
// the arrays of objects in it, and returns an error that suggests them as
// records_path.
func (r *Reader) missingPathError(tok stdjson.Token) error {
	line := r.lines.lineAt(r.dec.InputOffset())
	if err := r.skipValue(tok, "", false, 0); err != nil {
		return err
	}
	hint := "set source.records_path to the JSON Pointer of the records array, for example /results"
	if len(r.candidates) > 0 {
		hint = "set source.records_path to one of: " + strings.Join(r.candidates, ", ")
	}
	return &connectors.ParseError{
		File: r.file, Line: line, Kind: connectors.KindNotRecord,
		Err: fmt.Errorf("the top-level JSON value is an object, not an array of records; %s", hint),
	}
}

func (r *Reader) pathError(format string, args ...any) *connectors.ParseError {
	return &connectors.ParseError{
		File: r.file, Line: r.lines.lineAt(r.dec.InputOffset()), Kind: connectors.KindNotRecord,
		Err: fmt.Errorf("records_path %q: %s", r.pointer, fmt.Sprintf(format, args...)),
	}
}

// displayPointer names the empty pointer, which is the whole document, in
// messages.
func displayPointer(path string) string {
	if path == "" {
		return "(document root)"
	}
	return path
}
