// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import "syscall"

// sysProcAttr makes a child process die with the controller, so an
// interrupted run leaves no instances or broker behind.
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
