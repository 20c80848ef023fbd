// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package devbroker

import (
	"errors"
	"fmt"
	"os"

	"github.com/eddy-streams/eddy/internal/dirlock"
)

// lockFileName is the file in a data directory that a running broker holds
// a lock on, so that two brokers never write the same directory.
const lockFileName = ".eddy-broker.lock"

// prepareDataDir creates dir if needed, refuses a non-empty directory that
// holds no broker state (a likely typo that would scatter files in it), and
// locks it. The returned function releases the lock.
func prepareDataDir(dir string) (unlock func() error, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("devbroker: creating data dir: %w", err)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("devbroker: reading data dir: %w", err)
	}
	hasState, other := false, ""
	for _, e := range entries {
		switch e.Name() {
		case "meta.json":
			hasState = true
		case lockFileName:
		default:
			other = e.Name()
		}
	}
	if other != "" && !hasState {
		return nil, fmt.Errorf("devbroker: data dir %s is not empty and holds no broker state (found %q); "+
			"use an empty or new directory", dir, other)
	}
	unlock, err = dirlock.Lock(dir, lockFileName)
	var held *dirlock.HeldError
	if errors.As(err, &held) {
		return nil, fmt.Errorf("devbroker: data dir %s is in use by another broker: %w", dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("devbroker: locking data dir: %w", err)
	}
	return unlock, nil
}
