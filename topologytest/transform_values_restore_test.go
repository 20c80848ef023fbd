// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

type upperTransformer struct{}

func (upperTransformer) Init(processor.ValueTransformerContext) error { return nil }
func (upperTransformer) Transform(_, v string, found bool) (string, bool, error) {
	return strings.ToUpper(v), found, nil
}
func (upperTransformer) Close() error { return nil }

// A materialized TransformValues restores its store from its changelog,
// and the old values it forwards afterwards come from the restored rows: a
// re-grouping downstream subtracts the right counts.
func TestTableTransformValuesRestores(t *testing.T) {
	build := func() *stream.Topology {
		b := stream.NewBuilder()
		b.Table("users", serde.String(), serde.String(), table.As("users")).
			TransformValues(func() processor.ValueTransformer[string, string, string] { return upperTransformer{} }, table.As("upper")).
			GroupBy(func(user, region string) (string, string) { return region, user }, nil, nil).
			Count(table.As("per-region")).
			ToStream().
			To("out", nil, serde.Int64())
		topo, err := b.Build()
		require.NoError(t, err)
		return topo
	}
	src, err := New(build(), AppID("app"))
	require.NoError(t, err)
	defer src.Close()
	in := src.Input("users", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("alice", "eu", time.UnixMilli(1)))
	require.NoError(t, in.PipeAt("bob", "eu", time.UnixMilli(2)))
	logs := map[string][]RawRecord{}
	for _, topic := range []string{"app-users-changelog", "app-upper-changelog", "app-per-region-changelog"} {
		logs[topic] = src.ReadRaw(topic)
		require.NotEmpty(t, logs[topic], topic)
	}

	d, err := New(build(), AppID("app"))
	require.NoError(t, err)
	defer d.Close()
	for topic, rs := range logs {
		restore(t, d, topic, rs)
	}
	s, err := d.KeyValueStore("upper", serde.String(), serde.String())
	require.NoError(t, err)
	all, err := s.All()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, string]{record.KV("alice", "EU"), record.KV("bob", "EU")}, all)

	require.NoError(t, d.Input("users", serde.String(), serde.String()).PipeAt("alice", "us", time.UnixMilli(3)))
	got, err := d.Output("out", serde.String(), serde.Int64()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, int64]{record.KV("EU", int64(1)), record.KV("US", int64(1))}, got)
}
