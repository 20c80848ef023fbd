// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state/memory"
)

// keepingCollector keeps what engine.Collector lets it keep: a copy of
// each record, with the record's own slices.
type keepingCollector struct {
	kept    []engine.RawRecord
	discard bool
}

func (c *keepingCollector) Send(r *engine.RawRecord) error {
	if !c.discard {
		c.kept = append(c.kept, *r)
	}
	return nil
}

func (c *keepingCollector) PartitionCount(string) (int32, error) { return 4, nil }

// newSinkTask returns sink, initialized by a task that sends to coll.
func newSinkTask[K, V any](t testing.TB, sink *Sink[K, V], coll engine.Collector) {
	t.Helper()
	task, err := engine.NewTask(engine.Config{
		AppID: "app", ID: engine.TaskID{Subtopology: 0, Partition: 0},
		Spec: &engine.Spec{Nodes: []engine.NodeSpec{{
			ID: 0, Name: "sink", New: func(*engine.Task) (any, error) { return sink, nil },
		}}},
		Backend: memory.New(), Collector: coll,
	})
	require.NoError(t, err)
	t.Cleanup(func() { task.Close() })
}

// nilBytes is a serde without AppendSerialize whose empty value encodes
// as nil, a null.
type nilBytes struct{}

func (nilBytes) Serialize(_ string, v []byte) ([]byte, error) {
	if len(v) == 0 {
		return nil, nil
	}
	return v, nil
}

func (nilBytes) Deserialize(_ string, b []byte) ([]byte, error) { return b, nil }

// A sink reuses its record and serialization buffers: what the collector
// keeps of each record (a copy of the record and its slices) stays right
// after later records, keys and values have no spare capacity, and null,
// empty and nil-encoded keys and values keep their meaning.
func TestSinkRecordsOwnTheirBytes(t *testing.T) {
	coll := &keepingCollector{}
	sink := &Sink[string, int64]{Node: "sink", Topic: "out", KeySerde: serde.String(), ValueSerde: serde.Int64()}
	newSinkTask(t, sink, coll)
	hdrs := []engine.Header{{Key: "h", Value: []byte("v")}}
	type want struct {
		key, value []byte
		partition  int32
	}
	var wants []want
	for i := range 600 { // more than one arena chunk
		k := fmt.Sprintf("key-%d", i)
		require.NoError(t, sink.Process(engine.Record[string, int64]{Key: k, Value: int64(i), Timestamp: int64(i), Headers: hdrs}))
		v, _ := serde.Int64().Serialize("out", int64(i))
		wants = append(wants, want{[]byte(k), v, partition.ForKey([]byte(k), 4)})
	}
	require.NoError(t, sink.Process(engine.Record[string, int64]{Key: "", Value: 1}))
	require.NoError(t, sink.Process(engine.Record[string, int64]{KeyNull: true, Value: 2}))
	require.NoError(t, sink.Process(engine.Record[string, int64]{Key: "k", ValueNull: true}))
	require.Len(t, coll.kept, len(wants)+3)
	for i := range coll.kept {
		r := &coll.kept[i]
		_ = append(r.Key, '!') // may not reach into another record's bytes
		_ = append(r.Value, '!')
	}
	for i, w := range wants {
		r := coll.kept[i]
		assert.Equal(t, "out", r.Topic)
		assert.Equal(t, w.key, r.Key, "record %d", i)
		assert.Equal(t, w.value, r.Value, "record %d", i)
		assert.Equal(t, w.partition, r.Partition, "record %d", i)
		assert.Equal(t, int64(i), r.Timestamp)
		assert.Equal(t, hdrs, r.Headers)
		assert.Equal(t, len(r.Key), cap(r.Key))
		assert.Equal(t, len(r.Value), cap(r.Value))
	}
	empty, nullKey, tombstone := coll.kept[len(wants)], coll.kept[len(wants)+1], coll.kept[len(wants)+2]
	assert.NotNil(t, empty.Key, "an empty key is not null")
	assert.Empty(t, empty.Key)
	assert.Nil(t, nullKey.Key)
	assert.Equal(t, int32(-1), nullKey.Partition, "the collector chooses for a null key")
	assert.Nil(t, tombstone.Value)

	// A nil encoding is a null, with an Appender (Bytes) or without.
	coll = &keepingCollector{}
	bsink := &Sink[string, []byte]{Node: "bytes", Topic: "out", KeySerde: serde.String(), ValueSerde: serde.Bytes()}
	newSinkTask(t, bsink, coll)
	nsink := &Sink[string, []byte]{Node: "nil", Topic: "out", KeySerde: serde.String(), ValueSerde: nilBytes{}}
	newSinkTask(t, nsink, coll)
	for _, s := range []*Sink[string, []byte]{bsink, nsink} {
		val := []byte("value")
		require.NoError(t, s.Process(engine.Record[string, []byte]{Key: "k", Value: nil}))
		require.NoError(t, s.Process(engine.Record[string, []byte]{Key: "k", Value: []byte{}}))
		require.NoError(t, s.Process(engine.Record[string, []byte]{Key: "k", Value: val}))
		copy(val, "VALUE")
	}
	require.Len(t, coll.kept, 6)
	assert.Nil(t, coll.kept[0].Value, "Bytes: nil is null")
	assert.NotNil(t, coll.kept[1].Value, "Bytes: empty is empty")
	assert.Equal(t, []byte("value"), coll.kept[2].Value, "Bytes: the record has a copy")
	assert.Nil(t, coll.kept[3].Value)
	assert.Nil(t, coll.kept[4].Value, "this serde encodes empty as nil")
	assert.Equal(t, []byte("VALUE"), coll.kept[5].Value, "without Appender the serde's own bytes are sent")
}

