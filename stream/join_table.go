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
	"github.com/eddy-streams/eddy/table"
)

// JoinTable joins each record of s with the row of its key in t (Kafka
// Streams' KStream#join(KTable, ValueJoiner, Joined)). Only records of s
// trigger the join; an update of t only changes the row later records see.
// Records whose key has no row, and records with a null key or value, are
// dropped. A result keeps the stream record's timestamp.
//
// With a versioned table (table.Versioned) each record joins the row that
// was valid at the record's timestamp (Kafka Streams' KIP-914): table
// updates with older timestamps arriving after a newer row are seen by
// later records, and a record older than the table's history retention
// finds no row unless the key's latest row was already valid then.
// stream.WithGracePeriod lets records wait for late table updates. A
// Filter, MapValues or TransformValues of a versioned table (not
// materialized) is joined the same way, as in Kafka Streams: each record
// joins the filtered, mapped or transformed version valid at its
// timestamp, read from the versioned table's store, so a version the
// filter drops is no row even if an older one passes. For a
// TransformValues the join calls a transformer instance of its own (see
// Table.TransformValues).
//
// The join reads any other t from its store: a table from Builder.Table,
// ToTable or an aggregation already has one; other tables (e.g. after
// Filter or MapValues) are materialized in a store first, which needs their
// value serde (see Table.WithValueSerde) and gets a generated name; to name
// it, call Materialize(table.As(name)) on the table before the join. If s's
// key was changed, s is
// repartitioned first through <name>-repartition, name being given with As
// (which also names the join processor) or generated.
func (s Stream[K, V]) JoinTable[VT, R any](t Table[K, VT], joiner func(value V, row VT) R, opts ...Option) Stream[K, R] {
	j := func(v V, row VT, _ bool) R { return joiner(v, row) }
	return streamTableJoin(s, t, false, j, opts)
}

// LeftJoinTable is JoinTable that also emits records whose key has no row,
// with found false and row the zero value (Kafka Streams' leftJoin). A
// record with a null key (and a value) is emitted at once with found false
// (KIP-962); records with a null value are dropped.
func (s Stream[K, V]) LeftJoinTable[VT, R any](t Table[K, VT], joiner func(value V, row VT, found bool) R, opts ...Option) Stream[K, R] {
	return streamTableJoin(s, t, true, joiner, opts)
}

func streamTableJoin[K, V, VT, R any](s Stream[K, V], t Table[K, VT], left bool, joiner func(V, VT, bool) R, opts []Option) Stream[K, R] {
	c := resolve(opts)
	method, op := "JoinTable", "JOIN"
	if left {
		method, op = "LeftJoinTable", "LEFTJOIN"
	}
	if t.b != s.b {
		s.b.g.Errs = append(s.b.g.Errs, errors.New(method+": the stream and the table come from different builders"))
		return Stream[K, R]{b: s.b, node: s.node}
	}
	in := s
	if in.keyChanged {
		in = repartition(in, &topology.InternalTopic{UserName: c.name, Naming: opNaming(method)}, !left, method)
	}
	// Kafka Streams reads t through its value getter, which materializes a
	// source table it reads.
	s.b.materializeForGetter(t.node)
	view := t.asOf
	if view == nil && t.store == nil && versionedUpstream(t.node) {
		s.b.g.Errs = append(s.b.g.Errs, errors.New(method+": the table is derived from a versioned table through a table materialized in a key-value store, "+
			"which Eddy cannot join yet: Materialize the derived table with table.Versioned, or materialize the intermediate table with table.Versioned"))
	}
	tm := t
	if view == nil {
		tm = t.materialized(method)
	}
	ks, vs := orDefault(tm.ks), orDefault(tm.vs)
	n := &topology.Node{Kind: topology.Processor, Op: op, UserName: c.name}
	if c.err != nil {
		n.Check = func() error { return c.err } // the table's own node checks its serdes
	}
	var buffer *topology.Store
	svs := orDefault(in.vs)
	if c.hasGrace {
		if view == nil {
			s.b.g.Errs = append(s.b.g.Errs, errors.New(method+": stream.WithGracePeriod needs a versioned table (table.Versioned), or a Filter or MapValues of one, as in Kafka Streams"))
		}
		bufName := ""
		if c.name != "" {
			bufName = c.name + "-Buffer"
		}
		buffer = &topology.Store{UserName: bufName, Op: "JOIN-BUFFER", Spec: engine.StoreSpec{Kind: engine.KeyValueKind, Logged: true},
			Naming: topology.Naming{Method: method, Hint: "pass stream.As(name) to " + method + " (it names the grace period's buffer store <name>-Buffer)"}}
		n.Check = func() error {
			return errors.Join(c.err,
				need(svs == nil, missingSerde[V]("value", method+" with a grace period keeps the stream's records in a store; set one with WithValueSerde")))
		}
	}
	n.New = func(*engine.Task) (any, error) {
		if view != nil {
			j := &ops.StreamVersionedTableJoin[K, V, VT, R]{Node: n.Name, Left: left, Joiner: joiner,
				Table: func(t *engine.Task) (ops.AsOf[K, VT], func() error, error) { return view.open(t, n.Name) }}
			if buffer != nil {
				j.HasGrace, j.Grace, j.BufferStore, j.KeySerde, j.ValueSerde = true, c.grace.Milliseconds(), buffer.Name, ks, svs
			}
			return j, nil
		}
		return &ops.StreamTableJoin[K, V, VT, R]{Node: n.Name, Store: tm.store.Name, KeySerde: ks, TableSerde: vs, Left: left, Joiner: joiner}, nil
	}
	joined := tm.store
	if view != nil {
		joined = view.store
	}
	s.b.g.AddNode(n, in.node)
	n.Stores = append(n.Stores, joined)
	if buffer != nil {
		s.b.g.AddStore(buffer, n)
	}
	link[K, V](in.node, n)
	rks := orDefault(in.ks)
	if rks == nil {
		rks = ks
	}
	return Stream[K, R]{b: s.b, node: n, ks: rks, vs: defaultSerde[R]()}
}

