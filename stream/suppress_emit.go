// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/table"
)

// EmitOnWindowClose makes the aggregations emit each window's result once,
// when the window closes (stream time - grace >= window end), instead of on
// every update (Kafka Streams' emitStrategy(EmitStrategy.onWindowClose()),
// KIP-825). The output is the same as the aggregation followed by
// SuppressUntilWindowCloses; the returned table's store is the
// aggregation's (queryable, holding every update). The buffer of final
// results is a store named <store>-on-window-close-store when the
// aggregation's store is named with table.As; its processor is
// <operator>-on-window-close when stream.As names the aggregation,
// <store>-on-window-close otherwise.
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
	out := t.SuppressUntilWindowCloses(onCloseNames(opts))
	out.store = t.store
	return out
}

// onSessionClose is onWindowClose for sessions.
func onSessionClose[K, V any](t SessionTable[K, V], opts []table.Option) SessionTable[K, V] {
	out := t.SuppressUntilWindowCloses(onCloseNames(opts))
	out.store = t.store
	return out
}

// onCloseNames names the buffer of EmitOnWindowClose after the
// aggregation's store (<store>-on-window-close-store), so that naming the
// store names all of the aggregation's state, and its processor after the
// aggregation's processor if named, else after the store.
func onCloseNames(opts []table.Option) SuppressOption {
	m, _ := table.Resolve(opts...) // the aggregation reports the errors
	return suppressOpt(func(c *suppressConfig) {
		c.ownStore = true
		if m.Name != "" {
			c.storeName = m.Name + "-on-window-close-store"
			c.name = m.Name + "-on-window-close"
		}
		if m.Operator != "" {
			c.name = m.Operator + "-on-window-close"
		}
		c.naming = topology.Naming{Method: "EmitOnWindowClose",
			Hint: "pass table.As(name) to the aggregation; it names the buffer <name>-on-window-close-store"}
	})
}
