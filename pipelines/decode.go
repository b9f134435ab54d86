package pipelines

import (
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder fills a Pipeline from a YAML node tree. It reports every unknown
// key and wrong type instead of stopping at the first, and records where
// each key path sits so later checks can point at the offending line.
type decoder struct {
	file string
	errs ConfigErrors
	// nodes maps a key path to its value node, and keys to its key node.
	nodes map[string]*yaml.Node
	keys  map[string]*yaml.Node
	// failed contains the key paths that could not be decoded, so validation
	// does not report them a second time as missing.
	failed map[string]bool
	// leadStruct keeps enrich.lead_struct in field form for validation,
	// because EnrichConfig stores it as the JSON object sent to the API.
	leadStruct []StructField
}

func newDecoder(file string) *decoder {
	return &decoder{
		file:   file,
		nodes:  map[string]*yaml.Node{},
		keys:   map[string]*yaml.Node{},
		failed: map[string]bool{},
	}
}

func (d *decoder) errorf(n *yaml.Node, path, format string, args ...any) {
	d.failed[path] = true
	e := &ConfigError{File: d.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	if n != nil {
		e.Line, e.Column = n.Line, n.Column
	}
	d.errs = append(d.errs, e)
}

// set reports whether the YAML gives path a non-null value.
func (d *decoder) set(path string) bool {
	n, ok := d.nodes[path]
	return ok && !isNull(n)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	return n
}

// describe names a node's kind for an error message, such as `the text "abc"`.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!str":
			return fmt.Sprintf("the text %q", n.Value)
		case "!!null":
			return "an empty value"
		default:
			return n.Value
		}
	}
	return "an unsupported YAML node"
}

// mapEntry is one key and value of a YAML mapping.
type mapEntry struct {
	key   string
	path  string
	kNode *yaml.Node
	vNode *yaml.Node
}

// entries returns the pairs of a mapping node in YAML order, reporting
// duplicate keys, non-text keys and merge keys.
func (d *decoder) entries(n *yaml.Node, path string) []mapEntry {
	seen := map[string]*yaml.Node{}
	var out []mapEntry
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolveAlias(n.Content[i]), resolveAlias(n.Content[i+1])
		if k.Kind != yaml.ScalarNode {
			d.errorf(k, path, "a key must be text, not %s", describe(k))
			continue
		}
		childPath := joinPath(path, k.Value)
		if k.Tag == "!!merge" {
			d.errorf(k, childPath, "merge keys (<<) are not supported; write the keys out")
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.errorf(k, childPath, "duplicate key, first given at line %d; remove one of them", first.Line)
			continue
		}
		seen[k.Value] = k
		d.nodes[childPath] = v
		d.keys[childPath] = k
		out = append(out, mapEntry{key: k.Value, path: childPath, kNode: k, vNode: v})
	}
	return out
}

func joinPath(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

// specialKey decodes a key that plain reflection cannot: ordered maps and
// the keep: all|none|[list] union.
type specialKey func(d *decoder, e mapEntry, v reflect.Value)

// specialKeyNames lists the keys of t that specialKeyFor handles.
func specialKeyNames(t reflect.Type) []string {
	switch t {
	case reflect.TypeFor[EnrichConfig]():
		return []string{"struct", "inputs", "lead_struct"}
	case reflect.TypeFor[ColumnsConfig]():
		return []string{"keep"}
	}
	return nil
}

// specialKeyFor returns the decoder for key of t, or nil when reflection on
// the yaml tag is enough. A function, not a map, because the decoders call
// back into decode.
func specialKeyFor(t reflect.Type, key string) specialKey {
	switch {
	case t == reflect.TypeFor[EnrichConfig]() && key == "struct":
		return decodeEnrichStruct
	case t == reflect.TypeFor[EnrichConfig]() && key == "inputs":
		return decodeInputs
	case t == reflect.TypeFor[EnrichConfig]() && key == "lead_struct":
		return decodeLeadStruct
	case t == reflect.TypeFor[ColumnsConfig]() && key == "keep":
		return decodeKeep
	}
	return nil
}

// knownKeys returns the YAML keys of a config struct in declaration order.
func knownKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag != "" && tag != "-" {
			keys = append(keys, tag)
		}
	}
	for _, k := range specialKeyNames(t) {
		if !slices.Contains(keys, k) {
			keys = append(keys, k)
		}
	}
	return keys
}

