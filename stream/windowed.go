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

// TimeWindowedStream is a grouped stream further grouped by time windows (Kafka
// Streams' TimeWindowedKStream). Its aggregations yield tables keyed by
// window.Windowed[K].
type TimeWindowedStream[K, V any] struct {
	g       Grouped[K, V]
	w       window.TimeWindows
	onClose bool // EmitOnWindowClose
}

// Count counts records per key and window. As in Kafka Streams, only
// records with a null key are dropped.
func (w TimeWindowedStream[K, V]) Count(opts ...table.Option) WindowedTable[K, int64] {
	return windowAggregate(w, "COUNT", func(K, V) int64 { return 1 }, func(_ K, _ V, n int64) int64 { return n + 1 }, func() int64 { return 0 }, serde.Int64(), opts)
}

// Reduce combines the values of each key and window.
func (w TimeWindowedStream[K, V]) Reduce(fn func(agg, value V) V, opts ...table.Option) WindowedTable[K, V] {
	return windowAggregate(w, "REDUCE", func(_ K, v V) V { return v }, func(_ K, v V, agg V) V { return fn(agg, v) }, nil, orDefault(w.g.s.vs), opts)
}

// Aggregate folds the values of each key and window into an aggregate,
// starting from init() in every window. As with Grouped.Aggregate, an adder
// (or Reduce's fn) that returns nil deletes the window's aggregate and
// forwards the deletion.
func (w TimeWindowedStream[K, V]) Aggregate[A any](init func() A, adder func(key K, value V, agg A) A, as serde.Serde[A], opts ...table.Option) WindowedTable[K, A] {
	return windowAggregate(w, "AGGREGATE", func(k K, v V) A { return adder(k, v, init()) }, adder, init, orDefault(as), opts)
}

// windowAggregate adds a windowed aggregation: initial computes a window's
// first aggregate, add the others, start (nil for Reduce) is the
// aggregate before a window's first record, forwarded as its old value.
func windowAggregate[K, V, A any](w TimeWindowedStream[K, V], op string, initial func(K, V) A, add func(K, V, A) A, start func() A, as serde.Serde[A], opts []table.Option) WindowedTable[K, A] {
	m, mErr := table.Resolve(opts...)
	spec := w.w
	retention := spec.Size() + spec.GracePeriod()
	if m.Retention != 0 {
		retention = m.Retention
	}
	store := &topology.Store{UserName: m.Name, Op: "AGGREGATE", Naming: aggNaming(op), WindowSize: spec.Size().Milliseconds(), Spec: engine.StoreSpec{
		Kind: engine.WindowKind, Logged: m.Logging, Cached: m.Caching, Window: state.WindowOptions{Retention: max(retention.Milliseconds(), 1)},
	}}
	in := w.g.prepare(store, op)
	ks := orDefault(in.ks)
	n := &topology.Node{Kind: topology.Processor, Op: "WINDOWED-AGGREGATE", UserName: m.Operator}
	n.Check = func() error {
		var retErr error
		if err := spec.Validate(); err != nil {
			return err
		}
		if retention < spec.Size()+spec.GracePeriod() {
			retErr = fmt.Errorf("retention %v is shorter than window size + grace (%v)",
				retention, spec.Size()+spec.GracePeriod())
		}
		return errors.Join(mErr, retErr,
			need(ks == nil, missingSerde[K]("key", op+" stores keys; pass one to GroupBy or WithKeySerde")),
			need(as == nil, missingSerde[A]("aggregate", op+" stores the aggregate; pass a serde")))
	}
	n.New = func(*engine.Task) (any, error) {
		return &ops.WindowAggregate[K, V, A]{Node: n.Name, Store: store.Name, Windows: spec, KeySerde: ks, AggSerde: as, Initial: initial, Add: add, Start: start}, nil
	}
	in.b.g.AddNode(n, in.node)
	in.b.g.AddStore(store, n)
	link[K, V](in.node, n)
	var wks serde.Serde[window.Windowed[K]]
	if ks != nil && spec.Validate() == nil {
		wks = serde.TimeWindowed(ks, spec.Size())
	}
	out := WindowedTable[K, A]{b: in.b, node: n, ks: wks, vs: as, store: store}
	if w.onClose {
		return onWindowClose(out, opts)
	}
	return out
}
