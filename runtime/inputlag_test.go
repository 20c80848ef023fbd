// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// listed builds ListedOffsets of topic "in" from partition → offset.
func listed(offs map[int32]int64) kadm.ListedOffsets {
	l := kadm.ListedOffsets{"in": {}}
	for p, o := range offs {
		l["in"][p] = kadm.ListedOffset{Topic: "in", Partition: p, Offset: o}
	}
	return l
}

func startAt(offs map[int32]kgo.Offset) map[string]map[int32]kgo.Offset {
	return map[string]map[int32]kgo.Offset{"in": offs}
}

// staleZero makes the client report a lag of 0 for in/p as often as a
// report is trusted: what it reports before any fetch response carried the
// partition.
func staleZero(l *inputLag, p int32) {
	for range lagReportsKnown {
		l.observe(map[string]map[int32]int64{"in": {p: 0}}, nil, nil)
	}
}

func TestInputLagEndListedAtStartOutweighsStaleReports(t *testing.T) {
	l := newInputLag(func(context.Context, []string, bool) (kadm.ListedOffsets, kadm.ListedOffsets, error) {
		return listed(map[int32]int64{0: 8, 1: 4}), listed(map[int32]int64{0: 0, 1: 4}), nil
	}, slog.New(slog.DiscardHandler))

	_, known := l.of("in", 0)
	assert.False(t, known, "before the client starts fetching, the lag is unknown")

	_, err := l.starting(t.Context(), startAt(map[int32]kgo.Offset{0: kgo.NewOffset().At(5), 1: kgo.NewOffset().AtStart()}))
	assert.NoError(t, err)
	staleZero(l, 0)
	staleZero(l, 1)

	lag, known := l.of("in", 0)
	assert.True(t, known)
	assert.Equal(t, int64(3), lag, "committed at 5, end 8: three records exist whatever the client reports")

	lag, known = l.of("in", 1)
	assert.True(t, known, "started at the log start, which is the end: nothing to wait for")
	assert.Equal(t, int64(0), lag)

	l.fetched("in", 0, 7)
	lag, _ = l.of("in", 0)
	assert.Equal(t, int64(1), lag)

	l.fetched("in", 0, 8) // e.g. the last fetched record was a transaction marker at 7
	lag, known = l.of("in", 0)
	assert.True(t, known)
	assert.Equal(t, int64(0), lag, "fetched to the listed end: the reported lag decides")

	l.observe(map[string]map[int32]int64{"in": {0: 2}}, nil, nil)
	lag, _ = l.of("in", 0)
	assert.Equal(t, int64(2), lag, "records written after the assignment come from the reports")
}

func TestInputLagRewindAndForget(t *testing.T) {
	l := newInputLag(func(context.Context, []string, bool) (kadm.ListedOffsets, kadm.ListedOffsets, error) {
		return listed(map[int32]int64{0: 10, 1: 10}), nil, nil
	}, slog.New(slog.DiscardHandler))
	_, _ = l.starting(t.Context(), startAt(map[int32]kgo.Offset{0: kgo.NewOffset().At(2), 1: kgo.NewOffset().At(4)}))
	l.fetched("in", 0, 10)
	l.fetched("in", 1, 10)

	// An aborted transaction rewinds the client to the committed offsets;
	// partition 1 has none, so it goes back to where fetching started.
	l.rewound(map[string]map[int32]kgo.EpochOffset{"in": {0: {Epoch: -1, Offset: 7}}})
	lag, known := l.of("in", 0)
	assert.True(t, known)
	assert.Equal(t, int64(3), lag)
	lag, _ = l.of("in", 1)
	assert.Equal(t, int64(6), lag)

	l.forget(map[string][]int32{"in": {0}})
	_, known = l.of("in", 0)
	assert.False(t, known, "a forgotten partition is unknown until fetching starts again")
	_, known = l.of("in", 1)
	assert.True(t, known)
}

func TestInputLagFallsBackToReportsWhenListingFails(t *testing.T) {
	l := newInputLag(func(context.Context, []string, bool) (kadm.ListedOffsets, kadm.ListedOffsets, error) {
		return nil, nil, errors.New("broker unreachable")
	}, slog.New(slog.DiscardHandler))
	_, err := l.starting(t.Context(), startAt(map[int32]kgo.Offset{0: kgo.NewOffset().At(5)}))
	assert.NoError(t, err, "a failed listing must not fail the assignment")

	_, known := l.of("in", 0)
	assert.False(t, known)
	for i := range lagReportsKnown {
		l.observe(map[string]map[int32]int64{"in": {0: 4}}, nil, nil)
		_, known = l.of("in", 0)
		assert.Equal(t, i+1 >= lagReportsKnown, known, "report %d", i+1)
	}
	lag, _ := l.of("in", 0)
	assert.Equal(t, int64(4), lag)
}
