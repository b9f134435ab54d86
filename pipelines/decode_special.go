package pipelines

import (
	"reflect"

	"gopkg.in/yaml.v3"
)

// decodeEnrichStruct fills EnrichConfig.Struct in YAML order.
func decodeEnrichStruct(d *decoder, e mapEntry, v reflect.Value) {
	fields, _ := d.structFields(e.vNode, e.path)
	v.FieldByName("Struct").Set(reflect.ValueOf(fields))
}

// decodeLeadStruct fills EnrichConfig.LeadStruct with the same value forms
// as enrich.struct.
func decodeLeadStruct(d *decoder, e mapEntry, v reflect.Value) {
	fields, ok := d.structFields(e.vNode, e.path)
	if !ok || fields == nil {
		return
	}
	d.leadStruct = fields
	v.FieldByName("LeadStruct").Set(reflect.ValueOf(structJSON(fields)))
}

// structFields decodes name -> description or {description, type}. It
// returns nil for a null node.
func (d *decoder) structFields(n *yaml.Node, path string) ([]StructField, bool) {
	n = resolveAlias(n)
	if isNull(n) {
		return nil, true
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping of field name to description, got %s", describe(n))
		return nil, false
	}
	fields := []StructField{}
	ok := true
	for _, e := range d.entries(n, path) {
		f := StructField{Name: e.key}
		switch e.vNode.Kind {
		case yaml.ScalarNode:
			if isNull(e.vNode) {
				d.errorf(e.vNode, e.path, "empty description; say in words what the field should contain")
				ok = false
				continue
			}
			if e.vNode.Tag != "!!str" {
				d.errorf(e.vNode, e.path, "expected a description (text) or {description, type}, got %s; quote it if it is text", describe(e.vNode))
				ok = false
				continue
			}
			f.Description = e.vNode.Value
		case yaml.MappingNode:
			f.Object = true
			for _, fe := range d.entries(e.vNode, e.path) {
				switch fe.key {
				case "description":
					d.decode(fe.vNode, fe.path, reflect.ValueOf(&f.Description).Elem())
				case "type":
					d.decode(fe.vNode, fe.path, reflect.ValueOf(&f.Type).Elem())
				default:
					d.unknownKey(fe, []string{"description", "type"})
					ok = false
				}
			}
		default:
			d.errorf(e.vNode, e.path, "expected a description (text) or {description, type}, got %s", describe(e.vNode))
			ok = false
			continue
		}
		fields = append(fields, f)
	}
	return fields, ok
}

// decodeInputs fills EnrichConfig.Inputs and InputOrder.
func decodeInputs(d *decoder, e mapEntry, v reflect.Value) {
	n := e.vNode
	if isNull(n) {
		return
	}
	if n.Kind != yaml.MappingNode {
		d.errorf(n, e.path, "expected a mapping of sent name to source column or {Column} template, got %s", describe(n))
		return
	}
	inputs := map[string]string{}
	order := []string{}
	for _, ie := range d.entries(n, e.path) {
		var value string
		if !d.decode(ie.vNode, ie.path, reflect.ValueOf(&value).Elem()) {
			continue
		}
		inputs[ie.key] = value
		order = append(order, ie.key)
	}
	v.FieldByName("Inputs").Set(reflect.ValueOf(inputs))
	v.FieldByName("InputOrder").Set(reflect.ValueOf(order))
}

// decodeKeep fills ColumnsConfig.Keep with "all" or "none", or KeepList
// with the list form, leaving Keep empty as the sinks package expects.
func decodeKeep(d *decoder, e mapEntry, v reflect.Value) {
	n := e.vNode
	switch {
	case isNull(n):
	case n.Kind == yaml.ScalarNode:
		if n.Value != "all" && n.Value != "none" {
			d.errorf(n, e.path, "invalid value %q; use all, none or a list of source columns", n.Value)
			return
		}
		v.FieldByName("Keep").SetString(n.Value)
	case n.Kind == yaml.SequenceNode:
		var list []string
		if !d.decode(n, e.path, reflect.ValueOf(&list).Elem()) {
			return
		}
		if len(list) == 0 {
			d.errorf(n, e.path, "empty list; write keep: none to keep no source columns")
			return
		}
		v.FieldByName("KeepList").Set(reflect.ValueOf(list))
	default:
		d.errorf(n, e.path, "expected all, none or a list of source columns, got %s", describe(n))
	}
}
