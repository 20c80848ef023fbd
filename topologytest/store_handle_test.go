// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/topologytest"
)

// One handle passed to two processors declares one store, shared by both:
// they run in one sub-topology, and what one writes the other reads.
func TestStoreHandleSharedByProcessors(t *testing.T) {
	versions := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "versions"}, serde.String(), serde.Int64())
	assert.Equal(t, "versions", versions.Name())
	b := stream.NewBuilder()
	fixed := func() processor.FixedKeyProcessor[string, string, string] { return &versioner{store: versions} }
	b.Stream("a", serde.String(), serde.String()).ProcessValues(fixed, versions).To("out", nil, nil)
	b.Stream("b", serde.String(), serde.String()).ProcessValues(fixed, versions, stream.As("second")).To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Equal(t, 1, topo.Subtopologies())
	d, err := topologytest.New(topo)
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Input("a", serde.String(), serde.String()).PipeAt("k", "x", ms(1)))
	require.NoError(t, d.Input("b", serde.String(), serde.String()).PipeAt("k", "y", ms(2)))
	got, err := d.Output("out", serde.String(), serde.String()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, string]{record.KV("k", "x-v1@a/0/0"), record.KV("k", "y-v2@b/0/0")}, got)

	// The handle works in another builder too, where it declares the store
	// again.
	b2 := stream.NewBuilder()
	b2.Stream("a", serde.String(), serde.String()).ProcessValues(fixed, versions).To("out", nil, nil)
	_, err = b2.Build()
	require.NoError(t, err)
}
