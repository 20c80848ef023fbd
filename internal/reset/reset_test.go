// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package reset_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/devbroker"
	"github.com/eddy-streams/eddy/internal/dirlock"
	"github.com/eddy-streams/eddy/internal/reset"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

const app = "wc"

// broker is an embedded broker with an admin and a producer client.
type broker struct {
	addrs []string
	cl    *kgo.Client
	adm   *kadm.Client
}

func newBroker(t *testing.T, topics map[string]int32) *broker {
	t.Helper()
	b, err := devbroker.Start(t.Context(), devbroker.Options{DisableAutoCreateTopics: true, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	t.Cleanup(func() { b.Close() })
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addrs()...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.MetadataMinAge(100*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	k := &broker{addrs: b.Addrs(), cl: cl, adm: kadm.NewClient(cl)}
	for topic, n := range topics {
		k.createTopic(t, topic, n)
	}
	return k
}

func (k *broker) createTopic(t *testing.T, topic string, partitions int32) {
	t.Helper()
	_, err := k.adm.CreateTopic(t.Context(), partitions, 1, nil, topic)
	require.NoError(t, err)
}

// topics lists every topic.
func (k *broker) topics(t *testing.T) []string {
	t.Helper()
	ds, err := k.adm.ListTopics(t.Context())
	require.NoError(t, err)
	return slices.Sorted(maps.Keys(ds))
}

// committed returns the group's committed offsets, topic → partition →
// offset.
func (k *broker) committed(t *testing.T, group string) map[string]map[int32]int64 {
	t.Helper()
	out := map[string]map[int32]int64{}
	resp, err := k.adm.FetchOffsets(t.Context(), group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return out
	}
	require.NoError(t, err)
	resp.Each(func(o kadm.OffsetResponse) {
		require.NoError(t, o.Err)
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.At
	})
	return out
}

func (k *broker) endOffsets(t *testing.T, topic string) map[int32]int64 {
	t.Helper()
	l, err := k.adm.ListEndOffsets(t.Context(), topic)
	require.NoError(t, err)
	out := map[int32]int64{}
	l.Each(func(o kadm.ListedOffset) { out[o.Partition] = o.Offset })
	return out
}

func (k *broker) commit(t *testing.T, group, topic string, offsets map[int32]int64) {
	t.Helper()
	os := kadm.Offsets{}
	for p, at := range offsets {
		os.Add(kadm.Offset{Topic: topic, Partition: p, At: at, LeaderEpoch: -1})
	}
	require.NoError(t, k.adm.CommitAllOffsets(t.Context(), group, os))
}

// snapshot is what a reset may change: topics, the group's offsets and
// the files in the state directory.
type snapshot struct {
	topics    []string
	committed map[string]map[int32]int64
	files     []string
}

func (k *broker) snapshot(t *testing.T, stateDir string) snapshot {
	t.Helper()
	var files []string
	err := filepath.WalkDir(stateDir, func(path string, _ os.DirEntry, err error) error {
		if err == nil {
			files = append(files, path)
		}
		return err
	})
	require.NoError(t, err)
	return snapshot{topics: k.topics(t), committed: k.committed(t, app), files: files}
}

func wordCount(t *testing.T) *stream.Topology {
	b := stream.NewBuilder()
	b.Stream("lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		GroupBy(func(_, w string) string { return w }, serde.String()).
		Count(table.As("counts")).
		ToStream().
		To("counts-out", serde.String(), serde.Int64())
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

// waitCounts waits until the latest counts written to counts-out from the
// given offsets on are want.
func (k *broker) waitCounts(t *testing.T, from map[int32]int64, want map[string]int64) {
	t.Helper()
	var got map[string]int64
	ok := assert.Eventually(t, func() bool {
		got = k.latestCounts(t, from)
		return maps.Equal(got, want)
	}, 20*time.Second, 50*time.Millisecond)
	require.True(t, ok, "counts %v, want %v", got, want)
}

// instance is a running word-count instance.
type instance struct {
	app  *runtime.App
	stop func()
}

func (k *broker) start(t *testing.T, stateDir string) *instance {
	t.Helper()
	a, err := runtime.New(wordCount(t), runtime.Config{AppID: app, Brokers: k.addrs, StateDir: stateDir,
		CommitInterval: 50 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = a.Run(ctx) })
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			require.NoError(t, a.Close(context.Background()))
			require.NoError(t, runErr)
		})
	}
	t.Cleanup(stop)
	require.Eventually(t, func() bool { return a.State() == runtime.Running }, 20*time.Second, 10*time.Millisecond)
	return &instance{app: a, stop: stop}
}

// waitCommitted waits until the group has committed the end of every
// partition of topic.
func (k *broker) waitCommitted(t *testing.T, topic string) {
	t.Helper()
	end := k.endOffsets(t, topic)
	require.Eventually(t, func() bool {
		return maps.Equal(k.committed(t, app)[topic], end)
	}, 20*time.Second, 20*time.Millisecond, "group %s did not commit the end of %s (%v)", app, topic, end)
}

// waitEmpty waits until the stopped instances have left the group.
func (k *broker) waitEmpty(t *testing.T) {
	t.Helper()
	require.Eventually(t, func() bool {
		d, err := k.adm.DescribeGroups(t.Context(), app)
		return err == nil && len(d[app].Members) == 0
	}, 10*time.Second, 20*time.Millisecond)
}

// latestCounts reads counts-out from the given offsets to its end and
// returns the latest count of each word.
func (k *broker) latestCounts(t *testing.T, from map[int32]int64) map[string]int64 {
	t.Helper()
	end := k.endOffsets(t, "counts-out")
	offsets := map[int32]kgo.Offset{}
	for p, o := range from {
		offsets[p] = kgo.NewOffset().At(o)
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.addrs...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"counts-out": offsets}))
	require.NoError(t, err)
	defer cl.Close()
	got := map[string]int64{}
	pos := maps.Clone(from)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	// Records written after end was listed can come with the last fetch:
	// read until every partition is at or past its end.
	for !reached(pos, end) {
		fs := cl.PollFetches(ctx)
		require.NoError(t, ctx.Err(), "reading counts-out to %v, at %v", end, pos)
		fs.EachRecord(func(r *kgo.Record) {
			v, err := serde.Int64().Deserialize("counts-out", r.Value)
			require.NoError(t, err)
			got[string(r.Key)] = v
			pos[r.Partition] = r.Offset + 1
		})
	}
	return got
}