// A sink whose serdes implement serde.Appender sends short records without
// allocating for each: the record is reused and the bytes come from the
// arena's chunks.
func TestSinkAllocations(t *testing.T) {
	sink := &Sink[string, int64]{Node: "sink", Topic: "out", KeySerde: serde.String(), ValueSerde: serde.Int64()}
	newSinkTask(t, sink, &keepingCollector{discard: true})
	keys := make([]string, 1000)
	for i := range keys {
		keys[i] = fmt.Sprintf("word-%d", i)
	}
	i := 0
	allocs := testing.AllocsPerRun(2000, func() {
		if err := sink.Process(engine.Record[string, int64]{Key: keys[i%len(keys)], Value: int64(i)}); err != nil {
			t.Fatal(err)
		}
		i++
	})
	// About 16 bytes a record: one 4 KiB chunk for 250 records.
	assert.LessOrEqual(t, allocs, 0.05)
}

// copyingCollector keeps a copy of each record's key and value, as the
// test driver does: an engine.KeyValueCopier.
type copyingCollector struct{ keepingCollector }

func (c *copyingCollector) Send(r *engine.RawRecord) error {
	if c.discard {
		return nil
	}
	cp := *r
	cp.Key, cp.Value = bytes.Clone(r.Key), bytes.Clone(r.Value)
	return c.keepingCollector.Send(&cp)
}

func (*copyingCollector) CopiesKeyValues() {}

// A sink sends a collector that copies what it keeps its serialization
// buffers themselves, with no allocation at all; the copies are right,
// nulls and empty slices included.
func TestSinkToCopyingCollector(t *testing.T) {
	coll := &copyingCollector{}
	sink := &Sink[string, int64]{Node: "sink", Topic: "out", KeySerde: serde.String(), ValueSerde: serde.Int64()}
	newSinkTask(t, sink, coll)
	for i := range 100 {
		require.NoError(t, sink.Process(engine.Record[string, int64]{Key: fmt.Sprintf("key-%d", i), Value: int64(i)}))
	}
	require.NoError(t, sink.Process(engine.Record[string, int64]{Key: "", Value: 1}))
	require.NoError(t, sink.Process(engine.Record[string, int64]{Key: "k", ValueNull: true}))
	require.Len(t, coll.kept, 102)
	for i := range 100 {
		v, _ := serde.Int64().Serialize("out", int64(i))
		assert.Equal(t, []byte(fmt.Sprintf("key-%d", i)), coll.kept[i].Key, "record %d", i)
		assert.Equal(t, v, coll.kept[i].Value, "record %d", i)
	}
	assert.NotNil(t, coll.kept[100].Key, "an empty key is not null")
	assert.Empty(t, coll.kept[100].Key)
	assert.Nil(t, coll.kept[101].Value)

	coll.discard = true
	allocs := testing.AllocsPerRun(1000, func() {
		if err := sink.Process(engine.Record[string, int64]{Key: "word", Value: 7}); err != nil {
			t.Fatal(err)
		}
	})
	assert.Zero(t, allocs)
}
