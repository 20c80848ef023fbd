// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/window"
)

// tsRec is an input record with an explicit timestamp.
type tsRec struct {
	topic, key, value string
	ts                int64
}

// outRec is an output record as the tests compare it.
type outRec struct {
	Partition int32
	Key       string
	Value     string
	TS        int64
}

func (c *cluster) produceAt(t *testing.T, recs ...tsRec) {
	t.Helper()
	rs := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		rs[i] = &kgo.Record{Topic: r.topic, Key: []byte(r.key), Value: []byte(r.value), Timestamp: time.UnixMilli(r.ts)}
		if r.value == "<tombstone>" {
			rs[i].Value = nil
		}
	}
	require.NoError(t, c.cl.ProduceSync(context.Background(), rs...).FirstErr())
}

// runToEnd runs topo exactly-once over input already written, until every
// input record is processed and committed, and returns the committed
// output of topic in log order per partition.
func runToEnd(t *testing.T, c *cluster, topo *stream.Topology, app string, inputs int, topic string) []outRec {
	t.Helper()
	ends, err := c.adm.ListEndOffsets(context.Background(), topic)
	require.NoError(t, err)
	from := map[string]map[int32]kgo.Offset{topic: {}}
	ends.Each(func(o kadm.ListedOffset) { from[topic][o.Partition] = kgo.NewOffset().At(o.Offset) })
	a, stop := startApp(t, topo, runtime.Config{AppID: app, Brokers: c.addrs, StateDir: t.TempDir(),
		Guarantee: runtime.ExactlyOnce, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)})
	processed := func() int64 {
		var n int64
		for _, v := range a.Metrics().Processed {
			n += v
		}
		return n
	}
	require.Eventually(t, func() bool { return processed() >= int64(inputs) }, 30*time.Second, 10*time.Millisecond,
		"processed %d of %d inputs", processed(), inputs)
	commits := a.Metrics().Commits
	require.Eventually(t, func() bool { return a.Metrics().Commits >= commits+2 }, 10*time.Second, 5*time.Millisecond)
	stop()
	// This run's output only: earlier runs wrote to the same topic.
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.ConsumePartitions(from),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	require.NoError(t, err)
	defer cl.Close()
	var out []outRec
	for idle := 0; idle < 3; {
		ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		if fs.NumRecords() == 0 {
			idle++
		}
		fs.EachRecord(func(r *kgo.Record) {
			v := string(r.Value)
			if r.Value == nil {
				v = "<tombstone>"
			}
			out = append(out, outRec{Partition: r.Partition, Key: string(r.Key), Value: v, TS: r.Timestamp.UnixMilli()})
		})
	}
	slices.SortStableFunc(out, func(a, b outRec) int { return int(a.Partition - b.Partition) })
	return out
}

func str(v string, found bool) string {
	if !found {
		return "null"
	}
	return v
}

func streamTableJoin(t *testing.T, left bool) *stream.Topology {
	b := stream.NewBuilder()
	customers := b.Table("customers", serde.String(), serde.String())
	orders := b.Stream("orders", serde.String(), serde.String())
	if left {
		orders.LeftJoinTable(customers, func(o, c string, found bool) string { return o + "|" + str(c, found) }).
			To("enriched", nil, nil)
	} else {
		orders.JoinTable(customers, func(o, c string) string { return o + "|" + c }).To("enriched", nil, nil)
	}
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

func streamStreamJoin(t *testing.T, kind string) *stream.Topology {
	b := stream.NewBuilder()
	l := b.Stream("left", serde.String(), serde.String())
	r := b.Stream("right", serde.String(), serde.String())
	w := window.JoinWindow(5 * time.Second)
	var out stream.Stream[string, string]
	switch kind {
	case "inner":
		out = l.Join(r, func(a, b string) string { return a + "|" + b }, w)
	case "left":
		out = l.LeftJoin(r, func(a, b string, found bool) string { return a + "|" + str(b, found) }, w)
	default:
		out = l.OuterJoin(r, func(a string, hasA bool, b string, hasB bool) string { return str(a, hasA) + "|" + str(b, hasB) }, w)
	}
	out.To("joined", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

// Every input is written before the application starts, one topic after
// the other, so that one topic's fetched batch arrives before the other's:
// a task still processes its input partitions' records lowest timestamp
// first, as Kafka Streams does, and three runs give the same output.
func TestTimestampOrderAcrossInputs(t *testing.T) {
	cases := []struct {
		name   string
		topics map[string]int32
		topo   func(*testing.T) *stream.Topology
		input  []tsRec
		out    string
		want   []outRec
	}{
		{
			name: "stream-table left", topics: map[string]int32{"orders": 1, "customers": 1, "enriched": 1},
			topo:  func(t *testing.T) *stream.Topology { return streamTableJoin(t, true) },
			input: []tsRec{{"orders", "c1", "10", 1000}, {"orders", "c1", "20", 3000}, {"customers", "c1", "eu", 2000}},
			out:   "enriched",
			want:  []outRec{{0, "c1", "10|null", 1000}, {0, "c1", "20|eu", 3000}},
		},
		{
			name: "stream-table inner", topics: map[string]int32{"orders": 1, "customers": 1, "enriched": 1},
			topo:  func(t *testing.T) *stream.Topology { return streamTableJoin(t, false) },
			input: []tsRec{{"orders", "c1", "10", 1000}, {"orders", "c1", "20", 3000}, {"customers", "c1", "eu", 2000}},
			out:   "enriched",
			want:  []outRec{{0, "c1", "20|eu", 3000}},
		},
	}
	for _, kind := range []string{"inner", "left", "outer"} {
		cases = append(cases, struct {
			name   string
			topics map[string]int32
			topo   func(*testing.T) *stream.Topology
			input  []tsRec
			out    string
			want   []outRec
		}{
			name: "stream-stream " + kind, topics: map[string]int32{"left": 1, "right": 1, "joined": 1},
			topo: func(t *testing.T) *stream.Topology { return streamStreamJoin(t, kind) },
			input: []tsRec{{"left", "k1", "L1", 0}, {"left", "kz", "LZ", 30001},
				{"right", "k1", "R1", 1000}, {"right", "kz", "RZ", 30000}},
			out:  "joined",
			want: []outRec{{0, "k1", "L1|R1", 1000}, {0, "kz", "LZ|RZ", 30001}},
		})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, tc.topics)
			c.produceAt(t, tc.input...)
			for run := range 3 {
				got := runToEnd(t, c, tc.topo(t), fmt.Sprintf("app%d", run), len(tc.input), tc.out)
				require.Equal(t, tc.want, got, "run %d", run)
			}
		})
	}
}

