// Command crmsync enriches CRM exports in bulk through Sixtyfour's bulk API
// and writes the results to Parquet, CSV and JSONL files.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/pipelines/runner"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

// exitError carries an exit code out of a command.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit status %d", e.code)
	}
	return e.err.Error()
}

func exitWith(code int, err error) error { return &exitError{code: code, err: err} }

func main() {
	tuneGC(os.Args[1:])
	stopProfile := startCPUProfile()
	code := execute(os.Args[1:])
	stopProfile()
	os.Exit(code)
}

func execute(args []string) int {
	root := newRootCommand()
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil {
			fmt.Fprintln(os.Stderr, "crmsync:", ee.err)
		}
		return ee.code
	}
	// Cobra's own errors: unknown command or flag, wrong argument count.
	fmt.Fprintln(os.Stderr, "crmsync:", err)
	fmt.Fprintln(os.Stderr, "Run 'crmsync --help' for usage.")
	return runner.ExitUsage
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "crmsync",
		Short: "Enrich CRM exports in bulk and write Parquet, CSV and CRM import files",
		Long: `crmsync reads a CRM export (CSV, JSON or JSONL), sends the records to
Sixtyfour's bulk enrichment API in chunks, merges the enriched fields back
onto the records and writes Parquet, CSV or JSONL files, including files the
CRM can re-import. A YAML pipeline describes each run.`,
		Version:       version,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newRunCommand(), newValidateCommand(), newPlanCommand(), newReadCommand(), newEmulateCommand())
	return root
}
