// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"fmt"
	"slices"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// CogroupedStream aggregates several grouped streams, each with values of
// its own type, into one table with one store (Kafka Streams'
// CogroupedKStream, KIP-150). Start it with Grouped.Cogroup, add grouped
// streams with Cogroup, and finish with Aggregate, or window it first:
//
//	totals := clicks.GroupByKey().Cogroup(addClick).
//		Cogroup(purchases.GroupByKey(), addPurchase).
//		Aggregate(newProfile, profileSerde, table.As("profiles"))
//
// Every input keeps its own aggregator and all of them fold into the same
// aggregate per key: each record updates the aggregate with its input's
// aggregator (starting from init() for a key's first record) and forwards
// the change, as a Grouped aggregation would. All the inputs' processors
// share the store, so they run in one sub-topology: an input whose key
// changed upstream is first repartitioned through its own
// <app>-<name>-repartition topic (name from its GroupBy or GroupByKey As,
// else the store's name, so two repartitioned inputs need names of their
// own), and inputs read directly must be co-partitioned, as for a join.
//
// A CogroupedStream is a value: Cogroup returns a new one and leaves the
// receiver unchanged. Several aggregations of cogroups built from the same
// Cogroup calls share the inputs' repartition topics (named after the
// first aggregation's store), as in Kafka Streams. The zero value has no
// inputs and cannot aggregate.
type CogroupedStream[K, A any] struct {
	b      *Builder
	inputs []cogroupInput[K, A]
}

// cogroupInput is one grouped stream of a cogroup with its aggregator, its
// value type hidden in the closures.
type cogroupInput[K, A any] struct {
	// prepare returns the node the input's aggregation processor reads
	// from, after a repartition topic (named after store unless As named
	// it) if the input's key changed, and the key serde of its records.
	// The repartition topic is added once, by the first aggregation.
	prepare func(store *topology.Store) (*topology.Node, serde.Serde[K])
	// attach makes n (added under parent) the input's aggregation
	// processor for the aggregation described by agg.
	attach func(parent, n *topology.Node, agg *cogroupAgg[K, A])
}

// cogroupKind is the kind of a cogrouped aggregation.
type cogroupKind int

const (
	cogroupKeyValue cogroupKind = iota
	cogroupTime
	cogroupSession
	cogroupSliding
)

// cogroupAgg describes the aggregation every input's processor performs.
// It is filled in while the topology is built (ks once the inputs are
// prepared) and read when the tasks create their processors.
type cogroupAgg[K, A any] struct {
	kind    cogroupKind
	store   *topology.Store
	ks      serde.Serde[K]
	as      serde.Serde[A]
	init    func() A
	windows window.TimeWindows
	gap     int64 // session inactivity gap, ms
	diff    int64 // sliding windows' time difference, ms
	grace   int64 // session and sliding grace, ms
	merger  func(key K, agg1, agg2 A) A
}

// Cogroup starts a cogrouped aggregation with this grouped stream and its
// aggregator (Kafka Streams' KGroupedStream.cogroup): adder folds a value
// of this stream into the aggregate of type A that all the cogrouped
// streams share. Add more grouped streams, with values of other types,
// with CogroupedStream.Cogroup.
func (g Grouped[K, V]) Cogroup[A any](adder func(key K, value V, agg A) A) CogroupedStream[K, A] {
	return CogroupedStream[K, A]{b: g.s.b}.Cogroup(g, adder)
}

