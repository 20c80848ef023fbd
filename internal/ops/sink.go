// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/metric"
	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/serde"
)

// PartitionKeyer is implemented by key serdes whose partitioning key is a
// part of the serialized key, such as windowed keys, which Kafka Streams
// partitions by the base key so all windows of a key share a partition.
type PartitionKeyer interface {
	PartitionKey(serializedKey []byte) []byte
}

// Sink serializes records and hands them to the task's collector.
type Sink[K, V any] struct {
	Node string
	// Topic is the fixed output topic; TopicFn chooses one per record.
	Topic   string
	TopicFn func(key K, value V, rc *engine.RecordContext) string
	// TopicOf resolves Topic once the task (and so the application id) is
	// known; used for repartition topics.
	TopicOf    func(t *engine.Task) string
	KeySerde   serde.Serde[K]
	ValueSerde serde.Serde[V]
	// Partitioner picks the partition; nil uses Kafka's murmur2 of the
	// serialized key (the partition key for windowed keys), and lets the
	// collector choose for null keys.
	Partitioner func(key K, value V, numPartitions int32) int32
	// DropNullKeys drops records without a key (repartitioning for an
	// aggregation, where they would be dropped anyway).
	DropNullKeys bool
	t            *engine.Task
	counts       map[string]int32
	limits       map[string]int // topic → largest record it accepts (0: unknown)
	// count and limit are the entries of counts and limits for the topic
	// of the last record, which a sink with a fixed topic reads without
	// hashing its name.
	count    sinkTopic[int32]
	limit    sinkTopic[int]
	limiter  engine.RecordLimiter // the collector's, if it is one
	pker     PartitionKeyer       // KeySerde, if it is one
	nullKeys dropLog
	e2e      *metric.Histogram // end-to-end latency of the records sent
	// keyApp and valueApp are the serdes' Appenders, if they implement
	// it: the sink serializes into kbuf and vbuf, which it reuses, and
	// sends copies from arena (arena nil: the collector copies the bytes
	// it keeps, an engine.KeyValueCopier, and gets kbuf and vbuf
	// themselves). out is the record it sends, reused: the collector
	// keeps the slices, not the record (engine.Collector).
	keyApp     serde.Appender[K]
	valueApp   serde.Appender[V]
	kbuf, vbuf []byte
	arena      *engine.Arena
	out        engine.RawRecord
}

// sinkTopic is a value a sink looked up for topic.
type sinkTopic[T any] struct {
	topic string
	value T
	ok    bool
}

// maxSinkBuf bounds the serialization buffers a sink keeps between records:
// a larger one, grown for a rare large record, is let go.
const maxSinkBuf = 64 << 10

// Init implements engine.Initializer.
func (s *Sink[K, V]) Init(t *engine.Task) error {
	s.t = t
	if s.TopicOf != nil {
		s.Topic = s.TopicOf(t)
	}
	s.counts = make(map[string]int32)
	s.limits = make(map[string]int)
	s.e2e = t.Metrics().OutputLatency(s.Node)
	s.limiter, _ = t.Collector().(engine.RecordLimiter)
	s.pker, _ = s.KeySerde.(PartitionKeyer)
	s.keyApp, _ = s.KeySerde.(serde.Appender[K])
	s.valueApp, _ = s.ValueSerde.(serde.Appender[V])
	if _, copies := t.Collector().(engine.KeyValueCopier); !copies {
		s.arena = new(engine.Arena)
	}
	return nil
}

