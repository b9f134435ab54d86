package main

import (
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/crmsync/crmsync/pipelines/runner"
)

// progress draws one status line on a terminal: rows read, chunks submitted
// and finished, rows merged. It draws nothing when stderr is not a terminal.
type progress struct {
	mu                 sync.Mutex
	out                *os.File
	read, chunks       int64
	submitted, done    int64
	merged, mergeTotal int64
	phase, drawnPhase  string
	last               time.Time
	drawn              bool
}

func newProgress(out *os.File) runner.Progress {
	if !term.IsTerminal(int(out.Fd())) {
		return nil
	}
	return &progress{out: out}
}

func (p *progress) Report(ev runner.Event, n, total int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch ev {
	case runner.EventReadStart, runner.EventRead:
		p.phase, p.read = "reading", n
	case runner.EventReadDone:
		p.phase, p.read, p.chunks = "submitting", n, total
	case runner.EventSubmitted:
		p.phase, p.submitted, p.chunks = "waiting for jobs", n, total
	case runner.EventChunkDone:
		p.done, p.chunks = n, total
		if p.phase == "" || p.phase == "submitting" {
			p.phase = "waiting for jobs"
		}
	case runner.EventMergeStart:
		p.phase, p.mergeTotal = "writing", total
	case runner.EventMerged, runner.EventMergeDone:
		p.merged = n
	}
	// Redraw at most every 200ms, but always on a new phase and at the end
	// of reading and writing, so every phase shows.
	if time.Since(p.last) < 200*time.Millisecond && p.phase == p.drawnPhase &&
		ev != runner.EventMergeDone && ev != runner.EventReadDone {
		return
	}
	p.last, p.drawnPhase = time.Now(), p.phase
	line := fmt.Sprintf("%-16s rows read %d | chunks submitted %d/%d, done %d/%d %s | rows written %d/%d",
		p.phase, p.read, p.submitted, p.chunks, p.done, p.chunks, bar(p.done, p.chunks), p.merged, p.mergeTotal)
	fmt.Fprintf(p.out, "\r\033[K%s", line)
	p.drawn = true
}

func bar(n, total int64) string {
	const width = 20
	if total <= 0 {
		return "[" + strings.Repeat(" ", width) + "]"
	}
	filled := int(n * width / total)
	return "[" + strings.Repeat("#", filled) + strings.Repeat(" ", width-filled) + "]"
}

// Close ends the status line.
func (p *progress) Close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drawn {
		fmt.Fprintln(p.out)
	}
}
