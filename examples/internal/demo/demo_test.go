// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package demo

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// syncBuffer collects progress lines; the check writes them from the
// test's goroutine, cleanup from Run's.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// counts counts records per key of "in" into "out", through a changelogged
// store and a repartition topic, so a run has internal topics.
func counts(sink string) func() (*stream.Topology, error) {
	return func() (*stream.Topology, error) {
		b := stream.NewBuilder()
		b.Stream("in", serde.String(), serde.String()).
			GroupBy(func(_, v string) string { return v }, serde.String()).
			Count(table.As("counts")).
			ToStream().
			To(sink, serde.String(), serde.Int64())
		return b.Build()
	}
}

func cluster(t *testing.T) (*kadm.Client, string) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.MetadataMinAge(10*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return kadm.NewClient(cl), strings.Join(c.ListenAddrs(), ",")
}

func topicNames(t *testing.T, adm *kadm.Client) []string {
	t.Helper()
	ds, err := adm.ListTopics(context.Background())
	require.NoError(t, err)
	return ds.Names()
}

func decodeCount(r *kgo.Record) (string, int64, bool) {
	n, err := serde.Int64().Deserialize("out", r.Value)
	return string(r.Key), n, err == nil
}

// Runs after runs on one broker, over an input topic that already holds
// records: each run counts only its own input, reads only its own output,
// and leaves no internal topic or consumer group behind; -cleanup deletes
// the topics the run created, never those that existed before.
func TestRunAgainAndAgainOnOneBroker(t *testing.T) {
	adm, brokers := cluster(t)
	ctx := context.Background()
	_, err := adm.CreateTopic(ctx, 2, 1, nil, "in")
	require.NoError(t, err)
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...))
	require.NoError(t, err)
	defer cl.Close()
	old := &kgo.Record{Topic: "in", Value: []byte("a")}
	require.NoError(t, cl.ProduceSync(ctx, old, old, old).FirstErr())

	for run := range 3 {
		var progress syncBuffer
		f := Flags{Brokers: brokers, Partitions: 2, StateDir: t.TempDir(), Progress: &progress, Cleanup: run == 2}
		err := Run(f, Example{
			Name:     "counts",
			Topology: counts("out"),
			Inputs:   []runtime.TopicSpec{{Name: "in", Partitions: 2}},
			Outputs:  []runtime.TopicSpec{{Name: "out", Partitions: 2}},
			Check: func(ctx context.Context, s *Session) error {
				r := func(v string) *kgo.Record { return &kgo.Record{Topic: "in", Value: []byte(v)} }
				if err := s.Produce(ctx, r("a"), r("b"), r("a")); err != nil {
					return err
				}
				got, err := s.ReadLatest(ctx, "out", map[string]int64{"a": 2, "b": 1}, decodeCount)
				assert.Equal(t, map[string]int64{"a": 2, "b": 1}, got)
				return err
			},
		})
		require.NoError(t, err, "run %d; progress:\n%s", run+1, progress.String())
		out := progress.String()
		assert.Contains(t, out, "counts: application id counts-", "run %d names its per-run id", run+1)
		assert.Contains(t, out, "creating topics unless they exist, with partitions: in (2), out (2); waiting until every broker lists them")
		assert.Regexp(t, `deleted topics .*counts-\d{8}-\d{6}-[0-9a-f]{6}-counts-changelog`, out)
		if run == 0 {
			assert.Contains(t, out, "counts: topics ready (created: out; existed: in)\n")
		} else {
			assert.Contains(t, out, "counts: topics ready (created: none; existed: in, out)\n")
		}

		names := topicNames(t, adm)
		for _, n := range names {
			assert.False(t, strings.HasPrefix(n, "counts-"), "run %d left internal topic %s", run+1, n)
		}
		gs, err := adm.ListGroups(ctx)
		require.NoError(t, err)
		assert.Empty(t, gs.Groups(), "run %d left its consumer group", run+1)
		// Run 3 has -cleanup, but "in" existed before the first run and
		// "out" was created by the first: both stay.
		assert.ElementsMatch(t, []string{"in", "out"}, names, "run %d", run+1)
	}
}