// reached reports whether every partition of end is at or past its offset
// in pos.
func reached(pos, end map[int32]int64) bool {
	for p, e := range end {
		if pos[p] < e {
			return false
		}
	}
	return true
}

// A full reset of a word-count application: refused while an instance
// runs, a dry run changes nothing, the reset moves the input offsets to
// the start, deletes the internal topics, the group's offsets on them and
// the local state, and leaves alone what is not the application's. The
// application then recomputes its counts from scratch instead of adding to
// the old ones.
func TestResetWordCount(t *testing.T) {
	k := newBroker(t, map[string]int32{"lines": 3, "counts-out": 3, "other": 1,
		"wc-counts-changelog-old": 1, "wc-eu-counts-changelog": 1})
	// Application wc-eu exists (its group has offsets): its internal
	// topics are named wc-eu-*, which match wc's pattern too.
	k.commit(t, "wc-eu", "other", map[int32]int64{0: 0})
	var lines []*kgo.Record
	for i := range 12 {
		lines = append(lines, &kgo.Record{Topic: "lines", Partition: int32(i % 3), Value: []byte("the quick fox " + strings.Repeat("the ", i%2))})
	}
	require.NoError(t, k.cl.ProduceSync(t.Context(), lines...).FirstErr())
	want := map[string]int64{"the": 18, "quick": 12, "fox": 12}
	stateDir := t.TempDir()
	before := k.topics(t)

	first := k.start(t, stateDir)
	k.waitCounts(t, map[int32]int64{0: 0, 1: 0, 2: 0}, want)
	k.waitCommitted(t, "lines")
	var internal []string
	for _, topic := range k.topics(t) {
		if !slices.Contains(before, topic) {
			internal = append(internal, topic)
		}
	}
	require.Len(t, internal, 2, "the runtime creates a repartition topic and a changelog: %v", internal)
	i := slices.IndexFunc(internal, func(topic string) bool { return strings.HasSuffix(topic, "-repartition") })
	require.GreaterOrEqual(t, i, 0, "no repartition topic in %v", internal)
	repartition := internal[i]
	require.Contains(t, internal, "wc-counts-changelog")

	// Refused while the instance runs, by Prepare and by Apply.
	_, err := reset.Prepare(t.Context(), k.adm, app, reset.InputTopics("lines"), reset.StateDir(stateDir))
	var live *reset.ActiveMembersError
	require.ErrorAs(t, err, &live)
	require.Len(t, live.Members, 1)
	assert.NotEmpty(t, live.Members[0].ClientID)
	assert.ErrorContains(t, err, `stop every instance of application "wc"`)
	first.stop()
	k.waitEmpty(t)
	// The other group and a stray offset of this one.
	k.commit(t, app, "other", map[int32]int64{0: 1})
	unchanged := k.snapshot(t, stateDir)
	repartitionCommits := slices.Sorted(maps.Keys(unchanged.committed[repartition]))
	require.NotEmpty(t, repartitionCommits, "the group commits its repartition topic")

	plan, err := reset.Prepare(t.Context(), k.adm, app, reset.InputTopics("lines"), reset.StateDir(stateDir))
	require.NoError(t, err)
	again := k.start(t, t.TempDir()) // an instance on another machine
	err = plan.Apply(t.Context(), nil)
	require.ErrorAs(t, err, &live, "Apply checks the group again")
	again.stop()
	k.waitEmpty(t)
	unchanged = k.snapshot(t, stateDir)

	// Dry run: the plan, and nothing changed.
	plan, err = reset.Prepare(t.Context(), k.adm, app, reset.InputTopics("lines"), reset.StateDir(stateDir))
	require.NoError(t, err)
	assert.Equal(t, "Empty", plan.GroupState)
	assert.Equal(t, []reset.OffsetChange{
		{Topic: "lines", Partition: 0, From: 4, To: 0},
		{Topic: "lines", Partition: 1, From: 4, To: 0},
		{Topic: "lines", Partition: 2, From: 4, To: 0},
	}, plan.Inputs)
	assert.Equal(t, internal, plan.DeleteTopics)
	assert.Equal(t, []reset.TopicPartitions{{Topic: repartition, Partitions: repartitionCommits}}, plan.DeleteOffsets)
	assert.Equal(t, []reset.SkippedTopic{{Topic: "wc-eu-counts-changelog", Owner: "wc-eu"}}, plan.Skipped)
	assert.Equal(t, []string{"other"}, plan.Untouched)
	assert.Equal(t, filepath.Join(stateDir, app), plan.StateDir)
	assert.NotEmpty(t, plan.StateEntries)
	assert.NotContains(t, plan.StateEntries, "instance-id")
	assert.NotContains(t, plan.StateEntries, ".lock")
	var out bytes.Buffer
	_, err = plan.WriteTo(&out)
	require.NoError(t, err)
	for _, s := range []string{`consumer group "wc" is Empty`, "set committed offsets to earliest", "lines/2: 4 -> 0",
		"Delete internal topics:\n  " + internal[0] + "\n  " + internal[1] + "\n", repartition + ": partitions ",
		`wc-eu-counts-changelog (application "wc-eu")`, "  other\n", "Delete local state in " + plan.StateDir} {
		assert.Contains(t, out.String(), s)
	}
	assert.Equal(t, unchanged, k.snapshot(t, stateDir), "a dry run changed something")

	// A process holding the state directory's lock stops the reset before
	// it changes anything.
	unlock, err := dirlock.Lock(plan.StateDir, ".lock")
	require.NoError(t, err)
	_, err = reset.Prepare(t.Context(), k.adm, app, reset.InputTopics("lines"), reset.StateDir(stateDir))
	assert.ErrorContains(t, err, "is in use by another process")
	err = plan.Apply(t.Context(), nil)
	assert.ErrorContains(t, err, "is in use by another process")
	require.NoError(t, unlock())
	assert.Equal(t, unchanged, k.snapshot(t, stateDir))

	var reports []string
	require.NoError(t, plan.Apply(t.Context(), func(s string) { reports = append(reports, s) }))
	assert.Contains(t, reports, `committed offsets of consumer group "wc" on lines (3 partitions) to earliest`)
	assert.Contains(t, reports, "deleted topic "+repartition)
	unit := "partitions"
	if len(repartitionCommits) == 1 {
		unit = "partition"
	}
	assert.Contains(t, reports, fmt.Sprintf("deleted committed offsets of consumer group %q on %s (%d %s)", app, repartition, len(repartitionCommits), unit))
	got := k.committed(t, app)
	assert.Equal(t, map[string]map[int32]int64{"lines": {0: 0, 1: 0, 2: 0}, "other": {0: 1}}, got)
	assert.Equal(t, before, k.topics(t), "internal topics deleted, the others kept")
	left, err := os.ReadDir(plan.StateDir)
	require.NoError(t, err)
	var names []string
	for _, e := range left {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{".lock", "instance-id"}, names)

	// The application starts over: the same counts again, not doubled.
	from := k.endOffsets(t, "counts-out")
	third := k.start(t, stateDir)
	k.waitCounts(t, from, want)
	third.stop()
	assert.Equal(t, want, k.latestCounts(t, from), "all output of the rerun")
}

