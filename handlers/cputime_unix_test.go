//go:build unix

package handlers_test

import (
	"syscall"
	"time"
)

// cpuTime is the CPU time the process has used, user and system: what a
// page costs whatever else the machine runs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