// Join joins t with other on their keys (Kafka Streams' primary-key
// KTable#join): the result is a table holding joiner(v, otherV) for every
// key present in both, updated whenever either side changes. Deleting a
// row of either side deletes the result row (a tombstone is forwarded when
// the other side has the key); deletions never call the joiner. A result
// row carries the larger of the two rows' timestamps.
//
// Both tables are read from their stores (tables that are not materialized
// are materialized first, see JoinTable). A versioned table, and a Filter,
// MapValues or TransformValues of one that is not materialized, is read
// from its versioned store instead, its latest rows as Kafka Streams' value
// getters read them, without a store of the join's own; so in a join of a
// table with a table derived from it, both sides see the update being
// processed. Updates that are not their key's latest version are ignored.
// As(name) names the processors
// <name>-join-this, <name>-join-other and <name> (the result).
//
// The joiner may also be called with a row's previous value, to tell
// downstream operators what the previous result was, so it should be a pure
// function.
func (t Table[K, V]) Join[V2, R any](other Table[K, V2], joiner func(v V, other V2) R, opts ...Option) Table[K, R] {
	j := func(v V, _ bool, o V2, _ bool) R { return joiner(v, o) }
	return tableJoin(t, other, innerJoin, j, opts)
}

// LeftJoin is Join that keeps every row of t: a key without a row in other
// yields joiner(v, zero, false). Deleting a row of other updates the result
// to joiner(v, zero, false); deleting a row of t deletes the result row.
func (t Table[K, V]) LeftJoin[V2, R any](other Table[K, V2], joiner func(v V, other V2, found bool) R, opts ...Option) Table[K, R] {
	j := func(v V, _ bool, o V2, ok bool) R { return joiner(v, o, ok) }
	return tableJoin(t, other, leftJoin, j, opts)
}

// OuterJoin keeps the rows of both tables: the result holds joiner over
// whichever of the two rows exist (the absent one's flag false) and is
// deleted when both are gone.
func (t Table[K, V]) OuterJoin[V2, R any](other Table[K, V2], joiner func(v V, hasV bool, other V2, hasOther bool) R, opts ...Option) Table[K, R] {
	return tableJoin(t, other, outerJoin, joiner, opts)
}

