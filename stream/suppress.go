// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/window"
)

// SuppressOption configures a suppression (Kafka Streams' Suppressed and
// BufferConfig). As(name) is a SuppressOption too: it names the processor
// and its buffer store <name>-store (changelog
// <app>-<name>-store-changelog), as Suppressed.withName does.
//
// The buffer is unbounded unless BufferMaxRecords or BufferMaxBytes bounds
// it. What a full bounded buffer does follows Kafka Streams' BufferConfig:
// SuppressUntilTimeLimit emits its oldest entries early by default
// (BufferConfig.maxRecords is an EagerBufferConfig), unless
// ShutDownWhenFull is given; SuppressUntilWindowCloses needs a strict
// buffer (Kafka Streams' StrictBufferConfig), so it always stops the
// application with an error naming the operator, and EmitEarlyWhenFull
// there is a Build error.
type SuppressOption interface {
	applySuppress(*suppressConfig)
}

type suppressConfig struct {
	name string
	// storeName names the buffer store instead of <name>-store when
	// ownStore is set ("": generated).
	storeName  string
	ownStore   bool
	naming     topology.Naming
	maxRecords int64
	maxBytes   int64
	emitEarly  bool
	shutDown   bool
	idle       time.Duration
	noLogging  bool
	errs       []error
}

type suppressOpt func(*suppressConfig)

func (o suppressOpt) applySuppress(c *suppressConfig) { o(c) }

// applySuppress lets As name a suppression.
func (o Option) applySuppress(c *suppressConfig) {
	var oc opConfig
	if o != nil {
		o(&oc)
	}
	if oc.err != nil {
		c.errs = append(c.errs, oc.err)
	}
	if oc.partitions != 0 {
		c.errs = append(c.errs, errors.New("stream.Partitions does not apply to a suppression"))
	}
	if oc.name != "" {
		c.name = oc.name
	}
}

// BufferMaxRecords bounds the suppression buffer to n records (keys), as
// Kafka Streams' BufferConfig.maxRecords does. By default the buffer is
// unbounded. When the bound is exceeded, SuppressUntilTimeLimit forwards
// its oldest entries early (Kafka Streams' default for a bounded buffer)
// unless ShutDownWhenFull is given, and SuppressUntilWindowCloses stops
// the application with an error naming the operator.
func BufferMaxRecords(n int64) SuppressOption {
	return suppressOpt(func(c *suppressConfig) {
		if n <= 0 {
			c.errs = append(c.errs, fmt.Errorf("stream.BufferMaxRecords: must be positive, got %d", n))
		}
		c.maxRecords = n
	})
}

// BufferMaxBytes bounds the suppression buffer to n bytes of stored keys
// and values (Kafka Streams' BufferConfig.maxBytes); see BufferMaxRecords
// for what happens when it is exceeded.
func BufferMaxBytes(n int64) SuppressOption {
	return suppressOpt(func(c *suppressConfig) {
		if n <= 0 {
			c.errs = append(c.errs, fmt.Errorf("stream.BufferMaxBytes: must be positive, got %d", n))
		}
		c.maxBytes = n
	})
}

// EmitEarlyWhenFull makes a bounded time-limit suppression forward its
// oldest entries early when the buffer is full (Kafka Streams'
// emitEarlyWhenFull). It is the default of SuppressUntilTimeLimit and only
// states it. Final results cannot be emitted early: with
// SuppressUntilWindowCloses it is a Build error.
func EmitEarlyWhenFull() SuppressOption {
	return suppressOpt(func(c *suppressConfig) { c.emitEarly = true })
}

// ShutDownWhenFull makes a bounded suppression stop the application with an
// error naming the operator when its buffer is full, so that the time bound
// is never broken (Kafka Streams' shutDownWhenFull, a StrictBufferConfig).
// It is the only behaviour of SuppressUntilWindowCloses, where it just
// states it; SuppressUntilTimeLimit emits early without it.
func ShutDownWhenFull() SuppressOption {
	return suppressOpt(func(c *suppressConfig) { c.shutDown = true })
}

