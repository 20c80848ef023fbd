// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
)

// ErrEmpty is returned when reading from an output topic with no unread
// records.
var ErrEmpty = errors.New("topologytest: no more records in output topic")

// OutputTopic reads typed records the topology wrote to a topic, across all
// partitions, in the order they were written.
type OutputTopic[K, V any] struct {
	d     *Driver
	topic string
	ks    serde.Serde[K]
	vs    serde.Serde[V]
	err   error // the topology writes no such topic
}

// Output returns a reader of topic that deserializes with ks and vs. The
// topic must be one the topology can write: a sink's topic, an internal
// repartition or changelog topic (full name, <app>-...), or any topic if a
// sink chooses its topic per record (Stream.ToFunc). Reading any other
// topic fails, as piping into a topic no source reads does, so that a
// misspelt topic is not mistaken for an empty output.
func (d *Driver) Output[K, V any](topic string, ks serde.Serde[K], vs serde.Serde[V]) *OutputTopic[K, V] {
	return &OutputTopic[K, V]{d: d, topic: topic, ks: ks, vs: vs, err: d.checkWrites(topic)}
}

// checkWrites returns an error if the topology cannot write topic.
func (d *Driver) checkWrites(topic string) error {
	var written []string
	for _, st := range append(d.topo.Subtopologies(), d.topo.GlobalSubtopologies()...) {
		for _, n := range st.Nodes {
			if n.Kind != topology.Sink || n.Internal != nil {
				continue
			}
			if n.DynamicTopic {
				return nil
			}
			written = append(written, n.Topics...)
		}
	}
	for _, it := range d.topo.InternalTopics() {
		written = append(written, it.FullName(d.cfg.app))
	}
	for _, s := range d.topo.Stores() {
		if s.Spec.Logged && !s.Global {
			written = append(written, engine.ChangelogTopic(d.cfg.app, s.Name))
		}
	}
	if slices.Contains(written, topic) {
		return nil
	}
	slices.Sort(written)
	return fmt.Errorf("topologytest: the topology writes no topic %q (it writes: %v)", topic, slices.Compact(written))
}

// QueueSize returns the number of unread records.
func (o *OutputTopic[K, V]) QueueSize() int {
	l := o.d.logs[o.topic]
	if l == nil {
		return 0
	}
	return len(l.records) - l.read
}

// IsEmpty reports whether every record has been read.
func (o *OutputTopic[K, V]) IsEmpty() bool { return o.QueueSize() == 0 }

// ReadRecord reads the next record.
func (o *OutputTopic[K, V]) ReadRecord() (Record[K, V], error) {
	var r Record[K, V]
	if o.err != nil {
		return r, o.err
	}
	l := o.d.logs[o.topic]
	if l == nil || l.read >= len(l.records) {
		return r, fmt.Errorf("%w %q", ErrEmpty, o.topic)
	}
	raw := l.records[l.read]
	l.read++
	r.Timestamp, r.Headers, r.Partition, r.Offset = time.UnixMilli(raw.Timestamp), raw.Headers, raw.Partition, raw.Offset
	var err error
	if raw.Key == nil {
		r.KeyNull = true
	} else if r.Key, err = o.ks.Deserialize(o.topic, raw.Key); err != nil {
		return r, fmt.Errorf("topologytest: %s: key: %w", raw.Where(), err)
	}
	if raw.Value == nil {
		r.ValueNull = true
	} else if r.Value, err = o.vs.Deserialize(o.topic, raw.Value); err != nil {
		return r, fmt.Errorf("topologytest: %s: value: %w", raw.Where(), err)
	}
	return r, nil
}

// ReadKeyValue reads the next record's key and value.
func (o *OutputTopic[K, V]) ReadKeyValue() (record.KeyValue[K, V], error) {
	r, err := o.ReadRecord()
	return record.KeyValue[K, V]{Key: r.Key, Value: r.Value}, err
}

// ReadValue reads the next record's value.
func (o *OutputTopic[K, V]) ReadValue() (V, error) {
	r, err := o.ReadRecord()
	return r.Value, err
}

// ReadRecords reads every unread record.
func (o *OutputTopic[K, V]) ReadRecords() ([]Record[K, V], error) {
	if o.err != nil {
		return nil, o.err
	}
	var out []Record[K, V]
	for !o.IsEmpty() {
		r, err := o.ReadRecord()
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

// ReadKeyValues reads every unread record's key and value.
func (o *OutputTopic[K, V]) ReadKeyValues() ([]record.KeyValue[K, V], error) {
	rs, err := o.ReadRecords()
	out := make([]record.KeyValue[K, V], len(rs))
	for i, r := range rs {
		out[i] = record.KeyValue[K, V]{Key: r.Key, Value: r.Value}
	}
	return out, err
}

// ReadValues reads every unread record's value.
func (o *OutputTopic[K, V]) ReadValues() ([]V, error) {
	rs, err := o.ReadRecords()
	out := make([]V, len(rs))
	for i, r := range rs {
		out[i] = r.Value
	}
	return out, err
}

// ReadToMap reads every unread record into a map holding the last value per
// key, the view of a table's output; a tombstone removes its key.
func ReadToMap[K comparable, V any](o *OutputTopic[K, V]) (map[K]V, error) {
	if o.err != nil {
		return nil, o.err
	}
	out := map[K]V{}
	for !o.IsEmpty() {
		r, err := o.ReadRecord()
		if err != nil {
			return out, err
		}
		if r.ValueNull {
			delete(out, r.Key)
		} else {
			out[r.Key] = r.Value
		}
	}
	return out, nil
}