// Process implements engine.Processor.
func (s *Sink[K, V]) Process(r engine.Record[K, V]) error {
	if r.KeyNull && s.DropNullKeys {
		s.nullKeys.drop(s.t, s.Node, engine.DropNullKey)
		return nil
	}
	topic := s.Topic
	if s.TopicFn != nil {
		topic = s.TopicFn(r.Key, r.Value, s.t.RecordContext())
		if topic == "" {
			return fmt.Errorf("%s: topic chooser returned an empty topic name", s.Node)
		}
	}
	var key, value []byte
	var err error
	if !r.KeyNull {
		if key, err = serializeOut(s.KeySerde, s.keyApp, &s.kbuf, s.arena, topic, r.Key); err != nil {
			return fmt.Errorf("%s: serialize key for topic %q: %w", s.Node, topic, err)
		}
	}
	if !r.ValueNull {
		if value, err = serializeOut(s.ValueSerde, s.valueApp, &s.vbuf, s.arena, topic, r.Value); err != nil {
			return fmt.Errorf("%s: serialize value for topic %q: %w", s.Node, topic, err)
		}
	}
	part := int32(-1)
	if s.Partitioner != nil || key != nil {
		n, ok := s.count.value, s.count.ok && s.count.topic == topic
		if !ok {
			if n, ok = s.counts[topic]; !ok {
				if n, err = s.t.Collector().PartitionCount(topic); err != nil {
					// A missing output topic is a deployment error,
					// never a record to skip.
					return engine.Fatal(fmt.Errorf("%s: %w", s.Node, err))
				}
				s.counts[topic] = n
			}
			s.count = sinkTopic[int32]{topic: topic, value: n, ok: true}
		}
		if s.Partitioner != nil {
			part = s.Partitioner(r.Key, r.Value, n)
			if part < 0 || part >= n {
				return fmt.Errorf("%s: partitioner chose partition %d of topic %q, which has %d", s.Node, part, topic, n)
			}
		} else {
			pk := key
			if s.pker != nil {
				pk = s.pker.PartitionKey(key)
			}
			part = partition.ForKey(pk, n)
		}
	}
	if err := s.checkSize(topic, key, value, r.Headers); err != nil {
		return err
	}
	s.t.ObserveOutput(s.e2e, r.Timestamp)
	s.out.Assign(engine.RawRecord{Topic: topic, Partition: part, Key: key, Value: value, Timestamp: r.Timestamp, Headers: r.Headers})
	return s.t.Collector().Send(&s.out)
}

// serializeOut encodes v for a collector, which will own the result: with
// app into *buf, which it reuses, and then a copy from arena (nil: *buf
// itself, for a collector or store that copies what it keeps), or, if the
// serde is no Appender, with Serialize. An empty encoding comes from
// Serialize, which may return nil, a null, where AppendSerialize returns
// an empty slice.
func serializeOut[T any](sd serde.Serde[T], app serde.Appender[T], buf *[]byte, arena *engine.Arena, topic string, v T) ([]byte, error) {
	if app == nil {
		return sd.Serialize(topic, v)
	}
	b, err := app.AppendSerialize((*buf)[:0], topic, v)
	if err != nil {
		return nil, err
	}
	if len(b) == 0 {
		return sd.Serialize(topic, v)
	}
	if cap(b) != cap(*buf) { // grown: keep the larger buffer, unless too large
		*buf = b
		if cap(b) > maxSinkBuf {
			*buf = nil
		}
	}
	if arena == nil {
		return b, nil
	}
	return arena.Copy(b), nil
}

// serializeScratch encodes v for a store, which copies what it keeps: with
// app into *buf, which the caller reuses once the store call returned, or,
// if the serde is no Appender or the encoding is empty, with Serialize (as
// serializeOut).
func serializeScratch[T any](sd serde.Serde[T], app serde.Appender[T], buf *[]byte, topic string, v T) ([]byte, error) {
	return serializeOut(sd, app, buf, nil, topic, v)
}

// checkSize rejects a record larger than topic accepts, as a record error
// for the error handler (Kafka Streams' production exception handler sees
// RecordTooLargeException the same way); producing it would fail the task.
func (s *Sink[K, V]) checkSize(topic string, key, value []byte, headers []engine.Header) error {
	lim := s.limiter
	if lim == nil {
		return nil
	}
	limit, ok := s.limit.value, s.limit.ok && s.limit.topic == topic
	if !ok {
		if limit, ok = s.limits[topic]; !ok {
			var err error
			if limit, err = lim.MaxRecordBytes(topic); err != nil {
				return engine.Fatal(fmt.Errorf("%s: %w", s.Node, err))
			}
			s.limits[topic] = limit
		}
		s.limit = sinkTopic[int]{topic: topic, value: limit, ok: true}
	}
	if limit > 0 && engine.EncodedSize(key, value, headers) > limit {
		if err := lim.CheckRecordSize(topic, key, value, headers); err != nil {
			return fmt.Errorf("%s: %w", s.Node, err)
		}
	}
	return nil
}
