// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"time"

	"github.com/eddy-streams/eddy/record"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/serde"
)

// To writes the stream to topic. Nil serdes fall back to the stream's own,
// then to the built-in serde of primitive types. Records are partitioned by
// Kafka's murmur2 hash of the serialized key, exactly as Java producers do
// (windowed keys by their base key); records without a key are spread by
// the producer.
func (s Stream[K, V]) To(topic string, ks serde.Serde[K], vs serde.Serde[V], opts ...Option) {
	s.sink(topic, nil, ks, vs, opts)
}

// ToFunc writes each record to the topic choose returns for it (Kafka
// Streams' TopicNameExtractor). The topics must exist.
// rc describes the input record being processed.
func (s Stream[K, V]) ToFunc(choose func(key K, value V, rc record.Context) string, ks serde.Serde[K], vs serde.Serde[V], opts ...Option) {
	s.sink("", func(k K, v V, rc *engine.RecordContext) string { return choose(k, v, publicContext(rc)) }, ks, vs, opts)
}

// publicContext converts the engine's record context to the public one.
func publicContext(rc *engine.RecordContext) record.Context {
	return record.Context{Topic: rc.Topic, Partition: rc.Partition, Offset: rc.Offset,
		Timestamp: time.UnixMilli(rc.Timestamp), Headers: rc.Headers}
}

func (s Stream[K, V]) sink(topic string, choose func(K, V, *engine.RecordContext) string, ks serde.Serde[K], vs serde.Serde[V], opts []Option) {
	if ks == nil {
		ks = orDefault(s.ks)
	}
	if vs == nil {
		vs = orDefault(s.vs)
	}
	addSink(s.b, s.node, topic, choose, ks, vs, opts)
}

// addSink adds a sink node under parent.
func addSink[K, V any](b *Builder, parent *topology.Node, topic string, choose func(K, V, *engine.RecordContext) string, ks serde.Serde[K], vs serde.Serde[V], opts []Option) {
	c := resolve(opts)
	n := &topology.Node{Kind: topology.Sink, Op: "SINK", UserName: c.name, DynamicTopic: choose != nil}
	if choose == nil {
		n.Topics = []string{topic}
	}
	n.Check = func() error {
		var tErr error
		if choose == nil {
			tErr = topicErr(topic)
		}
		return errors.Join(c.err, tErr,
			need(ks == nil, missingSerde[K]("key", "pass one to To")),
			need(vs == nil, missingSerde[V]("value", "pass one to To")))
	}
	n.New = func(*engine.Task) (any, error) {
		return &ops.Sink[K, V]{Node: n.Name, Topic: topic, TopicFn: choose, KeySerde: ks, ValueSerde: vs}, nil
	}
	b.g.AddNode(n, parent)
	link[K, V](parent, n)
}

// Repartition writes the stream through the topic <app>-<name>-repartition
// and reads it back, partitioned by the current key (Kafka Streams'
// repartition()). Name it with As; set the partition count with Partitions.
func (s Stream[K, V]) Repartition(opts ...Option) Stream[K, V] {
	c := resolve(opts)
	it := &topology.InternalTopic{UserName: c.name, Partitions: c.partitions, Naming: opNaming("Repartition")}
	out := repartition(s, it, false, "Repartition")
	if c.err != nil {
		s.b.g.Errs = append(s.b.g.Errs, c.err)
	}
	return out
}

// repartition inserts a sink to and a source from the internal topic it.
func repartition[K, V any](s Stream[K, V], it *topology.InternalTopic, dropNullKeys bool, op string) Stream[K, V] {
	ks, vs := orDefault(s.ks), orDefault(s.vs)
	sink := &topology.Node{Kind: topology.Sink, Op: "REPARTITION-SINK", Internal: it}
	sink.New = func(*engine.Task) (any, error) {
		return &ops.Sink[K, V]{Node: sink.Name, KeySerde: ks, ValueSerde: vs, DropNullKeys: dropNullKeys,
			TopicOf: func(t *engine.Task) string { return it.FullName(t.AppID()) }}, nil
	}
	sink.Check = func() error {
		return errors.Join(
			need(ks == nil, missingSerde[K]("key", op+" writes repartition topic "+it.Name+"; give the stream one with WithKeySerde")),
			need(vs == nil, missingSerde[V]("value", op+" writes repartition topic "+it.Name+"; give the stream one with WithValueSerde")))
	}
	s.b.g.AddNode(sink, s.node)
	s.b.g.AddTopic(it, sink)
	link[K, V](s.node, sink)
	src := &topology.Node{Kind: topology.Source, Op: "REPARTITION-SOURCE", Internal: it, LogicalParent: sink}
	src.New = func(*engine.Task) (any, error) {
		return &ops.Source[K, V]{Node: src.Name, KeySerde: ks, ValueSerde: vs}, nil
	}
	s.b.g.AddNode(src)
	return Stream[K, V]{b: s.b, node: src, ks: ks, vs: vs}
}
