// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
)

// StoreSpec declares a user-defined state store for Processor API
// processors (a KeyValueStoreSpec or a WindowStoreSpec); add it with
// Builder.AddStore.
type StoreSpec interface {
	store() (*topology.Store, error)
}

// KeyValueStoreSpec declares a key-value store (Kafka Streams'
// Stores.keyValueStoreBuilder). It lives in the sub-topology of the
// processors it is connected to (stream.WithStores) and, like every store,
// exists once per task, in the configured state backend (in memory or
// Pebble).
//
// Layout: locally each value is stored as an 8-byte big-endian timestamp ‖
// the serialized value, like the DSL's tables; the changelog topic
// <app>-<Name>-changelog (compacted) carries the plain serialized value, with
// the timestamp as the record's timestamp, so it reads like a plain Kafka
// Streams key-value store's changelog. The timestamp is that of the record
// being processed when the value was written (the punctuation time inside a
// punctuator). Processors see plain values (processor.KeyValueStore); the
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

// AddStore declares a state store that processors connect to by name with
// WithStores (Kafka Streams' Topology.addStateStore). Build reports a
// processor naming a store that does not exist; a declared store no
// processor uses is ignored.
func (b *Builder) AddStore(spec StoreSpec) {
	if spec == nil {
		b.g.Errs = append(b.g.Errs, errors.New("AddStore: nil store spec"))
		return
	}
	s, err := spec.store()
	if err != nil {
		b.g.Errs = append(b.g.Errs, fmt.Errorf("AddStore: %w", err))
		return
	}
	// The store belongs to no node until a processor connects it; the
	// placeholder owner only names it in duplicate-name errors.
	s.Owner = &topology.Node{Name: "Builder.AddStore", Op: "USER"}
	b.g.Stores = append(b.g.Stores, s)
}

// ProcessOption configures Process and ProcessValues: an Option (As names
// the processor node) or WithStores.
type ProcessOption interface {
	applyProcess(c *processConfig)
}

type processConfig struct {
	opts   []Option
	stores []string
}

func (o Option) applyProcess(c *processConfig) { c.opts = append(c.opts, o) }

type storesOption []string

func (s storesOption) applyProcess(c *processConfig) { c.stores = append(c.stores, s...) }

// WithStores connects the named state stores to a processor (Kafka
// Streams' process(supplier, storeNames...)): stores declared with
// Builder.AddStore, or DSL stores such as a table's, by their names. A
// store and every processor connected to it run in one sub-topology.
// Global tables' stores need no connecting: every processor can read them
// (see processor.ProcessingContext.StateStore).
func WithStores(names ...string) ProcessOption { return storesOption(names) }

func resolveProcess(opts []ProcessOption) processConfig {
	var c processConfig
	for _, o := range opts {
		if o != nil {
			o.applyProcess(&c)
		}
	}
	return c
}