// A stream–table left join over three partitions with interleaved
// timestamps, all written before the start: each order is enriched with
// the customer row valid at its timestamp, exactly as a per-partition
// timestamp-ordered model predicts, in three runs.
func TestStreamTableJoinInterleavedPartitions(t *testing.T) {
	c := newCluster(t, map[string]int32{"orders": 3, "customers": 3, "enriched": 3})
	rng := rand.New(rand.NewPCG(7, 11))
	var input []tsRec
	ts := int64(1_000_000)
	for i := range 600 {
		ts += 1 + rng.Int64N(20)
		key := fmt.Sprintf("c%d", rng.IntN(12))
		if rng.IntN(3) == 0 {
			v := fmt.Sprintf("r%d", i)
			if rng.IntN(8) == 0 {
				v = "<tombstone>"
			}
			input = append(input, tsRec{"customers", key, v, ts})
		} else {
			input = append(input, tsRec{"orders", key, fmt.Sprintf("o%d", i), ts})
		}
	}
	// Model: per key (a key stays in one partition), records in timestamp
	// order; an order joins the latest row before it.
	rows := map[string]string{}
	want := map[string][]string{}
	for _, r := range input {
		switch {
		case r.topic == "customers" && r.value == "<tombstone>":
			delete(rows, r.key)
		case r.topic == "customers":
			rows[r.key] = r.value
		default:
			row, ok := rows[r.key]
			want[r.key] = append(want[r.key], fmt.Sprintf("%s|%s@%d", r.value, str(row, ok), r.ts))
		}
	}
	// Written topic by topic: all orders first, then all customers.
	slices.SortStableFunc(input, func(a, b tsRec) int {
		if a.topic == b.topic {
			return 0
		}
		if a.topic == "orders" {
			return -1
		}
		return 1
	})
	c.produceAt(t, input...)
	var first map[string][]string
	for run := range 3 {
		out := runToEnd(t, c, streamTableJoin(t, true), fmt.Sprintf("app%d", run), len(input), "enriched")
		got := map[string][]string{}
		for _, r := range out {
			got[r.Key] = append(got[r.Key], fmt.Sprintf("%s@%d", r.Value, r.TS))
		}
		assert.Equal(t, want, got, "run %d", run)
		if first == nil {
			first = got
		}
		assert.Equal(t, first, got, "run %d differs from run 0", run)
	}
}

// A source's timestamp extractor decides the order too: the orders carry
// their event time in the value, and their record timestamps say the
// opposite.
func TestTimestampOrderUsesExtractedTime(t *testing.T) {
	c := newCluster(t, map[string]int32{"orders": 1, "customers": 1, "enriched": 1})
	b := stream.NewBuilder()
	customers := b.Table("customers", serde.String(), serde.String())
	b.Stream("orders", serde.String(), serde.String()).
		WithTimestamps(func(_, v string, _ time.Time) time.Time {
			var amount string
			var ts int64
			_, err := fmt.Sscanf(strings.Replace(v, "@", " ", 1), "%s %d", &amount, &ts)
			require.NoError(t, err)
			return time.UnixMilli(ts)
		}).
		LeftJoinTable(customers, func(o, c string, found bool) string { return o + "|" + str(c, found) }).
		To("enriched", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	input := []tsRec{{"orders", "c1", "10@1000", 5000}, {"orders", "c1", "20@3000", 0}, {"customers", "c1", "eu", 2000}}
	c.produceAt(t, input...)
	got := runToEnd(t, c, topo, "app", len(input), "enriched")
	assert.Equal(t, []outRec{{0, "c1", "10@1000|null", 1000}, {0, "c1", "20@3000|eu", 3000}}, got)
}
