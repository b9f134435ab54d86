package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/crmsync/crmsync/enrich/emulator"
	"github.com/crmsync/crmsync/pipelines"
	"github.com/crmsync/crmsync/pipelines/runner"
	"github.com/crmsync/crmsync/pipelines/state"
)

// crashHook, when set by a test binary, is called at each crash point of a
// run. The crash tests use it to kill the process at an exact step.
var crashHook func(point string)

type runFlags struct {
	emulator   bool
	summary    string
	restart    bool
	stateDir   string
	logFormat  string
	noProgress bool
}

func newRunCommand() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run PIPELINE.yaml",
		Short: "Run or resume a pipeline",
		Long: `Run reads the pipeline's source, submits it to the bulk API in chunks, waits
for the jobs, merges the results and writes every sink. An unfinished run of
the same pipeline on the same input is resumed; chunks already submitted are
polled, never submitted again.

The API key is read from the environment variable named by enrich.api_key_env
(default SIXTYFOUR_API_KEY). With --emulator, crmsync starts a local emulator
of the bulk API instead and the results are synthetic.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPipeline(args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.emulator, "emulator", false, "start a local emulator of the bulk API and send the chunks to it (synthetic results)")
	fl.StringVar(&f.summary, "summary", "", "write the run summary as JSON to this file")
	fl.BoolVar(&f.restart, "restart", false, "discard an unfinished run and start a new one (new jobs are submitted and charged)")
	fl.StringVar(&f.stateDir, "state-dir", "", "folder for run state and locks (default: state_dir from the pipeline, else .crmsync beside it)")
	fl.StringVar(&f.logFormat, "log-format", "text", "log format on stderr: text or json")
	fl.BoolVar(&f.noProgress, "no-progress", false, "do not draw progress bars on a terminal")
	return cmd
}

func newLogger(format string) (*slog.Logger, error) {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if os.Getenv("CRMSYNC_DEBUG") != "" {
		opts.Level = slog.LevelDebug
	}
	switch format {
	case "text", "":
		return slog.New(slog.NewTextHandler(os.Stderr, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(os.Stderr, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: use text or json", format)
}

// signalContext cancels on the first SIGINT or SIGTERM, so the run stops
// submitting and saves its state; a second signal exits at once.
func signalContext(log *slog.Logger) (context.Context, func()) {
	ctx, cancel := context.WithCancel(context.Background())
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, syscall.SIGINT, syscall.SIGTERM)
	go func() {
		sig, ok := <-ch
		if !ok {
			return
		}
		log.Warn("signal received: stopping after saving the run state; send it again to exit at once", "signal", sig.String())
		cancel()
		if _, ok := <-ch; ok {
			os.Exit(runner.ExitInterrupted)
		}
	}()
	return ctx, func() { signal.Stop(ch); close(ch); cancel() }
}

func runPipeline(path string, f runFlags) error {
	log, err := newLogger(f.logFormat)
	if err != nil {
		return failBeforeRun(f, "", runner.ExitUsage, err)
	}
	p, err := pipelines.Load(path)
	if err != nil {
		return failBeforeRun(f, "", runner.ExitConfig, err)
	}

	opts := runner.Options{StateDir: f.stateDir, Restart: f.restart, Logger: log, Version: version, Crash: crashHook}
	opts.Progress = progressFor(os.Stderr, f.noProgress)
	if f.emulator {
		emu, err := emulator.New(emulator.Options{Addr: "127.0.0.1:0", Logger: log.With("component", "emulator")})
		if err != nil {
			return failBeforeRun(f, p.Name, runner.ExitRuntime, err)
		}
		url, err := emu.Start()
		if err != nil {
			return failBeforeRun(f, p.Name, runner.ExitRuntime, fmt.Errorf("start emulator: %w", err))
		}
		defer emu.Close()
		log.Warn("using the local emulator: every enriched value in this run is SYNTHETIC, not real data", "emulator_url", url)
		opts.BaseURL = url
		opts.APIKey = "crmsync-emulator"
		opts.Synthetic = true
	} else {
		key, ok := os.LookupEnv(p.Enrich.APIKeyEnv)
		if !ok || key == "" {
			return failBeforeRun(f, p.Name, runner.ExitConfig, fmt.Errorf(
				"environment variable %s is not set; export your Sixtyfour API key in it, or run with --emulator for an offline run with synthetic results",
				p.Enrich.APIKeyEnv))
		}
		opts.APIKey = key
	}

	ctx, stop := signalContext(log)
	defer stop()
	sum, runErr := runner.Run(ctx, p, opts)
	if pr, ok := opts.Progress.(*progress); ok {
		pr.Close()
	}

	summaryErr := writeSummary(f.summary, sum)
	if summaryErr != nil {
		log.Error("write summary failed", "path", f.summary, "err", summaryErr)
	}
	compact, _ := json.Marshal(sum)
	log.Info("run summary", "summary", rawJSON(compact))
	if runErr != nil {
		if errors.Is(runErr, context.Canceled) {
			return finalError(log, f, sum.ExitCode, errors.New("interrupted; the run state is saved, rerun the same command to resume"))
		}
		return finalError(log, f, sum.ExitCode, runErr)
	}
	if sum.ExitCode != 0 {
		return finalError(log, f, sum.ExitCode, fmt.Errorf("run finished %s: %d rows rejected, %d of %d chunks not completed; see the summary",
			sum.Status, sum.RowsRejected, countNotCompleted(sum), sum.Chunks))
	}
	if summaryErr != nil {
		// An orchestrator reads the summary, so a run without one failed.
		return finalError(log, f, runner.ExitRuntime, fmt.Errorf("the run succeeded but its summary was not written: %w", summaryErr))
	}
	return nil
}

// progressFor returns the progress display for out, or nil when progress
// is turned off or out is not a terminal.
func progressFor(out *os.File, off bool) runner.Progress {
	if off {
		return nil
	}
	return newProgress(out)
}

// failBeforeRun ends a run that stopped before the runner started. It still
// writes the summary when --summary is given, so an orchestrator always
// finds one with the exit code.
func failBeforeRun(f runFlags, pipeline string, code int, err error) error {
	sum := runner.FailedSummary(pipeline, code, err)
	if werr := writeSummary(f.summary, sum); werr != nil {
		fmt.Fprintln(os.Stderr, "crmsync: write summary failed:", werr)
	}
	return exitWith(code, err)
}

// writeSummary writes sum as indented JSON to path; an empty path writes
// nothing.
func writeSummary(path string, sum *runner.Summary) error {
	if path == "" {
		return nil
	}
	data, err := json.MarshalIndent(sum, "", "  ")
	if err != nil {
		return err
	}
	return state.WriteFileAtomic(path, append(data, '\n'))
}

func countNotCompleted(sum *runner.Summary) int {
	n := 0
	for _, c := range sum.ChunkResults {
		if c.Status != "completed" {
			n++
		}
	}
	return n
}

// rawJSON is JSON text that a JSON log handler embeds as an object and a
// text log handler prints as it is.
type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }
func (r rawJSON) MarshalText() ([]byte, error) { return r, nil }

// finalError returns the error that ends a run. With --log-format json it
// is logged as a JSON line instead of printed as text, so stderr holds
// only JSON.
func finalError(log *slog.Logger, f runFlags, code int, err error) error {
	if f.logFormat == "json" {
		log.Error("run ended", "exit_code", code, "err", err.Error())
		return exitWith(code, nil)
	}
	return exitWith(code, err)
}
