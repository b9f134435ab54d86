package runner

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"

	"github.com/crmsync/crmsync/pipelines/state"
)

// chunkLogHandler adds the chunk number to every log line about a chunk.
// The enrich client logs through one logger for all chunks and names a
// chunk by its file name ("chunk" = "chunk-00003.jsonl") or by its task id
// only. This handler replaces the file name with the chunk number and maps a
// task id back to its chunk, so each chunk line carries pipeline, run_id,
// chunk and, once the task id is known, task_id.
type chunkLogHandler struct {
	next   slog.Handler
	chunks *chunkTable
	// chunk and task are set when With added them to the logger.
	chunk   int
	task    string
	grouped bool // a group is open, so attributes added now would land in it
}

// chunkTable maps chunk file names and task ids to chunk numbers. It is
// shared by every logger derived from the run's logger.
type chunkTable struct {
	mu     sync.Mutex
	byFile map[string]int
	byTask map[string]int
}

func newChunkLogHandler(next slog.Handler, chunks *chunkTable) *chunkLogHandler {
	return &chunkLogHandler{next: next, chunks: chunks, chunk: -1}
}

func newChunkTable() *chunkTable {
	return &chunkTable{byFile: map[string]int{}, byTask: map[string]int{}}
}

// load records the chunk files and task ids of a manifest. The caller makes
// sure no one changes m meanwhile.
func (t *chunkTable) load(m *state.Manifest) {
	for _, c := range m.Chunks {
		t.learnFile(filepath.Base(c.File), c.Index)
		if c.TaskID != "" {
			t.learnTask(c.TaskID, c.Index)
		}
	}
}

func (t *chunkTable) learnFile(name string, chunk int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byFile[name] = chunk
}

func (t *chunkTable) learnTask(task string, chunk int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.byTask[task] = chunk
}

func (t *chunkTable) chunkOfFile(name string) (int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, ok := t.byFile[name]
	return i, ok
}

func (t *chunkTable) chunkOfTask(task string) (int, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	i, ok := t.byTask[task]
	return i, ok
}

func (h *chunkLogHandler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

func (h *chunkLogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(attrs)
	if !h.grouped {
		for _, a := range attrs {
			switch a.Key {
			case "chunk":
				if a.Value.Kind() == slog.KindInt64 {
					c.chunk = int(a.Value.Int64())
				}
			case "task_id":
				c.task = a.Value.String()
			}
		}
	}
	return &c
}

func (h *chunkLogHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	c.grouped = true
	return &c
}

func (h *chunkLogHandler) Handle(ctx context.Context, rec slog.Record) error {
	if h.grouped {
		return h.next.Handle(ctx, rec)
	}
	chunk, task := h.chunk, h.task
	out := slog.NewRecord(rec.Time, rec.Level, rec.Message, rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "chunk":
			if a.Value.Kind() == slog.KindString {
				// The enrich client names the chunk by its file name.
				if i, ok := h.chunks.chunkOfFile(a.Value.String()); ok {
					a = slog.Int("chunk", i)
				}
			}
			if a.Value.Kind() == slog.KindInt64 {
				chunk = int(a.Value.Int64())
			}
		case "task_id":
			task = a.Value.String()
		}
		out.AddAttrs(a)
		return true
	})

	if task != "" {
		if chunk >= 0 {
			h.chunks.learnTask(task, chunk)
		} else if i, ok := h.chunks.chunkOfTask(task); ok {
			out.AddAttrs(slog.Int("chunk", i))
		}
	}
	return h.next.Handle(ctx, out)
}
