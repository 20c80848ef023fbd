// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

func testWorkload(orders int64) *joinWorkload {
	return &joinWorkload{orders: orders, customers: 40, window: 5 * time.Second,
		start: time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC).UnixMilli(), span: 10 * time.Second}
}

// joinOutput is one synthetic output record of the join topology.
type joinOutput struct {
	partition int32
	key       string
	value     []byte
	ts        int64
}

// joinOutputs emits each result once, in a random order, with each key on
// a partition of its own choosing (its length mod 3).
func joinOutputs(rs []joinResult, seed uint64) []joinOutput {
	out := make([]joinOutput, len(rs))
	for i, r := range rs {
		out[i] = joinOutput{int32(len(r.Key) % 3), r.Key, []byte(r.Value), r.Time}
	}
	rand.New(rand.NewPCG(seed, seed)).Shuffle(len(out), func(i, j int) { out[i], out[j] = out[j], out[i] })
	return out
}

func verifyJoin(t *testing.T, want []joinResult, eos bool, outs []joinOutput) joinReport {
	t.Helper()
	v, err := newJoinVerifier(want, eos)
	require.NoError(t, err)
	for i, o := range outs {
		v.Add(o.partition, int64(i), "", o.key, o.value, o.ts)
	}
	return v.Report()
}

func TestJoinVerifierAcceptsExactResults(t *testing.T) {
	want := testWorkload(400).expected()
	require.NotEmpty(t, want)
	for _, eos := range []bool{true, false} {
		r := verifyJoin(t, want, eos, joinOutputs(want, 1))
		assert.True(t, r.OK(), "%+v", r)
		assert.Equal(t, int64(len(want)), r.Expected)
		assert.Equal(t, int64(len(want)), r.Exact)
		assert.Equal(t, int64(len(want)), r.Outputs)
		assert.Zero(t, r.Missing+r.Duplicated+r.Extra+r.Unexpected)
		assert.Empty(t, r.Problems)
	}
}

func TestJoinVerifierDuplicate(t *testing.T) {
	want := testWorkload(400).expected()
	outs := joinOutputs(want, 2)
	dup := outs[17]
	outs = append(outs, dup, dup) // emitted three times in all
	// Exactly-once: a violation, reported at the record and in the summary.
	r := verifyJoin(t, want, true, outs)
	assert.False(t, r.OK())
	assert.Equal(t, int64(1), r.Duplicated)
	assert.Equal(t, int64(2), r.Extra)
	assert.Equal(t, int64(len(want)-1), r.Exact)
	problems := strings.Join(r.Problems, "\n")
	assert.Contains(t, problems, fmt.Sprintf("result %q", dup.value))
	assert.Contains(t, problems, "emitted again (exactly-once emits each result once)")
	assert.Contains(t, problems, "1 join results emitted more than once (2 extra copies)")
	// At-least-once: allowed, counted and mentioned.
	r = verifyJoin(t, want, false, outs)
	assert.True(t, r.OK(), "%+v", r)
	assert.Equal(t, int64(1), r.Duplicated)
	assert.Equal(t, int64(2), r.Extra)
	assert.Contains(t, strings.Join(r.Problems, "\n"), "(at-least-once, allowed) 1 join results emitted more than once")
}

func TestJoinVerifierMissing(t *testing.T) {
	want := testWorkload(400).expected()
	outs := joinOutputs(want, 3)
	lost := outs[5]
	outs = append(outs[:5:5], outs[6:]...)
	for _, eos := range []bool{true, false} {
		r := verifyJoin(t, want, eos, outs)
		assert.False(t, r.OK(), "eos %v", eos)
		assert.Equal(t, int64(1), r.Missing)
		assert.Equal(t, int64(len(want)-1), r.Exact)
		problems := strings.Join(r.Problems, "\n")
		assert.Contains(t, problems, fmt.Sprintf("1 of %d expected join results missing, e.g. %q", len(want), lost.value))
	}
	// A result lost while another is duplicated: the count of outputs is
	// right, the check is not fooled.
	outs = append(outs, outs[0])
	r := verifyJoin(t, want, false, outs)
	assert.Equal(t, int64(len(want)), r.Outputs)
	assert.False(t, r.OK())
	assert.Equal(t, int64(1), r.Missing)
	assert.Equal(t, int64(1), r.Duplicated)
}

