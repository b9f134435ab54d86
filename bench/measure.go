package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// childTimeout bounds one measured process, so a hung driver fails the case
// instead of the whole bench.
const childTimeout = 30 * time.Minute

// Sample is the cost of one finished child process, from wait4's rusage.
type Sample struct {
	Wall    time.Duration
	User    time.Duration
	Sys     time.Duration
	MaxRSS  int64 // peak resident set size in bytes
	Rows    int64 // the "rows N" line the driver printed
	Outputs map[string]string
}

// CPU returns user plus system time.
func (s Sample) CPU() time.Duration { return s.User + s.Sys }

// command describes one child process.
type command struct {
	Path string
	Args []string
	Dir  string
	Env  []string // nil inherits the bench's environment
	Log  string   // file that receives the child's stderr
}

// runChild runs c to completion and returns its rusage. Its stdout is parsed
// as "key value" lines into Sample.Outputs, and "rows" into Sample.Rows.
func runChild(c command) (Sample, error) {
	ctx, cancel := context.WithTimeout(context.Background(), childTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	logFile, err := os.Create(c.Log)
	if err != nil {
		return Sample{}, err
	}
	defer logFile.Close()
	cmd.Stderr = logFile

	start := time.Now()
	err = cmd.Run()
	wall := time.Since(start)
	if err != nil {
		return Sample{}, fmt.Errorf("%s %s: %w (stderr in %s%s)", c.Path, strings.Join(c.Args, " "), err, c.Log, lastLine(c.Log))
	}
	s := usage(cmd.ProcessState)
	s.Wall = wall
	s.Outputs = parseOutputs(stdout.Bytes())
	if rows, ok := s.Outputs["rows"]; ok {
		s.Rows, _ = strconv.ParseInt(rows, 10, 64)
	}
	return s, nil
}

// usage converts the rusage of a waited-for process. Linux reports
// ru_maxrss in KiB.
func usage(ps *os.ProcessState) Sample {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return Sample{User: ps.UserTime(), Sys: ps.SystemTime()}
	}
	return Sample{
		User:   time.Duration(ru.Utime.Nano()),
		Sys:    time.Duration(ru.Stime.Nano()),
		MaxRSS: ru.Maxrss * 1024,
	}
}

func parseOutputs(out []byte) map[string]string {
	m := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		key, value, ok := strings.Cut(strings.TrimSpace(sc.Text()), " ")
		if ok {
			m[key] = value
		}
	}
	return m
}

// lastLine returns ": " and the last non-empty line of a log file, or "".
func lastLine(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(data)), "\n")
	if last := lines[len(lines)-1]; last != "" {
		if len(last) > 400 {
			last = last[:400] + "..."
		}
		return ": " + last
	}
	return ""
}

// medianDuration returns the median of ds; for an even count, the mean of
// the two middle values.
func medianDuration(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func medianInt(xs []int64) int64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// Summary is the per-column median of the samples of one case.
type Summary struct {
	Runs   int
	Wall   time.Duration
	CPU    time.Duration
	MaxRSS int64
	Rows   int64
}

func summarize(samples []Sample) Summary {
	var walls, cpus []time.Duration
	var rss, rows []int64
	for _, s := range samples {
		walls = append(walls, s.Wall)
		cpus = append(cpus, s.CPU())
		rss = append(rss, s.MaxRSS)
		rows = append(rows, s.Rows)
	}
	return Summary{
		Runs:   len(samples),
		Wall:   medianDuration(walls),
		CPU:    medianDuration(cpus),
		MaxRSS: medianInt(rss),
		Rows:   medianInt(rows),
	}
}