func tableJoin[K, V, V2, R any](l Table[K, V], r Table[K, V2], kind joinKind, joiner func(V, bool, V2, bool) R, opts []Option) Table[K, R] {
	c := resolve(opts)
	method := "Table." + kind.method()
	if r.b != l.b {
		l.b.g.Errs = append(l.b.g.Errs, errors.New(method+": the tables come from different builders"))
		return Table[K, R]{b: l.b, node: l.node}
	}
	named := func(suffix string) string {
		if c.name == "" {
			return ""
		}
		return c.name + suffix
	}
	// As Kafka Streams' KTableImpl.doJoin: a left join needs the left
	// table's old values, an outer join both tables'; both are read
	// through their value getters.
	b := l.b
	switch kind {
	case leftJoin:
		b.enableSendingOldValues(l.node, true)
	case outerJoin:
		b.enableSendingOldValues(l.node, true)
		b.enableSendingOldValues(r.node, true)
	}
	b.materializeForGetter(l.node)
	b.materializeForGetter(r.node)
	lm, rm := l.joinable(method), r.joinable(method)
	modeL, modeR := ops.TableInner, ops.TableInner
	switch kind {
	case leftJoin:
		modeL, modeR = ops.TablePreserveThis, ops.TablePreserveOther
	case outerJoin:
		modeL, modeR = ops.TableOuter, ops.TableOuter
	}
	prefix := "KTABLE-" + kind.opPrefix()
	ln := &topology.Node{Kind: topology.Processor, Op: prefix + "JOINTHIS", UserName: named("-join-this")}
	rn := &topology.Node{Kind: topology.Processor, Op: prefix + "JOINOTHER", UserName: named("-join-other")}
	mn := &topology.Node{Kind: topology.Processor, Op: "KTABLE-MERGE", UserName: c.name}
	if c.err != nil {
		ln.Check = func() error { return c.err } // the tables' own nodes check their serdes
	}
	ln.New = func(*engine.Task) (any, error) {
		return &ops.TableJoinSide[K, V, V2, R]{Node: ln.Name, OtherStore: rm.readStore().Name, Other: rm.latest(ln), Mode: modeL,
			KeySerde: rm.ks, OtherSerde: rm.vs, Joiner: joiner}, nil
	}
	rn.New = func(*engine.Task) (any, error) {
		return &ops.TableJoinSide[K, V2, V, R]{Node: rn.Name, OtherStore: lm.readStore().Name, Other: lm.latest(rn), Mode: modeR,
			KeySerde: lm.ks, OtherSerde: lm.vs,
			Joiner: func(rv V2, rok bool, lv V, lok bool) R { return joiner(lv, lok, rv, rok) }}, nil
	}
	mn.New = func(*engine.Task) (any, error) { return &ops.Pass[K, engine.Change[R]]{}, nil }
	g := &l.b.g
	g.AddNode(ln, lm.node)
	g.AddNode(rn, rm.node)
	g.AddNode(mn, ln, rn)
	ln.Stores = append(ln.Stores, rm.readStore())
	rn.Stores = append(rn.Stores, lm.readStore())
	link[K, engine.Change[V]](lm.node, ln)
	link[K, engine.Change[V2]](rm.node, rn)
	link[K, engine.Change[R]](ln, mn)
	link[K, engine.Change[R]](rn, mn)
	b.registerTable(mn, tkMerge, false, lm.node, rm.node)
	ks := lm.ks
	if ks == nil {
		ks = rm.ks
	}
	return Table[K, R]{b: l.b, node: mn, ks: ks, vs: defaultSerde[R]()}
}

// WithValueSerde returns the table with vs as its value serde: the serde of
// the store a join materializes the table in, and of streams made by
// ToStream. Tables with values of non-primitive types need one before they
// are joined, unless they are materialized already (Builder.Table, ToTable,
// aggregations); a materialized table keeps its store's serde, so calling
// WithValueSerde on one is an error reported by Build.
func (t Table[K, V]) WithValueSerde(vs serde.Serde[V]) Table[K, V] {
	if t.store != nil {
		t.b.g.Errs = append(t.b.g.Errs, fmt.Errorf("WithValueSerde: the table is materialized in a store with its own value serde (%s); set the serde where the table is created", typeName[V]()))
		return t
	}
	t.vs = vs
	return t
}