// Cogroup adds a grouped stream and its aggregator to the cogrouped
// aggregation; the stream's values may have a type of their own. It returns
// a new CogroupedStream; the receiver is unchanged. Adding the same grouped
// stream twice makes each of its records update the aggregate twice (Kafka
// Streams keeps only the last aggregator of a KGroupedStream object).
func (c CogroupedStream[K, A]) Cogroup[V any](g Grouped[K, V], adder func(key K, value V, agg A) A) CogroupedStream[K, A] {
	if c.b == nil {
		c.b = g.s.b
	}
	if g.s.b != c.b {
		c.b.g.Errs = append(c.b.g.Errs, errors.New("Cogroup: the grouped streams come from different builders"))
		return c
	}
	// Aggregations of cogroups holding this input share its repartition
	// topic, named after the first one's store, as Kafka Streams' do.
	var prepared *topology.Node
	var preparedKS serde.Serde[K]
	in := cogroupInput[K, A]{
		prepare: func(store *topology.Store) (*topology.Node, serde.Serde[K]) {
			if prepared == nil {
				s := g.prepare(store, "COGROUP")
				prepared, preparedKS = s.node, orDefault(s.ks)
			}
			return prepared, preparedKS
		},
		attach: func(parent, n *topology.Node, agg *cogroupAgg[K, A]) {
			n.Check = func() error {
				return need(adder == nil, errors.New("Cogroup: nil aggregator"))
			}
			n.New = func(*engine.Task) (any, error) { return newCogroupProcessor(n.Name, agg, adder), nil }
			link[K, V](parent, n)
		},
	}
	c.inputs = append(slices.Clip(c.inputs), in)
	return c
}

// newCogroupProcessor is one input's aggregation processor: the operator a
// Grouped aggregation of the same kind uses, on the shared store, with the
// input's aggregator (Kafka Streams builds its cogroups from the same
// KStreamAggregate, KStreamWindowAggregate, KStreamSessionWindowAggregate
// and KStreamSlidingWindowAggregate processors).
func newCogroupProcessor[K, V, A any](node string, agg *cogroupAgg[K, A], adder func(K, V, A) A) any {
	initial := func(k K, v V) A { return adder(k, v, agg.init()) }
	switch agg.kind {
	case cogroupTime:
		return &ops.WindowAggregate[K, V, A]{Node: node, Store: agg.store.Name, Windows: agg.windows,
			KeySerde: agg.ks, AggSerde: agg.as, Initial: initial, Add: adder, Start: agg.init}
	case cogroupSession:
		return &ops.SessionAggregate[K, V, A]{Node: node, Store: agg.store.Name, Gap: agg.gap, Grace: agg.grace,
			KeySerde: agg.ks, AggSerde: agg.as, Initial: initial, Add: adder,
			First: func(k K, a A) A { return agg.merger(k, agg.init(), a) }, Merge: agg.merger}
	case cogroupSliding:
		return &ops.SlidingAggregate[K, V, A]{Node: node, Store: agg.store.Name, Diff: agg.diff, Grace: agg.grace,
			KeySerde: agg.ks, AggSerde: agg.as, Initial: initial, Add: adder, Start: agg.init}
	default:
		return &ops.Aggregate[K, V, A]{Node: node, Store: agg.store.Name, KeySerde: agg.ks, AggSerde: agg.as,
			Initial: initial, Add: adder, Start: agg.init, Versioned: agg.store.Spec.Kind == engine.VersionedKind}
	}
}

// Aggregate folds the records of every cogrouped stream into one aggregate
// per key, starting from init() for a key's first record, each record with
// its stream's aggregator. Records with a null key or value are dropped, as
// in Kafka Streams. The result's timestamp is the largest timestamp that
// contributed to it. as serializes the aggregate for the store and its
// changelog; nil uses the built-in serde of primitive types. The key serde
// is the first input's (see WithKeySerde and GroupBy).
//
// table.As names the store, its changelog and the repartition topics of
// inputs whose grouping did not name them; stream.As names the processors
// <name>-cogroup-agg-<i> (i counting the inputs from 0) and
// <name>-cogroup-merge, as Kafka Streams' Named does. The windowed
// aggregations take the same options.
func (c CogroupedStream[K, A]) Aggregate(init func() A, as serde.Serde[A], opts ...table.Option) Table[K, A] {
	m, mErr := table.ResolveVersioned(opts...)
	agg := &cogroupAgg[K, A]{kind: cogroupKeyValue, init: init, as: orDefault(as)}
	store := &topology.Store{UserName: m.Name, Op: "COGROUPKSTREAM-AGGREGATE", Spec: kvSpec(m)}
	var retErr error
	if m.Retention != 0 {
		retErr = errors.New("table.WithRetention applies to windowed aggregations only")
	}
	merge := c.build[K](agg, store, m.Operator, func() error { return errors.Join(mErr, retErr) })
	return Table[K, A]{b: c.b, node: merge, ks: agg.ks, vs: agg.as, store: store}.withAsOf()
}

