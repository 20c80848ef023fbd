// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"fmt"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/memory"
	"github.com/eddy-streams/eddy/state/pebble"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// cogroupTopology cogroups "letters" (strings) and "numbers" (int64) into
// a key-value table "totals" and a 10 ms tumbling-window table "per-10ms".
func cogroupTopology(t *testing.T, opts ...table.Option) *stream.Topology {
	t.Helper()
	b := stream.NewBuilder()
	letters := b.Stream("letters", serde.String(), serde.String()).GroupByKey()
	numbers := b.Stream("numbers", serde.String(), serde.Int64()).GroupByKey()
	addLetter := func(_ string, v, agg string) string { return agg + v }
	addNumber := func(_ string, n int64, agg string) string { return agg + strconv.FormatInt(n, 10) }
	c := letters.Cogroup(addLetter).Cogroup(numbers, addNumber)
	c.Aggregate(func() string { return "" }, nil, append([]table.Option{table.As("totals")}, opts...)...).
		ToStream().To("totals-out", nil, nil)
	c.WindowedBy(window.Tumbling(10*time.Millisecond).Grace(time.Second)).
		Aggregate(func() string { return "" }, nil, append([]table.Option{table.As("per-10ms")}, opts...)...).
		ToStream().To("windows-out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

// A cogroup's one store restores from its changelog, whichever input wrote
// each record, and the restored aggregates take later records of both
// inputs like the original ones.
func TestCogroupStoresRestoreFromChangelog(t *testing.T) {
	pipe := func(d *Driver, i int) {
		key := fmt.Sprintf("k%d", i%5)
		if i%2 == 0 {
			require.NoError(t, d.Input("letters", serde.String(), serde.String()).PipeAt(key, string(rune('a'+i%26)), time.UnixMilli(int64(i*3))))
		} else {
			require.NoError(t, d.Input("numbers", serde.String(), serde.Int64()).PipeAt(key, int64(i), time.UnixMilli(int64(i*3))))
		}
	}
	outputs := func(d *Driver) []string {
		var out []string
		rs, err := d.Output("totals-out", serde.String(), serde.String()).ReadRecords()
		require.NoError(t, err)
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s=%s@%d", r.Key, r.Value, r.Timestamp.UnixMilli()))
		}
		ws, err := d.Output("windows-out", serde.TimeWindowed(serde.String(), 10*time.Millisecond), serde.String()).ReadRecords()
		require.NoError(t, err)
		for _, r := range ws {
			out = append(out, fmt.Sprintf("%s=%s@%d", r.Key, r.Value, r.Timestamp.UnixMilli()))
		}
		return out
	}
	dir := t.TempDir()
	for name, backend := range map[string]func(task string) (state.Backend, error){
		"memory": func(string) (state.Backend, error) { return memory.New(), nil },
		"pebble": func(task string) (state.Backend, error) {
			return pebble.Open(filepath.Join(dir, task), pebble.Options{})
		},
	} {
		t.Run(name, func(t *testing.T) {
			src, err := New(cogroupTopology(t), AppID("app"), DefaultPartitions(2))
			require.NoError(t, err)
			defer src.Close()
			for i := range 40 {
				pipe(src, i)
			}
			outputs(src)
			kvLog, winLog := src.ReadRaw("app-totals-changelog"), src.ReadRaw("app-per-10ms-changelog")
			require.Len(t, kvLog, 40, "one update per record")
			require.NotEmpty(t, winLog)

			d, err := New(cogroupTopology(t), AppID("app"), DefaultPartitions(2), Backend(backend))
			require.NoError(t, err)
			defer d.Close()
			restore(t, d, "app-totals-changelog", kvLog)
			restore(t, d, "app-per-10ms-changelog", winLog)

			want, err := src.KeyValueStore("totals", serde.String(), serde.String())
			require.NoError(t, err)
			got, err := d.KeyValueStore("totals", serde.String(), serde.String())
			require.NoError(t, err)
			wantAll, err := want.All()
			require.NoError(t, err)
			gotAll, err := got.All()
			require.NoError(t, err)
			assert.Equal(t, wantAll, gotAll)
			assert.Len(t, gotAll, 5)
			wantW, err := src.WindowStore("per-10ms", serde.String(), serde.String())
			require.NoError(t, err)
			gotW, err := d.WindowStore("per-10ms", serde.String(), serde.String())
			require.NoError(t, err)
			wantWAll, err := wantW.All()
			require.NoError(t, err)
			gotWAll, err := gotW.All()
			require.NoError(t, err)
			assert.Equal(t, wantWAll, gotWAll)
			assert.Empty(t, d.ReadRaw("app-totals-changelog"), "restoring does not log again")

			for _, dd := range []*Driver{src, d} {
				for i := 40; i < 50; i++ {
					pipe(dd, i)
				}
			}
			assert.Equal(t, outputs(src), outputs(d))
		})
	}
}

// sentRecords is a collector keeping what a task sends, as "key=value@ts"
// per topic.
type sentRecords struct{ sent map[string][]string }

func (c *sentRecords) Send(r *engine.RawRecord) error {
	if c.sent == nil {
		c.sent = map[string][]string{}
	}
	c.sent[r.Topic] = append(c.sent[r.Topic], fmt.Sprintf("%s=%s@%d", r.Key, r.Value, r.Timestamp))
	return nil
}

func (c *sentRecords) PartitionCount(string) (int32, error) { return 1, nil }

// take returns the records sent to topic and forgets them.
func (c *sentRecords) take(topic string) []string {
	out := c.sent[topic]
	delete(c.sent, topic)
	return out
}

// With the record cache (the runtime's default), the cogroup's store
// merges the updates of every input per key until the cache is flushed,
// then writes each key once to the changelog and forwards it once, with
// the old value the store held, as Kafka Streams does with caching on.
func TestCogroupWithRecordCache(t *testing.T) {
	topo := cogroupTopology(t)
	it, ok := topology.Of(topo)
	require.True(t, ok)
	require.Len(t, it.Subtopologies(), 1)
	coll := &sentRecords{}
	task, err := engine.NewTask(engine.Config{
		AppID: "app", ID: engine.TaskID{}, Spec: it.Spec(0, "app"),
		Backend: memory.New(), Collector: coll, Cache: engine.NewCache(1 << 20),
	})
	require.NoError(t, err)
	defer task.Close()
	offsets := map[string]int64{}
	process := func(topic, key string, value []byte, ts int64) {
		require.NoError(t, task.Process(&engine.RawRecord{Topic: topic, Offset: offsets[topic], Key: []byte(key), Value: value, Timestamp: ts}))
		offsets[topic]++
	}
	number := func(n int64) []byte { b, _ := serde.Int64().Serialize("", n); return b }
	process("letters", "k1", []byte("x"), 1)
	process("numbers", "k1", number(7), 2)
	process("letters", "k2", []byte("z"), 3)
	process("numbers", "k1", number(8), 4)
	assert.Empty(t, coll.sent, "nothing leaves the cache before the flush")
	require.NoError(t, task.Flush())
	assert.Equal(t, []string{"k2=z@3", "k1=x78@4"}, coll.take("totals-out"), "each key once, in the order last written")
	assert.Equal(t, []string{"k2=z@3", "k1=x78@4"}, coll.take("app-totals-changelog"))
	assert.Len(t, coll.take("windows-out"), 2)
	coll.sent = nil

	process("letters", "k1", []byte("y"), 5)
	require.NoError(t, task.Flush())
	assert.Equal(t, []string{"k1=x78y@5"}, coll.take("totals-out"))
}
