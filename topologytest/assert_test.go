// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"flag"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/topologytest"
)

// recorder is a testing.TB that keeps failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestDiffKeyValues(t *testing.T) {
	kvs := func(pairs ...any) []pair {
		var out []pair
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, record.KV(pairs[i].(string), int64(pairs[i+1].(int))))
		}
		return out
	}
	for _, tc := range []struct {
		name      string
		want, got []pair
		diff      string
	}{
		{"equal", kvs("a", 1, "b", 1, "a", 2), kvs("a", 1, "b", 1, "a", 2), ""},
		{"nothing wanted, nothing got", nil, []pair{}, ""},
		{"value differs", kvs("a", 1, "b", 1, "a", 2), kvs("a", 1, "b", 1, "a", 3),
			"1 of 2 keys differ (want 3 records, got 3):\n  key \"a\": want [1 2], got [1 3]"},
		{"missing and extra keys", kvs("a", 1, "b", 1), kvs("a", 1, "c", 5),
			"2 of 3 keys differ (want 2 records, got 2):\n  key \"b\": want [1], got nothing\n  key \"c\": want nothing, got [5]"},
		{"keys interleave differently", kvs("a", 1, "b", 1), kvs("b", 1, "a", 1),
			"every key got the values it should, but keys interleave differently:\n  want [\"a\":1 \"b\":1]\n  got  [\"b\":1 \"a\":1]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.Equal(t, tc.diff, topologytest.DiffKeyValues(tc.want, tc.got))
		})
	}
}

func TestDiffTable(t *testing.T) {
	assert.Empty(t, topologytest.DiffTable(map[string]int64{"a": 1}, map[string]int64{"a": 1}))
	assert.Equal(t, "4 of 4 keys differ:\n  key \"a\": want 1, got 2\n  key \"b\": want 1, got no value\n  key \"d\": want no value, got 4\n  key \"z y\": want 7, got 8",
		topologytest.DiffTable(map[string]int64{"a": 1, "b": 1, "z y": 7}, map[string]int64{"a": 2, "d": 4, "z y": 8}))
}

func TestFormatTable(t *testing.T) {
	assert.Equal(t, "\"a\" = 2\n\"b c\" = 1\n", topologytest.FormatTable(map[string]int64{"b c": 1, "a": 2}))
	assert.Empty(t, topologytest.FormatTable(map[string]int64{}))
}

// The assertions read the output topic and report a per-key diff through
// t; the word count's output is the reference.
func TestAssertionsOnWordCount(t *testing.T) {
	run := func() *topologytest.OutputTopic[string, int64] {
		d, err := topologytest.New(wordCountTopology(t), topologytest.DefaultPartitions(2))
		require.NoError(t, err)
		t.Cleanup(func() { d.Close() })
		require.NoError(t, d.Input("lines", serde.String(), serde.String()).PipeValues("the cat", "the dog"))
		return d.Output("counts-out", serde.String(), serde.Int64())
	}

	assert.True(t, topologytest.AssertTable(t, run(), map[string]int64{"the": 2, "cat": 1, "dog": 1}))
	r := &recorder{TB: t}
	assert.False(t, topologytest.AssertTable(r, run(), map[string]int64{"the": 3, "cat": 1}))
	require.Len(t, r.errs, 1)
	assert.Equal(t, "topologytest: output topic \"counts-out\": 2 of 3 keys differ:\n  key \"dog\": want no value, got 1\n  key \"the\": want 3, got 2", r.errs[0])

	assert.True(t, topologytest.AssertKeyValues(t, run(), kv("the", 1), kv("cat", 1), kv("the", 2), kv("dog", 1)))
	r = &recorder{TB: t}
	assert.False(t, topologytest.AssertKeyValues(r, run(), kv("the", 1), kv("cat", 1), kv("dog", 1)))
	require.Len(t, r.errs, 1)
	assert.Contains(t, r.errs[0], "key \"the\": want [1], got [1 2]")

	assert.True(t, topologytest.AssertGolden(t, run(), "wordcount.golden"))
	if flag.Lookup("update").Value.String() == "true" {
		return // -update writes golden files instead of checking them
	}
	r = &recorder{TB: t}
	assert.False(t, topologytest.AssertGolden(r, run(), "no-such.golden"))
	require.Len(t, r.errs, 1)
	assert.Contains(t, r.errs[0], "testdata/no-such.golden does not exist: run the test with -update")
}
