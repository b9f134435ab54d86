package emulator

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const typedConfig = `{"struct":{
	"email":"Work email",
	"linkedin":"LinkedIn URL",
	"employees":{"description":"Headcount","type":"int"},
	"revenue":{"description":"Revenue","type":"float"},
	"is_public":{"description":"Listed","type":"bool"},
	"topics":{"description":"Topics","type":"list[str]"},
	"details":{"description":"Details","type":"dict"}
},"field_confidence":true}`

var typedFields = []string{"email", "linkedin", "employees", "revenue", "is_public", "topics", "details"}

func TestResultLayout(t *testing.T) {
	base, _, clock := startServer(t, Options{})
	id := submitOK(t, base, submitRequest{file: leadsCSV(5), config: typedConfig})
	_, entries := completedResults(t, base, clock, id)
	header, rows := readCSV(t, download(t, entries[1]))

	want := []string{"crmsync_key", "full_name", "company"}
	want = append(want, typedFields...)
	want = append(want, "confidence_score", "notes", "references")
	for _, f := range typedFields {
		want = append(want, f+"_confidence")
	}
	if !slices.Equal(header, want) {
		t.Fatalf("header\n got %v\nwant %v", header, want)
	}
	if len(rows) != 5 {
		t.Fatalf("%d rows, want 5", len(rows))
	}
	for i, row := range rows {
		if row["crmsync_key"] != fmt.Sprintf("k%d", i) || row["full_name"] != fmt.Sprintf("Person %d Example", i) {
			t.Errorf("row %d: uploaded values changed: %v", i, row)
		}
		if want := "person.example@example.com"; row["email"] != want {
			t.Errorf("row %d: email %q, want %q", i, row["email"], want)
		}
		if !strings.HasPrefix(row["linkedin"], "https://linkedin.example.org/in/person-example-") {
			t.Errorf("row %d: linkedin %q", i, row["linkedin"])
		}
		if _, err := strconv.ParseInt(row["employees"], 10, 64); err != nil {
			t.Errorf("row %d: employees %q is not an int", i, row["employees"])
		}
		if _, err := strconv.ParseFloat(row["revenue"], 64); err != nil {
			t.Errorf("row %d: revenue %q is not a float", i, row["revenue"])
		}
		if _, err := strconv.ParseBool(row["is_public"]); err != nil {
			t.Errorf("row %d: is_public %q is not a bool", i, row["is_public"])
		}
		var topics []string
		if err := json.Unmarshal([]byte(row["topics"]), &topics); err != nil || len(topics) == 0 {
			t.Errorf("row %d: topics %q is not a JSON list of strings", i, row["topics"])
		}
		var details map[string]any
		if err := json.Unmarshal([]byte(row["details"]), &details); err != nil {
			t.Errorf("row %d: details %q is not JSON object text", i, row["details"])
		}
		var refs map[string]string
		if err := json.Unmarshal([]byte(row["references"]), &refs); err != nil || len(refs) == 0 {
			t.Errorf("row %d: references %q is not a JSON object", i, row["references"])
		}
		for url := range refs {
			if !strings.HasPrefix(url, "https://www.example.com/") {
				t.Errorf("row %d: reference %q outside example.com", i, url)
			}
		}
		if score, err := strconv.ParseFloat(row["confidence_score"], 64); err != nil || score < 0 || score > 10 {
			t.Errorf("row %d: confidence_score %q", i, row["confidence_score"])
		}
		for _, f := range typedFields {
			c, err := strconv.Atoi(row[f+"_confidence"])
			if err != nil || c < 0 || c > 100 {
				t.Errorf("row %d: %s_confidence %q", i, f, row[f+"_confidence"])
			}
		}
	}
}

