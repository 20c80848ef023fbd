// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"fmt"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// SlidingWindowedStream is a grouped stream further grouped by sliding windows
// (Kafka Streams' TimeWindowedKStream over SlidingWindows). Its
// aggregations yield tables keyed by window.Windowed[K] whose windows
// [Start, End] include both ends, End = Start + the time difference.
type SlidingWindowedStream[K, V any] struct {
	g Grouped[K, V]
	w window.SlidingWindows
}

// SlidingWindowedBy groups the records further by sliding windows (see
// window.SlidingWindows).
func (g Grouped[K, V]) SlidingWindowedBy(w window.SlidingWindows) SlidingWindowedStream[K, V] {
	return SlidingWindowedStream[K, V]{g: g, w: w}
}

// Count counts records per key and sliding window. As in Kafka Streams,
// records with a null key or a null value are dropped.
func (w SlidingWindowedStream[K, V]) Count(opts ...table.Option) WindowedTable[K, int64] {
	return slidingAggregate(w, "COUNT", func(K, V) int64 { return 1 }, func(_ K, _ V, n int64) int64 { return n + 1 }, func() int64 { return 0 }, serde.Int64(), opts)
}

// Reduce combines the values of each key and sliding window.
func (w SlidingWindowedStream[K, V]) Reduce(fn func(agg, value V) V, opts ...table.Option) WindowedTable[K, V] {
	return slidingAggregate(w, "REDUCE", func(_ K, v V) V { return v }, func(_ K, v V, agg V) V { return fn(agg, v) }, nil, orDefault(w.g.s.vs), opts)
}

// Aggregate folds the values of each key and sliding window into an
// aggregate, starting from init() in every window that does not start from
// another window's aggregate.
func (w SlidingWindowedStream[K, V]) Aggregate[A any](init func() A, adder func(key K, value V, agg A) A, as serde.Serde[A], opts ...table.Option) WindowedTable[K, A] {
	return slidingAggregate(w, "AGGREGATE", func(k K, v V) A { return adder(k, v, init()) }, adder, init, orDefault(as), opts)
}

// slidingAggregate adds a sliding-window aggregation; start (nil for
// Reduce) is the aggregate a new window starts from, forwarded as its old
// value (see windowAggregate).
func slidingAggregate[K, V, A any](w SlidingWindowedStream[K, V], op string, initial func(K, V) A, add func(K, V, A) A, start func() A, as serde.Serde[A], opts []table.Option) WindowedTable[K, A] {
	m, mErr := table.Resolve(opts...)
	spec := w.w
	minRetention := 2*spec.TimeDifference() + spec.GracePeriod()
	retention := minRetention
	if m.Retention != 0 {
		retention = m.Retention
	}
	store := &topology.Store{UserName: m.Name, Op: "AGGREGATE", Naming: aggNaming(op), WindowSize: spec.TimeDifference().Milliseconds(), Spec: engine.StoreSpec{
		Kind: engine.WindowKind, Logged: m.Logging, Window: state.WindowOptions{Retention: max(retention.Milliseconds(), 1)},
	}}
	in := w.g.prepare(store, op)
	ks := orDefault(in.ks)
	n := &topology.Node{Kind: topology.Processor, Op: "SLIDING-WINDOWED-AGGREGATE", UserName: m.Operator}
	n.Check = func() error {
		if err := spec.Validate(); err != nil {
			return err
		}
		var retErr error
		if retention < minRetention {
			retErr = fmt.Errorf("retention %v is shorter than 2 × time difference + grace (%v)",
				retention, minRetention)
		}
		return errors.Join(mErr, retErr,
			need(ks == nil, missingSerde[K]("key", op+" stores keys; pass one to GroupBy or WithKeySerde")),
			need(as == nil, missingSerde[A]("aggregate", op+" stores the aggregate; pass a serde")))
	}
	n.New = func(*engine.Task) (any, error) {
		return &ops.SlidingAggregate[K, V, A]{
			Node: n.Name, Store: store.Name, Diff: spec.TimeDifference().Milliseconds(), Grace: spec.GracePeriod().Milliseconds(),
			KeySerde: ks, AggSerde: as, Initial: initial, Add: add, Start: start,
		}, nil
	}
	in.b.g.AddNode(n, in.node)
	in.b.g.AddStore(store, n)
	link[K, V](in.node, n)
	var wks serde.Serde[window.Windowed[K]]
	if ks != nil && spec.Validate() == nil {
		wks = slidingKeySerde(ks, spec.TimeDifference())
	}
	return WindowedTable[K, A]{b: in.b, node: n, ks: wks, vs: as, store: store}
}

// slidingKeySerde is Kafka Streams' TimeWindowedSerde with the time
// difference as window size: key ‖ 8-byte start, End = Start + diff on
// reading. serde.TimeWindowed needs a positive size, so a zero difference
// (windows of records with equal timestamps) reads End = Start itself.
func slidingKeySerde[K any](ks serde.Serde[K], diff time.Duration) serde.Serde[window.Windowed[K]] {
	if diff.Milliseconds() > 0 {
		return serde.TimeWindowed(ks, diff)
	}
	return pointWindowed[K]{serde.TimeWindowed(ks, time.Millisecond)}
}

// pointWindowed is the time-windowed serde of zero-length windows.
type pointWindowed[K any] struct {
	inner serde.Serde[window.Windowed[K]]
}

func (s pointWindowed[K]) Serialize(topic string, w window.Windowed[K]) ([]byte, error) {
	return s.inner.Serialize(topic, w)
}

func (s pointWindowed[K]) Deserialize(topic string, data []byte) (window.Windowed[K], error) {
	w, err := s.inner.Deserialize(topic, data)
	w.Window = window.Between(w.Window.Start(), w.Window.Start())
	return w, err
}

// PartitionKey returns the base key, as for every windowed key.
func (s pointWindowed[K]) PartitionKey(serialized []byte) []byte {
	return s.inner.(ops.PartitionKeyer).PartitionKey(serialized)
}
