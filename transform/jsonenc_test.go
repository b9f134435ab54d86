package transform

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

var jsonStrings = []string{
	"",
	"plain",
	`quote " and backslash \`,
	"control \x00 \x01 \x1f \x7f",
	"line\nbreak\r\ttab",
	"Zoë – 東京 🚀",
	"separators \u2028 and \u2029",
	"</script><!-- & -->",
	strings.Repeat("long ", 10000),
}

func TestAppendJSONStringRoundTrip(t *testing.T) {
	for _, s := range jsonStrings {
		enc := AppendJSONString(nil, s)
		if !json.Valid(enc) {
			t.Errorf("AppendJSONString(%q) = %s, not valid JSON", shortText(s), shortText(string(enc)))
			continue
		}
		var back string
		if err := json.Unmarshal(enc, &back); err != nil {
			t.Fatal(err)
		}
		if back != s {
			t.Errorf("round trip of %q gave %q", shortText(s), shortText(back))
		}
		if strings.ContainsAny(string(enc), "\u2028\u2029\n\r") {
			t.Errorf("AppendJSONString(%q) left a raw line separator in %q", shortText(s), shortText(string(enc)))
		}
	}
}

func TestAppendJSONStringInvalidUTF8(t *testing.T) {
	enc := AppendJSONString([]byte("prefix:"), "Zo\xeb\xff!")
	if got, want := string(enc), `prefix:"Zo\ufffd\ufffd!"`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	var back string
	if err := json.Unmarshal(enc[len("prefix:"):], &back); err != nil {
		t.Fatal(err)
	}
	if !utf8.ValidString(back) {
		t.Errorf("decoded %q is not valid UTF-8", back)
	}
}

func TestEncodeRowMatchesEncodingJSON(t *testing.T) {
	inputs := []Input{mustInput(t, "full_name", "{FirstName} {LastName}"), mustInput(t, "note", "Note"), mustInput(t, "city", "City")}
	for i, s := range jsonStrings {
		rec := record(field("FirstName", s), field("LastName", "X"), field("Note", s), nullField("City"))
		line := EncodeRow(nil, inputs, int64(i), rec)
		if !strings.HasSuffix(string(line), "}\n") || strings.Count(string(line), "\n") != 1 {
			t.Fatalf("row %d is not one line: %q", i, shortText(string(line)))
		}
		if !strings.HasPrefix(string(line), `{"_crmsync_key":"`) {
			t.Errorf("row %d does not start with the key column: %q", i, shortText(string(line)))
		}
		var got map[string]any
		if err := json.Unmarshal(line, &got); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
		want := map[string]any{
			KeyColumn:   strconv.Itoa(i),
			"full_name": strings.TrimSpace(s + " X"),
			"note":      s,
			"city":      nil,
		}
		wantJSON, _ := json.Marshal(want)
		gotJSON, _ := json.Marshal(got)
		if string(gotJSON) != string(wantJSON) {
			t.Errorf("row %d decodes to %s, want %s", i, shortText(string(gotJSON)), shortText(string(wantJSON)))
		}
	}
}

func mustInput(t *testing.T, name, spec string) Input {
	t.Helper()
	in, err := ParseInput(name, spec)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func shortText(s string) string {
	if len(s) > 80 {
		return s[:80] + "..."
	}
	return s
}

// The encoder skips eight plain bytes at a time, so every byte that needs
// an escape is tried at every position of a word and next to the end.
func TestAppendJSONStringEveryPosition(t *testing.T) {
	escapes := map[string]string{
		"\x00":   `\u0000`,
		"\x1f":   `\u001f`,
		"\"":     `\"`,
		"\\":     `\\`,
		"\n":     `\n`,
		"é":      "é",
		"\u2028": `\u2028`,
		"\xff":   `\ufffd`,
	}
	for special, escaped := range escapes {
		for pos := 0; pos <= 17; pos++ {
			before, after := strings.Repeat("a", pos), strings.Repeat("b", 17-pos)
			want := `"` + before + escaped + after + `"`
			if got := AppendJSONString(nil, before+special+after); string(got) != want {
				t.Errorf("AppendJSONString(%q) = %s, want %s", before+special+after, got, want)
			}
		}
	}
}
