// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/fixture"
	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
)

// callTagger is the transformer of the Java reference's
// TransformValuesTopologies: it counts its calls per key in a connected
// store and returns UPPER#n@topic/partition/offset/t<timestamp> for a
// value, no value for an empty value, and for a deletion gone#n if the key
// starts with "keep", else no value.
type callTagger struct {
	store stream.KeyValueStore[string, int64]
	ctx   processor.ValueTransformerContext
	calls state.KeyValueView[string, int64]
}

func (p *callTagger) Init(ctx processor.ValueTransformerContext) (err error) {
	p.ctx = ctx
	p.calls, err = p.store.Open(ctx)
	return err
}

func (p *callTagger) Transform(key, value string, found bool) (string, bool, error) {
	n, _, err := p.calls.Get(key)
	if err != nil {
		return "", false, err
	}
	n++
	if err := p.calls.Put(key, n); err != nil {
		return "", false, err
	}
	switch {
	case !found:
		return fmt.Sprintf("gone#%d", n), strings.HasPrefix(key, "keep"), nil
	case value == "":
		return "", false, nil
	}
	md, _ := p.ctx.RecordMetadata()
	return fmt.Sprintf("%s#%d@%s/%d/%d/t%d", strings.ToUpper(value), n, md.Topic, md.Partition, md.Offset, p.ctx.Timestamp().UnixMilli()), true, nil
}

func (p *callTagger) Close() error { return nil }

// Table.TransformValues writes what Java Kafka Streams' KTable#transformValues
// writes on the same input (java/…/TransformValuesTopologies.java): the
// transformer's calls (once per update before ToStream; twice, the old
// value second, when a GroupBy needs old values; once when materialized,
// old values from the store), deletions passed to the transformer and
// turned into values, values turned into deletions, the record context.
func TestTableTransformValuesMatchesKafkaStreams(t *testing.T) {
	f, err := fixture.Load("../java/src/test/resources/fixtures/table-transform-values.json")
	require.NoError(t, err)

	b := stream.NewBuilder()
	words := b.Table("tv-words", serde.String(), serde.String())
	tagged := func(name string, opts ...table.Option) stream.Table[string, string] {
		calls := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: name}, serde.String(), serde.Int64())
		return words.TransformValues(func() processor.ValueTransformer[string, string, string] { return &callTagger{store: calls} },
			append(opts, calls)...)
	}
	base := func(k, v string) (string, string) { return v[:strings.IndexByte(v, '#')], k }
	tagged("tv-calls-1").ToStream().To("tv-out", nil, nil)
	tagged("tv-calls-2").GroupBy(base, nil, nil).Count().ToStream().To("tv-grouped", nil, serde.Int64())
	mat := tagged("tv-calls-3", table.As("tv-upper"))
	mat.ToStream().To("tv-mat-out", nil, nil)
	mat.GroupBy(base, nil, nil).Count().ToStream().To("tv-mat-grouped", nil, serde.Int64())
	topo, err := b.Build()
	require.NoError(t, err)
	d, err := topologytest.New(topo)
	require.NoError(t, err)
	defer d.Close()
	fixture.Replay(t, d, f)
}

// A table aggregation asked to subtract from a key without an aggregate,
// and to add nothing, puts the null and forwards it, as Kafka Streams'
// KTableAggregate does (java/…/NullAggregateAndFkWithKeyTest
// .subtractFromAbsentAggregateForwardsTombstone, on the topology above):
// the unmaterialized transformer turns the absent old value of keep1's
// first update into "gone#2", which GroupBy subtracts from the word
// "gone": a tombstone downstream and in the changelog.
func TestTableAggregateSubtractFromAbsentForwardsTombstone(t *testing.T) {
	b := stream.NewBuilder()
	calls := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "tv-calls-2"}, serde.String(), serde.Int64())
	b.Table("tv-words", serde.String(), serde.String()).
		TransformValues(func() processor.ValueTransformer[string, string, string] { return &callTagger{store: calls} }, calls).
		GroupBy(func(k, v string) (string, string) { return v[:strings.IndexByte(v, '#')], k }, nil, nil).
		Count(table.As("counts")).
		ToStream().To("tv-grouped", nil, serde.Int64())
	topo, err := b.Build()
	require.NoError(t, err)
	d, err := topologytest.New(topo, topologytest.AppID("app"))
	require.NoError(t, err)
	defer d.Close()
	in := d.Input("tv-words", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("keep1", "w", time.UnixMilli(1)))
	require.NoError(t, in.PipeAt("keep1", "v", time.UnixMilli(2)))
	show := func(topic string, withTime bool) []string {
		var got []string
		for _, r := range d.ReadRaw(topic) {
			v := "<tombstone>"
			if r.Value != nil {
				v = fmt.Sprint(int64(binary.BigEndian.Uint64(r.Value)))
			}
			s := string(r.Key) + "=" + v
			if withTime {
				s += "@" + fmt.Sprint(r.Timestamp.UnixMilli())
			}
			got = append(got, s)
		}
		return got
	}
	require.Equal(t, []string{"gone=<tombstone>@1", "W=1@1", "W=0@2", "V=1@2"}, show("tv-grouped", true))
	require.Equal(t, []string{"gone=<tombstone>", "W=1", "W=0", "V=1"}, show("app-counts-changelog", false))
}
