package sinks

import (
	"fmt"
	"strings"
)

// crmProfile describes the update-import file of one CRM.
type crmProfile struct {
	// idCandidates are the source columns tried, in order, when
	// LayoutConfig.IDColumn is empty.
	idCandidates []string
	// idOutput is the header the CRM expects for the id column; empty keeps
	// the source column's name.
	idOutput string
	// canClear is true when the import can clear a field; clearMarker is
	// the cell text that does it.
	canClear    bool
	clearMarker string
	// clearHint is the reason the import cannot clear a field.
	clearHint string
}

// crmProfiles lists the update layouts. In the Salesforce Bulk API and Data
// Loader an empty cell leaves the field unchanged and #N/A clears it. A
// HubSpot import never overwrites with a blank cell and has no clear marker.
// Zoho and Pipedrive match on their record id column.
var crmProfiles = map[string]crmProfile{
	"salesforce": {
		idCandidates: []string{"Id", "ID", "id"},
		idOutput:     "Id",
		canClear:     true,
		clearMarker:  "#N/A",
	},
	"hubspot": {
		idCandidates: []string{"Record ID", "hs_object_id", "id"},
		idOutput:     "Record ID",
		clearHint:    "a HubSpot import never clears a value with a blank cell",
	},
	// NOTE: whether Zoho and Pipedrive imports can clear a field was not
	// confirmed, so clear is rejected for them.
	// NOTE: values go out as given, but Zoho ignores dates that are not
	// MM/dd/yyyy, so a date field mapped for Zoho needs that format already.
	"zoho": {
		idCandidates: []string{"Record Id", "id", "Id", "ID"},
		clearHint:    "no clear marker is known for Zoho CRM imports",
	},
	"pipedrive": {
		idCandidates: []string{"id", "ID", "Id"},
		clearHint:    "no clear marker is known for Pipedrive imports",
	},
}

// dynamicsHiddenPrefix starts the headers of the hidden columns that a
// Dynamics 365 "Export to Excel" file carries for re-import: the record
// GUID, the row checksum and the modified-on time.
const dynamicsHiddenPrefix = "(Do Not Modify) "

// buildCRMUpdate builds the update file of Salesforce, HubSpot, Zoho or
// Pipedrive: the id column first, then the source columns of KeepList, then
// one column per struct field that Rename maps to a CRM field. A cell holds
// only a change; an empty cell leaves the CRM value as it is.
func (b *layoutBuilder) buildCRMUpdate(crm string) error {
	profile, ok := crmProfiles[crm]
	if !ok {
		return fmt.Errorf("crm %q is invalid; use salesforce, hubspot, dynamics, zoho or pipedrive", b.cfg.CRM)
	}
	if len(b.cfg.Metadata) > 0 {
		return fmt.Errorf("crm %s: metadata columns are not CRM fields and would break the import; remove columns.metadata or write them to another sink", crm)
	}
	if len(b.cfg.Clear) > 0 && !profile.canClear {
		return fmt.Errorf("crm %s: clear is not supported because %s; remove clear", crm, profile.clearHint)
	}
	if profile.canClear {
		b.layout.clearMarker = Value{Text: profile.clearMarker}
	}

	id, err := b.findIDColumn(crm, profile.idCandidates)
	if err != nil {
		return err
	}
	idName := profile.idOutput
	if idName == "" {
		idName = id
	}
	idName = b.renamed(id, idName)
	if err := b.claim(idName, fmt.Sprintf("id column %q", id)); err != nil {
		return err
	}
	b.addSource(b.sourceIndex[id], idName)

	for _, c := range b.cfg.KeepList {
		if c == id {
			continue
		}
		name := b.renamed(c, c)
		if err := b.claim(name, fmt.Sprintf("source column %q", c)); err != nil {
			return err
		}
		b.addSource(b.sourceIndex[c], name)
	}

	clear, err := b.clearSet()
	if err != nil {
		return err
	}
	// The source value of a CRM field is found under the field's name,
	// either as the source column's own name or as its rename.
	sourceOfOutput := map[string]int{}
	for i, c := range b.sourceCols {
		sourceOfOutput[c] = i
	}
	for key, name := range b.cfg.Rename {
		if i, ok := b.sourceIndex[key]; ok {
			sourceOfOutput[name] = i
		}
	}
	mapped := 0
	for enr, f := range b.fields {
		name, ok := b.cfg.Rename[f.Name]
		if !ok {
			continue
		}
		mapped++
		if err := b.claim(name, fmt.Sprintf("struct field %q", f.Name)); err != nil {
			return err
		}
		b.addEnriched(enr, name, planCRMUpdate)
		plan := &b.layout.plans[len(b.layout.plans)-1]
		plan.src = -1
		if i, ok := sourceOfOutput[name]; ok {
			plan.src = i
		}
		plan.clear = clear[enr]
	}
	if mapped == 0 {
		return fmt.Errorf("crm %s: no struct field is mapped to a CRM field, so the import would change nothing; map fields with columns.rename, such as {title: Title}", crm)
	}
	return nil
}

