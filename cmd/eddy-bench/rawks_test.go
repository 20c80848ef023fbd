package main

import (
	"context"
	"encoding/binary"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ksCluster starts an embedded broker without compaction (kfake's cleaner
// would thin the changelog this test counts), creates the scenario's user
// topics with 4 partitions, pre-loads data as the harness does and returns
// the harness's broker wrapper and the seed addresses.
func ksCluster(t *testing.T, scen, prefix string, data dataset) (*broker, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1),
		kfake.BrokerConfigs(map[string]string{"log.cleaner.backoff.ms": "31536000000"}))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	br, err := newBroker(c.ListenAddrs())
	require.NoError(t, err)
	t.Cleanup(br.close)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	require.NoError(t, createAndLoad(ctx, config{partitions: 4}, br, scen, prefix, data))
	return br, strings.Join(c.ListenAddrs(), ",")
}

// startRawKS runs the raw-ks loop in the background until the test ends
// and waits for its first assignment.
func startRawKS(t *testing.T, f workerFlags) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	running := make(chan struct{})
	done := make(chan error, 1)
	go func() { done <- rawKS(ctx, f, func() { close(running) }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			require.NoError(t, err)
		case <-time.After(30 * time.Second):
			t.Error("raw-ks did not stop")
		}
	})
	select {
	case <-running:
	case err := <-done:
		t.Fatalf("raw-ks stopped before its assignment: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("raw-ks got no assignment")
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

func int64Of(t *testing.T, b []byte) int64 {
	t.Helper()
	require.Len(t, b, 8)
	return int64(binary.BigEndian.Uint64(b))
}

// The word count loop counts every word exactly (final counts equal the
// input's), and on its way writes every word to the repartition topic
// (keyed and partitioned by the word) and every count update to the
// changelog (the task's partition) and the output, in both guarantees.
func TestRawKSWordCount(t *testing.T) {
	for _, g := range []string{"alos", "eos"} {
		t.Run(g, func(t *testing.T) {
			lines := corpus(400, 60, 42)
			data := dataset{inputTopic: textLines(lines, 4)}
			want := map[string]int64{}
			words := 0
			for _, l := range lines {
				for _, w := range wordsOf(l) {
					want[w]++
					words++
				}
			}
			appID := "rawks-wc-" + g
			prefix := appID + "."
			br, seeds := ksCluster(t, scenWordCount, prefix, data)
			f := workerFlags{brokers: seeds, scenario: scenWordCount, guarantee: g, appID: appID, prefix: prefix, commit: 100 * time.Millisecond}
			topics := rawKSTopics(f)
			startRawKS(t, f)
			waitDrainedTest(t, br, appID, topics.inputs, g == "eos", topics.repartition)

			out := readTopic(t, seeds, topics.output, words)
			require.Len(t, out, words, "one output record per word")
			got := map[string]int64{}
			for _, r := range out {
				got[string(r.Key)] = int64Of(t, r.Value)
				require.Equal(t, keyPartition(r.Key, 4), r.Partition, "output of %s", r.Key)
			}
			require.Equal(t, want, got, "final counts")

			rep := readTopic(t, seeds, topics.repartition, words)
			require.Len(t, rep, words, "one repartition record per word")
			for _, r := range rep {
				require.Equal(t, string(r.Key), string(r.Value))
				require.Equal(t, keyPartition(r.Key, 4), r.Partition, "repartition of %s", r.Key)
			}

			cl := readTopic(t, seeds, topics.changelog, words)
			require.Len(t, cl, words, "one changelog record per count update")
			last := map[string]int64{}
			for _, r := range cl {
				last[string(r.Key)] = int64Of(t, r.Value)
				require.Equal(t, keyPartition(r.Key, 4), r.Partition, "changelog of %s", r.Key)
			}
			require.Equal(t, want, last, "the changelog's latest value per word")
		})
	}
}

// The window and join loops, at least once: window counts per (word,
// window) with a windowed changelog; the join writes one output record per
// stream record and one changelog record per table row.
func TestRawKSWindowAndJoin(t *testing.T) {
	t.Run("window", func(t *testing.T) {
		lines := corpus(300, 40, 42)
		data := dataset{inputTopic: textLines(lines, 4)}
		want := map[string]int64{}
		words := 0
		for i, l := range lines {
			ts := baseTime + int64(i)
			start := ts - ts%windows.Size()
			for _, w := range wordsOf(l) {
				want[string(windowedKey(w, start))]++
				words++
			}
		}
		appID := "rawks-win"
		br, seeds := ksCluster(t, scenWindow, appID+".", data)
		f := workerFlags{brokers: seeds, scenario: scenWindow, guarantee: "alos", appID: appID, prefix: appID + ".", commit: 100 * time.Millisecond}
		topics := rawKSTopics(f)
		startRawKS(t, f)
		waitDrainedTest(t, br, appID, topics.inputs, false, topics.repartition)
		got := map[string]int64{}
		for _, r := range readTopic(t, seeds, topics.output, words) {
			got[string(r.Key)] = int64Of(t, r.Value)
		}
		require.Equal(t, want, got)
		cl := readTopic(t, seeds, topics.changelog, words)
		require.Len(t, cl, words)
		for _, r := range cl {
			// key ‖ start ‖ sequence 0: the output key plus 4 zero bytes
			k := string(r.Key[:len(r.Key)-4])
			require.Contains(t, want, k)
			require.Equal(t, []byte{0, 0, 0, 0}, r.Key[len(r.Key)-4:])
		}
	})
	t.Run("join", func(t *testing.T) {
		data := joinData(corpus(300, 40, 42), 20, 4)
		appID := "rawks-join"
		br, seeds := ksCluster(t, scenJoin, appID+".", data)
		f := workerFlags{brokers: seeds, scenario: scenJoin, guarantee: "alos", appID: appID, prefix: appID + ".", commit: 100 * time.Millisecond}
		topics := rawKSTopics(f)
		require.Empty(t, topics.repartition)
		startRawKS(t, f)
		waitDrainedTest(t, br, appID, topics.inputs, false)
		out := readTopic(t, seeds, topics.output, len(data[joinStream]))
		require.Len(t, out, len(data[joinStream]))
		cl := readTopic(t, seeds, topics.changelog, len(data[joinTable]))
		require.Len(t, cl, len(data[joinTable]))
		rows := map[string]string{}
		for _, r := range data[joinTable] {
			rows[string(r.key)] = string(r.value)
		}
		for _, r := range cl {
			require.Equal(t, rows[string(r.Key)], string(r.Value))
			require.Equal(t, keyPartition(r.Key, 4), r.Partition)
		}
	})
}

func wordsOf(line []byte) []string { return words(string(line)) }