// Input offsets go to a time, an offset (clamped) or the end;
// intermediate topics always go to their end.
func TestResetPositions(t *testing.T) {
	k := newBroker(t, map[string]int32{"events": 2, "mid": 1})
	base := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)
	var rs []*kgo.Record
	for i := range 5 {
		rs = append(rs,
			&kgo.Record{Topic: "events", Partition: 0, Timestamp: base.Add(time.Duration(i) * time.Second)},
			&kgo.Record{Topic: "events", Partition: 1, Timestamp: base.Add(time.Duration(10+i) * time.Second)})
	}
	rs = append(rs, &kgo.Record{Topic: "mid"}, &kgo.Record{Topic: "mid"}, &kgo.Record{Topic: "mid"})
	require.NoError(t, k.cl.ProduceSync(t.Context(), rs...).FirstErr())
	k.commit(t, app, "events", map[int32]int64{0: 5})

	midFrom := int64(-1) // nothing committed on mid before the first reset
	for _, tc := range []struct {
		pos  reset.Position
		want map[int32]int64
	}{
		{reset.AtTime(base.Add(3 * time.Second)), map[int32]int64{0: 3, 1: 0}},
		{reset.AtTime(base.Add(12500 * time.Millisecond)), map[int32]int64{0: 5, 1: 3}},
		{reset.AtOffset(4), map[int32]int64{0: 4, 1: 4}},
		{reset.AtOffset(99), map[int32]int64{0: 5, 1: 5}},
		{reset.AtOffset(-3), map[int32]int64{0: 0, 1: 0}},
		{reset.Latest(), map[int32]int64{0: 5, 1: 5}},
		{reset.Earliest(), map[int32]int64{0: 0, 1: 0}},
	} {
		t.Run(tc.pos.String(), func(t *testing.T) {
			plan, err := reset.Prepare(t.Context(), k.adm, app, reset.InputTopics("events"),
				reset.IntermediateTopics("mid"), reset.To(tc.pos))
			require.NoError(t, err)
			require.Len(t, plan.Inputs, 2)
			require.Equal(t, []reset.OffsetChange{{Topic: "mid", Partition: 0, From: midFrom, To: 3}}, plan.Intermediates)
			require.NoError(t, plan.Apply(t.Context(), nil))
			got := k.committed(t, app)
			assert.Equal(t, tc.want, got["events"])
			assert.Equal(t, map[int32]int64{0: 3}, got["mid"])
			// Start the next case from the end again.
			k.commit(t, app, "events", map[int32]int64{0: 5, 1: 5})
			k.commit(t, app, "mid", map[int32]int64{0: 0})
			midFrom = 0
		})
	}
}