func TestResultFormats(t *testing.T) {
	base, _, clock := startServer(t, Options{RateLimit: -1})
	for _, format := range []string{"json", "ndjson"} {
		t.Run(format, func(t *testing.T) {
			config := `{"struct":{"employees":{"description":"n","type":"int"},"topics":{"description":"t","type":"list"},"details":{"description":"d","type":"dict"}},"result_formats":["` + format + `","csv"]}`
			upload := `[{"id":17,"name":"Ada","tags":["x"],"note":null},{"id":18,"name":"Grace"}]`
			id := submitOK(t, base, submitRequest{filename: "rows.json", file: []byte(upload), config: config})
			_, entries := completedResults(t, base, clock, id)
			data := download(t, entries[1])

			var rows []map[string]json.RawMessage
			if format == "json" {
				if err := json.Unmarshal(data, &rows); err != nil {
					t.Fatalf("result is not a JSON array: %v", err)
				}
			} else {
				sc := bufio.NewScanner(bytes.NewReader(data))
				for sc.Scan() {
					var row map[string]json.RawMessage
					if err := json.Unmarshal(sc.Bytes(), &row); err != nil {
						t.Fatalf("line is not a JSON object: %v", err)
					}
					rows = append(rows, row)
				}
			}
			if len(rows) != 2 {
				t.Fatalf("%d rows, want 2", len(rows))
			}
			checks := map[string]string{"id": "17", "name": `"Ada"`, "tags": `["x"]`, "note": "null"}
			for key, want := range checks {
				if got := string(rows[0][key]); got != want {
					t.Errorf("uploaded %s: got %s, want %s", key, got, want)
				}
			}
			if got := string(rows[1]["tags"]); got != "null" {
				t.Errorf("absent key: got %s, want null", got)
			}
			var n int64
			if err := json.Unmarshal(rows[0]["employees"], &n); err != nil {
				t.Errorf("employees %s is not a JSON integer", rows[0]["employees"])
			}
			var topics []string
			if err := json.Unmarshal(rows[0]["topics"], &topics); err != nil {
				t.Errorf("topics %s is not a JSON list", rows[0]["topics"])
			}
			var detailsText string
			if err := json.Unmarshal(rows[0]["details"], &detailsText); err != nil || !json.Valid([]byte(detailsText)) {
				t.Errorf("details %s is not stringified JSON", rows[0]["details"])
			}
			if entries[1]["filename"] != "enriched."+format {
				t.Errorf("filename %v", entries[1]["filename"])
			}
		})
	}
}

func TestPassthroughRate(t *testing.T) {
	base, s, clock := startServer(t, Options{PassthroughRate: 1})
	id := submitOK(t, base, submitRequest{file: leadsCSV(4), config: typedConfig})
	status, entries := completedResults(t, base, clock, id)
	_, rows := readCSV(t, download(t, entries[1]))
	for i, row := range rows {
		for _, f := range typedFields {
			if row[f] != "" || row[f+"_confidence"] != "" {
				t.Errorf("row %d: pass-through row has %s=%q", i, f, row[f])
			}
		}
		if row["confidence_score"] != "" || row["crmsync_key"] != fmt.Sprintf("k%d", i) {
			t.Errorf("row %d: %v", i, row)
		}
	}
	if status["charge_amount"] != 0.0 {
		t.Errorf("charge_amount %v, want 0 for pass-through rows", status["charge_amount"])
	}
	st := s.Stats()
	if st.RowsPassthrough != 4 || st.RowsEnriched != 0 {
		t.Errorf("rows passthrough %d, enriched %d", st.RowsPassthrough, st.RowsEnriched)
	}
}

func TestPassthroughRateFraction(t *testing.T) {
	base, s, clock := startServer(t, Options{PassthroughRate: 0.5})
	id := submitOK(t, base, submitRequest{file: leadsCSV(40), config: basicConfig})
	status, _ := completedResults(t, base, clock, id)
	st := s.Stats()
	if st.RowsPassthrough == 0 || st.RowsEnriched == 0 || st.RowsPassthrough+st.RowsEnriched != 40 {
		t.Errorf("rows passthrough %d, enriched %d: want a mix summing to 40", st.RowsPassthrough, st.RowsEnriched)
	}
	if status["charge_amount"] != float64(st.RowsEnriched*2) {
		t.Errorf("charge_amount %v, want enriched rows x 2 = %d", status["charge_amount"], st.RowsEnriched*2)
	}
}

func TestMistypeRate(t *testing.T) {
	base, _, clock := startServer(t, Options{MistypeRate: 1})
	id := submitOK(t, base, submitRequest{file: leadsCSV(3), config: typedConfig})
	_, entries := completedResults(t, base, clock, id)
	_, rows := readCSV(t, download(t, entries[1]))
	for i, row := range rows {
		want := map[string]string{"employees": "50-100", "revenue": "n/a", "is_public": "yes-ish", "topics": "alpha; beta"}
		for f, v := range want {
			if row[f] != v {
				t.Errorf("row %d: %s %q, want %q", i, f, row[f], v)
			}
		}
		if !strings.HasSuffix(row["email"], "@example.com") {
			t.Errorf("row %d: string field changed by the mistype rate: %q", i, row["email"])
		}
	}
}

