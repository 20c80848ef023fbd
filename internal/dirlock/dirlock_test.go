// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package dirlock

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

// Probe tells a held lock from a free or missing one, and changes nothing.
func TestProbe(t *testing.T) {
	dir := t.TempDir()
	if err := Probe(dir, ".lock"); err != nil {
		t.Fatalf("no lock file: %v, want nil", err)
	}
	if _, err := os.Stat(filepath.Join(dir, ".lock")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Probe created the lock file: %v", err)
	}

	unlock, err := Lock(dir, ".lock")
	if err != nil {
		t.Fatal(err)
	}
	err = Probe(dir, ".lock")
	var held *HeldError
	if !errors.As(err, &held) || held.Dir != dir || held.Holder != strconv.Itoa(os.Getpid()) {
		t.Fatalf("held lock: Probe = %v, want a *HeldError for %s held by pid %d", err, dir, os.Getpid())
	}
	if _, err := Lock(dir, ".lock"); !errors.As(err, &held) {
		t.Fatalf("Probe released the holder's lock: second Lock = %v", err)
	}
	if err := unlock(); err != nil {
		t.Fatal(err)
	}
	if err := Probe(dir, ".lock"); err != nil {
		t.Fatalf("released lock: %v, want nil", err)
	}
	unlock, err = Lock(dir, ".lock")
	if err != nil {
		t.Fatalf("Probe left a lock behind: %v", err)
	}
	unlock()
}
