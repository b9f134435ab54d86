// Package preset is the registry of CRM presets. A preset describes one
// CRM's export shapes. It names the column that identifies a record, where
// the records are in the CRM's JSON responses and the default enrichment
// inputs. Its Transform rewrites each record read from an export into the
// preset's column set. The readers apply a preset through connectors/source; the pipeline
// runner uses Key, Inputs and ImportID.
//
// Each CRM lives in its own package (connectors/salesforce, ...), which does
// not import this one; the table in this file wires them together.
package preset

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/crmsync/crmsync/connectors"
	"github.com/crmsync/crmsync/connectors/attio"
	"github.com/crmsync/crmsync/connectors/dynamics"
	"github.com/crmsync/crmsync/connectors/generic"
	"github.com/crmsync/crmsync/connectors/hubspot"
	"github.com/crmsync/crmsync/connectors/odoo"
	"github.com/crmsync/crmsync/connectors/pipedrive"
	"github.com/crmsync/crmsync/connectors/salesforce"
	"github.com/crmsync/crmsync/connectors/zoho"
)

// Generic is the name of the preset used when source.preset is empty.
const Generic = "generic"

// Preset describes one CRM. Get returns a fresh copy, so a caller may change
// its fields and maps.
type Preset struct {
	Name string
	// Key is the default record id column after Transform, for the CRM's
	// main export shape; "" means none, and records are identified by line
	// number. Use KeyColumn to choose among a file's actual columns.
	Key string
	// RecordsPath is the default RFC 6901 JSON Pointer to the records array
	// in a JSON file of the CRM's API shape. "" means a top-level array.
	RecordsPath string
	// Inputs is the default enrich.inputs: API input name -> column or
	// "{Column} {Column}" template. The columns are those of the CRM's main
	// export shape; a file without them fails pipeline validation, and the
	// pipeline then sets enrich.inputs itself.
	Inputs map[string]string
	// Transform rewrites one flattened record into the preset's column set.
	// keep=false skips a record of another object, such as another Airbyte
	// stream. Transform is never nil.
	Transform func(r connectors.Record) (out connectors.Record, keep bool, err error)
	// ImportID is the column a CRM re-import file must carry to update
	// records, for example "Id" or "Record ID". It is "" for Dynamics,
	// because there the key column found by KeyColumn is the import id.
	ImportID string
	// FindKey returns the record id column among the columns of a
	// transformed record or header, "" when none fits. nil means: Key when
	// it is among the columns.
	FindKey func(columns []string) string
}

// KeyColumn returns the record id column among columns, the names of a
// transformed header or record, or "" when the records have no key and are
// identified by line number.
func (p *Preset) KeyColumn(columns []string) string {
	if p.FindKey != nil {
		return p.FindKey(columns)
	}
	if p.Key != "" && slices.Contains(columns, p.Key) {
		return p.Key
	}
	return ""
}

// registry builds each preset. A constructor per entry keeps every Get call
// independent of the others.
var registry = map[string]func() *Preset{
	"salesforce": func() *Preset {
		return &Preset{
			Key:         salesforce.Key,
			RecordsPath: salesforce.RecordsPath,
			Inputs:      salesforce.Inputs(),
			Transform:   salesforce.Transform,
			ImportID:    salesforce.ImportID,
			FindKey:     salesforce.FindKey,
		}
	},
	"hubspot": func() *Preset {
		return &Preset{
			Key:         hubspot.Key,
			RecordsPath: hubspot.RecordsPath,
			Inputs:      hubspot.Inputs(),
			Transform:   hubspot.Transform,
			ImportID:    hubspot.ImportID,
			FindKey:     hubspot.FindKey,
		}
	},
	"zoho": func() *Preset {
		return &Preset{
			Key:         zoho.Key,
			RecordsPath: zoho.RecordsPath,
			Inputs:      zoho.Inputs(),
			Transform:   zoho.Transform,
			ImportID:    zoho.ImportID,
		}
	},
	"pipedrive": func() *Preset {
		return &Preset{
			Key:         pipedrive.Key,
			RecordsPath: pipedrive.RecordsPath,
			Inputs:      pipedrive.Inputs(),
			Transform:   pipedrive.Transform,
			ImportID:    pipedrive.ImportID,
		}
	},
	"dynamics": func() *Preset {
		return &Preset{
			Inputs:    dynamics.Inputs(),
			Transform: dynamics.Transform,
			FindKey:   dynamics.FindKey,
		}
	},
	"attio": func() *Preset {
		return &Preset{
			Key:         attio.Key,
			RecordsPath: attio.RecordsPath,
			Inputs:      attio.Inputs(),
			Transform:   attio.Transform,
			ImportID:    attio.ImportID,
			FindKey:     attio.FindKey,
		}
	},
	"odoo": func() *Preset {
		return &Preset{
			Key:         odoo.Key,
			RecordsPath: odoo.RecordsPath,
			Inputs:      odoo.Inputs(),
			Transform:   odoo.Transform,
			ImportID:    odoo.ImportID,
		}
	},
	Generic: func() *Preset {
		return &Preset{
			Inputs:    map[string]string{},
			Transform: generic.Transform,
		}
	},
}

// Get returns a new copy of the named preset. "" selects the generic preset.
// Names are lower case and matched exactly.
func Get(name string) (*Preset, error) {
	if name == "" {
		name = Generic
	}
	build, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown preset %q: use one of %s", name, strings.Join(Names(), ", "))
	}
	p := build()
	p.Name = name
	return p, nil
}

// Names returns the preset names in alphabetical order.
func Names() []string {
	return slices.Sorted(maps.Keys(registry))
}
