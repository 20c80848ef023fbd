// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
)

// Stream is a typed record stream (Kafka Streams' KStream). Handles are
// values; every operator returns a new handle and leaves the receiver
// usable, so a stream can feed several operators.
type Stream[K, V any] struct {
	b    *Builder
	node *topology.Node
	ks   serde.Serde[K]
	vs   serde.Serde[V]
	// keyChanged marks a stream whose key was changed; a later grouping
	// or join repartitions it.
	keyChanged bool
	src        *sourceConfig[K, V]
}

type sourceConfig[K, V any] struct {
	timestamp func(K, V, int64) int64
}

// Stream reads topic as a stream. Nil serdes fall back to the built-in serde
// of primitive types.
func (b *Builder) Stream[K, V any](topic string, ks serde.Serde[K], vs serde.Serde[V], opts ...Option) Stream[K, V] {
	c := resolve(opts)
	ks, vs = orDefault(ks), orDefault(vs)
	cfg := &sourceConfig[K, V]{}
	n := &topology.Node{Kind: topology.Source, Op: "SOURCE", UserName: c.name, Topics: []string{topic}}
	n.Check = func() error {
		return errors.Join(c.err, topicErr(topic),
			need(ks == nil, missingSerde[K]("key", "pass one to Builder.Stream")),
			need(vs == nil, missingSerde[V]("value", "pass one to Builder.Stream")))
	}
	n.New = func(t *engine.Task) (any, error) {
		return &ops.Source[K, V]{Node: n.Name, KeySerde: ks, ValueSerde: vs, Timestamp: cfg.timestamp}, nil
	}
	b.g.AddNode(n)
	return Stream[K, V]{b: b, node: n, ks: ks, vs: vs, src: cfg}
}

func topicErr(topic string) error {
	if topic == "" {
		return errors.New("empty topic name")
	}
	return nil
}

func need(missing bool, err error) error {
	if missing {
		return err
	}
	return nil
}

// link connects child as a typed child of parent.
func link[K, V any](parent, child *topology.Node) {
	parent.Links = append(parent.Links, func(inst []any) {
		inst[parent.ID].(engine.Parent[K, V]).AddChild(inst[child.ID].(engine.Processor[K, V]))
	})
}

// addProcessor adds a processor node under the stream's node.
func addProcessor[K, V any](s Stream[K, V], op string, opts []Option, newFn func(n *topology.Node) any) *topology.Node {
	return addNode[K, V](s.b, s.node, op, opts, newFn)
}

// addNode adds a processor node consuming records of type K, V from parent.
// It does not mention Stream, so windowed handles can use it without an
// instantiation cycle (Stream[window.Windowed[K]] inside Stream[K]).
func addNode[K, V any](b *Builder, parent *topology.Node, op string, opts []Option, newFn func(n *topology.Node) any) *topology.Node {
	c := resolve(opts)
	n := &topology.Node{Kind: topology.Processor, Op: op, UserName: c.name}
	if c.err != nil {
		n.Check = func() error { return c.err }
	}
	n.New = func(*engine.Task) (any, error) { return newFn(n), nil }
	b.g.AddNode(n, parent)
	link[K, V](parent, n)
	return n
}

func derive[K, V, K2, V2 any](s Stream[K, V], n *topology.Node, ks serde.Serde[K2], vs serde.Serde[V2], keyChanged bool) Stream[K2, V2] {
	return Stream[K2, V2]{b: s.b, node: n, ks: ks, vs: vs, keyChanged: keyChanged}
}

// WithTimestamps sets the event-time extractor of a source stream (Kafka
// Streams' TimestampExtractor): fn gets the record's key, value and
// timestamp and returns the event time, kept to the millisecond. A record
// for which it returns a time before the Unix epoch (such as the zero
// time.Time) is dropped, counted as
// "invalid-timestamp" and logged, whatever the error policy, as Kafka
// Streams drops a record whose extracted timestamp is negative. (Without
// an extractor, a record whose own timestamp is negative goes to the error
// policy: the default, Fail, stops the application, as Kafka Streams'
// default FailOnInvalidTimestamp does.)
// A task orders its input partitions' records by this time. It must be
// called directly on the handle returned by Builder.Stream.
func (s Stream[K, V]) WithTimestamps(fn func(key K, value V, recordTime time.Time) time.Time) Stream[K, V] {
	if s.src == nil {
		s.b.g.Errs = append(s.b.g.Errs, errors.New("WithTimestamps: only a stream returned by Builder.Stream can have a timestamp extractor"))
		return s
	}
	if fn == nil {
		s.src.timestamp = nil
		return s
	}
	s.src.timestamp = func(k K, v V, ts int64) int64 { return fn(k, v, time.UnixMilli(ts)).UnixMilli() }
	return s
}

// WithKeySerde returns the stream with ks as its key serde, used where the
// key is written (repartition topics, stores, sinks).
func (s Stream[K, V]) WithKeySerde(ks serde.Serde[K]) Stream[K, V] { s.ks = ks; return s }

// WithValueSerde returns the stream with vs as its value serde.
func (s Stream[K, V]) WithValueSerde(vs serde.Serde[V]) Stream[K, V] { s.vs = vs; return s }

// Filter keeps records for which pred returns true.
func (s Stream[K, V]) Filter(pred func(key K, value V) bool, opts ...Option) Stream[K, V] {
	n := addProcessor(s, "FILTER", opts, func(*topology.Node) any { return &ops.Filter[K, V]{Keep: pred} })
	return derive(s, n, s.ks, s.vs, s.keyChanged)
}