// Mistakes are reported before anything changes.
func TestResetRejects(t *testing.T) {
	k := newBroker(t, map[string]int32{"events": 1})
	for _, tc := range []struct {
		name string
		opts []reset.Opt
		msg  string
	}{
		{"missing input topic", []reset.Opt{reset.InputTopics("events", "evnets")}, "topic(s) evnets do not exist"},
		{"missing intermediate topic", []reset.Opt{reset.IntermediateTopics("nope")}, "topic(s) nope do not exist"},
		{"input and intermediate", []reset.Opt{reset.InputTopics("events"), reset.IntermediateTopics("events")},
			`"events" is named both as an input and as an intermediate topic`},
		{"empty name", []reset.Opt{reset.InputTopics("")}, "empty input topic name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := reset.Prepare(t.Context(), k.adm, app, tc.opts...)
			assert.ErrorContains(t, err, tc.msg)
		})
	}
	_, err := reset.Prepare(t.Context(), k.adm, "")
	assert.ErrorContains(t, err, "application id is required")
	assert.Empty(t, k.committed(t, app))

	// A group that does not exist yet is reset all the same.
	plan, err := reset.Prepare(t.Context(), k.adm, app, reset.InputTopics("events"))
	require.NoError(t, err)
	assert.Equal(t, "Dead", plan.GroupState)
	var out bytes.Buffer
	_, err = plan.WriteTo(&out)
	require.NoError(t, err)
	assert.Contains(t, out.String(), `consumer group "wc" does not exist yet`)
	assert.Contains(t, out.String(), "events/0: none -> 0")
	assert.Contains(t, out.String(), "Internal topics: none found")
	assert.Contains(t, out.String(), "Local state: left alone")
	require.NoError(t, plan.Apply(t.Context(), nil))
	assert.Equal(t, map[string]map[int32]int64{"events": {0: 0}}, k.committed(t, app))
}
