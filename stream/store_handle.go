// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"fmt"
	"sync"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/table"
)

// storeRef is the part of a store handle shared by its copies: how to
// find (or declare) the store in a builder, and its final name.
type storeRef struct {
	// declare makes the store a declared handle adds to a builder; nil for
	// handles on existing stores.
	declare func() (*topology.Store, error)
	// existing is the store of a handle on an existing (DSL) store; nil
	// for a global table's store, which is read without connecting it.
	existing *topology.Store
	builder  *Builder // the builder an existing store belongs to
	global   bool
	err      error // why the handle is unusable (e.g. an unmaterialized table)
	// topic is what serdes are called with when it is not the changelog
	// (a global table's source topic).
	topic string

	mu       sync.Mutex
	declared map[*Builder]*topology.Store
}

// bind returns the store to connect to a processor of b: nil for a global
// table's store.
func (r *storeRef) bind(b *Builder) (*topology.Store, error) {
	if r == nil {
		return nil, errors.New("zero store handle: make one with NewKeyValueStore, NewWindowStore, NewSessionStore, Table.Store or GlobalTable.Store")
	}
	if r.err != nil {
		return nil, r.err
	}
	if r.declare == nil {
		if r.builder != b {
			return nil, errors.New("the store handle's table comes from a different builder")
		}
		return r.existing, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if s, ok := r.declared[b]; ok {
		return s, nil
	}
	s, err := r.declare()
	if err != nil {
		return nil, err
	}
	// The store belongs to no node until a processor connects it; the
	// placeholder owner only names it in duplicate-name errors.
	s.Owner = &topology.Node{Name: "a store handle", Op: "USER"}
	b.g.Stores = append(b.g.Stores, s)
	if r.declared == nil {
		r.declared = map[*Builder]*topology.Store{}
	}
	r.declared[b] = s
	return s, nil
}

// name returns the store's final name (known once the topology is built).
func (r *storeRef) name() (string, error) {
	switch {
	case r == nil:
		return "", errors.New("zero store handle")
	case r.err != nil:
		return "", r.err
	case r.declare == nil:
		return r.existing.Name, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range r.declared {
		return s.Name, nil // declared stores keep the name of their spec
	}
	s, err := r.declare()
	if err != nil {
		return "", err
	}
	return s.UserName, nil
}

// topicFor returns the topic the store's serdes are called with.
func (r *storeRef) topicFor(ctx processor.ProcessingContext, name string) string {
	if r.topic != "" {
		return r.topic
	}
	return engine.ChangelogTopic(ctx.ApplicationID(), name)
}

func (r *storeRef) applyProcess(c *processConfig) { c.stores = append(c.stores, r) }

// storeHandle is implemented by the store handles.
type storeHandle interface{ handle() *storeRef }

func (r *storeRef) handle() *storeRef { return r }

// ApplyToTable implements table.Option so that handles can be passed to
// Table.TransformValues, which takes them out before resolving its table
// options; any other table operator reports it.
func (r *storeRef) ApplyToTable(*table.Materialized) error {
	return errors.New("a store handle connects a store to Process, ProcessValues and TransformValues only")
}

// KeyValueStore is a typed handle on a key-value store: its name and
// serdes, written once. Make one with NewKeyValueStore, or get one on a
// table's store with Table.Store or GlobalTable.Store.
//
// A store handle (KeyValueStore, WindowStore, SessionStore) passed to
// Process, ProcessValues or Table.TransformValues connects its store to
// that processor (declaring it in the builder first, for a store made with
// NewKeyValueStore, NewWindowStore or NewSessionStore); inside the
// processor the handle's Open method returns the typed view. The same
// handle passed to several operators connects one store to all of them,
// and they then run in one sub-topology. Two handles declaring stores of
// the same name are an error reported by Build.
//
//	seen := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "seen"}, serde.String(), serde.Int64())
//	in.Process(func() processor.Processor[string, string, string, string] { return &dedup{seen: seen} }, seen)
//
//	func (d *dedup) Init(ctx processor.Context[string, string]) (err error) {
//		d.view, err = d.seen.Open(ctx)
//		return err
//	}
type KeyValueStore[K, V any] struct {
	*storeRef
	ks serde.Serde[K]
	vs serde.Serde[V]
}

// NewKeyValueStore returns a handle on a new key-value store declared by
// spec, whose keys and values go through ks and vs (called with the
// store's changelog topic <app>-<name>-changelog; nil falls back to the
// built-in serde of a primitive type). The store is added to the topology
// by the first operator it is passed to.
func NewKeyValueStore[K, V any](spec KeyValueStoreSpec, ks serde.Serde[K], vs serde.Serde[V]) KeyValueStore[K, V] {
	return KeyValueStore[K, V]{storeRef: &storeRef{declare: withSerdes[K, V](spec.store, ks, vs)}, ks: orDefault(ks), vs: orDefault(vs)}
}

// withSerdes wraps a store declaration with the check that both serdes
// exist.
func withSerdes[K, V any](declare func() (*topology.Store, error), ks serde.Serde[K], vs serde.Serde[V]) func() (*topology.Store, error) {
	return func() (*topology.Store, error) {
		s, err := declare()
		if err != nil {
			return nil, err
		}
		ks, vs := orDefault(ks), orDefault(vs)
		if err := errors.Join(need(ks == nil, missingSerde[K]("key", "pass one to the store handle")),
			need(vs == nil, missingSerde[V]("value", "pass one to the store handle"))); err != nil {
			return nil, fmt.Errorf("store %q: %w", s.UserName, err)
		}
		return s, nil
	}
}

// Name returns the store's name (for a table's store, once the topology is
// built), or "" for an unusable handle.
func (s KeyValueStore[K, V]) Name() string {
	n, _ := s.storeRef.name()
	return n
}

// Open returns the typed view of the store for the processor whose context
// is ctx: reads and writes as described at processor.ProcessingContext's
// StateStore (writes are logged to the changelog unless the store was
// declared without logging, and carry the timestamp of the record being
// processed). The store must be connected to the processor (its handle
// passed to the operator), except a global table's store, which every
// processor can read. Call it in Init and keep the view.
func (s KeyValueStore[K, V]) Open(ctx processor.ProcessingContext) (state.KeyValueView[K, V], error) {
	name, err := s.storeRef.name()
	if err != nil {
		return state.KeyValueView[K, V]{}, err
	}
	st, err := ctx.StateStore(name)
	if err != nil {
		return state.KeyValueView[K, V]{}, err
	}
	return state.NewKeyValueView(st, s.topicFor(ctx, name), s.ks, s.vs), nil
}

// WindowStore is a typed handle on a window store: its name, window size
// and serdes. Make one with NewWindowStore.
type WindowStore[K, V any] struct {
	*storeRef
	ks serde.Serde[K]
	vs serde.Serde[V]
}

// NewWindowStore returns a handle on a new window store declared by spec,
// whose keys and values go through ks and vs (called with the store's
// changelog topic; nil falls back to the built-in serde of a primitive
// type). The store is added to the topology by the first operator it is
// passed to.
func NewWindowStore[K, V any](spec WindowStoreSpec, ks serde.Serde[K], vs serde.Serde[V]) WindowStore[K, V] {
	return WindowStore[K, V]{storeRef: &storeRef{declare: withSerdes[K, V](spec.store, ks, vs)}, ks: orDefault(ks), vs: orDefault(vs)}
}

// Name returns the store's name.
func (s WindowStore[K, V]) Name() string {
	n, _ := s.storeRef.name()
	return n
}

// Open returns the typed view of the window store for the processor whose
// context is ctx; its windowed keys end at start + the store's window
// size. Writes are logged to the changelog unless the store was declared
// without logging, and carry the timestamp of the record being processed;
// windows older than the store's retention (relative to the largest
// window start written) expire. Call it in Init and keep the view.
func (s WindowStore[K, V]) Open(ctx processor.ProcessingContext) (state.WindowView[K, V], error) {
	name, err := s.storeRef.name()
	if err != nil {
		return state.WindowView[K, V]{}, err
	}
	st, size, err := ctx.WindowStateStore(name)
	if err != nil {
		return state.WindowView[K, V]{}, err
	}
	return state.NewWindowView(st, s.topicFor(ctx, name), size, s.ks, s.vs), nil
}

// SessionStore is a typed handle on a session store: its name and serdes.
// Make one with NewSessionStore.
type SessionStore[K, V any] struct {
	*storeRef
	ks serde.Serde[K]
	vs serde.Serde[V]
}

// NewSessionStore returns a handle on a new session store declared by
// spec, whose keys and values go through ks and vs (called with the
// store's changelog topic; nil falls back to the built-in serde of a
// primitive type). The store is added to the topology by the first
// operator it is passed to.
func NewSessionStore[K, V any](spec SessionStoreSpec, ks serde.Serde[K], vs serde.Serde[V]) SessionStore[K, V] {
	return SessionStore[K, V]{storeRef: &storeRef{declare: withSerdes[K, V](spec.store, ks, vs)}, ks: orDefault(ks), vs: orDefault(vs)}
}

// Name returns the store's name.
func (s SessionStore[K, V]) Name() string {
	n, _ := s.storeRef.name()
	return n
}

// Open returns the typed view of the session store for the processor whose
// context is ctx. Writes are logged to the changelog unless the store was
// declared without logging, and carry the timestamp of the record being
// processed; sessions that ended more than the store's retention before
// the largest session end written expire. Call it in Init and keep the
// view.
func (s SessionStore[K, V]) Open(ctx processor.ProcessingContext) (state.SessionView[K, V], error) {
	name, err := s.storeRef.name()
	if err != nil {
		return state.SessionView[K, V]{}, err
	}
	st, err := ctx.SessionStateStore(name)
	if err != nil {
		return state.SessionView[K, V]{}, err
	}
	return state.NewSessionView(st, s.topicFor(ctx, name), s.ks, s.vs), nil
}

// Store returns a handle on the table's store, for processors that read
// it (Kafka Streams' process(supplier, table.queryableStoreName())): the
// processor is then connected to the store and runs in the table's
// sub-topology. The table must be materialized (Builder.Table, ToTable, an
// aggregation, Materialize); otherwise the operator the handle is passed
// to reports an error at Build. Processors see the rows' plain values;
// writing a table's store from a processor bypasses the table's own
// updates.
func (t Table[K, V]) Store() KeyValueStore[K, V] {
	r := &storeRef{existing: t.store, builder: t.b}
	if t.store == nil {
		r.err = errors.New("Table.Store: the table is not materialized; call Materialize(table.As(name)) on it first")
	}
	return KeyValueStore[K, V]{storeRef: r, ks: orDefault(t.ks), vs: orDefault(t.vs)}
}

// Store returns a handle on the global table's store. Every processor can
// read it without connecting it (passing the handle to an operator is
// allowed and changes nothing); writes fail. Its serdes are called with
// the table's topic.
func (g GlobalTable[K, V]) Store() KeyValueStore[K, V] {
	r := &storeRef{existing: g.store, builder: g.b, global: true, topic: g.topic}
	if g.store == nil {
		r.err = errors.New("GlobalTable.Store: the global table was not created with Builder.GlobalTable")
	}
	return KeyValueStore[K, V]{storeRef: r, ks: g.ks, vs: g.vs}
}

// Store returns a handle on the windowed table's window store, for
// processors that read it (the processor then runs in the aggregation's
// sub-topology); ks is the serde of the table's base key K (the one the
// aggregation grouped with). Processors see the windows' plain values.
func (t WindowedTable[K, V]) Store(ks serde.Serde[K]) WindowStore[K, V] {
	r := &storeRef{existing: t.store, builder: t.b}
	if t.store == nil {
		r.err = errors.New("WindowedTable.Store: the table has no window store")
	}
	return WindowStore[K, V]{storeRef: r, ks: orDefault(ks), vs: orDefault(t.vs)}
}

// Store returns a handle on the session table's session store, for
// processors that read it (the processor then runs in the aggregation's
// sub-topology); ks is the serde of the table's base key K (the one the
// aggregation grouped with).
func (t SessionTable[K, V]) Store(ks serde.Serde[K]) SessionStore[K, V] {
	r := &storeRef{existing: t.store, builder: t.b}
	if t.store == nil {
		r.err = errors.New("SessionTable.Store: the table has no session store")
	}
	return SessionStore[K, V]{storeRef: r, ks: orDefault(ks), vs: orDefault(t.vs)}
}
