// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/window"
)

// Joins
//
// Eddy has Kafka Streams' joins, each a method named after its Java
// counterpart (Go has no overloading, so joins with a table are JoinTable
// and LeftJoinTable on streams):
//
//	Stream.Join / LeftJoin / OuterJoin (Stream, window.JoinWindows)  windowed stream–stream join
//	Stream.JoinTable / LeftJoinTable (Table)                           stream–table lookup join
//	Table.Join / LeftJoin / OuterJoin (Table)                          primary-key table–table join
//
// Joiners are typed. Where a side may be absent, the joiner gets that
// side's zero value and a false flag next to it:
//
//	inner: func(v V, other V2) R
//	left:  func(v V, other V2, found bool) R                // found: other is present
//	outer: func(v V, hasV bool, other V2, hasOther bool) R  // at least one is present
//
// A flag rather than a pointer keeps values off the heap and makes the
// absent case impossible to overlook; it plays the role of Java's null
// argument to ValueJoiner. A joiner whose result type has nil (a pointer,
// map, slice or interface) may return nil for a null result: a
// null-value record from stream joins, no row (a deletion) from table
// joins, as a null from Kafka Streams' ValueJoiner.
//
// Joins need co-partitioned inputs: the same key serialization, partitioner
// and partition count on both sides. A stream whose key was changed is
// repartitioned first, and the runtime and the test driver reject a join
// whose input topics have different partition counts.

type joinKind int

const (
	innerJoin joinKind = iota
	leftJoin
	outerJoin
)

func (k joinKind) method() string {
	return [...]string{"Join", "LeftJoin", "OuterJoin"}[k]
}

func (k joinKind) opPrefix() string {
	return [...]string{"", "LEFT", "OUTER"}[k]
}

// Join joins s with other over time windows (Kafka Streams'
// KStream#join(KStream, ValueJoiner, JoinWindows, StreamJoined)): each
// record of either stream is joined with every record of the other stream
// with the same key whose timestamp lies within w (other.ts in
// [ts-before, ts+after] for records of s), so one record can produce
// several results. Records with a null key or value are dropped. A result
// carries the larger of the two timestamps.
//
// Both streams are buffered for before + after + grace in window stores
// that keep duplicates, <name>-this-join-store and <name>-other-join-store,
// where name is given with As (a generated, stable name otherwise). Their
// value serdes are the streams' own (set them with WithValueSerde). If a
// stream's key was changed, it is repartitioned first through
// <name>-left-repartition or <name>-right-repartition. As(name) also names
// the processors <name>-this-join, <name>-other-join and <name>-merge.
func (s Stream[K, V]) Join[V2, R any](other Stream[K, V2], joiner func(v V, other V2) R, w window.JoinWindows, opts ...Option) Stream[K, R] {
	j := func(v V, _ bool, o V2, _ bool) R { return joiner(v, o) }
	return streamJoin(s, other, innerJoin, j, w, opts)
}

// LeftJoin is Join that also emits every record of s that finds no partner,
// with found false and other the zero value (Kafka Streams' leftJoin).
//
// Unmatched records are not emitted eagerly: they wait in
// <name>-outer-shared-join-store until their window has closed, that is
// until stream time passes ts + after + grace, and are emitted only if no
// record of other joined them meanwhile (Kafka Streams' spurious-result
// fix, KIP-633). Such a result carries the record's own timestamp. A record
// of s with a null key (and a value) is emitted at once with found false
// (KIP-962); records of other with a null key or value, and records of s
// with a null value, are dropped.
func (s Stream[K, V]) LeftJoin[V2, R any](other Stream[K, V2], joiner func(v V, other V2, found bool) R, w window.JoinWindows, opts ...Option) Stream[K, R] {
	j := func(v V, _ bool, o V2, ok bool) R { return joiner(v, o, ok) }
	return streamJoin(s, other, leftJoin, j, w, opts)
}

// OuterJoin is LeftJoin in both directions (Kafka Streams' outerJoin):
// unmatched records of either stream are emitted once their window has
// closed, with the absent side's flag false. Records of other wait until
// stream time passes ts + before + grace. Null-key records of either
// stream are emitted at once without a partner.
func (s Stream[K, V]) OuterJoin[V2, R any](other Stream[K, V2], joiner func(v V, hasV bool, other V2, hasOther bool) R, w window.JoinWindows, opts ...Option) Stream[K, R] {
	return streamJoin(s, other, outerJoin, joiner, w, opts)
}

