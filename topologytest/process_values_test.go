// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/topologytest"
)

// versioner is a fixed-key processor that numbers each key's records in a
// store and tags them with their input position.
type versioner struct {
	store stream.KeyValueStore[string, int64]
	ctx   processor.FixedKeyContext[string, string]
	seen  state.KeyValueView[string, int64]
}

func (p *versioner) Init(ctx processor.FixedKeyContext[string, string]) (err error) {
	p.ctx = ctx
	p.seen, err = p.store.Open(ctx)
	return err
}

func (p *versioner) Process(r processor.FixedKeyRecord[string, string]) error {
	n, _, err := p.seen.Get(r.Key())
	if err != nil {
		return err
	}
	if err := p.seen.Put(r.Key(), n+1); err != nil {
		return err
	}
	md, _ := p.ctx.RecordMetadata()
	return p.ctx.Forward(r.WithValue(fmt.Sprintf("%s-v%d@%s/%d/%d", r.Value, n+1, md.Topic, md.Partition, md.Offset)))
}

func (p *versioner) Close() error { return nil }

// rekey is a Processor that may change the key (here it keeps it, but
// Eddy cannot know).
type rekey struct {
	ctx processor.Context[string, string]
}

func (p *rekey) Init(ctx processor.Context[string, string]) error { p.ctx = ctx; return nil }
func (p *rekey) Process(r processor.Record[string, string]) error { return p.ctx.Forward(r) }
func (p *rekey) Close() error                                     { return nil }

// A join after ProcessValues reads the stream where it is (the key did not
// change); after Process, or after a key change upstream of ProcessValues,
// the stream is repartitioned first.
func TestProcessValuesJoinWithoutRepartition(t *testing.T) {
	build := func(shape string) *stream.Builder {
		b := stream.NewBuilder()
		prices := b.Table("prices", serde.String(), serde.Int64())
		versions := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "versions"}, serde.String(), serde.Int64())
		s := b.Stream("orders", serde.String(), serde.String())
		fixed := func() processor.FixedKeyProcessor[string, string, string] { return &versioner{store: versions} }
		switch shape {
		case "processValues":
			s = s.ProcessValues(fixed, versions)
		case "process":
			s = s.Process(func() processor.Processor[string, string, string, string] { return &rekey{} })
		case "selectKey+processValues":
			s = s.SelectKey(func(k, _ string) string { return strings.ToLower(k) }).ProcessValues(fixed, versions)
		}
		s.JoinTable(prices, func(v string, p int64) string { return fmt.Sprintf("%s*%d", v, p) }).To("out", nil, nil)
		return b
	}
	for shape, repartitions := range map[string]bool{"processValues": false, "process": true, "selectKey+processValues": true} {
		t.Run(shape, func(t *testing.T) {
			topo, err := build(shape).Build()
			require.NoError(t, err)
			assert.Equal(t, repartitions, strings.Contains(topo.Describe(), "-repartition"), topo.Describe())
		})
	}

	d := driver(t, build("processValues"), topologytest.DefaultPartitions(3))
	require.NoError(t, d.Input("prices", serde.String(), serde.Int64()).PipeKeyValues(record.KV("apple", int64(3)), record.KV("pear", int64(5))))
	orders := d.Input("orders", serde.String(), serde.String())
	require.NoError(t, orders.PipeKeyValues(record.KV("apple", "o1"), record.KV("pear", "o2"), record.KV("apple", "o3")))
	got, err := d.Output("out", serde.String(), serde.String()).ReadKeyValues()
	require.NoError(t, err)
	var vs []string
	for _, kv := range got {
		vs = append(vs, kv.Key+"="+kv.Value)
	}
	// Offsets are per partition: apple's two orders share one.
	part := partitions(t, d)
	assert.Len(t, vs, 3)
	assert.Contains(t, vs, "pear=o2-v1@orders/"+part["pear"]+"/0*5")
	assert.Contains(t, vs, "apple=o1-v1@orders/"+part["apple"]+"/0*3")
	assert.Contains(t, vs, "apple=o3-v2@orders/"+part["apple"]+"/1*3")
	for _, topic := range d.ProducedTopics() {
		assert.NotContains(t, topic, "repartition")
	}
}

// partitions returns the partition of each key's "versions" changelog
// records, which is the partition of its input records.
func partitions(t *testing.T, d *topologytest.Driver) map[string]string {
	t.Helper()
	rs, err := d.Output("test-app-versions-changelog", serde.String(), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	out := map[string]string{}
	for _, r := range rs {
		out[r.Key] = fmt.Sprint(r.Partition)
	}
	return out
}
