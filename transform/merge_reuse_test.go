package transform

import (
	"fmt"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/connectors/source"
	"github.com/crmsync/crmsync/sinks"
)

// TestMergeReusedFieldsSource merges a CSV source opened with ReuseFields,
// whose records all share one Fields slice, over more rows than one source
// batch holds. Every value must stay on its own record.
func TestMergeReusedFieldsSource(t *testing.T) {
	const rows = 3*sourceBatchRows + 5
	var contacts strings.Builder
	contacts.WriteString("Id,Name\n")
	ordinals := make([]int, rows)
	for i := range rows {
		name := fmt.Sprintf("Name %d", i)
		if i%7 == 3 {
			name = "" // an empty cell is null
		}
		fmt.Fprintf(&contacts, "id%d,%s\n", i, name)
		ordinals[i] = i
	}
	contactsPath := writeResult(t, "contacts.csv", contacts.String())
	resultPath := writeResult(t, "result.csv", resultCSV(ordinals))

	src, err := source.Open(contactsPath, source.Options{Format: "csv", ReuseFields: true})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	columns := []string{"Id", "Name"}
	layout, err := sinks.NewLayout(sinks.LayoutConfig{}, columns, nil, mergeFields)
	if err != nil {
		t.Fatal(err)
	}
	sink := &memorySink{}
	st, err := Merge(MergeInput{
		Source:     src,
		Columns:    columns,
		Fields:     mergeFields,
		Chunks:     []MergeChunk{{FirstOrdinal: 0, Rows: rows, ResultPath: resultPath, ResultFormat: "csv"}},
		OpenResult: OpenResult,
		Outputs:    []Output{{Layout: layout, Sink: sink}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if st.Rows != rows || st.Enriched != rows {
		t.Fatalf("merged %d rows, %d enriched; want %d of each", st.Rows, st.Enriched, rows)
	}
	for i, row := range sink.rows {
		wantName := fmt.Sprintf("Name %d", i)
		if i%7 == 3 {
			wantName = "<null>"
		}
		got := []string{cellText(row[0]), cellText(row[1]), cellText(row[2]), cellText(row[3])}
		want := []string{fmt.Sprintf("id%d", i), wantName, fmt.Sprintf("Title %d", i), fmt.Sprint(10 + i)}
		for j := range want {
			if got[j] != want[j] {
				t.Fatalf("row %d column %d is %s, want %s", i, j, got[j], want[j])
			}
		}
	}
}