// build adds the cogroup's repartition topics, one aggregation processor
// per input sharing store, and the merge processor all of them forward to
// (Kafka Streams' COGROUPKSTREAM-AGGREGATE-… and COGROUPKSTREAM-MERGE-…
// processors, the latter a pass-through), and returns the merge node. KO is
// the output's key type (K, or window.Windowed[K]); check reports the
// errors of the aggregation's options. operator, from stream.As, names the
// processors <operator>-cogroup-agg-<i> and <operator>-cogroup-merge, as
// Kafka Streams' Named does; "" generates their names.
func (c CogroupedStream[K, A]) build[KO any](agg *cogroupAgg[K, A], store *topology.Store, operator string, check func() error) *topology.Node {
	if len(c.inputs) == 0 {
		panic("stream: CogroupedStream has no inputs; start it with Grouped.Cogroup")
	}
	agg.store = store
	store.Naming = aggNaming("COGROUP")
	parents := make([]*topology.Node, len(c.inputs))
	for i, in := range c.inputs {
		var ks serde.Serde[K]
		parents[i], ks = in.prepare(store)
		if agg.ks == nil {
			agg.ks = ks
		}
	}
	nodes := make([]*topology.Node, len(c.inputs))
	for i, in := range c.inputs {
		n := &topology.Node{Kind: topology.Processor, Op: "COGROUPKSTREAM-AGGREGATE"}
		if operator != "" {
			n.UserName = fmt.Sprintf("%s-cogroup-agg-%d", operator, i)
		}
		c.b.g.AddNode(n, parents[i])
		if i == 0 {
			c.b.g.AddStore(store, n)
		} else {
			n.Stores = append(n.Stores, store)
		}
		in.attach(parents[i], n, agg)
		nodes[i] = n
	}
	inputCheck := nodes[0].Check
	nodes[0].Check = func() error {
		return errors.Join(inputCheck(), check(),
			need(agg.init == nil, errors.New("Aggregate: nil initializer")),
			need(agg.ks == nil, missingSerde[K]("key", "the cogrouped aggregation stores keys; pass one to GroupBy or WithKeySerde")),
			need(agg.as == nil, missingSerde[A]("aggregate", "the cogrouped aggregation stores the aggregate; pass a serde")))
	}
	merge := &topology.Node{Kind: topology.Processor, Op: "COGROUPKSTREAM-MERGE"}
	if operator != "" {
		merge.UserName = operator + "-cogroup-merge"
	}
	merge.New = func(*engine.Task) (any, error) { return &ops.Pass[KO, engine.Change[A]]{}, nil }
	c.b.g.AddNode(merge, nodes...)
	for _, n := range nodes {
		link[KO, engine.Change[A]](n, merge)
	}
	return merge
}

// TimeWindowedCogroupedStream is a cogrouped stream further grouped by time
// windows (Kafka Streams' TimeWindowedCogroupedKStream). Its aggregation
// yields a table keyed by window.Windowed[K].
type TimeWindowedCogroupedStream[K, A any] struct {
	c CogroupedStream[K, A]
	w window.TimeWindows
}

// WindowedBy groups the cogrouped records further by time window (tumbling
// or hopping, see window.TimeWindows).
func (c CogroupedStream[K, A]) WindowedBy(w window.TimeWindows) TimeWindowedCogroupedStream[K, A] {
	return TimeWindowedCogroupedStream[K, A]{c: c, w: w}
}