// joinable returns how a table–table join reads t: a versioned table, or
// a Filter, MapValues or TransformValues of one that is not materialized,
// as it is, its latest rows read through its versioned store (Kafka
// Streams' value getter get(key), which reads the store's latest version,
// so that both sides of a join of t with a table derived from it see t's
// update); any other table from a key-value store (see materialized).
func (t Table[K, V]) joinable(method string) Table[K, V] {
	if t.asOf != nil {
		t.ks, t.vs = orDefault(t.ks), orDefault(t.vs)
		return t
	}
	return t.materialized(method)
}

// readStore is the store a join reads t from (see joinable).
func (t Table[K, V]) readStore() *topology.Store {
	if t.asOf != nil {
		return t.asOf.store
	}
	return t.store
}

// latest returns the lookup of t's latest rows that join side node opens
// in its task, if t is read through its versioned store (see joinable),
// else nil.
func (t Table[K, V]) latest(node *topology.Node) func(*engine.Task) (ops.AsOf[K, V], func() error, error) {
	if t.asOf == nil {
		return nil
	}
	view := t.asOf
	return func(tk *engine.Task) (ops.AsOf[K, V], func() error, error) { return view.open(tk, node.Name) }
}

// materialized returns t if it has a key-value store, else t materialized
// in a new key-value store (KSTREAM-MATERIALIZE-STATE-STORE-…), for joins
// that read its current rows. A versioned table, or a Filter, MapValues or
// TransformValues of one (for joins that do not read it through its
// versioned store, see joinable), forwards only the updates that become a
// key's latest version, so the new store holds its latest rows and the
// join ignores out-of-order updates (as Kafka Streams' table–table joins
// do with versioned semantics).
func (t Table[K, V]) materialized(method string) Table[K, V] {
	if t.store != nil && !t.versioned() {
		t.ks, t.vs = orDefault(t.ks), orDefault(t.vs)
		return t
	}
	naming := topology.Naming{Method: method,
		Hint: "materialize the table before " + method + " with Materialize(table.As(name))"}
	return t.materializeInFor(method, naming, table.Materialized{Logging: true}, nil, t.versioned() || versionedUpstream(t.node), false)
}

// materializeIn adds a KTABLE-MATERIALIZE node that keeps t in a new
// key-value store configured by m (names, logging); naming says how the
// store is named; optErr is reported by Build.
func (t Table[K, V]) materializeIn(method string, naming topology.Naming, m table.Materialized, optErr error) Table[K, V] {
	return t.materializeInFor(method, naming, m, optErr, false, true)
}

// materializeInFor is materializeIn; latestOnly makes the store ignore
// out-of-order updates of a versioned table, keeping its latest rows.
// explicit marks Table.Materialize's store (Kafka Streams' Materialized.as
// on t's operator), else it is the store a join reads t from.
func (t Table[K, V]) materializeInFor(method string, naming topology.Naming, m table.Materialized, optErr error, latestOnly, explicit bool) Table[K, V] {
	ks, vs := orDefault(t.ks), orDefault(t.vs)
	store := &topology.Store{UserName: m.Name, Op: "MATERIALIZE", Naming: naming,
		Spec: engine.StoreSpec{Kind: engine.KeyValueKind, Logged: m.Logging}}
	n := &topology.Node{Kind: topology.Processor, Op: "KTABLE-MATERIALIZE", UserName: m.Operator}
	n.Check = func() error {
		return errors.Join(optErr,
			need(ks == nil, missingSerde[K]("key", method+" materializes this table in a store to read it")),
			need(vs == nil, missingSerde[V]("value", method+" materializes this table in a store to read it; set one with Table.WithValueSerde")))
	}
	b := t.b
	n.New = func(*engine.Task) (any, error) {
		op := &ops.TableMaterialize[K, V]{Node: n.Name, Store: store.Name, KeySerde: ks, ValueSerde: vs, SkipNotLatest: latestOnly}
		if explicit {
			op.StoreOld, op.DropEmpty = b.materializedOld(n)
		}
		return op, nil
	}
	t.b.g.AddNode(n, t.node)
	t.b.g.AddStore(store, n)
	link[K, engine.Change[V]](t.node, n)
	if explicit {
		b.registerMaterialize(n, t.node)
	} else {
		b.registerTable(n, tkStoreView, false, t.node)
	}
	return Table[K, V]{b: t.b, node: n, ks: ks, vs: vs, store: store}
}
