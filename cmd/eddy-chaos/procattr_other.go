// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

//go:build !linux

package main

import "syscall"

// sysProcAttr returns the default attributes: only Linux can tie a child's
// life to its parent's.
func sysProcAttr() *syscall.SysProcAttr { return nil }
