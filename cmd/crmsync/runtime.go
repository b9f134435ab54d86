package main

import (
	"fmt"
	"os"
	"runtime/debug"
	"runtime/pprof"
)

// cpuProfileEnv names the environment variable that makes crmsync write a
// CPU profile of the whole process to the file it names, for
// `go tool pprof`. It is meant for measuring, so it has no flag.
const cpuProfileEnv = "CRMSYNC_CPUPROFILE"

// startCPUProfile starts the CPU profile to the file that cpuProfileEnv names and
// returns the function that stops it. A profile that cannot start is
// reported on stderr and does not stop the command.
func startCPUProfile() (stop func()) {
	path := os.Getenv(cpuProfileEnv)
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "crmsync: %s: create the CPU profile failed: %v\n", cpuProfileEnv, err)
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		fmt.Fprintf(os.Stderr, "crmsync: %s: start the CPU profile %s failed: %v\n", cpuProfileEnv, path, err)
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "crmsync: %s: write the CPU profile %s failed: %v\n", cpuProfileEnv, path, err)
		}
	}
}

// Garbage collector settings for `crmsync run`, used when neither GOGC nor
// GOMEMLIMIT is set. A collection target of 4x the live heap, in place of
// Go's default 2x, cut the CPU time of the 1,000,000-row bench pipeline
// case (2 cores) by about 10%. The memory limit keeps the heap, and so the
// merge step's peak RSS, near 200 MiB (222 MiB RSS measured on that run).
// The emulator keeps Go's defaults, because it holds every result in memory.
const (
	runGCPercent   = 300
	runMemoryLimit = 200 << 20
)

// tuneGC applies the run settings when args start the run command and the
// environment sets neither GOGC nor GOMEMLIMIT.
//
// NOTE: when the live heap nears runMemoryLimit, as with a large result file
// whose rows come in shuffled order, the collector runs more often than with
// Go's defaults; Go caps that work at about half of the CPU time. Set GOGC
// or GOMEMLIMIT to choose other settings.
func tuneGC(args []string) {
	if len(args) == 0 || args[0] != "run" {
		return
	}
	if _, set := os.LookupEnv("GOGC"); set {
		return
	}
	if _, set := os.LookupEnv("GOMEMLIMIT"); set {
		return
	}
	debug.SetGCPercent(runGCPercent)
	debug.SetMemoryLimit(runMemoryLimit)
}
