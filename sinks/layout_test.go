package sinks_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/crmsync/crmsync/sinks"
)

func text(s string) sinks.Value { return sinks.Value{Text: s} }

var null = sinks.Value{Null: true}

func columnNames(cols []sinks.Column) []string {
	names := make([]string, len(cols))
	for i, c := range cols {
		names[i] = c.Name
	}
	return names
}

// cellTexts returns each cell's text, or "<null>" for a null.
func cellTexts(row []sinks.Value) []string {
	out := make([]string, len(row))
	for i, v := range row {
		if v.Null {
			out[i] = "<null>"
		} else {
			out[i] = v.Text
		}
	}
	return out
}

var (
	plainSource = []string{"Id", "Name", "Title", "Phone"}
	plainFields = []sinks.StructField{
		{Name: "title", Kind: sinks.String},
		{Name: "employees", Kind: sinks.Int},
	}
)

func plainRow(status string, title, employees sinks.Value) sinks.MergedRow {
	return sinks.MergedRow{
		Source:   []sinks.Value{text("001"), text("Ada Example"), null, text("+1 555 0100")},
		Enriched: []sinks.Value{title, employees},
		Meta: map[string]sinks.Value{
			"status":               text(status),
			"confidence_score":     text("0.92"),
			"notes":                text("found on the company site"),
			"references":           text(`{"https://example.com": "site"}`),
			"title_confidence":     text("90"),
			"employees_confidence": null,
		},
	}
}

func TestLayoutKeepAll(t *testing.T) {
	l, err := sinks.NewLayout(sinks.LayoutConfig{}, plainSource, nil, plainFields)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Id", "Name", "Title", "Phone", "title", "employees"}
	if got := columnNames(l.Columns()); !reflect.DeepEqual(got, want) {
		t.Fatalf("columns %v, want %v", got, want)
	}
	out, write := l.Project(plainRow("enriched", text("CTO"), text("50")), nil)
	if !write {
		t.Error("write = false, want true")
	}
	wantRow := []string{"001", "Ada Example", "<null>", "+1 555 0100", "CTO", "50"}
	if got := cellTexts(out); !reflect.DeepEqual(got, wantRow) {
		t.Errorf("row %v, want %v", got, wantRow)
	}
	cols := l.Columns()
	if cols[0].Origin != sinks.FromSource || cols[4].Origin != sinks.FromEnriched {
		t.Errorf("origins %s, %s; want source, enriched", cols[0].Origin, cols[4].Origin)
	}
	if cols[5].Kind != sinks.Int {
		t.Errorf("employees kind %s, want int", cols[5].Kind)
	}
}

func TestLayoutKeepNone(t *testing.T) {
	l, err := sinks.NewLayout(sinks.LayoutConfig{Keep: "none"}, plainSource, nil, plainFields)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"title", "employees"}
	if got := columnNames(l.Columns()); !reflect.DeepEqual(got, want) {
		t.Fatalf("columns %v, want %v", got, want)
	}
}

func TestLayoutKeepList(t *testing.T) {
	cfg := sinks.LayoutConfig{KeepList: []string{"Phone", "Id"}}
	l, err := sinks.NewLayout(cfg, plainSource, map[string]sinks.Kind{"Id": sinks.Int}, plainFields)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Phone", "Id", "title", "employees"}
	if got := columnNames(l.Columns()); !reflect.DeepEqual(got, want) {
		t.Fatalf("columns %v, want %v", got, want)
	}
	if kind := l.Columns()[1].Kind; kind != sinks.Int {
		t.Errorf("declared kind of Id is %s, want int", kind)
	}
	out, _ := l.Project(plainRow("enriched", text("CTO"), null), nil)
	wantRow := []string{"+1 555 0100", "001", "CTO", "<null>"}
	if got := cellTexts(out); !reflect.DeepEqual(got, wantRow) {
		t.Errorf("row %v, want %v", got, wantRow)
	}
}

