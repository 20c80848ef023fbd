// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"fmt"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/state"
)

// WindowStoreSpec declares a window store for Processor API processors
// (Kafka Streams' Stores.windowStoreBuilder over a persistent or in-memory
// window store). Make a handle on it with NewWindowStore and pass the
// handle to the processors' operators; processors open it with the
// handle's Open. Like every
// store it exists once per task, in the configured state backend (in
// memory or Pebble).
//
// A window store keeps one value per key and window start (every value, if
// RetainDuplicates is set). Windows that start Retention or more before
// the largest window start written so far expire, as in Kafka Streams. Layout: locally each
// value is stored as an 8-byte big-endian timestamp ‖ the serialized
// value; the changelog topic <app>-<Name>-changelog (compact,delete,
// retention Retention + 1 day) carries key ‖ 8-byte window start ‖ 4-byte
// sequence number with the plain value, as Kafka Streams' window store
// changelogs do.
type WindowStoreSpec struct {
	// Name names the store and its changelog topic; required.
	Name string
	// WindowSize is the size of the windows: the typed view's windowed keys
	// end at start + WindowSize. Required, whole milliseconds.
	WindowSize time.Duration
	// Retention is how long windows are kept; at least WindowSize.
	Retention time.Duration
	// RetainDuplicates keeps every value put for a key and window start
	// (as stream–stream join buffers do) instead of the latest one; nil
	// values are then ignored.
	RetainDuplicates bool
	// DisableLogging turns the changelog off: the store then cannot be
	// restored after its local copy is lost.
	DisableLogging bool
}

func (s WindowStoreSpec) store() (*topology.Store, error) {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("empty store name"))
	}
	if s.WindowSize < time.Millisecond {
		errs = append(errs, fmt.Errorf("window size must be at least 1ms, got %v", s.WindowSize))
	}
	if s.Retention < s.WindowSize {
		errs = append(errs, fmt.Errorf("retention %v is shorter than the window size %v", s.Retention, s.WindowSize))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("WindowStoreSpec %q: %w", s.Name, errors.Join(errs...))
	}
	return &topology.Store{UserName: s.Name, Op: "USER", WindowSize: s.WindowSize.Milliseconds(), Spec: engine.StoreSpec{
		Kind: engine.WindowKind, Logged: !s.DisableLogging,
		Window: state.WindowOptions{Retention: s.Retention.Milliseconds(), RetainDuplicates: s.RetainDuplicates},
	}}, nil
}
