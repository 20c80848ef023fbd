// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"fmt"
	"strings"
	"testing"

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