func TestLayoutRenamePrefixMetadata(t *testing.T) {
	cfg := sinks.LayoutConfig{
		Keep:     "none",
		Rename:   map[string]string{"employees": "NumberOfEmployees", "status": "enrichment_status"},
		Prefix:   "sf_",
		Metadata: []string{"status", "confidence_score", "field_confidence", "notes", "references"},
	}
	l, err := sinks.NewLayout(cfg, plainSource, nil, plainFields)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"sf_title", "NumberOfEmployees", "enrichment_status", "confidence_score",
		"sf_title_confidence", "NumberOfEmployees_confidence", "notes", "references"}
	if got := columnNames(l.Columns()); !reflect.DeepEqual(got, want) {
		t.Fatalf("columns %v, want %v", got, want)
	}
	wantKinds := []sinks.Kind{sinks.String, sinks.Int, sinks.String, sinks.Float, sinks.Int, sinks.Int, sinks.String, sinks.JSON}
	for i, c := range l.Columns() {
		if c.Kind != wantKinds[i] {
			t.Errorf("column %s kind %s, want %s", c.Name, c.Kind, wantKinds[i])
		}
	}
	out, _ := l.Project(plainRow("enriched", text("CTO"), text("50")), nil)
	wantRow := []string{"CTO", "50", "enriched", "0.92", "90", "<null>", "found on the company site", `{"https://example.com": "site"}`}
	if got := cellTexts(out); !reflect.DeepEqual(got, wantRow) {
		t.Errorf("row %v, want %v", got, wantRow)
	}
}

func TestLayoutMergeFillEmpty(t *testing.T) {
	cfg := sinks.LayoutConfig{Rename: map[string]string{"title": "Title"}}
	l, err := sinks.NewLayout(cfg, plainSource, nil, plainFields)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Id", "Name", "Title", "Phone", "employees"}
	if got := columnNames(l.Columns()); !reflect.DeepEqual(got, want) {
		t.Fatalf("columns %v, want %v", got, want)
	}

	// The source Title is null, so the enriched title fills it.
	out, _ := l.Project(plainRow("enriched", text("CTO"), null), nil)
	if out[2].Text != "CTO" || out[2].Origin != sinks.FromEnriched {
		t.Errorf("Title cell %+v, want CTO from enrichment", out[2])
	}

	// The source Title has a value, so fill_empty keeps it.
	row := plainRow("enriched", text("CTO"), null)
	row.Source[2] = text("VP Sales")
	out, _ = l.Project(row, nil)
	if out[2].Text != "VP Sales" || out[2].Origin != "" {
		t.Errorf("Title cell %+v, want the source value VP Sales", out[2])
	}
}

func TestLayoutMergeOverwrite(t *testing.T) {
	cfg := sinks.LayoutConfig{Rename: map[string]string{"title": "Title"}, Overwrite: sinks.Overwrite}
	l, err := sinks.NewLayout(cfg, plainSource, nil, plainFields)
	if err != nil {
		t.Fatal(err)
	}
	row := plainRow("enriched", text("CTO"), null)
	row.Source[2] = text("VP Sales")
	out, _ := l.Project(row, nil)
	if out[2].Text != "CTO" || out[2].Origin != sinks.FromEnriched {
		t.Errorf("Title cell %+v, want CTO from enrichment", out[2])
	}

	// A null enriched value never overwrites.
	row = plainRow("not_enriched", null, null)
	row.Source[2] = text("VP Sales")
	out, _ = l.Project(row, nil)
	if out[2].Text != "VP Sales" {
		t.Errorf("Title cell %+v, want the source value VP Sales", out[2])
	}
}

func TestLayoutOnlyChanged(t *testing.T) {
	cfg := sinks.LayoutConfig{Keep: "none", OnlyChanged: true}
	l, err := sinks.NewLayout(cfg, plainSource, nil, plainFields)
	if err != nil {
		t.Fatal(err)
	}
	if _, write := l.Project(plainRow("not_enriched", null, null), nil); write {
		t.Error("row without enriched values: write = true, want false")
	}
	if _, write := l.Project(plainRow("enriched", text(""), null), nil); write {
		t.Error("row with only an empty enriched value: write = true, want false")
	}
	if _, write := l.Project(plainRow("enriched", null, text("50")), nil); !write {
		t.Error("row with an enriched value: write = false, want true")
	}
}