// FilterNot drops records for which pred returns true.
func (s Stream[K, V]) FilterNot(pred func(key K, value V) bool, opts ...Option) Stream[K, V] {
	keep := func(k K, v V) bool { return !pred(k, v) }
	n := addProcessor(s, "FILTER", opts, func(*topology.Node) any { return &ops.Filter[K, V]{Keep: keep} })
	return derive(s, n, s.ks, s.vs, s.keyChanged)
}

// Map replaces key and value. The key may change, so a later grouping or
// join repartitions the stream.
func (s Stream[K, V]) Map[K2, V2 any](fn func(key K, value V) (K2, V2), opts ...Option) Stream[K2, V2] {
	n := addProcessor(s, "MAP", opts, func(*topology.Node) any { return &ops.Map[K, V, K2, V2]{Fn: fn} })
	return derive(s, n, orDefault(carry[K, K2](s.ks)), orDefault(carry[V, V2](s.vs)), true)
}

// SelectKey sets a new key computed from key and value; the stream is
// marked for repartitioning.
func (s Stream[K, V]) SelectKey[K2 any](fn func(key K, value V) K2, opts ...Option) Stream[K2, V] {
	n := addProcessor(s, "KEY-SELECT", opts, func(*topology.Node) any { return &ops.SelectKey[K, V, K2]{Fn: fn} })
	return derive(s, n, orDefault(carry[K, K2](s.ks)), s.vs, true)
}

// MapValues replaces the value; the key and partitioning are unchanged.
func (s Stream[K, V]) MapValues[V2 any](fn func(value V) V2, opts ...Option) Stream[K, V2] {
	f := func(_ K, v V) V2 { return fn(v) }
	n := addProcessor(s, "MAPVALUES", opts, func(*topology.Node) any { return &ops.MapValues[K, V, V2]{Fn: f} })
	return derive(s, n, s.ks, orDefault(carry[V, V2](s.vs)), s.keyChanged)
}

// MapValuesWithKey is MapValues with read-only access to the key.
func (s Stream[K, V]) MapValuesWithKey[V2 any](fn func(key K, value V) V2, opts ...Option) Stream[K, V2] {
	n := addProcessor(s, "MAPVALUES", opts, func(*topology.Node) any { return &ops.MapValues[K, V, V2]{Fn: fn} })
	return derive(s, n, s.ks, orDefault(carry[V, V2](s.vs)), s.keyChanged)
}

// FlatMap emits zero or more records per input record; the key may change.
// Every output record inherits the input's timestamp and headers.
func (s Stream[K, V]) FlatMap[K2, V2 any](fn func(key K, value V) []record.KeyValue[K2, V2], opts ...Option) Stream[K2, V2] {
	n := addProcessor(s, "FLATMAP", opts, func(*topology.Node) any { return &ops.FlatMap[K, V, K2, V2]{Fn: fn} })
	return derive(s, n, orDefault(carry[K, K2](s.ks)), orDefault(carry[V, V2](s.vs)), true)
}

// FlatMapValues emits zero or more values per input record, keeping its key.
func (s Stream[K, V]) FlatMapValues[V2 any](fn func(value V) []V2, opts ...Option) Stream[K, V2] {
	f := func(_ K, v V) []V2 { return fn(v) }
	n := addProcessor(s, "FLATMAPVALUES", opts, func(*topology.Node) any { return &ops.FlatMapValues[K, V, V2]{Fn: f} })
	return derive(s, n, s.ks, orDefault(carry[V, V2](s.vs)), s.keyChanged)
}

// FlatMapValuesWithKey is FlatMapValues with read-only access to the key.
func (s Stream[K, V]) FlatMapValuesWithKey[V2 any](fn func(key K, value V) []V2, opts ...Option) Stream[K, V2] {
	n := addProcessor(s, "FLATMAPVALUES", opts, func(*topology.Node) any { return &ops.FlatMapValues[K, V, V2]{Fn: fn} })
	return derive(s, n, s.ks, orDefault(carry[V, V2](s.vs)), s.keyChanged)
}

// Peek calls fn for each record and passes the record on unchanged.
func (s Stream[K, V]) Peek(fn func(key K, value V), opts ...Option) Stream[K, V] {
	n := addProcessor(s, "PEEK", opts, func(*topology.Node) any { return &ops.Peek[K, V]{Fn: fn} })
	return derive(s, n, s.ks, s.vs, s.keyChanged)
}

// Foreach calls fn for each record; it ends the stream.
func (s Stream[K, V]) Foreach(fn func(key K, value V), opts ...Option) {
	addProcessor(s, "FOREACH", opts, func(*topology.Node) any { return &ops.Peek[K, V]{Fn: fn} })
}

// Merge interleaves the records of s and other (Kafka Streams' merge).
// Records of each input keep their order; there is no order across inputs.
// As names the merge processor. Merge more streams by chaining:
// a.Merge(b).Merge(c).
func (s Stream[K, V]) Merge(other Stream[K, V], opts ...Option) Stream[K, V] {
	c := resolve(opts)
	n := &topology.Node{Kind: topology.Processor, Op: "MERGE", UserName: c.name}
	if c.err != nil {
		n.Check = func() error { return c.err }
	}
	n.New = func(*engine.Task) (any, error) { return &ops.Pass[K, V]{}, nil }
	parents := []*topology.Node{s.node}
	changed := s.keyChanged
	if other.b != s.b {
		s.b.g.Errs = append(s.b.g.Errs, errors.New("Merge: streams come from different builders"))
	} else {
		parents = append(parents, other.node)
		changed = changed || other.keyChanged
	}
	s.b.g.AddNode(n, parents...)
	for _, p := range parents {
		link[K, V](p, n)
	}
	return derive(s, n, s.ks, s.vs, changed)
}
