// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

// joinOfKind builds left.<kind>(right) into "out" with opts.
func joinOfKind(kind string, opts ...stream.Option) *stream.Builder {
	b := stream.NewBuilder()
	l, r := b.Stream("left", serde.String(), serde.String()), b.Stream("right", serde.String(), serde.String())
	w := window.JoinWindow(10 * time.Millisecond)
	var out stream.Stream[string, string]
	switch kind {
	case "inner":
		out = l.Join(r, func(a, b string) string { return a + b }, w, opts...)
	case "left":
		out = l.LeftJoin(r, func(a, b string, _ bool) string { return a + b }, w, opts...)
	case "outer":
		out = l.OuterJoin(r, joined, w, opts...)
	}
	out.To("out", nil, nil)
	return b
}

// A stream-stream join named with As("j") gets Kafka Streams' names for
// StreamJoined.withName("j").withStoreName("j") (Kafka Streams 4.4
// Topology.describe(), java/…/StreamJoinStoreNamesTest): the left and
// outer variants' processors and stores say "outer" on the sides whose
// unmatched records are emitted, and the shared store of unmatched records
// is -left-shared-join-store for LeftJoin. The changelog topics follow the
// store names, so an application migrated from Java keeps its state.
func TestStreamJoinNamesMatchKafkaStreams(t *testing.T) {
	for _, tc := range []struct {
		kind       string
		processors []string
		stores     []string
	}{
		{"inner", []string{"j-this-join", "j-other-join", "j-merge"},
			[]string{"j-this-join-store", "j-other-join-store"}},
		{"left", []string{"j-this-join", "j-outer-other-join", "j-merge"},
			[]string{"j-this-join-store", "j-outer-other-join-store", "j-left-shared-join-store"}},
		{"outer", []string{"j-outer-this-join", "j-outer-other-join", "j-merge"},
			[]string{"j-outer-this-join-store", "j-outer-other-join-store", "j-outer-shared-join-store"}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			b := joinOfKind(tc.kind, stream.As("j"))
			topo, err := b.Build()
			require.NoError(t, err)
			assert.ElementsMatch(t, tc.stores, topo.StoreNames())
			desc := topo.Describe()
			for _, p := range tc.processors {
				assert.Contains(t, desc, "Processor: "+p+" (stores: ")
			}

			d := driver(t, b, topologytest.AppID("app"))
			require.NoError(t, d.Input("left", serde.String(), serde.String()).PipeAt("k", "A", ms(1)))
			require.NoError(t, d.Input("right", serde.String(), serde.String()).PipeAt("k", "a", ms(2)))
			var changelogs []string
			for _, topic := range d.ProducedTopics() {
				if strings.HasSuffix(topic, "-changelog") {
					changelogs = append(changelogs, topic)
				}
			}
			var want []string
			for _, s := range tc.stores {
				want = append(want, "app-"+s+"-changelog")
			}
			assert.ElementsMatch(t, want, changelogs)
		})
	}
}

// Generated store names carry Kafka Streams' operator names: JOINTHIS and
// JOINOTHER for Join, OUTEROTHER for the other side of LeftJoin, OUTERTHIS
// and OUTEROTHER for OuterJoin, and OUTERSHARED for the store of unmatched
// records (Kafka Streams' KSTREAM-OUTEROTHER-0000000005-store and so on;
// Eddy's generated names end in a hash of the operator's position instead
// of a counter).
func TestStreamJoinGeneratedStoreNames(t *testing.T) {
	for _, tc := range []struct {
		kind string
		ops  []string
	}{
		{"inner", []string{"JOINTHIS", "JOINOTHER"}},
		{"left", []string{"JOINTHIS", "OUTEROTHER", "OUTERSHARED"}},
		{"outer", []string{"OUTERTHIS", "OUTEROTHER", "OUTERSHARED"}},
	} {
		t.Run(tc.kind, func(t *testing.T) {
			topo, err := joinOfKind(tc.kind).Build()
			require.NoError(t, err)
			names := topo.StoreNames()
			require.Len(t, names, len(tc.ops))
			for i, op := range tc.ops {
				assert.True(t, strings.HasPrefix(names[i], "KSTREAM-"+op+"-"), "store %d: %s, want KSTREAM-%s-…", i, names[i], op)
			}
		})
	}
}
