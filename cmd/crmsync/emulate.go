package main

import (
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/enrich/emulator"
	"github.com/crmsync/crmsync/pipelines/runner"
)

func newEmulateCommand() *cobra.Command {
	var logFormat string
	cmd := &cobra.Command{
		Use:   "emulate",
		Short: "Run the local emulator of the bulk API until interrupted",
		Long: `Emulate serves an emulator of Sixtyfour's bulk API on a loopback address:
submissions, job status, expiring download links, idempotency, credits, rate
limits and injected faults. Every value it returns is synthetic. Point a
pipeline at it with enrich.base_url, and see GET /emulator/stats for its
counters.`,
		Args: cobra.NoArgs,
	}
	opts := emulator.BindFlags(cmd.Flags())
	cmd.Flags().StringVar(&logFormat, "log-format", "text", "log format on stderr: text or json")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		log, err := newLogger(logFormat)
		if err != nil {
			return exitWith(runner.ExitUsage, err)
		}
		opts.Logger = log
		emu, err := emulator.New(*opts)
		if err != nil {
			return exitWith(runner.ExitConfig, err)
		}
		url, err := emu.Start()
		if err != nil {
			// A refused address is a usage problem; a port in use is not.
			if errors.Is(err, emulator.ErrNotLoopback) {
				return exitWith(runner.ExitUsage, err)
			}
			return exitWith(runner.ExitRuntime, err)
		}
		fmt.Fprintf(cmd.OutOrStdout(), "emulator listening on %s (synthetic results; stop with Ctrl-C)\n", url)
		ch := make(chan os.Signal, 1)
		signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
		<-ch
		return emu.Close()
	}
	return cmd
}