// -cleanup deletes the topics the run created.
func TestRunCleanupDeletesCreatedTopics(t *testing.T) {
	adm, brokers := cluster(t)
	var progress syncBuffer
	err := Run(Flags{Brokers: brokers, Partitions: 1, StateDir: t.TempDir(), Progress: &progress, Cleanup: true}, Example{
		Name:     "counts",
		Topology: counts("out"),
		Inputs:   []runtime.TopicSpec{{Name: "in", Partitions: 1}},
		Outputs:  []runtime.TopicSpec{{Name: "out", Partitions: 1}},
		Check: func(ctx context.Context, s *Session) error {
			if err := s.Produce(ctx, &kgo.Record{Topic: "in", Value: []byte("x")}); err != nil {
				return err
			}
			_, err := s.ReadLatest(ctx, "out", map[string]int64{"x": 1}, decodeCount)
			return err
		},
	})
	require.NoError(t, err, progress.String())
	assert.Contains(t, progress.String(), "counts: topics ready (created: in, out; existed: none)\n")
	assert.Empty(t, topicNames(t, adm))
	assert.Regexp(t, `deleted topics counts-.*-counts-changelog, counts-.*-counts-repartition, in, out\n`, progress.String())
}

// An application that fails while the check waits cuts the check short:
// Run returns the application's error at once, not the check's timeout.
func TestRunReturnsTheApplicationsError(t *testing.T) {
	_, brokers := cluster(t)
	start := time.Now()
	var progress syncBuffer
	err := Run(Flags{Brokers: brokers, Partitions: 1, StateDir: t.TempDir(), Progress: &progress}, Example{
		Name:     "counts",
		Topology: counts("nowhere"), // a sink topic nobody creates
		Inputs:   []runtime.TopicSpec{{Name: "in", Partitions: 1}},
		Outputs:  []runtime.TopicSpec{{Name: "out", Partitions: 1}},
		Check: func(ctx context.Context, s *Session) error {
			_, err := s.ReadLatest(ctx, "out", map[string]int64{"x": 1}, decodeCount)
			return err
		},
	})
	require.Error(t, err)
	assert.Less(t, time.Since(start), 20*time.Second)
	assert.Contains(t, err.Error(), "application counts-")
	assert.Contains(t, err.Error(), `output topic "nowhere"`)
	assert.NotContains(t, err.Error(), "time limit")
}

// When the output does not come, the error says what ReadLatest waited
// for and what it read.
func TestReadLatestTimeoutSaysWhatItSaw(t *testing.T) {
	_, brokers := cluster(t)
	var progress syncBuffer
	err := Run(Flags{Brokers: brokers, Partitions: 1, StateDir: t.TempDir(), Progress: &progress}, Example{
		Name:     "counts",
		Topology: counts("out"),
		Inputs:   []runtime.TopicSpec{{Name: "in", Partitions: 1}},
		Outputs:  []runtime.TopicSpec{{Name: "out", Partitions: 1}},
		Check: func(ctx context.Context, s *Session) error {
			r := &kgo.Record{Topic: "in", Value: []byte("a")}
			if err := s.Produce(ctx, r, r); err != nil {
				return err
			}
			ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			_, err := s.ReadLatest(ctx, "out", map[string]int64{"a": 9, "z": 1}, decodeCount)
			return err
		},
	})
	require.Error(t, err)
	for _, want := range []string{`read "out": gave up after`, "from offsets p0@0", "to be {a:9 z:1}",
		"(0 undecodable); latest per key: {a:2}; missing z; different a:2 (want 9)",
		"application state RUNNING", "context deadline exceeded"} {
		assert.Contains(t, err.Error(), want)
	}
}

func TestReadLatestRejectsOtherTopics(t *testing.T) {
	s := &Session{start: map[string]map[int32]kgo.Offset{"out": {}}}
	_, err := s.ReadLatest(context.Background(), "in", nil, decodeCount)
	require.Error(t, err)
	assert.Equal(t, `read "in": not an output topic of this example (outputs: out)`, err.Error())
}

func TestDiffCounts(t *testing.T) {
	assert.Equal(t, "{a:1 c:3}; missing b; different a:1 (want 2); unexpected c:3",
		diffCounts(map[string]int64{"a": 1, "c": 3}, map[string]int64{"a": 2, "b": 5}))
	assert.Equal(t, "{}", diffCounts(nil, nil))
}