// BufferWithoutLogging disables the buffer store's changelog: buffered
// results are lost if the local state is lost.
func BufferWithoutLogging() SuppressOption {
	return suppressOpt(func(c *suppressConfig) { c.noLogging = true })
}

// IdleAdvance lets the suppression's stream time follow wall-clock time
// once no record has reached it for d: stream time then becomes the
// stream time of the last record plus the wall-clock time elapsed since
// that record arrived. Final results of quiet partitions are then emitted
// without waiting for new data. It goes beyond Kafka Streams, where
// suppression uses stream time only, and is off by default.
//
// The trade-off: results then depend on when records arrive, not only on
// the data. A record that arrives (or is replayed) after its window was
// released this way is dropped and counted as late by the suppression, so
// a window is still emitted at most once, but a replay of the same input
// with different timing may include it. Stream time advanced this way is
// not persisted; after a restart it starts again from the data. The check
// runs on a wall-clock punctuation every min(d, 1s).
func IdleAdvance(d time.Duration) SuppressOption {
	return suppressOpt(func(c *suppressConfig) {
		if d <= 0 {
			c.errs = append(c.errs, fmt.Errorf("stream.IdleAdvance: timeout must be positive, got %v", d))
		}
		c.idle = d
	})
}

func resolveSuppress(opts []SuppressOption) suppressConfig {
	var c suppressConfig
	for _, o := range opts {
		if o != nil {
			o.applySuppress(&c)
		}
	}
	return c
}

// suppressSpec is what differs between the kinds of suppression.
type suppressSpec[K any] struct {
	method     string
	final      bool
	bufferTime func(K, int64) int64
	// wait returns how far stream time must pass a buffer time.
	wait func() (int64, error)
}

func addSuppress[K, V any](b *Builder, parent *topology.Node, ks serde.Serde[K], vs serde.Serde[V], c suppressConfig, sp suppressSpec[K]) *topology.Node {
	storeName := c.storeName
	if !c.ownStore && c.name != "" {
		storeName = c.name + "-store"
	}
	naming := c.naming
	if naming.Method == "" {
		naming = topology.Naming{Method: sp.method, Hint: "pass stream.As(name) to " + sp.method + " (it names the buffer store <name>-store)"}
	}
	store := &topology.Store{UserName: storeName, Op: "SUPPRESS", Naming: naming, Spec: engine.StoreSpec{Kind: engine.KeyValueKind, Logged: !c.noLogging}}
	n := &topology.Node{Kind: topology.Processor, Op: "KTABLE-SUPPRESS", UserName: c.name}
	// Kafka Streams: untilTimeLimit with BufferConfig.maxRecords/maxBytes
	// emits early unless shutDownWhenFull; untilWindowCloses takes a
	// strict buffer only.
	emitEarly := !sp.final && !c.shutDown
	n.Check = func() error {
		errs := append([]error(nil), c.errs...)
		if _, err := sp.wait(); err != nil {
			errs = append(errs, err)
		}
		if sp.final && c.emitEarly {
			errs = append(errs, errors.New(sp.method+": final results cannot be emitted early; EmitEarlyWhenFull applies to SuppressUntilTimeLimit only"))
		}
		if c.emitEarly && c.shutDown {
			errs = append(errs, errors.New(sp.method+": EmitEarlyWhenFull and ShutDownWhenFull contradict each other; pass one"))
		}
		errs = append(errs,
			need(ks == nil, missingSerde[K]("key", sp.method+" buffers keys in a store; set the table's key serde")),
			need(vs == nil, missingSerde[V]("value", sp.method+" buffers values in a store; set one with WithValueSerde")))
		return errors.Join(errs...)
	}
	n.New = func(*engine.Task) (any, error) {
		wait, err := sp.wait()
		if err != nil {
			return nil, err
		}
		return &ops.Suppress[K, V]{
			Node: n.Name, Store: store.Name, KeySerde: ks, ValueSerde: vs,
			BufferTime: sp.bufferTime, Wait: wait, DropTombstones: sp.final, FinalResults: sp.final,
			MaxRecords: c.maxRecords, MaxBytes: c.maxBytes, EmitEarly: emitEarly, IdleTimeout: c.idle.Milliseconds(),
		}, nil
	}
	b.g.AddNode(n, parent)
	b.g.AddStore(store, n)
	link[K, engine.Change[V]](parent, n)
	return n
}

