//go:build !unix

package handlers_test

import "time"

// cpuTime is not measured here: BenchmarkPages reports no cpu-ns/op.
func cpuTime() time.Duration { return 0 }