func TestJoinVerifierUnexpected(t *testing.T) {
	want := testWorkload(400).expected()
	good := joinOutputs(want, 4)
	ref := good[0]
	for name, tc := range map[string]struct {
		extra joinOutput
		msg   string
	}{
		"no such result": {joinOutput{ref.partition, ref.key, []byte("o99999|c1|p0|c1/v1"), ref.ts},
			`unexpected result "o99999|c1|p0|c1/v1"`},
		"a pair outside the window": {joinOutput{0, "c0", []byte("o2|c0|p0|c0/v1"), ref.ts},
			"no such join result is due"},
		"wrong key": {joinOutput{ref.partition, ref.key + "0", ref.value, ref.ts},
			fmt.Sprintf("unexpected result %q (key %q", ref.value, ref.key+"0")},
		"wrong time": {joinOutput{ref.partition, ref.key, ref.value, ref.ts + 1},
			fmt.Sprintf("want %q (key %q, time", ref.value, ref.key)},
		"tombstone": {joinOutput{ref.partition, ref.key, nil, ref.ts},
			fmt.Sprintf("unexpected tombstone for key %q", ref.key)},
	} {
		for _, eos := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/eos=%v", name, eos), func(t *testing.T) {
				r := verifyJoin(t, want, eos, append(append([]joinOutput{}, good...), tc.extra))
				assert.False(t, r.OK())
				assert.Equal(t, int64(1), r.Unexpected)
				assert.Equal(t, int64(len(want)), r.Exact, "the expected results are all there once")
				problems := strings.Join(r.Problems, "\n")
				assert.Contains(t, problems, tc.msg)
				assert.Contains(t, problems, "1 output records are no expected join result")
			})
		}
	}
}

func TestJoinVerifierKeyMovesPartition(t *testing.T) {
	want := testWorkload(100).expected()
	outs := joinOutputs(want, 5)
	for i := range outs {
		if i > 0 && outs[i].key == outs[0].key {
			outs[i].partition++
			break
		}
	}
	r := verifyJoin(t, want, false, outs)
	assert.False(t, r.OK())
	assert.Contains(t, strings.Join(r.Problems, "\n"), "seen before in partition")
}

// expected must be what a naive join of the records written yields: each
// order with each payment of the same key within the window, enriched with
// the customer's row as the table holds it after all its records.
func TestJoinWorkloadExpectedFromInputs(t *testing.T) {
	w := testWorkload(1000)
	rows := map[string]string{}
	for _, r := range w.customerRecords() {
		assert.Less(t, r.time, w.orderTime(0)-w.window.Milliseconds()-1, "customers precede every order and payment")
		if r.value == nil {
			delete(rows, r.key)
		} else {
			rows[r.key] = string(r.value)
		}
	}
	want := map[string]joinResult{}
	var outside, noRow int
	for i := range w.orders {
		o := w.order(i)
		f := strings.Split(string(o.value), "|")
		require.Len(t, f, 2)
		for _, p := range w.paymentRecords(i) {
			require.Equal(t, o.key, p.key)
			if d := p.time - o.time; d < -w.window.Milliseconds() || d > w.window.Milliseconds() {
				outside++
				continue
			}
			row, ok := rows[f[1]]
			if !ok {
				noRow++
				continue
			}
			v := string(o.value) + "|" + string(p.value) + "|" + row
			want[v] = joinResult{Key: f[1], Value: v, Time: max(o.time, p.time)}
		}
	}
	got := map[string]joinResult{}
	for _, r := range w.expected() {
		got[r.Value] = r
	}
	assert.Equal(t, want, got)
	// The workload has every case: pairs on both window bounds, pairs 1 ms
	// outside, two payments, none, deleted, updated and unknown customers.
	assert.Positive(t, outside)
	assert.Positive(t, noRow)
	var lower, upper, second, v2 bool
	for _, r := range got {
		var i int64
		_, err := fmt.Sscanf(r.Value, "o%d|", &i)
		require.NoError(t, err)
		switch i % 10 {
		case 0:
			upper = upper || r.Time == w.orderTime(i)+w.window.Milliseconds()
		case 1:
			lower = lower || r.Time == w.orderTime(i)
		case 2, 3, 5:
			t.Errorf("order %d has no payment within the window, but a result %s", i, r)
		case 4:
			second = second || strings.Contains(r.Value, "|p1|")
		}
		v2 = v2 || strings.HasSuffix(r.Value, "/v2")
	}
	assert.True(t, lower && upper && second && v2, "lower bound %v upper bound %v second payment %v updated row %v", lower, upper, second, v2)
	deleted, unknown := 0, 0
	for i := range w.orders {
		c := w.customerOf(i)
		if c >= w.customers {
			unknown++
		} else if _, ok := w.row(c); !ok {
			deleted++
		}
	}
	assert.Positive(t, deleted)
	assert.Positive(t, unknown)
}

