package runner

// Event is a progress event kind.
type Event int

const (
	EventReadStart Event = iota
	EventRead            // n rows read so far
	EventReadDone        // n rows, total chunks
	EventSubmitted       // n chunks submitted of total
	EventChunkDone       // n chunks finished of total
	EventMergeStart
	EventMerged // n rows written of total
	EventMergeDone
)

// Progress receives progress events. Implementations must be safe for use
// from several goroutines.
type Progress interface {
	Report(ev Event, n, total int64)
}

func (r *run) progress(ev Event, n, total int64) {
	if r.opts.Progress != nil {
		r.opts.Progress.Report(ev, n, total)
	}
}