// Aggregate folds the records of every cogrouped stream into one aggregate
// per key and window, starting from init() in every window, each record
// with its stream's aggregator. As in Kafka Streams' time-windowed
// aggregations, only records with a null key are dropped (null values
// reach the aggregators as the zero value), and a record is dropped for a
// window, counted as late, once the window's end <= stream time - grace;
// each input's processor tracks the stream time of the records it has
// seen, as in Kafka Streams. The store keeps windows for size + grace
// unless table.WithRetention says otherwise.
func (w TimeWindowedCogroupedStream[K, A]) Aggregate(init func() A, as serde.Serde[A], opts ...table.Option) WindowedTable[K, A] {
	m, mErr := table.Resolve(opts...)
	spec := w.w
	retention := spec.Size() + spec.GracePeriod()
	if m.Retention != 0 {
		retention = m.Retention
	}
	agg := &cogroupAgg[K, A]{kind: cogroupTime, init: init, as: orDefault(as), windows: spec}
	store := &topology.Store{UserName: m.Name, Op: "COGROUPKSTREAM-AGGREGATE", WindowSize: spec.Size().Milliseconds(), Spec: engine.StoreSpec{
		Kind: engine.WindowKind, Logged: m.Logging, Cached: m.Caching, Window: state.WindowOptions{Retention: max(retention.Milliseconds(), 1)},
	}}
	check := func() error {
		if err := spec.Validate(); err != nil {
			return err
		}
		var retErr error
		if retention < spec.Size()+spec.GracePeriod() {
			retErr = fmt.Errorf("retention %v is shorter than window size + grace (%v)", retention, spec.Size()+spec.GracePeriod())
		}
		return errors.Join(mErr, retErr)
	}
	merge := w.c.build[window.Windowed[K]](agg, store, m.Operator, check)
	var wks serde.Serde[window.Windowed[K]]
	if agg.ks != nil && spec.Validate() == nil {
		wks = serde.TimeWindowed(agg.ks, spec.Size())
	}
	return WindowedTable[K, A]{b: w.c.b, node: merge, ks: wks, vs: agg.as, store: store}
}

// SessionWindowedCogroupedStream is a cogrouped stream further grouped into
// sessions of activity (Kafka Streams' SessionWindowedCogroupedKStream).
// Its aggregation yields a table keyed by window.Windowed[K] whose windows
// are the sessions.
type SessionWindowedCogroupedStream[K, A any] struct {
	c CogroupedStream[K, A]
	w window.SessionWindows
}

// SessionWindowedBy groups the cogrouped records further into sessions:
// per key, records of any of the cogrouped streams closer than w's
// inactivity gap share a session (see window.SessionWindows).
func (c CogroupedStream[K, A]) SessionWindowedBy(w window.SessionWindows) SessionWindowedCogroupedStream[K, A] {
	return SessionWindowedCogroupedStream[K, A]{c: c, w: w}
}

