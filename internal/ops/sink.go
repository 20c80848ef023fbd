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
	nullKeys     dropLog
	e2e          *metric.Histogram // end-to-end latency of the records sent
}

// Init implements engine.Initializer.
func (s *Sink[K, V]) Init(t *engine.Task) error {
	s.t = t
	if s.TopicOf != nil {
		s.Topic = s.TopicOf(t)
	}
	s.counts = make(map[string]int32)
	s.limits = make(map[string]int)
	s.e2e = t.Metrics().OutputLatency(s.Node)
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
		if key, err = s.KeySerde.Serialize(topic, r.Key); err != nil {
			return fmt.Errorf("%s: serialize key for topic %q: %w", s.Node, topic, err)
		}
	}
	if !r.ValueNull {
		if value, err = s.ValueSerde.Serialize(topic, r.Value); err != nil {
			return fmt.Errorf("%s: serialize value for topic %q: %w", s.Node, topic, err)
		}
	}
	part := int32(-1)
	if s.Partitioner != nil || key != nil {
		n, ok := s.counts[topic]
		if !ok {
			if n, err = s.t.Collector().PartitionCount(topic); err != nil {
				// A missing output topic is a deployment error, never a
				// record to skip.
				return engine.Fatal(fmt.Errorf("%s: %w", s.Node, err))
			}
			s.counts[topic] = n
		}
		if s.Partitioner != nil {
			part = s.Partitioner(r.Key, r.Value, n)
			if part < 0 || part >= n {
				return fmt.Errorf("%s: partitioner chose partition %d of topic %q, which has %d", s.Node, part, topic, n)
			}
		} else {
			pk := key
			if pker, ok := s.KeySerde.(PartitionKeyer); ok {
				pk = pker.PartitionKey(key)
			}
			part = partition.ForKey(pk, n)
		}
	}
	if err := s.checkSize(topic, key, value, r.Headers); err != nil {
		return err
	}
	s.t.ObserveOutput(s.e2e, r.Timestamp)
	return s.t.Collector().Send(&engine.RawRecord{
		Topic: topic, Partition: part, Key: key, Value: value, Timestamp: r.Timestamp, Headers: r.Headers,
	})
}

// checkSize rejects a record larger than topic accepts, as a record error
// for the error handler (Kafka Streams' production exception handler sees
// RecordTooLargeException the same way); producing it would fail the task.
func (s *Sink[K, V]) checkSize(topic string, key, value []byte, headers []engine.Header) error {
	lim, ok := s.t.Collector().(engine.RecordLimiter)
	if !ok {
		return nil
	}
	limit, ok := s.limits[topic]
	if !ok {
		var err error
		if limit, err = lim.MaxRecordBytes(topic); err != nil {
			return engine.Fatal(fmt.Errorf("%s: %w", s.Node, err))
		}
		s.limits[topic] = limit
	}
	if limit > 0 && engine.EncodedSize(key, value, headers) > limit {
		if err := lim.CheckRecordSize(topic, key, value, headers); err != nil {
			return fmt.Errorf("%s: %w", s.Node, err)
		}
	}
	return nil
}
