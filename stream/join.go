// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"strings"

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

// sides returns the suffixes Kafka Streams (KStreamImplJoin) gives the
// processors of a stream–stream join named <name>; the window stores add
// "-store". A side whose unmatched records are emitted says "outer": the
// other side of a left join, both sides of an outer join.
func (k joinKind) sides() (this, other string) {
	this, other = "-this-join", "-other-join"
	if k == outerJoin {
		this = "-outer-this-join"
	}
	if k != innerJoin {
		other = "-outer-other-join"
	}
	return this, other
}

// storeOp names a side's window store in generated names, as Kafka Streams'
// generated processor names do (KSTREAM-JOINTHIS-…, KSTREAM-OUTEROTHER-…).
func (k joinKind) storeOp(this bool) string {
	switch {
	case this && k == outerJoin:
		return "OUTERTHIS"
	case this:
		return "JOINTHIS"
	case k != innerJoin:
		return "OUTEROTHER"
	default:
		return "JOINOTHER"
	}
}

// sharedStore is the suffix of the store that holds unmatched records of a
// left or outer join until their window closes.
func (k joinKind) sharedStore() string {
	if k == leftJoin {
		return "-left-shared-join-store"
	}
	return "-outer-shared-join-store"
}

// storeNames lists the stores of a join named name.
func (k joinKind) storeNames(name string) []string {
	this, other := k.sides()
	names := []string{name + this + "-store", name + other + "-store"}
	if k != innerJoin {
		names = append(names, name+k.sharedStore())
	}
	return names
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
//
// All names are those Kafka Streams gives with
// StreamJoined.withName(name).withStoreName(name) (LeftJoin and OuterJoin
// have its "outer" variants of some, see there), so an application
// migrated from Java keeps its changelog topics <app>-<store>-changelog
// and with them its state.
func (s Stream[K, V]) Join[V2, R any](other Stream[K, V2], joiner func(v V, other V2) R, w window.JoinWindows, opts ...Option) Stream[K, R] {
	j := func(v V, _ bool, o V2, _ bool) R { return joiner(v, o) }
	return streamJoin(s, other, innerJoin, j, w, opts)
}

// LeftJoin is Join that also emits every record of s that finds no partner,
// with found false and other the zero value (Kafka Streams' leftJoin).
//
// As Kafka Streams does, LeftJoin names the side of other "outer": its
// processor is <name>-outer-other-join and its window store
// <name>-outer-other-join-store (<name>-this-join and
// <name>-this-join-store for s).
//
// Unmatched records are not emitted eagerly: they wait in
// <name>-left-shared-join-store until their window has closed, that is
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
//
// As Kafka Streams does, OuterJoin names both sides "outer": the processors
// <name>-outer-this-join and <name>-outer-other-join, the window stores
// <name>-outer-this-join-store and <name>-outer-other-join-store, and the
// store of unmatched records <name>-outer-shared-join-store.
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
		" (it names the join's stores " + strings.Join(kind.storeNames("<name>"), ", ") +
		" and repartition topics <name>-left-repartition, <name>-right-repartition)"}
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
	thisSide, otherSide := kind.sides()
	thisStore := &topology.Store{UserName: named(thisSide + "-store"), Op: kind.storeOp(true), Naming: naming, Spec: winSpec}
	otherStore := &topology.Store{UserName: named(otherSide + "-store"), Op: kind.storeOp(false), Naming: naming, Spec: winSpec}
	var outerStore *topology.Store
	if kind != innerJoin {
		outerStore = &topology.Store{UserName: named(kind.sharedStore()), Op: "OUTERSHARED", Naming: naming,
			Spec: engine.StoreSpec{Kind: engine.KeyValueKind, Logged: true}}
	}
	outerName := func() string {
		if outerStore == nil {
			return ""
		}
		return outerStore.Name
	}

	prefix := kind.opPrefix()
	ln := &topology.Node{Kind: topology.Processor, Op: prefix + "JOINTHIS", UserName: named(thisSide)}
	rn := &topology.Node{Kind: topology.Processor, Op: prefix + "JOINOTHER", UserName: named(otherSide)}
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
