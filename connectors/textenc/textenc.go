// Package textenc turns an input byte stream into UTF-8 text. It strips a
// UTF-8 byte-order mark, detects UTF-16 LE and BE by their byte-order marks,
// and otherwise decodes the declared encoding through golang.org/x/text. A
// byte-order mark overrides the declared encoding.
//
// UTF-8 input, declared or detected, is passed on unchanged: invalid bytes are
// not replaced, so the format readers can report them with their position.
package textenc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/ianaindex"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// Detection describes how the input was decoded.
type Detection struct {
	// Encoding is the canonical name of the encoding used, such as "utf-8",
	// "utf-16le" or "windows-1252".
	Encoding string
	// BOM is true when a byte-order mark was found and removed.
	BOM bool
}

// ErrUnknownEncoding is wrapped by the error NewReader returns for an encoding
// name that neither the WHATWG nor the IANA registry lists.
var ErrUnknownEncoding = errors.New("unknown encoding")

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// NewReader returns a reader of UTF-8 text decoded from r. The declared
// encoding is a WHATWG or IANA name ("utf-8", "windows-1252", "iso-8859-1",
// "utf-16le", "shift_jis", ...); "" means UTF-8. A byte-order mark at the
// start of r decides the encoding whatever was declared, and is removed.
func NewReader(r io.Reader, declared string) (io.Reader, Detection, error) {
	declaredEnc, declaredName, err := Lookup(declared)
	if err != nil {
		return nil, Detection{}, err
	}

	br := bufio.NewReader(r)
	head, err := br.Peek(3)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, Detection{}, err
	}

	switch {
	case bytes.HasPrefix(head, bomUTF8):
		if _, err := br.Discard(len(bomUTF8)); err != nil {
			return nil, Detection{}, err
		}
		return br, Detection{Encoding: "utf-8", BOM: true}, nil
	case bytes.HasPrefix(head, bomUTF16LE):
		// ExpectBOM removes the byte-order mark from the output.
		dec := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder()
		return transform.NewReader(br, dec), Detection{Encoding: "utf-16le", BOM: true}, nil
	case bytes.HasPrefix(head, bomUTF16BE):
		dec := unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM).NewDecoder()
		return transform.NewReader(br, dec), Detection{Encoding: "utf-16be", BOM: true}, nil
	}

	if declaredEnc == nil {
		return br, Detection{Encoding: "utf-8"}, nil
	}
	return transform.NewReader(br, declaredEnc.NewDecoder()), Detection{Encoding: declaredName}, nil
}

// Lookup returns the encoding called name and its canonical name. It returns a
// nil encoding for UTF-8, which needs no decoding. IANA names are tried first,
// so "iso-8859-1" means ISO 8859-1 and not windows-1252 as in the WHATWG
// registry.
func Lookup(name string) (encoding.Encoding, string, error) {
	trimmed := strings.TrimSpace(name)
	switch strings.ToLower(trimmed) {
	case "", "utf-8", "utf8":
		return nil, "utf-8", nil
	case "utf-16le", "utf16le":
		return unicode.UTF16(unicode.LittleEndian, unicode.IgnoreBOM), "utf-16le", nil
	case "utf-16be", "utf16be":
		return unicode.UTF16(unicode.BigEndian, unicode.IgnoreBOM), "utf-16be", nil
	}

	if enc, err := ianaindex.IANA.Encoding(trimmed); err == nil && enc != nil {
		return enc, canonicalName(enc, trimmed), nil
	}
	if enc, err := htmlindex.Get(trimmed); err == nil && enc != nil {
		return enc, canonicalName(enc, trimmed), nil
	}
	return nil, "", fmt.Errorf("%w %q; use a WHATWG or IANA name such as utf-8, windows-1252, iso-8859-1, iso-8859-15, utf-16le or shift_jis", ErrUnknownEncoding, name)
}

// canonicalName returns the lower-case registry name of enc, or the name the
// user declared when no registry names it.
func canonicalName(enc encoding.Encoding, declared string) string {
	if n, err := htmlindex.Name(enc); err == nil {
		return n
	}
	if n, err := ianaindex.MIME.Name(enc); err == nil {
		return strings.ToLower(n)
	}
	return strings.ToLower(declared)
}
