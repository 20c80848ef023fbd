// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

//go:build unix

package topologytest

import (
	"syscall"
	"time"
)

// processCPU returns the CPU time (user and system) the process used so
// far, for benchmarks to report CPU per operation.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
