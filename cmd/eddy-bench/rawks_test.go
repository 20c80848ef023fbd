// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ksCluster starts an embedded broker without compaction (kfake's cleaner
// would thin the changelogs these tests count) and returns the harness's
// broker wrapper and the seed addresses.
func ksCluster(t *testing.T) (*broker, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1),
		kfake.BrokerConfigs(map[string]string{"log.cleaner.backoff.ms": "31536000000"}))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	br, err := newBroker(c.ListenAddrs())
	require.NoError(t, err)
	t.Cleanup(br.close)
	return br, strings.Join(c.ListenAddrs(), ",")
}

// ksLoad creates a run's user topics with 4 partitions and pre-loads data
// as the harness does.
func ksLoad(t *testing.T, br *broker, scen, prefix string, data dataset) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, createAndLoad(ctx, config{partitions: 4}, br, scen, prefix, data))
}

// startRawKS runs the raw-ks loop in the background until the test ends
// and waits for its first assignment.
func startRawKS(t *testing.T, f workerFlags) {
	t.Helper()
	startWorker(t, "raw-ks", func(ctx context.Context, ready func()) error { return rawKS(ctx, f, ready) })
}

// startEddy runs the harness's Eddy worker in the background until the
// test ends and waits for it to be RUNNING.
func startEddy(t *testing.T, f workerFlags) {
	t.Helper()
	startWorker(t, "Eddy", func(ctx context.Context, ready func()) error {
		return eddyWorker(ctx, f, func(s string) {
			if s == "RUNNING" {
				ready()
			}
		})
	})
}

// startWorker runs a contender in the background until the test ends and
// waits until it calls ready (at most once is taken into account).
func startWorker(t *testing.T, name string, run func(ctx context.Context, ready func()) error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	running := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() { done <- run(ctx, func() { once.Do(func() { close(running) }) }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Errorf("%s did not stop", name)
		}
	})
	select {
	case <-running:
	case err := <-done:
		t.Fatalf("%s stopped before it was ready: %v", name, err)
	case <-time.After(30 * time.Second):
		t.Fatalf("%s was not ready within 30 s", name)
	}
}