func fieldByKey(t reflect.Type, key string) (int, bool) {
	for i := range t.NumField() {
		if strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0] == key && key != "-" {
			return i, true
		}
	}
	return 0, false
}

// decode fills v from n and reports whether it succeeded. A null node leaves
// v unchanged.
func (d *decoder) decode(n *yaml.Node, path string, v reflect.Value) bool {
	n = resolveAlias(n)
	if isNull(n) {
		return true
	}
	switch v.Kind() {
	case reflect.Struct:
		return d.decodeStruct(n, path, v)
	case reflect.Pointer:
		elem := reflect.New(v.Type().Elem())
		if !d.decode(n, path, elem.Elem()) {
			return false
		}
		v.Set(elem)
		return true
	case reflect.Slice:
		return d.decodeSlice(n, path, v)
	case reflect.Map:
		return d.decodeMap(n, path, v)
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			d.errorf(n, path, "expected text, got %s", describe(n))
			return false
		}
		v.SetString(n.Value)
		return true
	case reflect.Int, reflect.Int64:
		var i int64
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" || n.Decode(&i) != nil {
			d.errorf(n, path, "expected a whole number, got %s", describe(n))
			return false
		}
		if v.OverflowInt(i) {
			d.errorf(n, path, "number %s is too large", n.Value)
			return false
		}
		v.SetInt(i)
		return true
	case reflect.Bool:
		var b bool
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" || n.Decode(&b) != nil {
			d.errorf(n, path, "expected true or false, got %s", describe(n))
			return false
		}
		v.SetBool(b)
		return true
	}
	d.errorf(n, path, "internal error: no decoder for Go type %s", v.Type())
	return false
}

func (d *decoder) decodeStruct(n *yaml.Node, path string, v reflect.Value) bool {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping of keys, got %s", describe(n))
		return false
	}
	t := v.Type()
	ok := true
	for _, e := range d.entries(n, path) {
		if special := specialKeyFor(t, e.key); special != nil {
			special(d, e, v)
			continue
		}
		i, found := fieldByKey(t, e.key)
		if !found {
			d.unknownKey(e, knownKeys(t))
			ok = false
			continue
		}
		if !d.decode(e.vNode, e.path, v.Field(i)) {
			ok = false
		}
	}
	return ok
}

func (d *decoder) unknownKey(e mapEntry, known []string) {
	if s := suggest(e.key, known); s != "" {
		d.errorf(e.kNode, e.path, "unknown key; did you mean %s?", s)
		return
	}
	d.errorf(e.kNode, e.path, "unknown key; known keys here are %s", strings.Join(known, ", "))
}

func (d *decoder) decodeSlice(n *yaml.Node, path string, v reflect.Value) bool {
	if n.Kind != yaml.SequenceNode {
		d.errorf(n, path, "expected a list, got %s", describe(n))
		return false
	}
	out := reflect.MakeSlice(v.Type(), len(n.Content), len(n.Content))
	ok := true
	for i, item := range n.Content {
		itemPath := path + "[" + strconv.Itoa(i) + "]"
		d.nodes[itemPath] = resolveAlias(item)
		if isNull(resolveAlias(item)) {
			d.errorf(item, itemPath, "empty list entry; remove it or give a value")
			ok = false
			continue
		}
		if !d.decode(item, itemPath, out.Index(i)) {
			ok = false
		}
	}
	v.Set(out)
	return ok
}

func (d *decoder) decodeMap(n *yaml.Node, path string, v reflect.Value) bool {
	if n.Kind != yaml.MappingNode {
		d.errorf(n, path, "expected a mapping, got %s", describe(n))
		return false
	}
	out := reflect.MakeMap(v.Type())
	ok := true
	for _, e := range d.entries(n, path) {
		elem := reflect.New(v.Type().Elem()).Elem()
		if !d.decode(e.vNode, e.path, elem) {
			ok = false
			continue
		}
		out.SetMapIndex(reflect.ValueOf(e.key), elem)
	}
	v.Set(out)
	return ok
}
