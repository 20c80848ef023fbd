// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

//go:build !unix

package topologytest

import "time"

// processCPU is unknown here: benchmarks report no CPU time.
func processCPU() time.Duration { return 0 }