// Aggregate folds the records of every cogrouped stream into one aggregate
// per key and session, each record with its stream's aggregator, starting
// from init() in every new session. When a record bridges sessions, their
// aggregates are combined with merger, starting from init() and taking the
// merged sessions in order of their end, before the record is added; the
// merged sessions are deleted (tombstones downstream). Only records with a
// null key are dropped; a record whose session ends before stream time -
// grace - gap is dropped as late, each input's processor tracking the
// stream time of the records it has seen, as in Kafka Streams.
func (w SessionWindowedCogroupedStream[K, A]) Aggregate(init func() A, merger func(key K, agg1, agg2 A) A, as serde.Serde[A], opts ...table.Option) SessionTable[K, A] {
	m, mErr := table.Resolve(opts...)
	spec := w.w
	minRetention := spec.Gap() + spec.GracePeriod()
	retention := minRetention
	if m.Retention != 0 {
		retention = m.Retention
	}
	agg := &cogroupAgg[K, A]{kind: cogroupSession, init: init, as: orDefault(as), merger: merger,
		gap: spec.Gap().Milliseconds(), grace: spec.GracePeriod().Milliseconds()}
	store := &topology.Store{UserName: m.Name, Op: "COGROUPKSTREAM-AGGREGATE", Spec: engine.StoreSpec{
		Kind: engine.SessionKind, Logged: m.Logging, Session: state.SessionOptions{Retention: max(retention.Milliseconds(), 1)},
	}}
	check := func() error {
		if err := spec.Validate(); err != nil {
			return err
		}
		var retErr error
		if retention < minRetention {
			retErr = fmt.Errorf("retention %v is shorter than session inactivity gap + grace (%v)", retention, minRetention)
		}
		return errors.Join(mErr, retErr, need(merger == nil, errors.New("Aggregate: nil session merger")))
	}
	merge := w.c.build[window.Windowed[K]](agg, store, m.Operator, check)
	var wks serde.Serde[window.Windowed[K]]
	if agg.ks != nil {
		wks = serde.SessionWindowed(agg.ks)
	}
	return SessionTable[K, A]{b: w.c.b, node: merge, ks: wks, vs: agg.as, store: store}
}

// SlidingWindowedCogroupedStream is a cogrouped stream further grouped by
// sliding windows (Kafka Streams' TimeWindowedCogroupedKStream over
// SlidingWindows). Its aggregation yields a table keyed by
// window.Windowed[K] whose windows [Start, End] include both ends.
type SlidingWindowedCogroupedStream[K, A any] struct {
	c CogroupedStream[K, A]
	w window.SlidingWindows
}

// SlidingWindowedBy groups the cogrouped records further by sliding
// windows (see window.SlidingWindows).
func (c CogroupedStream[K, A]) SlidingWindowedBy(w window.SlidingWindows) SlidingWindowedCogroupedStream[K, A] {
	return SlidingWindowedCogroupedStream[K, A]{c: c, w: w}
}

// Aggregate folds the records of every cogrouped stream into one aggregate
// per key and sliding window, each record with its stream's aggregator,
// starting from init() in every window that does not start from another
// window's aggregate. As in Kafka Streams, records with a null key or a
// null value are dropped, and late records (see SlidingWindowedStream) are
// dropped by each input's processor against the stream time of the records
// it has seen.
func (w SlidingWindowedCogroupedStream[K, A]) Aggregate(init func() A, as serde.Serde[A], opts ...table.Option) WindowedTable[K, A] {
	m, mErr := table.Resolve(opts...)
	spec := w.w
	minRetention := 2*spec.TimeDifference() + spec.GracePeriod()
	retention := minRetention
	if m.Retention != 0 {
		retention = m.Retention
	}
	agg := &cogroupAgg[K, A]{kind: cogroupSliding, init: init, as: orDefault(as),
		diff: spec.TimeDifference().Milliseconds(), grace: spec.GracePeriod().Milliseconds()}
	store := &topology.Store{UserName: m.Name, Op: "COGROUPKSTREAM-AGGREGATE", WindowSize: spec.TimeDifference().Milliseconds(), Spec: engine.StoreSpec{
		Kind: engine.WindowKind, Logged: m.Logging, Window: state.WindowOptions{Retention: max(retention.Milliseconds(), 1)},
	}}
	check := func() error {
		if err := spec.Validate(); err != nil {
			return err
		}
		var retErr error
		if retention < minRetention {
			retErr = fmt.Errorf("retention %v is shorter than 2 × time difference + grace (%v)", retention, minRetention)
		}
		return errors.Join(mErr, retErr)
	}
	merge := w.c.build[window.Windowed[K]](agg, store, m.Operator, check)
	var wks serde.Serde[window.Windowed[K]]
	if agg.ks != nil && spec.Validate() == nil {
		wks = slidingKeySerde(agg.ks, spec.TimeDifference())
	}
	return WindowedTable[K, A]{b: w.c.b, node: merge, ks: wks, vs: agg.as, store: store}
}