func TestLayoutProjectReusesBuffer(t *testing.T) {
	l, err := sinks.NewLayout(sinks.LayoutConfig{}, plainSource, nil, plainFields)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]sinks.Value, 0, 16)
	out, _ := l.Project(plainRow("enriched", text("CTO"), null), buf)
	if &out[0] != &buf[:1][0] {
		t.Error("Project allocated a new slice although dst had room")
	}
}

func TestLayoutShortSourceRow(t *testing.T) {
	l, err := sinks.NewLayout(sinks.LayoutConfig{}, plainSource, nil, plainFields)
	if err != nil {
		t.Fatal(err)
	}
	row := sinks.MergedRow{Source: []sinks.Value{text("001")}}
	out, _ := l.Project(row, nil)
	want := []string{"001", "<null>", "<null>", "<null>", "<null>", "<null>"}
	if got := cellTexts(out); !reflect.DeepEqual(got, want) {
		t.Errorf("row %v, want %v", got, want)
	}
}

func TestLayoutConfigErrors(t *testing.T) {
	tests := []struct {
		name string
		cfg  sinks.LayoutConfig
		want string
	}{
		{"unknown keep column", sinks.LayoutConfig{KeepList: []string{"Fax"}}, `"Fax"`},
		{"keep word", sinks.LayoutConfig{Keep: "some"}, `keep "some"`},
		{"unknown rename key", sinks.LayoutConfig{Rename: map[string]string{"titel": "Title"}}, `"titel"`},
		{"empty rename", sinks.LayoutConfig{Rename: map[string]string{"title": ""}}, `"title"`},
		{"output collision", sinks.LayoutConfig{Keep: "none", Rename: map[string]string{"employees": "title"}}, `"title"`},
		{"metadata collision", sinks.LayoutConfig{Keep: "none", Prefix: "", Rename: map[string]string{"title": "status"}, Metadata: []string{"status"}}, `"status"`},
		{"unknown metadata", sinks.LayoutConfig{Metadata: []string{"score"}}, `"score"`},
		{"metadata twice", sinks.LayoutConfig{Metadata: []string{"notes", "notes"}}, `"notes"`},
		{"overwrite word", sinks.LayoutConfig{Overwrite: "replace"}, `"replace"`},
		{"clear without crm", sinks.LayoutConfig{Clear: []string{"title"}}, "clear"},
		{"unknown crm", sinks.LayoutConfig{CRM: "copper"}, `"copper"`},
		{"crm metadata", sinks.LayoutConfig{CRM: "salesforce", Rename: map[string]string{"title": "Title"}, Metadata: []string{"status"}}, "metadata"},
		{"crm nothing mapped", sinks.LayoutConfig{CRM: "salesforce"}, "columns.rename"},
		{"crm unknown id", sinks.LayoutConfig{CRM: "salesforce", IDColumn: "AccountId", Rename: map[string]string{"title": "Title"}}, `"AccountId"`},
		{"hubspot clear", sinks.LayoutConfig{CRM: "hubspot", IDColumn: "Id", Rename: map[string]string{"title": "jobtitle"}, Clear: []string{"title"}}, "HubSpot"},
		{"clear unmapped", sinks.LayoutConfig{CRM: "salesforce", Rename: map[string]string{"title": "Title"}, Clear: []string{"employees"}}, `"employees"`},
		{"dynamics without hidden columns", sinks.LayoutConfig{CRM: "dynamics", Rename: map[string]string{"title": "Title"}}, "Do Not Modify"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := sinks.NewLayout(tt.cfg, plainSource, nil, plainFields)
			if err == nil {
				t.Fatal("NewLayout succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not mention %s", err, tt.want)
			}
		})
	}
}