// waitDrainedTest waits, as the harness does, until the group committed
// every input and repartition offset.
func waitDrainedTest(t *testing.T, br *broker, appID string, inputs []string, eos bool, required ...string) {
	t.Helper()
	slack := int64(0)
	if eos {
		slack = 1
	}
	deadline := time.Now().Add(60 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		ok, why, err := br.drained(context.Background(), appID, inputs, appID, slack, required...)
		if err == nil && ok {
			return
		}
		last = why
		if err != nil {
			last = err.Error()
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("not drained: %s", last)
}

// readTopic reads a topic read_committed from the start until it has want
// records, then a moment longer to catch any extra.
func readTopic(t *testing.T, seeds, topic string, want int) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(seeds, ",")...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	require.NoError(t, err)
	defer cl.Close()
	var out []*kgo.Record
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for len(out) < want && ctx.Err() == nil {
		out = append(out, cl.PollFetches(ctx).Records()...)
	}
	ectx, ecancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer ecancel()
	out = append(out, cl.PollFetches(ectx).Records()...)
	return out
}

// outRec is a record as these tests compare them: partition, key, value
// and, where the scenario fixes it, the timestamp (-1 where it depends on
// the processing order: a count's timestamp is the latest of its words').
type outRec struct {
	part       int32
	key, value string
	ts         int64
}

// multiset counts records.
type multiset map[outRec]int

func (m multiset) add(part int32, key, value []byte, ts int64) {
	m[outRec{part, string(key), string(value), ts}]++
}

func (m multiset) size() int {
	n := 0
	for _, c := range m {
		n += c
	}
	return n
}

// ksExpected is what a system doing Kafka Streams' work writes for a
// scenario's input, without a record cache, computed straight from the
// input: the output, repartition and changelog topics' records.
type ksExpected struct{ output, repartition, changelog multiset }

func be64(n int64) []byte { return binary.BigEndian.AppendUint64(nil, uint64(n)) }

func expectedKS(scen string, data dataset) ksExpected {
	e := ksExpected{multiset{}, multiset{}, multiset{}}
	switch scen {
	case scenWordCount, scenWindow:
		// Whatever order the words are counted in, a key with n words
		// gets the updates 1..n, each once.
		counts := map[string]int64{}
		for _, r := range data[inputTopic] {
			for _, w := range words(string(r.value)) {
				key, storeKey := []byte(w), []byte(w)
				if scen == scenWindow {
					key = windowedKey(w, r.ts-r.ts%windows.Size().Milliseconds())
					storeKey = append(append([]byte(nil), key...), 0, 0, 0, 0) // sequence number 0
				}
				counts[string(key)]++
				p := keyPartition([]byte(w), 4)
				e.repartition.add(p, []byte(w), []byte(w), r.ts)
				e.changelog.add(p, storeKey, be64(counts[string(key)]), -1)
				e.output.add(p, key, be64(counts[string(key)]), -1)
			}
		}
	case scenJoin:
		rows := map[string]string{}
		for _, r := range data[joinTable] {
			rows[string(r.key)] = string(r.value)
			e.changelog.add(r.partition, r.key, r.value, r.ts)
		}
		for _, r := range data[joinStream] {
			row, ok := rows[string(r.key)]
			e.output.add(r.partition, r.key, []byte(joined(string(r.value), row, ok)), r.ts)
		}
	}
	return e
}

// readSet reads want records of a topic (read_committed) into a multiset;
// withTS keeps the records' timestamps.
func readSet(t *testing.T, seeds, topic string, want int, withTS bool) multiset {
	t.Helper()
	m := multiset{}
	for _, r := range readTopic(t, seeds, topic, want) {
		ts := int64(-1)
		if withTS {
			ts = r.Timestamp.UnixMilli()
		}
		m.add(r.Partition, r.Key, r.Value, ts)
	}
	return m
}

// raw-ks does the work Eddy does, record for record: for each stateful
// scenario and guarantee both run on the same input (own topics, one
// embedded broker), and the output, repartition and changelog topics of
// each hold exactly the records computed from the input (partition, key,
// value, and the timestamp where the order of processing does not decide
// it). The join's rows are all written before its stream records, with
// earlier timestamps, so a system that merges its inputs by timestamp and
// waits for a partition that is not caught up joins every record with its
// row.
func TestRawKSSameWorkAsEddy(t *testing.T) {
	for _, scen := range []string{scenWordCount, scenWindow, scenJoin} {
		for _, g := range []string{"alos", "eos"} {
			t.Run(scen+"-"+g, func(t *testing.T) {
				var data dataset
				if scen == scenJoin {
					data = joinData(corpus(400, 60, 42), 25, 4)
				} else {
					data = dataset{inputTopic: textLines(corpus(400, 60, 42), 4)}
				}
				want := expectedKS(scen, data)
				br, seeds := ksCluster(t)
				for _, sys := range []string{sysRawKS, sysEddy} {
					appID := sys + "-" + scen + "-" + g
					f := workerFlags{brokers: seeds, scenario: scen, guarantee: g, appID: appID, prefix: appID + ".",
						stateDir: t.TempDir(), commit: 100 * time.Millisecond}
					ksLoad(t, br, scen, f.prefix, data)
					if sys == sysEddy {
						startEddy(t, f)
					} else {
						startRawKS(t, f)
					}
					// Eddy and Kafka Streams name internal topics alike, and so
					// does raw-ks.
					topics := rawKSTopics(f)
					var required []string
					if topics.repartition != "" {
						required = append(required, topics.repartition)
					}
					waitDrainedTest(t, br, appID, topics.inputs, g == "eos", required...)
					withTS := scen == scenJoin
					require.Equal(t, want.output, readSet(t, seeds, topics.output, want.output.size(), withTS), "%s: output", sys)
					require.Equal(t, want.changelog, readSet(t, seeds, topics.changelog, want.changelog.size(), withTS), "%s: changelog", sys)
					if topics.repartition != "" {
						require.Equal(t, want.repartition, readSet(t, seeds, topics.repartition, want.repartition.size(), true), "%s: repartition", sys)
					}
				}
			})
		}
	}
}

// The join merges a task's table and stream records by timestamp and, as
// Kafka Streams' partition group does with max.task.idle.ms 0, waits while
// the side it has no records of is not caught up with the end offset it is
// known to have; the commit waits while records are held.
func TestRawKSJoinWaitsForTheOtherSide(t *testing.T) {
	var got []string
	l := &ksLoop{
		f:      workerFlags{scenario: scenJoin},
		topics: ksTopics{inputs: []string{"tbl", "str"}, output: "out", changelog: "cl"},
		parts:  2, outPart: 1,
		tasks: []ksTask{{rows: map[string]ksRow{}}, {rows: map[string]ksRow{}}},
		// ends as listed at start
		inputs: map[string][]ksInput{"tbl": {{end: 2}, {end: 1}}, "str": {{end: 3}, {end: 0}}},
		sink: func(r *kgo.Record) {
			got = append(got, fmt.Sprintf("%s[%d] %s=%s @%d", r.Topic, r.Partition, r.Key, r.Value, r.Timestamp.UnixMilli()))
		},
	}
	rec := func(topic string, p int32, off, ts int64, v string) *kgo.Record {
		return &kgo.Record{Topic: topic, Partition: p, Offset: off, Key: []byte("k"), Value: []byte(v), Timestamp: time.UnixMilli(ts)}
	}
	poll := func(topic string, p int32, hwm int64, rs ...*kgo.Record) {
		got = nil
		l.processJoin(kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: topic, Partitions: []kgo.FetchPartition{
			{Partition: p, HighWatermark: hwm, LastStableOffset: hwm, Records: rs}}}}}})
	}

	// Partition 0: the stream's records come first; the table has 2 rows
	// on the broker, so nothing is joined yet.
	poll("str", 0, 3, rec("str", 0, 0, 5, "s0"), rec("str", 0, 1, 15, "s1"), rec("str", 0, 2, 25, "s2"))
	require.Empty(t, got)
	require.True(t, l.holding())
	// The first row (t=10): s0 (t=5) goes first, without a row, then the
	// row; s1 (t=15) waits for the second row, which may be older.
	poll("tbl", 0, 2, rec("tbl", 0, 0, 10, "r0"))
	require.Equal(t, []string{"out[0] k=s0| @5", "cl[0] k=r0 @10"}, got)
	require.True(t, l.holding())
	// The second row (t=20) and the table is caught up: s1, the row, s2.
	poll("tbl", 0, 2, rec("tbl", 0, 1, 20, "r1"))
	require.Equal(t, []string{"out[0] k=s1|r0 @15", "cl[0] k=r1 @20", "out[0] k=s2|r1 @25"}, got)
	require.False(t, l.holding())

	// Partition 1: the stream was empty at start (end 0), so its table row
	// is processed at once; a fetch showing new stream data (high
	// watermark 2) makes the next row wait for it.
	poll("tbl", 1, 1, rec("tbl", 1, 0, 10, "r0"))
	require.Equal(t, []string{"cl[1] k=r0 @10"}, got)
	l.inputs["tbl"][1].end = 2
	poll("str", 1, 2, rec("str", 1, 0, 30, "s0"))
	require.Empty(t, got, "the stream is caught up, the table is not")
	// The row (t=40) comes after s0 (t=30) and waits: the stream's high
	// watermark says a record is missing.
	poll("tbl", 1, 2, rec("tbl", 1, 1, 40, "r1"))
	require.Equal(t, []string{"out[0] k=s0|r0 @30"}, got)
	require.True(t, l.holding())
	poll("str", 1, 2, rec("str", 1, 1, 50, "s1"))
	require.Equal(t, []string{"cl[1] k=r1 @40", "out[0] k=s1|r1 @50"}, got)
	require.False(t, l.holding())
}
