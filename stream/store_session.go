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

// SessionStoreSpec declares a session store for Processor API processors
// (Kafka Streams' Stores.sessionStoreBuilder): one value per key and
// session [start, end]. Make a handle on it with NewSessionStore and pass
// the handle to the processor's operator; processors open it with the
// handle's Open. Like every store it exists once per task, in the
// configured state backend (in memory or Pebble).
//
// Sessions that end Retention or more before the largest session end
// written so far expire, as in Kafka Streams. Layout: values are stored
// as serialized; the changelog topic <app>-<Name>-changelog
// (compact,delete, retention Retention + 1 day) carries key ‖ 8-byte end ‖
// 8-byte start with the plain value (a tombstone for a removed session),
// as Kafka Streams' session store changelogs do, and restores the store.
type SessionStoreSpec struct {
	// Name names the store and its changelog topic; required.
	Name string
	// Retention is how long sessions are kept after their end; required,
	// whole milliseconds.
	Retention time.Duration
	// DisableLogging turns the changelog off: the store then cannot be
	// restored after its local copy is lost.
	DisableLogging bool
}

func (s SessionStoreSpec) store() (*topology.Store, error) {
	var errs []error
	if s.Name == "" {
		errs = append(errs, errors.New("empty store name"))
	}
	if s.Retention < time.Millisecond {
		errs = append(errs, fmt.Errorf("retention must be at least 1ms, got %v", s.Retention))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("SessionStoreSpec %q: %w", s.Name, errors.Join(errs...))
	}
	return &topology.Store{UserName: s.Name, Op: "USER", Spec: engine.StoreSpec{
		Kind: engine.SessionKind, Logged: !s.DisableLogging,
		Session: state.SessionOptions{Retention: s.Retention.Milliseconds()},
	}}, nil
}
