// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

//go:build !linux

package integration

import "os/exec"

// dieWithParent: only Linux has a parent-death signal; elsewhere a JVM can
// outlive a test binary that is killed.
func dieWithParent(*exec.Cmd) {}
