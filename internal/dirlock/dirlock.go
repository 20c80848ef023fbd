// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package dirlock takes exclusive, crash-safe locks on directories (an
// flock on a lock file inside them), so two processes never use one
// broker data directory or one application state directory at a time.
package dirlock

import (
	"fmt"
	"path/filepath"
)

// HeldError reports a lock held by another process.
type HeldError struct {
	Dir string
	// Holder is the holding process id as written in the lock file, or "".
	Holder string
}

// Error names the directory and, when known, the holder.
func (e *HeldError) Error() string {
	if e.Holder != "" {
		return fmt.Sprintf("%s is in use by another process (pid %s)", e.Dir, e.Holder)
	}
	return fmt.Sprintf("%s is in use by another process", e.Dir)
}

// Lock locks dir through the lock file name inside it. The kernel releases
// the lock when the process exits, so a crash leaves no stale lock. The
// returned function releases it.
func Lock(dir, name string) (unlock func() error, err error) {
	return lock(filepath.Join(dir, name))
}

// Probe reports whether another process holds the lock on dir through the
// lock file name, without taking it and without creating or writing
// anything: a *HeldError if it is held, nil if it is free or the lock file
// does not exist. The answer can be stale as soon as Probe returns; take
// the lock with Lock before acting on the directory.
func Probe(dir, name string) error {
	return probe(filepath.Join(dir, name))
}
