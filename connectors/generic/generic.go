// Package generic is the crmsync preset for files from any other source: it
// has no record key (records are identified by line number), no default
// enrichment inputs and no transform.
package generic

import "github.com/crmsync/crmsync/connectors"

// Transform returns the record unchanged and keeps it.
func Transform(r connectors.Record) (connectors.Record, bool, error) {
	return r, true, nil
}