func timeLimit[K any](method string, d time.Duration) suppressSpec[K] {
	return suppressSpec[K]{
		method:     method,
		bufferTime: func(_ K, ts int64) int64 { return ts },
		wait: func() (int64, error) {
			if d < 0 {
				return 0, fmt.Errorf("%s: time limit must not be negative, got %v", method, d)
			}
			return d.Milliseconds(), nil
		},
	}
}

func untilWindowCloses[K any](method string, from *topology.Node) suppressSpec[window.Windowed[K]] {
	return suppressSpec[window.Windowed[K]]{
		method:     method,
		final:      true,
		bufferTime: func(k window.Windowed[K], _ int64) int64 { return k.Window.End().UnixMilli() },
		wait:       func() (int64, error) { return windowCloseWait(method, from) },
	}
}

// windowCloseWait finds the windowed aggregation upstream of n, through
// single-parent table operators, and returns its close delay (Kafka
// Streams' GraphGraceSearchUtil).
func windowCloseWait(method string, n *topology.Node) (int64, error) {
	for cur := n; cur != nil; {
		switch cur.Op {
		case "WINDOWED-AGGREGATE", "SESSION-WINDOWED-AGGREGATE", "SLIDING-WINDOWED-AGGREGATE":
			if w, ok := probe(cur); ok {
				var retention int64 = math.MaxInt64
				for _, st := range cur.Stores {
					if r := max(st.Spec.Session.Retention, st.Spec.Window.Retention); r > 0 {
						retention = r
					}
				}
				return w.FinalResultWait(retention), nil
			}
			return 0, fmt.Errorf("%s: cannot read the window definition of %s", method, cur.Op)
		}
		if len(cur.Parents) != 1 {
			break
		}
		cur = cur.Parents[0]
	}
	return 0, errors.New(method + ": no windowed aggregation found upstream; final results need a windowed table from WindowedBy or SessionWindowedBy")
}

// probe instantiates an aggregation node without a task to read its
// window definition.
func probe(n *topology.Node) (w ops.FinalResultWait, ok bool) {
	defer func() {
		if recover() != nil {
			w, ok = nil, false
		}
	}()
	inst, err := n.New(nil)
	if err != nil {
		return nil, false
	}
	w, ok = inst.(ops.FinalResultWait)
	return w, ok
}

// SuppressUntilWindowCloses emits only the final result of each window
// (Kafka Streams' suppress(Suppressed.untilWindowCloses(...))): updates are
// buffered per windowed key, and a window's latest value is forwarded
// exactly once, when stream time - grace >= the window's end, with the
// timestamp of its latest update. Windows deleted before they close (e.g.
// by Filter) are not emitted. Stream time is the largest timestamp that
// reached the suppression, so without new data nothing is emitted unless
// IdleAdvance is given.
//
// The buffer lives in a key-value store (named <name>-store with As), so
// it survives restarts. It is unbounded unless BufferMaxRecords or
// BufferMaxBytes is given; a full buffer stops the application with an
// error naming the operator, as Kafka Streams requires a strict buffer
// (shutDownWhenFull) here.
func (t WindowedTable[K, V]) SuppressUntilWindowCloses(opts ...SuppressOption) WindowedTable[K, V] {
	n := addSuppress(t.b, t.node, t.ks, t.vs, resolveSuppress(opts), untilWindowCloses[K]("SuppressUntilWindowCloses", t.node))
	return WindowedTable[K, V]{b: t.b, node: n, ks: t.ks, vs: t.vs}
}