func TestLayoutCRMFindsID(t *testing.T) {
	tests := []struct {
		crm, sourceID, wantHeader string
	}{
		{"salesforce", "Id", "Id"},
		{"hubspot", "hs_object_id", "Record ID"},
		{"hubspot", "id", "Record ID"},
		{"hubspot", "Record ID", "Record ID"},
		{"zoho", "Record Id", "Record Id"},
		{"zoho", "id", "id"},
		{"pipedrive", "id", "id"},
	}
	for _, tt := range tests {
		source := []string{"Name", tt.sourceID, "Title"}
		cfg := sinks.LayoutConfig{CRM: tt.crm, Rename: map[string]string{"title": "Title"}}
		l, err := sinks.NewLayout(cfg, source, nil, plainFields)
		if err != nil {
			t.Errorf("%s with id column %q: %v", tt.crm, tt.sourceID, err)
			continue
		}
		cols := l.Columns()
		if cols[0].Name != tt.wantHeader || cols[0].Field != tt.sourceID {
			t.Errorf("%s: first column %q from %q, want %q from %q", tt.crm, cols[0].Name, cols[0].Field, tt.wantHeader, tt.sourceID)
		}
	}
}

// withMetaSlices returns row with its metadata moved from Meta to MetaKeys
// and MetaValues, in the order of keys, which may name keys Meta lacks.
func withMetaSlices(row sinks.MergedRow, keys []string) sinks.MergedRow {
	values := make([]sinks.Value, len(keys))
	for i, k := range keys {
		v, ok := row.Meta[k]
		if !ok {
			v = null
		}
		values[i] = v
	}
	row.Meta = nil
	row.MetaKeys, row.MetaValues = keys, values
	return row
}

func TestLayoutMetaSlicesMatchMap(t *testing.T) {
	configs := []sinks.LayoutConfig{
		{Metadata: []string{"status", "confidence_score", "field_confidence", "notes", "references"}},
		{Keep: "none", Metadata: []string{"references", "status"}, OnlyChanged: true},
		{CRM: "salesforce", IDColumn: "Id", Rename: map[string]string{"title": "Title"}, Clear: []string{"title"}},
	}
	keys := []string{"notes", "status", "field_confidence", "title_confidence", "references", "confidence_score", "employees_confidence"}
	otherOrder := []string{"employees_confidence", "confidence_score", "status", "references", "title_confidence", "notes"}
	rows := []sinks.MergedRow{
		plainRow("enriched", text("CTO"), text("50")),
		plainRow("enriched", null, null),
		plainRow("not_enriched", null, null),
		plainRow("failed", text("CEO"), null),
	}
	for ci, cfg := range configs {
		l, err := sinks.NewLayout(cfg, plainSource, nil, plainFields)
		if err != nil {
			t.Fatalf("config %d: %v", ci, err)
		}
		// Two key orders in turn, so Project must notice a new MetaKeys
		// slice and not reuse the positions of the previous one.
		for _, order := range [][]string{keys, otherOrder, keys} {
			for ri, row := range rows {
				want, wantWrite := l.Project(row, nil)
				got, gotWrite := l.Project(withMetaSlices(row, order), nil)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("config %d, row %d, keys %v: cells %v, want %v as with Meta", ci, ri, order, cellTexts(got), cellTexts(want))
				}
				if gotWrite != wantWrite {
					t.Errorf("config %d, row %d, keys %v: write %v, want %v as with Meta", ci, ri, order, gotWrite, wantWrite)
				}
			}
		}
	}
}

func TestLayoutRenameMetadataOnly(t *testing.T) {
	cfg := sinks.LayoutConfig{
		Rename:   map[string]string{"metadata.status": "enrichment_status"},
		Metadata: []string{"status"},
	}
	l, err := sinks.NewLayout(cfg, []string{"Id", "status"}, nil, []sinks.StructField{{Name: "title", Kind: sinks.String}})
	if err != nil {
		t.Fatalf("NewLayout: %v", err)
	}
	var names []string
	for _, c := range l.Columns() {
		names = append(names, c.Name)
	}
	want := []string{"Id", "status", "title", "enrichment_status"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("columns = %q, want %q", names, want)
	}
}
