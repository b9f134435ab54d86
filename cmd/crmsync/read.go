package main

import (
	"bufio"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/connectors/source"
	"github.com/crmsync/crmsync/pipelines/runner"
)

func newReadCommand() *cobra.Command {
	var o source.Options
	var rejects string
	cmd := &cobra.Command{
		Use:   "read FILE",
		Short: "Print the records of an export as JSON lines, exactly as a pipeline sees them",
		Long: `Read prints one JSON object per record on stdout. Keys are the column names
in source order; values are the exact source text (JSON numbers and booleans
as their text) or null. Errors go to stderr naming file, line and column, and
the exit status is non-zero.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.RejectsPath = rejects
			if o.OnError == "reject" && rejects == "" {
				o.RejectsPath = args[0] + ".rejects.jsonl"
			}
			src, err := source.Open(args[0], o)
			if err != nil {
				return exitWith(runner.ExitRuntime, err)
			}
			defer src.Close()
			w := bufio.NewWriterSize(os.Stdout, 1<<16)
			_, err = source.WriteJSONLines(w, src)
			if ferr := w.Flush(); err == nil {
				err = ferr
			}
			if err != nil {
				return exitWith(runner.ExitRuntime, err)
			}
			if st := src.Stats(); st.Rejected > 0 {
				kinds := make([]string, 0, len(st.RejectsByKind))
				for k, n := range st.RejectsByKind {
					kinds = append(kinds, fmt.Sprintf("%s: %d", k, n))
				}
				sort.Strings(kinds)
				return exitWith(runner.ExitPartial, fmt.Errorf("%d %s rejected (%s), written to %s", st.Rejected, plural(st.Rejected, "record", "records"), strings.Join(kinds, ", "), o.RejectsPath))
			}
			return nil
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&o.Format, "format", "", "input format: csv, json or jsonl (default: from the file extension)")
	fl.StringVar(&o.Preset, "preset", "", "CRM preset: salesforce, hubspot, zoho, pipedrive, dynamics, attio, odoo or generic")
	fl.StringVar(&o.Encoding, "encoding", "", "text encoding, for example windows-1252 (default utf-8; a byte-order mark overrides it)")
	fl.StringVar(&o.Delimiter, "delimiter", "", `CSV delimiter: a character or "tab" (default: detected from the header line)`)
	fl.StringVar(&o.RecordsPath, "records-path", "", "JSON Pointer (RFC 6901) to the array of records, for example /results")
	fl.StringVar(&o.Member, "member", "", "file to read inside a .zip archive")
	fl.StringVar(&o.FlattenArrays, "flatten-arrays", "", "JSON arrays: index (email.0.value) or json (kept as JSON text)")
	fl.StringVar(&o.OnError, "on-error", "", "bad rows: fail (stop at the first) or reject (write them to the rejects file and go on)")
	fl.StringVar(&rejects, "rejects", "", "rejects file for --on-error reject (default FILE.rejects.jsonl)")
	return cmd
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