// The topology the instances run yields exactly the expected results on
// the workload, broker-free, with the customers piped first and orders and
// payments interleaved as the controller writes them.
func TestJoinTopologyMatchesExpected(t *testing.T) {
	w := testWorkload(600)
	topo, err := joinTopology("orders", "payments", "customers", "out", window.JoinWindow(w.window).Grace(30*time.Second))
	require.NoError(t, err)
	d, err := topologytest.New(topo, topologytest.DefaultPartitions(3), topologytest.AppID("chaos"))
	require.NoError(t, err)
	defer d.Close()
	ss := serde.String()
	custs, orders, pays := d.Input("customers", ss, ss), d.Input("orders", ss, ss), d.Input("payments", ss, ss)
	pipe := func(in *topologytest.InputTopic[string, string], r inputRecord) {
		if r.value == nil {
			require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: r.key, ValueNull: true, Timestamp: time.UnixMilli(r.time)}))
			return
		}
		require.NoError(t, in.PipeAt(r.key, string(r.value), time.UnixMilli(r.time)))
	}
	for _, r := range w.customerRecords() {
		pipe(custs, r)
	}
	for i := range w.orders {
		pipe(orders, w.order(i))
		for _, p := range w.paymentRecords(i) {
			pipe(pays, p)
		}
	}
	assert.Contains(t, d.ProducedTopics(), enrichRepartitionTopic("chaos"))
	assert.Contains(t, d.ProducedTopics(), "chaos-"+customersName+"-changelog")
	want := w.expected()
	v, err := newJoinVerifier(want, true)
	require.NoError(t, err)
	out := d.Output("out", ss, serde.Bytes())
	for !out.IsEmpty() {
		r, err := out.ReadRecord()
		require.NoError(t, err)
		v.Add(r.Partition, r.Offset, "", r.Key, r.Value, r.Timestamp.UnixMilli())
	}
	r := v.Report()
	assert.True(t, r.OK(), "%+v", r)
	assert.Equal(t, int64(len(want)), r.Exact)
}

func TestJoinOptions(t *testing.T) {
	o, err := parseOptions([]string{"-topology", "join", "-records", "3000"}, io.Discard)
	require.NoError(t, err)
	assert.True(t, o.scale, "the join mode scales by default")
	assert.Equal(t, 50, o.customers)
	o, err = parseOptions([]string{"-topology", "join", "-scale=false"}, io.Discard)
	require.NoError(t, err)
	assert.False(t, o.scale)
	o, err = parseOptions(nil, io.Discard)
	require.NoError(t, err)
	assert.False(t, o.scale, "the count mode does not scale unless asked")
	for _, bad := range [][]string{{"-topology", "sum"}, {"-join-window", "0s"}, {"-join-grace", "-1s"}} {
		_, err := parseOptions(bad, io.Discard)
		assert.Error(t, err, "%v", bad)
	}
}
