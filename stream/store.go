// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
)

// KeyValueStoreSpec declares a key-value store for Processor API
// processors (Kafka Streams' Stores.keyValueStoreBuilder). Make a handle on
// it with NewKeyValueStore and pass the handle to the processors'
// operators; processors open it with the handle's Open. It lives in the
// sub-topology of the processors it is connected to and, like every
// store, exists once per task, in the configured state backend (in memory
// or Pebble).
//
// Layout: locally each value is stored as an 8-byte big-endian timestamp ‖
// the serialized value, like the DSL's tables; the changelog topic
// <app>-<Name>-changelog (compacted) carries the plain serialized value, with
// the timestamp as the record's timestamp, so it reads like a plain Kafka
// Streams key-value store's changelog. The timestamp is that of the record
// being processed when the value was written (the punctuation time inside a
// punctuator). Processors see plain values (KeyValueStore.Open); the
// test driver reads the store with Driver.KeyValueStore.
type KeyValueStoreSpec struct {
	// Name names the store and its changelog topic; required.
	Name string
	// DisableLogging turns the changelog off: the store then cannot be
	// restored after its local copy is lost.
	DisableLogging bool
}

func (s KeyValueStoreSpec) store() (*topology.Store, error) {
	if s.Name == "" {
		return nil, errors.New("KeyValueStoreSpec: empty store name")
	}
	return &topology.Store{UserName: s.Name, Op: "USER", Spec: engine.StoreSpec{Kind: engine.KeyValueKind, Logged: !s.DisableLogging}}, nil
}

// ProcessOption configures Process and ProcessValues: an Option (As names
// the processor node) or a store handle (KeyValueStore, WindowStore,
// SessionStore), which connects its store to the processor.
type ProcessOption interface {
	applyProcess(c *processConfig)
}

type processConfig struct {
	opts   []Option
	stores []*storeRef
}

func (o Option) applyProcess(c *processConfig) { c.opts = append(c.opts, o) }

func resolveProcess(opts []ProcessOption) processConfig {
	var c processConfig
	for _, o := range opts {
		if o != nil {
			o.applyProcess(&c)
		}
	}
	return c
}