func TestHostileRate(t *testing.T) {
	base, _, clock := startServer(t, Options{HostileRate: 1})
	id := submitOK(t, base, submitRequest{file: leadsCSV(30), config: typedConfig})
	_, entries := completedResults(t, base, clock, id)
	data := download(t, entries[1])
	if !bytes.Contains(data, []byte("first line\r\nsecond line")) {
		t.Errorf("no value with an embedded CRLF in the result file")
	}
	// encoding/csv turns CRLF inside a quoted field into LF, so compare
	// against the texts as the reader returns them.
	var wantTexts []string
	for _, text := range hostileTexts {
		wantTexts = append(wantTexts, strings.ReplaceAll(text, "\r\n", "\n"))
	}
	_, rows := readCSV(t, data)
	seen := map[string]bool{}
	for i, row := range rows {
		for _, f := range []string{"email", "linkedin"} {
			if !slices.Contains(wantTexts, row[f]) {
				t.Errorf("row %d: %s %.40q is not a hostile text", i, f, row[f])
			}
			seen[row[f]] = true
		}
		if _, err := strconv.ParseInt(row["employees"], 10, 64); err != nil {
			t.Errorf("row %d: typed field changed by the hostile rate: %q", i, row["employees"])
		}
	}
	if len(seen) < 3 {
		t.Errorf("only %d distinct hostile texts in 60 values", len(seen))
	}
}

func TestShuffle(t *testing.T) {
	base, _, clock := startServer(t, Options{Shuffle: true})
	id := submitOK(t, base, submitRequest{file: leadsCSV(50), config: basicConfig})
	_, entries := completedResults(t, base, clock, id)
	_, rows := readCSV(t, download(t, entries[1]))
	var keys []string
	for _, row := range rows {
		keys = append(keys, row["crmsync_key"])
	}
	sorted := slices.Clone(keys)
	slices.SortFunc(sorted, func(a, b string) int {
		x, _ := strconv.Atoi(a[1:])
		y, _ := strconv.Atoi(b[1:])
		return x - y
	})
	if slices.Equal(keys, sorted) {
		t.Errorf("rows are in upload order despite Shuffle")
	}
	for i, k := range sorted {
		if k != fmt.Sprintf("k%d", i) {
			t.Fatalf("shuffled rows lost or repeated a key: %v", sorted)
		}
	}
}

// runScript submits the same three jobs and returns their task ids and result files.
func runScript(t *testing.T, seed int64) ([]string, [][]byte) {
	t.Helper()
	base, _, clock := startServer(t, Options{Seed: seed, PassthroughRate: 0.3, MistypeRate: 0.3, HostileRate: 0.2, Shuffle: true, ErrorRate: 0.2})
	var ids []string
	for i := range 3 {
		for {
			resp := submit(t, base, submitRequest{file: leadsCSV(20 + i), config: typedConfig})
			if resp.status == 200 {
				ids = append(ids, resp.json(t)["task_id"].(string))
				break
			}
		}
	}
	clock.Advance(DefaultJobLatency)
	var files [][]byte
	for _, id := range ids {
		var entries []map[string]any
		for {
			resp := get(t, base+"/job-status/"+id, testKey)
			if resp.status == 200 {
				raw, _ := resp.json(t)["results"].([]any)
				for _, e := range raw {
					entries = append(entries, e.(map[string]any))
				}
				break
			}
		}
		for {
			resp := get(t, entries[1]["download_url"].(string), "")
			if resp.status == 200 {
				files = append(files, resp.body)
				break
			}
		}
	}
	return ids, files
}

func TestDeterminismFromSeed(t *testing.T) {
	ids1, files1 := runScript(t, 7)
	ids2, files2 := runScript(t, 7)
	if !slices.Equal(ids1, ids2) {
		t.Errorf("task ids differ between runs with the same seed: %v vs %v", ids1, ids2)
	}
	for i := range files1 {
		if !bytes.Equal(files1[i], files2[i]) {
			t.Errorf("result %d differs between runs with the same seed", i)
		}
	}
	ids3, files3 := runScript(t, 8)
	if slices.Equal(ids1, ids3) || bytes.Equal(files1[0], files3[0]) {
		t.Errorf("seeds 7 and 8 gave the same output")
	}
}
