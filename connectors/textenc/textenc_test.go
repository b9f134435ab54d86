package textenc_test

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors/textenc"
	"golang.org/x/text/encoding/unicode"
)

func decode(t *testing.T, input []byte, declared string) (string, textenc.Detection) {
	t.Helper()
	r, det, err := textenc.NewReader(bytes.NewReader(input), declared)
	if err != nil {
		t.Fatalf("NewReader(%q): %v", declared, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return string(out), det
}

func utf16(t *testing.T, s string, order unicode.Endianness) []byte {
	t.Helper()
	b, err := unicode.UTF16(order, unicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNewReaderDetection(t *testing.T) {
	tests := []struct {
		name     string
		input    []byte
		declared string
		want     string
		encoding string
		bom      bool
	}{
		{"plain UTF-8", []byte("Zoë,1\n"), "", "Zoë,1\n", "utf-8", false},
		{"UTF-8 BOM stripped", []byte("\xEF\xBB\xBF\"Email\"\n"), "", "\"Email\"\n", "utf-8", true},
		{"UTF-8 invalid bytes kept", []byte("Zo\xEB"), "utf-8", "Zo\xEB", "utf-8", false},
		{"UTF-16LE BOM", utf16(t, "Zoë\tMünchen\r\n", unicode.LittleEndian), "", "Zoë\tMünchen\r\n", "utf-16le", true},
		{"UTF-16BE BOM", utf16(t, "Köln", unicode.BigEndian), "", "Köln", "utf-16be", true},
		{"BOM overrides declared", []byte("\xEF\xBB\xBFZo\xC3\xAB"), "windows-1252", "Zoë", "utf-8", true},
		{"windows-1252 declared", []byte("Zo\xEB \x93Growth\x94"), "windows-1252", "Zoë “Growth”", "windows-1252", false},
		{"cp1252 alias", []byte("J\xFCrgen"), "cp1252", "Jürgen", "windows-1252", false},
		// ISO 8859-1 maps 0x93 to the C1 control U+0093, not to a quote.
		{"iso-8859-1 is not windows-1252", []byte("\x93"), "ISO-8859-1", "\u0093", "iso-8859-1", false},
		{"empty input", nil, "", "", "utf-8", false},
		{"one byte", []byte("a"), "", "a", "utf-8", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, det := decode(t, tt.input, tt.declared)
			if got != tt.want {
				t.Errorf("text = %q, want %q", got, tt.want)
			}
			if det.Encoding != tt.encoding {
				t.Errorf("encoding = %q, want %q", det.Encoding, tt.encoding)
			}
			if det.BOM != tt.bom {
				t.Errorf("BOM = %v, want %v", det.BOM, tt.bom)
			}
		})
	}
}

func TestNewReaderUnknownEncoding(t *testing.T) {
	_, _, err := textenc.NewReader(strings.NewReader("x"), "latin-9000")
	if !errors.Is(err, textenc.ErrUnknownEncoding) {
		t.Fatalf("error = %v, want ErrUnknownEncoding", err)
	}
	for _, name := range []string{`"latin-9000"`, "windows-1252", "iso-8859-1", "utf-16le"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error %q does not mention %s", err, name)
		}
	}
}
