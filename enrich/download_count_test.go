package enrich

import (
	"encoding/csv"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// strictCSVRecords counts records with encoding/csv as countRows does.
func strictCSVRecords(input string) (int, error) {
	reader := csv.NewReader(strings.NewReader(input))
	reader.FieldsPerRecord = -1
	records := 0
	for {
		_, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return records, nil
		}
		if err != nil {
			return 0, err
		}
		records++
	}
}

// counterRecords feeds input to a csvRecordCounter in parts that end at the
// given offsets, so that part boundaries fall inside every state.
func counterRecords(input string, cuts []int) (int, bool) {
	var c csvRecordCounter
	start := 0
	for _, cut := range append(cuts, len(input)) {
		if cut < start || cut > len(input) {
			continue
		}
		if !c.feed([]byte(input[start:cut])) {
			return 0, false
		}
		start = cut
	}
	return c.records, c.end()
}

// checkCounterAgrees fails unless the counter accepts exactly the input
// that encoding/csv accepts and counts the same records, whatever the part
// boundaries.
func checkCounterAgrees(t *testing.T, input string, cuts []int) {
	t.Helper()
	want, strictErr := strictCSVRecords(input)
	got, ok := counterRecords(input, cuts)
	if strictErr != nil {
		if ok {
			t.Fatalf("input %q, cuts %v: counter accepted %d records, but encoding/csv fails: %v", input, cuts, got, strictErr)
		}
		return
	}
	if !ok {
		t.Fatalf("input %q, cuts %v: counter rejected input that encoding/csv reads as %d records", input, cuts, want)
	}
	if got != want {
		t.Fatalf("input %q, cuts %v: counter found %d records, encoding/csv %d", input, cuts, got, want)
	}
}

func TestCSVRecordCounterCases(t *testing.T) {
	cases := []string{
		"",
		"\n",
		"\r",
		"\r\n",
		"\n\n\r\n\r",
		"a",
		"a\n",
		"a\r\n",
		"a\r",
		"a\rb\n",
		"\ra\n",
		"\r\r\n",
		"\r\"\n",
		"h1,h2\n1,2\n3,4",
		"h1,h2\n1,2\n3,4\n\n\n",
		",\n,,\n",
		"\"\"\n",
		"\"a\",\"b\"\n",
		"\"a\nb\",c\n",
		"\"a\r\nb\",c\r\n",
		"\"a\"\"b\"\n",
		"\"a\"\r",
		"\"a\"\r\r",
		"\"a\"\r\r\n",
		"\"a\"\rb\n",
		"\"a\"b\n",
		"\"a\" \n",
		"a\"b\n",
		"a,b\"\n",
		"a, \"b\"\n",
		"a,\"b\"\n",
		"a,\r\"b\"\n",
		"\"unclosed",
		"\"unclosed\n",
		"a,\"unclosed\r\n",
		"\"a\"\"",
		"\"a\"\"\"",
		"\"\n\n\"\n",
		"x\n\"\n\n\",y\n",
		"é,\"ü\"\n\xff,\"\xfe\"\n",
		"\"a\"\xc3\xa9\n",
		"a\x00b,\"c\x00\"\n",
	}
	for _, input := range cases {
		checkCounterAgrees(t, input, nil)
		for cut := 0; cut <= len(input); cut++ {
			checkCounterAgrees(t, input, []int{cut})
		}
	}
}

func TestCSVRecordCounterGenerated(t *testing.T) {
	// The alphabet weights the bytes that drive the state machine.
	alphabet := []string{"a", "b", ",", ",", "\"", "\"", "\"\"", "\n", "\r", "\r\n", " ", "é", "\xff"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 50000 {
		var b strings.Builder
		for range rng.IntN(24) {
			b.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		input := b.String()
		var cuts []int
		for range rng.IntN(4) {
			cuts = append(cuts, rng.IntN(len(input)+1))
		}
		if len(cuts) > 1 && cuts[0] > cuts[1] {
			cuts[0], cuts[1] = cuts[1], cuts[0]
		}
		checkCounterAgrees(t, input, cuts)
	}
}

func FuzzCSVRecordCounter(f *testing.F) {
	f.Add("h1,h2\n\"a\nb\",c\r\n", 3)
	f.Add("\"a\"\r", 1)
	f.Add("a\"b\n", 0)
	f.Fuzz(func(t *testing.T, input string, cut int) {
		if cut < 0 {
			cut = -cut
		}
		checkCounterAgrees(t, input, []int{cut % (len(input) + 1)})
	})
}

func TestCountRowsInFileCSV(t *testing.T) {
	dir := t.TempDir()
	cases := []struct {
		name, content string
		rows          int
		errText       string
	}{
		{name: "plain", content: "id,name\n1,a\n2,b\n", rows: 2},
		{name: "no final newline", content: "id,name\r\n1,a\r\n2,b", rows: 2},
		{name: "quoted line breaks", content: "id,notes\n1,\"x\ny\"\n2,\"\"\"q\"\"\"\n", rows: 2},
		{name: "byte order mark", content: "\xef\xbb\xbf\"id\",name\n1,a\n", rows: 1},
		{name: "header only", content: "id,name\n", rows: 0},
		{name: "empty", content: "", rows: 0},
		{name: "bare quote", content: "id,name\n1,a\"b\n", errText: "bare \" in non-quoted-field"},
		{name: "unclosed quote", content: "id,name\n1,\"ab\n", errText: "extraneous or missing \" in quoted-field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".csv")
			if err := os.WriteFile(path, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			rows, err := countRowsInFile(path, FormatCSV)
			if tc.errText != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errText) {
					t.Fatalf("countRowsInFile = %d, %v; expected an error containing %q", rows, err, tc.errText)
				}
				return
			}
			if err != nil {
				t.Fatalf("countRowsInFile: %v", err)
			}
			if rows != tc.rows {
				t.Fatalf("countRowsInFile = %d rows, expected %d", rows, tc.rows)
			}
		})
	}
}
