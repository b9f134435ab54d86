package main

import (
	"encoding/json"
	"fmt"
	"os"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/pipelines"
	"github.com/crmsync/crmsync/pipelines/runner"
)

func newValidateCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "validate PIPELINE.yaml",
		Short: "Check a pipeline completely, without network access",
		Long: `Validate parses the pipeline strictly, checks every key and value, the API
config against the endpoint's schema and size limit, the inputs against the
source's columns (from its first records) and each sink's column layout. It
makes no network request and no DNS lookup.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := pipelines.Load(args[0])
			if err != nil {
				return exitWith(runner.ExitConfig, err)
			}
			warnings, err := runner.Check(p)
			if err != nil {
				return exitWith(exitCodeOf(err), err)
			}
			for _, w := range warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: pipeline %q is valid\n", args[0], p.Name)
			return nil
		},
	}
}

// exitCodeOf classifies an error from validate or plan: configuration
// problems are 78, anything else (an unreadable source) is 1.
func exitCodeOf(err error) int {
	sum := &runner.Summary{}
	code := runner.ExitCodeFor(sum, err)
	if code == runner.ExitOK {
		return runner.ExitRuntime
	}
	return code
}

func newPlanCommand() *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "plan PIPELINE.yaml",
		Short: "Show the chunks, rows, bytes and estimated cost of a run, without network access",
		Long: `Plan reads the whole source and chunks it as a run would, then prints each
chunk's rows and bytes and an estimated cost. The per-row prices are
enrich.price_cents_per_row when the pipeline sets them; otherwise crmsync's
placeholder prices, which are assumptions because the real prices are not
public.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := pipelines.Load(args[0])
			if err != nil {
				return exitWith(runner.ExitConfig, err)
			}
			plan, err := runner.MakePlan(p)
			if err != nil {
				return exitWith(exitCodeOf(err), err)
			}
			out := cmd.OutOrStdout()
			if asJSON {
				enc := json.NewEncoder(out)
				enc.SetIndent("", "  ")
				return enc.Encode(plan)
			}
			fmt.Fprintf(out, "pipeline %s: %d rows read, %d rejected, %d chunks to %s (tier %s)\n",
				plan.Pipeline, plan.RowsRead, plan.RowsRejected, len(plan.Chunks), plan.Endpoint, plan.Tier)
			tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
			fmt.Fprintln(tw, "chunk\trows\tbytes\t")
			for _, c := range plan.Chunks {
				fmt.Fprintf(tw, "%d\t%d\t%d\t\n", c.Index, c.Rows, c.Bytes)
			}
			tw.Flush()
			note := "from enrich.price_cents_per_row"
			if plan.PriceAssumed {
				note = "ASSUMED placeholder price; set enrich.price_cents_per_row to your contract's price"
			}
			fmt.Fprintf(out, "config: %d characters (limit 300000)\n", plan.ConfigChars)
			fmt.Fprintf(out, "estimated cost: %d cents (%d rows x %d cents per row, %s)\n",
				plan.EstimatedCostCents, plan.RowsRead, plan.PriceCentsPerRow, note)
			if plan.BudgetCents != nil && plan.ChunksWithinBudget < len(plan.Chunks) {
				fmt.Fprintf(out, "budget: enrich.max_cost_cents %d covers %d of %d chunks; a run stops submitting there and exits 4\n",
					*plan.BudgetCents, plan.ChunksWithinBudget, len(plan.Chunks))
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the plan as JSON")
	_ = os.Stdout
	return cmd
}
