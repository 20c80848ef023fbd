// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
)

// The benchmarks' discard mode keeps no written record and reuses the
// records it processed: the counts come out as when the driver logs every
// record, as the output topic reports them.
func TestDiscardCountsAsLogged(t *testing.T) {
	lines := benchLines(300)
	want := map[string]int64{}
	for _, l := range lines {
		for _, w := range strings.Fields(l) {
			want[w]++
		}
	}
	for _, discard := range []bool{false, true} {
		d, err := New(wordCountTopology(t), DefaultPartitions(2))
		require.NoError(t, err)
		d.discard = discard
		in := d.Input("lines", serde.String(), serde.String())
		require.NoError(t, in.PipeValues(lines...))
		st, err := d.KeyValueStore("counts", serde.String(), serde.Int64())
		require.NoError(t, err)
		all, err := st.All()
		require.NoError(t, err)
		got := map[string]int64{}
		for _, kv := range all {
			got[kv.Key] = kv.Value
		}
		assert.Equal(t, want, got, "discard %v", discard)
		out := d.Output("counts-out", serde.String(), serde.Int64())
		if discard {
			assert.True(t, out.IsEmpty())
		} else {
			AssertTable(t, out, want)
		}
		require.NoError(t, d.Close())
	}
}