// buildDynamics builds a Dynamics 365 re-import file: every exported column
// with its header unchanged, the "(Do Not Modify)" columns first in their
// original order, and the enriched values written into the data columns that
// Rename maps them to. Cells not changed keep the exported text, because
// Dynamics compares the whole row with the record.
func (b *layoutBuilder) buildDynamics() error {
	if len(b.cfg.Metadata) > 0 {
		return fmt.Errorf("crm dynamics: metadata columns are not CRM fields and would break the import; remove columns.metadata or write them to another sink")
	}
	if len(b.cfg.KeepList) > 0 || b.cfg.Keep == "none" {
		return fmt.Errorf("crm dynamics: a re-import file needs every exported column; remove columns.keep")
	}
	for key := range b.cfg.Rename {
		if _, isSource := b.sourceIndex[key]; isSource {
			if _, isField := b.fieldIndex[key]; !isField {
				return fmt.Errorf("crm dynamics: rename of source column %q would change an exported header, which breaks the re-import; remove it", key)
			}
		}
	}

	var hidden, data []int
	for i, c := range b.sourceCols {
		if strings.HasPrefix(c, dynamicsHiddenPrefix) {
			hidden = append(hidden, i)
		} else {
			data = append(data, i)
		}
	}
	if len(hidden) == 0 {
		return fmt.Errorf("crm dynamics: the source has no %q columns; export from Dynamics 365 with the re-import option (Export to Excel) and use that file", strings.TrimSpace(dynamicsHiddenPrefix))
	}
	if b.cfg.IDColumn != "" && !strings.HasPrefix(b.cfg.IDColumn, dynamicsHiddenPrefix) {
		return fmt.Errorf("crm dynamics: id column %q is not one of the %q columns that Dynamics matches rows on", b.cfg.IDColumn, strings.TrimSpace(dynamicsHiddenPrefix))
	}

	// Dynamics clears a field when its cell is empty.
	b.layout.clearMarker = Value{Null: true}
	clear, err := b.clearSet()
	if err != nil {
		return err
	}

	outputOfSource := map[string]int{}
	for _, src := range append(hidden, data...) {
		name := b.sourceCols[src]
		b.names[name] = fmt.Sprintf("source column %q", name)
		outputOfSource[name] = len(b.layout.columns)
		b.addSource(src, name)
	}
	mapped := 0
	for enr, f := range b.fields {
		name, ok := b.cfg.Rename[f.Name]
		if !ok {
			continue
		}
		pos, ok := outputOfSource[name]
		if !ok {
			return fmt.Errorf("crm dynamics: struct field %q is renamed to %q, which is not a column of the export; Dynamics re-import updates only exported columns", f.Name, name)
		}
		if strings.HasPrefix(name, dynamicsHiddenPrefix) {
			return fmt.Errorf("crm dynamics: struct field %q must not write the hidden column %q", f.Name, name)
		}
		plan := &b.layout.plans[pos]
		if plan.kind == planMerged {
			return fmt.Errorf("crm dynamics: struct fields %q and %q both map to column %q; rename one of them", b.fields[plan.enr].Name, f.Name, name)
		}
		plan.kind = planMerged
		plan.enr = enr
		plan.clear = clear[enr]
		mapped++
	}
	if mapped == 0 {
		return fmt.Errorf("crm dynamics: no struct field is mapped to an exported column, so the import would change nothing; map fields with columns.rename, such as {company: \"Company Name\"}")
	}
	return nil
}

// findIDColumn returns the source column that holds the CRM record id.
func (b *layoutBuilder) findIDColumn(crm string, candidates []string) (string, error) {
	if b.cfg.IDColumn != "" {
		if _, ok := b.sourceIndex[b.cfg.IDColumn]; !ok {
			return "", fmt.Errorf("crm %s: id column %q is not a source column; source columns are %s", crm, b.cfg.IDColumn, quoteList(b.sourceCols))
		}
		return b.cfg.IDColumn, nil
	}
	for _, c := range candidates {
		if _, ok := b.sourceIndex[c]; ok {
			return c, nil
		}
	}
	return "", fmt.Errorf("crm %s: no id column found (looked for %s); set source.key to the column that holds the %s record id", crm, quoteList(candidates), crm)
}

// clearSet returns, per struct field, whether Clear names it by field name
// or by output name.
func (b *layoutBuilder) clearSet() ([]bool, error) {
	set := make([]bool, len(b.fields))
	for _, c := range b.cfg.Clear {
		found := false
		for i, f := range b.fields {
			name, mapped := b.cfg.Rename[f.Name]
			if c == f.Name || (mapped && c == name) {
				if !mapped {
					return nil, fmt.Errorf("clear names struct field %q, which is not mapped to a CRM field; add it to columns.rename", c)
				}
				set[i] = true
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("clear names %q, which is neither a struct field nor the CRM field one is renamed to", c)
		}
	}
	return set, nil
}
