// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
)

// Source deserializes raw records of its topics and forwards them.
type Source[K, V any] struct {
	engine.Forwarder[K, V]
	Node       string
	KeySerde   serde.Serde[K]
	ValueSerde serde.Serde[V]
	// Timestamp extracts event time; nil uses the record's timestamp.
	Timestamp func(key K, value V, recordTime int64) int64
	t         *engine.Task
}

// Init implements engine.Initializer.
func (s *Source[K, V]) Init(t *engine.Task) error { s.t = t; return nil }

// Extracts implements engine.EventTimer.
func (s *Source[K, V]) Extracts() bool { return s.Timestamp != nil }

// EventTime implements engine.EventTimer: it decodes raw and runs the
// extractor, for the task to order its input by event time.
func (s *Source[K, V]) EventTime(raw *engine.RawRecord) (int64, bool) {
	if s.Timestamp == nil {
		return raw.Timestamp, true
	}
	var k K
	var v V
	var err error
	if raw.Key != nil {
		if k, err = s.KeySerde.Deserialize(raw.Topic, raw.Key); err != nil {
			return 0, false
		}
	}
	if raw.Value != nil {
		if v, err = s.ValueSerde.Deserialize(raw.Topic, raw.Value); err != nil {
			return 0, false
		}
	}
	return s.Timestamp(k, v, raw.Timestamp), true
}

// ProcessRaw implements engine.RawProcessor.
func (s *Source[K, V]) ProcessRaw(raw *engine.RawRecord) error {
	var r engine.Record[K, V]
	if raw.Key == nil {
		r.KeyNull = true
	} else {
		k, err := s.KeySerde.Deserialize(raw.Topic, raw.Key)
		if err != nil {
			return s.t.HandleError(s.Node, raw, engine.DropDeserialization, fmt.Errorf("deserialize key: %w", err))
		}
		r.Key = k
	}
	if raw.Value == nil {
		r.ValueNull = true
	} else {
		v, err := s.ValueSerde.Deserialize(raw.Topic, raw.Value)
		if err != nil {
			return s.t.HandleError(s.Node, raw, engine.DropDeserialization, fmt.Errorf("deserialize value: %w", err))
		}
		r.Value = v
	}
	ts := raw.Timestamp
	if s.Timestamp != nil {
		ts = s.Timestamp(r.Key, r.Value, raw.Timestamp)
		if ts < 0 {
			// A custom extractor rejects a record with a negative time:
			// dropped and counted, as Kafka Streams does.
			s.t.Drop(engine.DropTimestamp)
			s.t.Logger().Warn("dropping record: timestamp extractor returned a negative time",
				"node", s.Node, "topic", raw.Topic, "partition", raw.Partition, "offset", raw.Offset, "timestamp", ts)
			return nil
		}
	} else if ts < 0 {
		return s.t.HandleError(s.Node, raw, engine.DropTimestamp, fmt.Errorf("invalid (negative) record timestamp %d", ts))
	}
	r.Timestamp = ts
	r.Headers = raw.Headers
	s.t.Advance(ts)
	return s.Forward(r)
}
