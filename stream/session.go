// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// SessionWindowedStream is a grouped stream further grouped into sessions of
// activity (Kafka Streams' SessionWindowedKStream). Its aggregations yield
// tables keyed by window.Windowed[K], whose windows are the sessions
// [first record's timestamp, last record's timestamp].
type SessionWindowedStream[K, V any] struct {
	g       Grouped[K, V]
	w       window.SessionWindows
	onClose bool // EmitOnWindowClose
}

// SessionWindowedBy groups the records further into sessions: per key,
// records closer than w's inactivity gap share a session (see
// window.SessionWindows).
func (g Grouped[K, V]) SessionWindowedBy(w window.SessionWindows) SessionWindowedStream[K, V] {
	return SessionWindowedStream[K, V]{g: g, w: w}
}

// sessionFns are the functions of a session aggregation.
type sessionFns[K, V, A any] struct {
	initial func(K, V) A
	add     func(K, V, A) A
	first   func(K, A) A
	merge   func(K, A, A) A
}

// Count counts records per key and session. As in Kafka Streams, only
// records with a null key are dropped; merged sessions add their counts.
func (w SessionWindowedStream[K, V]) Count(opts ...table.Option) SessionTable[K, int64] {
	return sessionAggregate(w, "COUNT", sessionFns[K, V, int64]{
		initial: func(K, V) int64 { return 1 },
		add:     func(_ K, _ V, n int64) int64 { return n + 1 },
		first:   func(_ K, n int64) int64 { return n },
		merge:   func(_ K, a, b int64) int64 { return a + b },
	}, serde.Int64(), opts)
}

// Reduce combines the values of each key and session with fn(aggregate,
// value); merging sessions combines their aggregates with fn too, the
// earlier-ending session's first.
func (w SessionWindowedStream[K, V]) Reduce(fn func(agg, value V) V, opts ...table.Option) SessionTable[K, V] {
	return sessionAggregate(w, "REDUCE", sessionFns[K, V, V]{
		initial: func(_ K, v V) V { return v },
		add:     func(_ K, v V, agg V) V { return fn(agg, v) },
		first:   func(_ K, agg V) V { return agg },
		merge:   func(_ K, agg, next V) V { return fn(agg, next) },
	}, orDefault(w.g.s.vs), opts)
}

// Aggregate folds the values of each key and session into an aggregate,
// starting from init() in every new session. When a record bridges
// sessions, their aggregates are combined with merger, starting from
// init() and taking the merged sessions in order of their end, before the
// record is added. as serializes the aggregate; nil uses the built-in
// serde of primitive types. An adder (or Reduce's fn) that returns nil, a
// null aggregate, removes the session and forwards its deletion, as in
// Kafka Streams; the sessions it merged are removed as usual.
func (w SessionWindowedStream[K, V]) Aggregate[A any](init func() A, adder func(key K, value V, agg A) A, merger func(key K, agg1, agg2 A) A, as serde.Serde[A], opts ...table.Option) SessionTable[K, A] {
	return sessionAggregate(w, "AGGREGATE", sessionFns[K, V, A]{
		initial: func(k K, v V) A { return adder(k, v, init()) },
		add:     adder,
		first:   func(k K, agg A) A { return merger(k, init(), agg) },
		merge:   merger,
	}, orDefault(as), opts)
}

func sessionAggregate[K, V, A any](w SessionWindowedStream[K, V], op string, f sessionFns[K, V, A], as serde.Serde[A], opts []table.Option) SessionTable[K, A] {
	m, mErr := table.Resolve(opts...)
	spec := w.w
	minRetention := spec.Gap() + spec.GracePeriod()
	retention := minRetention
	if m.Retention != 0 {
		retention = m.Retention
	}
	store := &topology.Store{UserName: m.Name, Op: "AGGREGATE", Naming: aggNaming(op), Spec: engine.StoreSpec{
		Kind: engine.SessionKind, Logged: m.Logging, Session: state.SessionOptions{Retention: max(retention.Milliseconds(), 1)},
	}}
	in := w.g.prepare(store, op)
	ks := orDefault(in.ks)
	n := &topology.Node{Kind: topology.Processor, Op: "SESSION-WINDOWED-AGGREGATE", UserName: m.Operator}
	n.Check = func() error {
		if err := spec.Validate(); err != nil {
			return err
		}
		var retErr error
		if retention < minRetention {
			retErr = fmt.Errorf("retention %v is shorter than session inactivity gap + grace (%v)",
				retention, minRetention)
		}
		return errors.Join(mErr, retErr,
			need(ks == nil, missingSerde[K]("key", op+" stores keys; pass one to GroupBy or WithKeySerde")),
			need(as == nil, missingSerde[A]("aggregate", op+" stores the aggregate; pass a serde")))
	}
	n.New = func(*engine.Task) (any, error) {
		return &ops.SessionAggregate[K, V, A]{
			Node: n.Name, Store: store.Name, Gap: spec.Gap().Milliseconds(), Grace: spec.GracePeriod().Milliseconds(), KeySerde: ks, AggSerde: as,
			Initial: f.initial, Add: f.add, First: f.first, Merge: f.merge,
		}, nil
	}
	in.b.g.AddNode(n, in.node)
	in.b.g.AddStore(store, n)
	link[K, V](in.node, n)
	var wks serde.Serde[window.Windowed[K]]
	if ks != nil {
		wks = serde.SessionWindowed(ks)
	}
	out := SessionTable[K, A]{b: in.b, node: n, ks: wks, vs: as, store: store}
	if w.onClose {
		return onSessionClose(out, opts)
	}
	return out
}
