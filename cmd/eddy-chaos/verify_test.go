// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/topologytest"
)

// output is one synthetic output record.
type output struct {
	partition int32
	key       string
	value     []byte
}

// simulate applies ids in order as the topology would, emitting one output
// per application, with each key on partition g % 3.
func simulate(t *testing.T, keys int, ids []int64) []output {
	t.Helper()
	state := map[string]Tally{}
	var out []output
	for _, id := range ids {
		k := groupKey(id, keys)
		state[k] = state[k].Add(id, keys)
		b, err := tallySerde{}.Serialize("", state[k])
		require.NoError(t, err)
		g, _ := groupOf(k)
		out = append(out, output{int32(g % 3), k, b})
	}
	return out
}

func verify(keys int, records int64, eos bool, outs []output) report {
	v := newVerifier(keys, records, eos)
	for i, o := range outs {
		v.Add(o.partition, int64(i), "", o.key, o.value)
	}
	return v.Report()
}

func shuffled(n int64, seed uint64) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = int64(i)
	}
	rand.New(rand.NewPCG(seed, seed)).Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
	return ids
}

func TestVerifierAcceptsExactlyOnce(t *testing.T) {
	const keys, records = 7, 1000
	for _, eos := range []bool{true, false} {
		r := verify(keys, records, eos, simulate(t, keys, shuffled(records, 1)))
		assert.True(t, r.OK(), "%+v", r)
		assert.Equal(t, int64(records), r.Verified)
		assert.Zero(t, r.Lost)
		assert.Zero(t, r.Duplicates)
		assert.Equal(t, int64(records), r.Outputs)
	}
}

func TestVerifierDetectsLoss(t *testing.T) {
	const keys, records = 5, 200
	ids := shuffled(records, 2)
	lost := ids[17]
	ids = append(ids[:17:17], ids[18:]...)
	for _, eos := range []bool{true, false} {
		r := verify(keys, records, eos, simulate(t, keys, ids))
		assert.False(t, r.OK())
		assert.Equal(t, int64(1), r.Lost)
		assert.Equal(t, int64(records-1), r.Verified)
		assert.Contains(t, strings.Join(r.Problems, "\n"), "1 inputs lost, e.g. ids "+itoa(lost))
	}
}

func TestVerifierDuplicates(t *testing.T) {
	const keys, records = 5, 200
	ids := shuffled(records, 3)
	dup := ids[40]
	ids = append(ids, dup) // processed again later
	// At-least-once: allowed, counted.
	r := verify(keys, records, false, simulate(t, keys, ids))
	assert.True(t, r.OK(), "%+v", r)
	assert.Equal(t, int64(1), r.Duplicates)
	assert.Equal(t, int64(records-1), r.Verified)
	assert.Equal(t, int64(1), r.ExtraOutputs)
	// Exactly-once: a violation, found at the record and in the final state.
	r = verify(keys, records, true, simulate(t, keys, ids))
	assert.False(t, r.OK())
	assert.Equal(t, int64(1), r.Duplicates)
	assert.Contains(t, strings.Join(r.Problems, "\n"), "input "+itoa(dup)+" applied twice")
}

// A loss and a duplicate in the same key cancel out in the count; the
// bitmap still tells them apart.
func TestVerifierLossAndDuplicateCancelOut(t *testing.T) {
	const keys, records = 3, 90
	ids := shuffled(records, 4)
	var a, b int // two ids of the same key
	for i := range ids {
		if i > 0 && ids[i]%keys == ids[0]%keys {
			b = i
			break
		}
	}
	ids[b] = ids[a] // b is lost, a is counted twice
	for _, eos := range []bool{true, false} {
		r := verify(keys, records, eos, simulate(t, keys, ids))
		assert.False(t, r.OK())
		assert.Equal(t, int64(1), r.Lost)
		assert.Equal(t, int64(1), r.Duplicates)
	}
}

// Under exactly-once, a replay after a crash that was not rolled back shows
// as outputs repeating counts, even when the final state is right.
func TestVerifierDetectsReplayedOutput(t *testing.T) {
	const keys, records = 4, 100
	outs := simulate(t, keys, shuffled(records, 5))
	var replay []output
	replay = append(replay, outs[:30]...)
	replay = append(replay, outs[20:]...) // outputs 20..29 emitted twice
	r := verify(keys, records, true, replay)
	assert.False(t, r.OK())
	assert.Zero(t, r.Lost)
	assert.Zero(t, r.Duplicates, "the final state is right")
	assert.Contains(t, strings.Join(r.Problems, "\n"), "exactly-once emits +1 per input")
	assert.Contains(t, strings.Join(r.Problems, "\n"), "110 output records for 100 inputs")
	// The same output is fine under at-least-once, and counted.
	r = verify(keys, records, false, replay)
	assert.True(t, r.OK(), "%+v", r)
	assert.Equal(t, int64(10), r.ExtraOutputs)
	assert.Positive(t, r.Backwards)
}

