// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/memory"
)

type nopCollector struct{ sent []*engine.RawRecord }

func (c *nopCollector) Send(r *engine.RawRecord) error       { c.sent = append(c.sent, r); return nil }
func (c *nopCollector) PartitionCount(string) (int32, error) { return 1, nil }

// rawSource advances stream time to each record's timestamp.
type rawSource struct{ t *engine.Task }

func (s *rawSource) Init(t *engine.Task) error { s.t = t; return nil }
func (s *rawSource) ProcessRaw(r *engine.RawRecord) error {
	s.t.Advance(r.Timestamp)
	return nil
}

func newTask(t *testing.T, clock *int64) *engine.Task {
	t.Helper()
	task, err := engine.NewTask(engine.Config{
		AppID: "app", ID: engine.TaskID{Subtopology: 0, Partition: 2},
		Spec: &engine.Spec{Nodes: []engine.NodeSpec{{
			ID: 0, Name: "src", Topics: []string{"in"},
			New: func(*engine.Task) (any, error) { return &rawSource{}, nil },
		}}},
		Backend: memory.New(), Collector: &nopCollector{},
		Clock: func() int64 { return *clock },
	})
	require.NoError(t, err)
	t.Cleanup(func() { task.Close() })
	return task
}

// Stream-time punctuations fire at epoch-aligned multiples of the interval
// once stream time reaches them; skipped intervals are not replayed.
func TestStreamTimePunctuation(t *testing.T) {
	var clock int64
	task := newTask(t, &clock)
	assert.Equal(t, "0_2", task.ID().String())
	var fired []int64
	task.Schedule(10, engine.StreamTime, func(ts int64) error { fired = append(fired, ts); return nil })
	for _, ts := range []int64{3, 7, 10, 12, 45, 46, 50} {
		require.NoError(t, task.Process(&engine.RawRecord{Topic: "in", Timestamp: ts}))
	}
	// 3: first record (aligned point 0 reached); 10: next point; 45: skips 20,30,40; 50.
	assert.Equal(t, []int64{3, 10, 45, 50}, fired)
	assert.Equal(t, int64(50), task.StreamTime())
}

// Wall-clock punctuations fire first at schedule time + interval, then
// every interval; a long pause yields one call, not a burst.
func TestWallClockPunctuation(t *testing.T) {
	clock := int64(1000)
	task := newTask(t, &clock)
	var fired []int64
	cancel := task.Schedule(100, engine.WallClock, func(ts int64) error { fired = append(fired, ts); return nil })
	for _, now := range []int64{1050, 1100, 1150, 1230, 1900, 1950, 2000} {
		clock = now
		require.NoError(t, task.PunctuateWallClock(now))
	}
	assert.Equal(t, []int64{1100, 1230, 1900, 2000}, fired)
	cancel()
	require.NoError(t, task.PunctuateWallClock(5000))
	assert.Len(t, fired, 4)
}

func TestUnknownTopicIsAnError(t *testing.T) {
	var clock int64
	task := newTask(t, &clock)
	err := task.Process(&engine.RawRecord{Topic: "other", Partition: 2, Offset: 7})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no source for topic "other" partition 2 offset 7`)
}

// A duplicate-keeping window store (stream-stream joins) must give every
// changelog record its own key, or compaction would drop buffered records.
func TestDuplicateWindowChangelogKeysAreDistinct(t *testing.T) {
	coll := &nopCollector{}
	task, err := engine.NewTask(engine.Config{
		AppID: "app", ID: engine.TaskID{Subtopology: 0, Partition: 0},
		Spec: &engine.Spec{Stores: []engine.StoreSpec{{Name: "join", Kind: engine.WindowKind, Logged: true,
			Window: state.WindowOptions{Retention: 1000, RetainDuplicates: true}}}},
		Backend: memory.New(), Collector: coll,
	})
	require.NoError(t, err)
	defer task.Close()
	ws, err := task.Window("join")
	require.NoError(t, err)
	for i := range 3 {
		require.NoError(t, ws.PutTimestamped([]byte("k"), 10, []byte{byte(i)}, 10))
	}
	require.Len(t, coll.sent, 3)
	keys := map[string]bool{}
	for _, r := range coll.sent {
		assert.Equal(t, "app-join-changelog", r.Topic)
		keys[string(r.Key)] = true
	}
	assert.Len(t, keys, 3)
}

// panickySource's timestamp extractor panics.
type panickySource struct{ rawSource }

func (panickySource) Extracts() bool { return true }
func (panickySource) EventTime(*engine.RawRecord) (int64, bool) {
	panic("extractor bug")
}

// A panic in a timestamp extractor while the runtime orders buffered
// records does not escape: the record orders by its own timestamp.
func TestEventTimeRecoversExtractorPanic(t *testing.T) {
	task, err := engine.NewTask(engine.Config{
		AppID: "app", ID: engine.TaskID{Partition: 0},
		Spec: &engine.Spec{Nodes: []engine.NodeSpec{{ID: 0, Name: "src", Topics: []string{"in"},
			New: func(*engine.Task) (any, error) { return &panickySource{}, nil }}}},
		Backend: memory.New(), Collector: &nopCollector{},
	})
	require.NoError(t, err)
	defer task.Close()
	assert.Equal(t, int64(42), task.EventTime(&engine.RawRecord{Topic: "in", Timestamp: 42}))
}