// SuppressUntilWindowCloses emits only the final result of each session,
// once no record can change it any more: when stream time >= end + gap +
// grace with the default store retention, as in Kafka Streams (a record up
// to gap after the end still merges into the session while it is in the
// store, which keeps it while end > stream time - retention). With a
// longer retention (table.WithRetention) a session can be merged later,
// and the wait grows up to 2·gap + grace + 1. Merged-away sessions are
// never emitted. See WindowedTable.SuppressUntilWindowCloses.
func (t SessionTable[K, V]) SuppressUntilWindowCloses(opts ...SuppressOption) SessionTable[K, V] {
	n := addSuppress(t.b, t.node, t.ks, t.vs, resolveSuppress(opts), untilWindowCloses[K]("SuppressUntilWindowCloses", t.node))
	return SessionTable[K, V]{b: t.b, node: n, ks: t.ks, vs: t.vs}
}

// SuppressUntilTimeLimit rate-limits the table's updates per key (Kafka
// Streams' suppress(Suppressed.untilTimeLimit(...))): the first update of
// a key is buffered at its timestamp, later updates replace the buffered
// value but keep its place, and the key's latest value is forwarded once
// stream time - d >= that first timestamp. Deletions are buffered and
// forwarded like other updates. Entries are forwarded in order of buffer
// time, then key bytes. A bounded buffer (BufferMaxRecords,
// BufferMaxBytes) that fills up forwards its oldest entries early, as
// Kafka Streams' BufferConfig.maxRecords and maxBytes do, or with
// ShutDownWhenFull stops the application with an error naming the
// operator.
func (t Table[K, V]) SuppressUntilTimeLimit(d time.Duration, opts ...SuppressOption) Table[K, V] {
	if versionedUpstream(t.node) {
		t.b.g.Errs = append(t.b.g.Errs, errors.New("SuppressUntilTimeLimit: suppress is not supported on a versioned table (table.Versioned), as in Kafka Streams"))
		return t
	}
	// Kafka Streams' suppression asks its table for old values (its
	// buffer keeps the prior value) and passes requests on to it.
	t.b.enableSendingOldValues(t.node, true)
	n := addSuppress(t.b, t.node, t.ks, t.vs, resolveSuppress(opts), timeLimit[K]("SuppressUntilTimeLimit", d))
	t.b.registerTable(n, tkSuppress, false, t.node)
	return Table[K, V]{b: t.b, node: n, ks: t.ks, vs: t.vs}
}

// SuppressUntilTimeLimit rate-limits the windowed table's updates per
// windowed key; see Table.SuppressUntilTimeLimit.
func (t WindowedTable[K, V]) SuppressUntilTimeLimit(d time.Duration, opts ...SuppressOption) WindowedTable[K, V] {
	n := addSuppress(t.b, t.node, t.ks, t.vs, resolveSuppress(opts), timeLimit[window.Windowed[K]]("SuppressUntilTimeLimit", d))
	return WindowedTable[K, V]{b: t.b, node: n, ks: t.ks, vs: t.vs}
}

// SuppressUntilTimeLimit rate-limits the session table's updates per
// session key; see Table.SuppressUntilTimeLimit.
func (t SessionTable[K, V]) SuppressUntilTimeLimit(d time.Duration, opts ...SuppressOption) SessionTable[K, V] {
	n := addSuppress(t.b, t.node, t.ks, t.vs, resolveSuppress(opts), timeLimit[window.Windowed[K]]("SuppressUntilTimeLimit", d))
	return SessionTable[K, V]{b: t.b, node: n, ks: t.ks, vs: t.vs}
}
