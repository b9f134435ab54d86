package generic

import (
	"reflect"
	"testing"

	"github.com/crmsync/crmsync/connectors"
)

func TestTransformIsIdentity(t *testing.T) {
	in := connectors.Record{Line: 9, Fields: []connectors.Field{
		{Name: "properties.email", Text: "ada@example.com"},
		{Name: "attributes.type", Text: "Contact"},
		{Name: "stream", Text: "deals"},
		{Name: "odoo", Text: "false"},
		{Name: "empty", Null: true},
	}}
	out, keep, err := Transform(in)
	if err != nil || !keep {
		t.Fatalf("Transform = keep %v, error %v; want the record kept", keep, err)
	}
	if !reflect.DeepEqual(out, in) {
		t.Errorf("record = %+v\nwant it unchanged %+v", out, in)
	}
}
