package gen

import (
	"bytes"
	"encoding/csv"
	"os"
	"strings"
	"testing"
)

func readCSV(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return rows
}

func TestDatasetDeterministic(t *testing.T) {
	const rows = 2*ChunkRows + 17
	a := NewDataset(t.TempDir(), rows, 7)
	b := NewDataset(t.TempDir(), rows, 7)
	for _, d := range []Dataset{a, b} {
		if err := d.Write(); err != nil {
			t.Fatal(err)
		}
		if !d.Exists() {
			t.Fatalf("dataset %s missing after Write", d.Contacts)
		}
	}
	dataA, err := os.ReadFile(a.Contacts)
	if err != nil {
		t.Fatal(err)
	}
	dataB, err := os.ReadFile(b.Contacts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(dataA, dataB) {
		t.Error("two contact files from the same seed differ")
	}

	contacts := readCSV(t, a.Contacts)
	if got := len(contacts) - 1; got != rows {
		t.Errorf("contacts has %d rows, want %d", got, rows)
	}
	if got := strings.Join(contacts[0], ","); got != strings.Join(ContactColumns, ",") {
		t.Errorf("contacts header = %s", got)
	}
	var multiline, quoted, leadingZero int
	for _, row := range contacts[1:] {
		if len(row[0]) != 18 {
			t.Fatalf("id %q is not 18 characters", row[0])
		}
		notes, phone := row[12], row[4]
		if strings.Contains(notes, "\n") {
			multiline++
		}
		if strings.Contains(notes, `"`) {
			quoted++
		}
		if strings.HasPrefix(phone, "0") {
			leadingZero++
		}
	}
	if multiline == 0 || quoted == 0 || leadingZero == 0 {
		t.Errorf("hard cases missing: %d multi-line notes, %d quoted notes, %d phones with a leading 0", multiline, quoted, leadingZero)
	}

	var resultRows int
	for i := 0; i < a.Chunks(); i++ {
		res := readCSV(t, a.ResultFile(i))
		if got := strings.Join(res[0], ","); got != strings.Join(ResultColumns(), ",") {
			t.Errorf("result %d header = %s", i, got)
		}
		first := res[1][0]
		if want := []string{"0", "100000", "200000"}[i]; first != want {
			t.Errorf("result %d starts at key %s, want %s", i, first, want)
		}
		resultRows += len(res) - 1
	}
	if resultRows != rows {
		t.Errorf("result files hold %d rows, want %d", resultRows, rows)
	}
}

func TestSalesforceIDSuffix(t *testing.T) {
	id := salesforceID(12345)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	for block := 0; block < 3; block++ {
		bits := 0
		for i := 0; i < 5; i++ {
			if c := id[block*5+i]; c >= 'A' && c <= 'Z' {
				bits |= 1 << i
			}
		}
		if id[15+block] != alphabet[bits] {
			t.Errorf("id %s: suffix character %d is %c, want %c", id, block+1, id[15+block], alphabet[bits])
		}
	}
}
