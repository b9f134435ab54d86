package zoho

import (
	"reflect"
	"testing"

	"github.com/crmsync/crmsync/connectors"
)

func TestTransformKeepsEverything(t *testing.T) {
	in := connectors.Record{Line: 5, Fields: []connectors.Field{
		{Name: "id", Text: "7328395000000687002"},
		{Name: "$state", Text: "save"},
		{Name: "$approval.delegate", Text: "false"},
		{Name: "Account_Name.name", Text: "King (Sample)"},
		{Name: "Account_Name.id", Text: "7328395000000690001"},
		{Name: "Last_Name", Text: "Marrier (Sample)"},
		{Name: "Mailing_Address", Text: ""},
		{Name: "Description", Null: true},
	}}
	out, keep, err := Transform(in)
	if err != nil || !keep {
		t.Fatalf("Transform = keep %v, error %v; want the record kept", keep, err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("record = %+v\nwant it unchanged %+v", out, in)
	}
	// An empty string must not become null.
	if f, _ := out.Get("Mailing_Address"); f.Null {
		t.Error("Mailing_Address became null, want the empty string kept")
	}
}
