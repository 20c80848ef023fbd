package stream

import (
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/table"
)

// WindowedOnClose is a time-windowed grouping whose aggregations emit only
// final results (Kafka Streams' emitStrategy(EmitStrategy.onWindowClose()),
// KIP-825). Get one from Windowed.EmitOnWindowClose.
type WindowedOnClose[K, V any] struct{ w Windowed[K, V] }

// EmitOnWindowClose makes the aggregations emit each window's result once,
// when the window closes (stream time - grace >= window end), instead of on
// every update. The output is the same as the aggregation followed by
// SuppressUntilWindowCloses; the returned table's store is the
// aggregation's (queryable, holding every update). The buffer of final
// results is a store named <store>-on-window-close-store when the
// aggregation is named with table.Named.
func (w Windowed[K, V]) EmitOnWindowClose() WindowedOnClose[K, V] { return WindowedOnClose[K, V]{w: w} }

// Count counts records per key and window; see Windowed.Count.
func (w WindowedOnClose[K, V]) Count(opts ...table.Option) WindowedTable[K, int64] {
	return onWindowClose(w.w.Count(opts...), opts)
}

// Reduce combines the values of each key and window; see Windowed.Reduce.
func (w WindowedOnClose[K, V]) Reduce(fn func(agg, value V) V, opts ...table.Option) WindowedTable[K, V] {
	return onWindowClose(w.w.Reduce(fn, opts...), opts)
}

// Aggregate folds the values of each key and window; see
// Windowed.Aggregate.
func (w WindowedOnClose[K, V]) Aggregate[A any](init func() A, adder func(key K, value V, agg A) A, as serde.Serde[A], opts ...table.Option) WindowedTable[K, A] {
	return onWindowClose(w.w.Aggregate(init, adder, as, opts...), opts)
}

func onWindowClose[K, V any](t WindowedTable[K, V], opts []table.Option) WindowedTable[K, V] {
	out := t.SuppressUntilWindowCloses(onCloseName(opts)...)
	out.store = t.store
	return out
}

// SessionWindowedOnClose is a session-windowed grouping whose aggregations
// emit only final results. Get one from SessionWindowed.EmitOnWindowClose.
type SessionWindowedOnClose[K, V any] struct{ w SessionWindowed[K, V] }

// EmitOnWindowClose makes the aggregations emit each session's result
// once, when it can no longer grow (see
// SessionTable.SuppressUntilWindowCloses); merged-away sessions are never emitted. See
// Windowed.EmitOnWindowClose.
func (w SessionWindowed[K, V]) EmitOnWindowClose() SessionWindowedOnClose[K, V] {
	return SessionWindowedOnClose[K, V]{w: w}
}

// Count counts records per key and session; see SessionWindowed.Count.
func (w SessionWindowedOnClose[K, V]) Count(opts ...table.Option) SessionTable[K, int64] {
	return onSessionClose(w.w.Count(opts...), opts)
}

// Reduce combines the values of each key and session; see
// SessionWindowed.Reduce.
func (w SessionWindowedOnClose[K, V]) Reduce(fn func(agg, value V) V, opts ...table.Option) SessionTable[K, V] {
	return onSessionClose(w.w.Reduce(fn, opts...), opts)
}

// Aggregate folds the values of each key and session; see
// SessionWindowed.Aggregate.
func (w SessionWindowedOnClose[K, V]) Aggregate[A any](init func() A, adder func(key K, value V, agg A) A, merger func(key K, agg1, agg2 A) A, as serde.Serde[A], opts ...table.Option) SessionTable[K, A] {
	return onSessionClose(w.w.Aggregate(init, adder, merger, as, opts...), opts)
}

func onSessionClose[K, V any](t SessionTable[K, V], opts []table.Option) SessionTable[K, V] {
	out := t.SuppressUntilWindowCloses(onCloseName(opts)...)
	out.store = t.store
	return out
}

func onCloseName(opts []table.Option) []SuppressOption {
	m, err := table.Resolve(opts...)
	if err != nil || m.Name == "" {
		return nil
	}
	return []SuppressOption{As(m.Name + "-on-window-close")}
}
