// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/window"
)

// SessionTable is the result of a session-windowed aggregation: a table
// whose keys are window.Windowed[K] with the sessions as windows, both ends
// inclusive (Kafka Streams' KTable<Windowed<K>, V> over a session store).
// When sessions merge, the table deletes the merged sessions' keys (their
// changes have no new value) and adds the merged session.
//
// Like WindowedTable it is a type of its own, because a Table of windowed
// keys could be windowed again, an instantiation cycle Go forbids.
type SessionTable[K, V any] struct {
	b     *Builder
	node  *topology.Node
	ks    serde.Serde[window.Windowed[K]]
	vs    serde.Serde[V]
	store *topology.Store
}

// StoreName returns the name of the table's session store once the
// topology is built, or "" if the table is not materialized.
func (t SessionTable[K, V]) StoreName() string {
	if t.store == nil {
		return ""
	}
	return t.store.Name
}

// ToStream turns the table's changes into a stream of session-windowed
// records; a merged-away session becomes a record with a null value. Its
// key serde is Kafka Streams' session-windowed layout (key ‖ 8-byte end ‖
// 8-byte start).
func (t SessionTable[K, V]) ToStream(opts ...Option) WindowedKeyStream[K, V] {
	n := addNode[window.Windowed[K], engine.Change[V]](t.b, t.node, "KTABLE-TOSTREAM", opts, func(*topology.Node) any {
		return &ops.ToStream[window.Windowed[K], V]{}
	})
	return WindowedKeyStream[K, V]{b: t.b, node: n, ks: t.ks, vs: t.vs}
}

// Filter keeps rows matching pred; other rows are forwarded as deletions.
// A change neither of whose rows matches is dropped, as in Kafka Streams
// (an aggregation sends old values).
func (t SessionTable[K, V]) Filter(pred func(key window.Windowed[K], value V) bool, opts ...Option) SessionTable[K, V] {
	n := addNode[window.Windowed[K], engine.Change[V]](t.b, t.node, "KTABLE-FILTER", opts, func(*topology.Node) any {
		// An aggregation always sends old values (Kafka Streams), so a
		// change neither of whose rows passes is dropped.
		return &ops.TableFilter[window.Windowed[K], V]{Keep: pred, DropUnchanged: true}
	})
	return SessionTable[K, V]{b: t.b, node: n, ks: t.ks, vs: t.vs}
}

// MapValues maps each row's value.
func (t SessionTable[K, V]) MapValues[V2 any](fn func(value V) V2, opts ...Option) SessionTable[K, V2] {
	f := func(_ window.Windowed[K], v V) V2 { return fn(v) }
	n := addNode[window.Windowed[K], engine.Change[V]](t.b, t.node, "KTABLE-MAPVALUES", opts, func(*topology.Node) any {
		return &ops.TableMapValues[window.Windowed[K], V, V2]{Fn: f}
	})
	return SessionTable[K, V2]{b: t.b, node: n, ks: t.ks, vs: orDefault(carry[V, V2](t.vs))}
}
