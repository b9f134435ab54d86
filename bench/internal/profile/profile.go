// Package profile starts the CPU profile that a crmsync driver writes when
// given -cpuprofile.
package profile

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// StartCPU starts a CPU profile written to path and returns the function
// that stops it. An empty path starts nothing.
func StartCPU(path string) (stop func() error, err error) {
	if path == "" {
		return func() error { return nil }, nil
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("start CPU profile %s: %w", path, err)
	}
	return func() error {
		pprof.StopCPUProfile()
		return f.Close()
	}, nil
}
