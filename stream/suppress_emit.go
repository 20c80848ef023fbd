package stream

import "github.com/eddy-streams/eddy/table"

// EmitOnWindowClose makes the aggregations emit each window's result once,
// when the window closes (stream time - grace >= window end), instead of on
// every update (Kafka Streams' emitStrategy(EmitStrategy.onWindowClose()),
// KIP-825). The output is the same as the aggregation followed by
// SuppressUntilWindowCloses; the returned table's store is the
// aggregation's (queryable, holding every update). The buffer of final
// results is a store named <store>-on-window-close-store when the
// aggregation's store is named with table.As.
func (w TimeWindowedStream[K, V]) EmitOnWindowClose() TimeWindowedStream[K, V] {
	w.onClose = true
	return w
}

// EmitOnWindowClose makes the aggregations emit each session's result
// once, when it can no longer grow (see
// SessionTable.SuppressUntilWindowCloses); merged-away sessions are never
// emitted. See TimeWindowedStream.EmitOnWindowClose.
func (w SessionWindowedStream[K, V]) EmitOnWindowClose() SessionWindowedStream[K, V] {
	w.onClose = true
	return w
}

// onWindowClose suppresses a windowed aggregation's updates until its
// windows close, keeping the aggregation's store as the table's.
func onWindowClose[K, V any](t WindowedTable[K, V], opts []table.Option) WindowedTable[K, V] {
	out := t.SuppressUntilWindowCloses(onCloseName(opts)...)
	out.store = t.store
	return out
}

// onSessionClose is onWindowClose for sessions.
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