func streamJoin[K, V, V2, R any](s Stream[K, V], o Stream[K, V2], kind joinKind, joiner func(V, bool, V2, bool) R, w window.JoinWindows, opts []Option) Stream[K, R] {
	c := resolve(opts)
	method := kind.method()
	if o.b != s.b {
		s.b.g.Errs = append(s.b.g.Errs, errors.New(method+": the streams come from different builders"))
		return Stream[K, R]{b: s.b, node: s.node}
	}
	named := func(suffix string) string {
		if c.name == "" {
			return ""
		}
		return c.name + suffix
	}
	left, right := s, o
	naming := topology.Naming{Method: method, Hint: "pass stream.As(name) to " + method +
		" (it names the join's stores <name>-this-join-store, <name>-other-join-store, <name>-outer-shared-join-store and repartition topics <name>-left-repartition, <name>-right-repartition)"}
	if left.keyChanged {
		left = repartition(left, &topology.InternalTopic{UserName: named("-left"), Naming: naming}, kind == innerJoin, method)
	}
	if right.keyChanged {
		right = repartition(right, &topology.InternalTopic{UserName: named("-right"), Naming: naming}, kind == innerJoin, method)
	}
	ks := orDefault(left.ks)
	if ks == nil {
		ks = orDefault(right.ks)
	}
	lvs, rvs := orDefault(left.vs), orDefault(right.vs)

	beforeD, afterD := w.Bounds()
	before, after := beforeD.Milliseconds(), afterD.Milliseconds()
	grace := w.GracePeriod().Milliseconds()
	retention := w.Retention().Milliseconds()
	winSpec := engine.StoreSpec{Kind: engine.WindowKind, Logged: true,
		Window: state.WindowOptions{Retention: retention, RetainDuplicates: true}}
	thisStore := &topology.Store{UserName: named("-this-join-store"), Op: "JOINTHIS", Naming: naming, Spec: winSpec}
	otherStore := &topology.Store{UserName: named("-other-join-store"), Op: "JOINOTHER", Naming: naming, Spec: winSpec}
	var outerStore *topology.Store
	if kind != innerJoin {
		outerStore = &topology.Store{UserName: named("-outer-shared-join-store"), Op: "OUTERSHARED", Naming: naming,
			Spec: engine.StoreSpec{Kind: engine.KeyValueKind, Logged: true}}
	}
	outerName := func() string {
		if outerStore == nil {
			return ""
		}
		return outerStore.Name
	}

	prefix := kind.opPrefix()
	ln := &topology.Node{Kind: topology.Processor, Op: prefix + "JOINTHIS", UserName: named("-this-join")}
	rn := &topology.Node{Kind: topology.Processor, Op: prefix + "JOINOTHER", UserName: named("-other-join")}
	mn := &topology.Node{Kind: topology.Processor, Op: "MERGE", UserName: named("-merge")}
	ln.Check = func() error {
		return errors.Join(c.err, w.Validate(),
			need(ks == nil, missingSerde[K]("key", method+" keeps both streams in window stores; set one with WithKeySerde")),
			need(lvs == nil, missingSerde[V]("value", method+" keeps the left stream's values in a window store; set one with WithValueSerde")),
			need(rvs == nil, missingSerde[V2]("value", method+" keeps the right stream's values in a window store; set one on that stream with WithValueSerde")))
	}
	ln.New = func(*engine.Task) (any, error) {
		return &ops.StreamJoinSide[K, V, V2, R]{
			Node: ln.Name, ThisStore: thisStore.Name, OtherStore: otherStore.Name, OuterStore: outerName(),
			IsLeft: true, Outer: kind != innerJoin, Before: before, After: after,
			WinBefore: before, WinAfter: after, Grace: grace, Retention: retention,
			KeySerde: ks, ThisSerde: lvs, OtherSerde: rvs, Joiner: joiner,
		}, nil
	}
	rn.New = func(*engine.Task) (any, error) {
		return &ops.StreamJoinSide[K, V2, V, R]{
			Node: rn.Name, ThisStore: otherStore.Name, OtherStore: thisStore.Name, OuterStore: outerName(),
			IsLeft: false, Outer: kind == outerJoin, Before: after, After: before,
			WinBefore: before, WinAfter: after, Grace: grace, Retention: retention,
			KeySerde: ks, ThisSerde: rvs, OtherSerde: lvs,
			Joiner: func(r V2, rok bool, l V, lok bool) R { return joiner(l, lok, r, rok) },
		}, nil
	}
	mn.New = func(*engine.Task) (any, error) { return &ops.Pass[K, R]{}, nil }

	g := &s.b.g
	g.AddNode(ln, left.node)
	g.AddNode(rn, right.node)
	g.AddNode(mn, ln, rn)
	g.AddStore(thisStore, ln)
	g.AddStore(otherStore, rn)
	ln.Stores = []*topology.Store{thisStore, otherStore}
	rn.Stores = []*topology.Store{otherStore, thisStore}
	if outerStore != nil {
		g.AddStore(outerStore, ln)
		rn.Stores = append(rn.Stores, outerStore)
	}
	link[K, V](left.node, ln)
	link[K, V2](right.node, rn)
	link[K, R](ln, mn)
	link[K, R](rn, mn)
	// Both sides share one time tracker per task.
	ln.Links = append(ln.Links, func(inst []any) {
		jt := ops.NewJoinTime()
		inst[ln.ID].(*ops.StreamJoinSide[K, V, V2, R]).Time = jt
		inst[rn.ID].(*ops.StreamJoinSide[K, V2, V, R]).Time = jt
	})
	return Stream[K, R]{b: s.b, node: mn, ks: ks, vs: defaultSerde[R]()}
}
