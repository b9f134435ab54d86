package main

import (
	"strings"
	"testing"
	"time"

	"github.com/crmsync/crmsync/enrich/emulator"
)

// TestChangedBaseURLStartsNewRun kills a run after its first submission and
// reruns it against another emulator. Task ids recorded against the first
// address mean nothing at the second, so the rerun must start a new run and
// submit every chunk there, instead of polling ids the second one may have
// given to other jobs.
func TestChangedBaseURLStartsNewRun(t *testing.T) {
	f := newFixture(t)
	res := f.run("kill@" + "after-submit")
	if res.code == 0 {
		t.Fatalf("run was not killed at after-submit; stderr:\n%s", res.stderr)
	}
	first := f.manifest()

	other, err := emulator.New(emulator.Options{Addr: "127.0.0.1:0", JobLatency: 100 * time.Millisecond, RateLimit: -1})
	if err != nil {
		t.Fatal(err)
	}
	url, err := other.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	f.url = url
	f.writePipeline()

	res = f.mustSucceed()
	if !strings.Contains(res.stderr, "API address changed") {
		t.Errorf("log does not say the API address changed; stderr:\n%s", res.stderr)
	}
	if got := f.manifest().RunID; got == first.RunID {
		t.Errorf("run id %s kept, want a new run", got)
	}
	if st := other.Stats(); st.Submissions != leadChunks {
		t.Errorf("second emulator got %d submissions, want %d (every chunk)", st.Submissions, leadChunks)
	}
}
