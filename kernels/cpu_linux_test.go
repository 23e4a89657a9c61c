//go:build linux

package kernels

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time of the calling OS thread (a benchmark locks
// its goroutine to it): on a loaded machine wall time also counts the time
// other processes hold the core.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
