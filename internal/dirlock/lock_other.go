// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package dirlock

// lock is a no-op where flock is unavailable: the caller must make sure
// that one process at a time uses the directory.
func lock(string) (func() error, error) {
	return func() error { return nil }, nil
}

// probe reports no holder where flock is unavailable.
func probe(string) error { return nil }