func TestVerifierRejectsMalformedOutput(t *testing.T) {
	const keys, records = 2, 10
	outs := simulate(t, keys, shuffled(records, 6))
	bad := append([]output{}, outs...)
	bad[3].value = []byte{1, 2, 3}
	r := verify(keys, records, false, bad)
	assert.False(t, r.OK())
	assert.Contains(t, strings.Join(r.Problems, "\n"), "malformed tally")

	moved := append([]output{}, outs...)
	moved[len(moved)-1].partition += 1
	r = verify(keys, records, false, moved)
	assert.False(t, r.OK())
	assert.Contains(t, strings.Join(r.Problems, "\n"), "seen before in partition")

	r = verify(keys, records, false, append(append([]output{}, outs...), output{0, "x1", outs[0].value}))
	assert.False(t, r.OK())
	assert.Contains(t, strings.Join(r.Problems, "\n"), "unknown key")
}

func TestVerifierChangelog(t *testing.T) {
	const keys, records = 3, 30
	outs := simulate(t, keys, shuffled(records, 7))
	v := newVerifier(keys, records, true)
	last := map[string][]byte{}
	for i, o := range outs {
		v.Add(o.partition, int64(i), "", o.key, o.value)
		last[o.key] = o.value
	}
	for k, b := range last {
		v.AddChangelog(k, b)
	}
	r := v.Report()
	assert.True(t, r.OK(), "%+v", r)

	v = newVerifier(keys, records, true)
	for i, o := range outs {
		v.Add(o.partition, int64(i), "", o.key, o.value)
	}
	v.AddChangelog(outs[0].key, outs[0].value) // an older value, others missing
	r = v.Report()
	assert.False(t, r.OK())
	assert.Contains(t, strings.Join(r.Problems, "\n"), "missing from the changelog")
}

func TestTallySerdeRoundTrip(t *testing.T) {
	var tl Tally
	for _, id := range []int64{3, 9, 3, 0, 21, 3} {
		tl = tl.Add(id, 3)
	}
	assert.Equal(t, int64(6), tl.Count)
	assert.Equal(t, int64(4), tl.Bits())
	assert.Equal(t, []uint32{1, 1}, tl.Dups)
	b, err := tallySerde{}.Serialize("", tl)
	require.NoError(t, err)
	got, err := tallySerde{}.Deserialize("", b)
	require.NoError(t, err)
	assert.True(t, tl.Equal(got), "%+v != %+v", tl, got)
	for n := range len(b) {
		_, err := tallySerde{}.Deserialize("", b[:n])
		assert.Error(t, err, "truncated to %d bytes", n)
	}
}

// The topology run by the instances counts through a repartition topic;
// checked broker-free with the same verifier.
func TestTopologyCountsEveryInput(t *testing.T) {
	const keys, records = 6, 300
	topo, err := chaosTopology("in", "out", keys)
	require.NoError(t, err)
	d, err := topologytest.New(topo, topologytest.DefaultPartitions(3), topologytest.AppID("chaos"))
	require.NoError(t, err)
	defer d.Close()
	in := d.Input("in", serde.String(), serde.Int64())
	for _, id := range shuffled(records, 8) {
		require.NoError(t, in.Pipe("r"+itoa(id), id))
	}
	assert.Contains(t, d.ProducedTopics(), repartitionTopic("chaos"))
	assert.Contains(t, d.ProducedTopics(), changelogTopic("chaos"))
	out := d.Output("out", serde.String(), serde.Bytes())
	v := newVerifier(keys, records, true)
	for i := 0; !out.IsEmpty(); i++ {
		kv, err := out.ReadKeyValue()
		require.NoError(t, err)
		g, _ := groupOf(kv.Key)
		v.Add(int32(g), int64(i), "", kv.Key, kv.Value)
	}
	r := v.Report()
	assert.True(t, r.OK(), "%+v", r)
	assert.Equal(t, int64(records), r.Verified)
}

func TestGroupKeys(t *testing.T) {
	for _, keys := range []int{1, 7, 50, 12345} {
		for _, id := range []int64{0, 1, 99, 123456} {
			g, ok := groupOf(groupKey(id, keys))
			require.True(t, ok)
			assert.Equal(t, int(id%int64(keys)), g)
		}
	}
	for _, bad := range []string{"", "g", "gx", "g-1", "g1", "r0001", "g00001"} {
		_, ok := groupOf(bad)
		assert.False(t, ok, bad)
	}
	assert.Equal(t, int64(4), expectedInGroup(1, 3, 12))
	assert.Equal(t, int64(4), expectedInGroup(0, 3, 10))
	assert.Equal(t, int64(3), expectedInGroup(2, 3, 10))
	assert.Equal(t, int64(0), expectedInGroup(5, 10, 3))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
