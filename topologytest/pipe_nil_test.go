// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

type account struct {
	Owner   string `json:"owner"`
	Balance int64  `json:"balance"`
}

// Pipe(k, nil) of a value type with nil pipes a tombstone (nil value
// bytes), as a running topology writes a nil value, not the serde's
// encoding of nil (JSON "null"): a table source deletes the key and
// forwards the deletion.
func TestPipeNilIsATombstone(t *testing.T) {
	b := stream.NewBuilder()
	b.Table("accounts", serde.String(), serde.JSON[*account](), table.As("accounts")).
		ToStream().To("accounts-out", nil, nil)
	d := driver(t, b)
	in := d.Input("accounts", serde.String(), serde.JSON[*account]())
	require.NoError(t, in.Pipe("a", &account{Owner: "ann", Balance: 5}))
	require.NoError(t, in.Pipe("b", &account{Owner: "bob", Balance: 7}))
	require.NoError(t, in.Pipe("a", nil))

	raw := d.ReadRaw("accounts")
	require.Len(t, raw, 3)
	assert.Nil(t, raw[2].Value, "the piped record's value bytes are null, not %q", raw[2].Value)

	rs, err := d.Output("accounts-out", serde.String(), serde.JSON[*account]()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, rs, 3)
	assert.Equal(t, "a", rs[2].Key)
	assert.True(t, rs[2].ValueNull, "the deletion is forwarded as a tombstone")
	assert.Nil(t, rs[2].Value)

	store, err := d.KeyValueStore("accounts", serde.String(), serde.JSON[*account]())
	require.NoError(t, err)
	_, found, err := store.Get("a")
	require.NoError(t, err)
	assert.False(t, found, "the tombstone deleted the row")
	v, found, err := store.Get("b")
	require.NoError(t, err)
	require.True(t, found)
	assert.Equal(t, &account{Owner: "bob", Balance: 7}, v)
}

// The same for the other types with nil, and a nil key is a null key;
// empty but non-nil values stay values.
func TestPipeNilOfEveryNillableType(t *testing.T) {
	t.Run("bytes", func(t *testing.T) {
		b := stream.NewBuilder()
		b.Table("t", serde.String(), serde.Bytes(), table.As("t"))
		d := driver(t, b)
		in := d.Input("t", serde.String(), serde.Bytes())
		require.NoError(t, in.Pipe("k", nil))
		require.NoError(t, in.Pipe("k", []byte{}))
		raw := d.ReadRaw("t")
		require.Len(t, raw, 2)
		assert.Nil(t, raw[0].Value)
		assert.NotNil(t, raw[1].Value, "an empty slice is an empty value")
		assert.Empty(t, raw[1].Value)
	})
	t.Run("map", func(t *testing.T) {
		b := stream.NewBuilder()
		b.Table("t", serde.String(), serde.JSON[map[string]int](), table.As("t"))
		d := driver(t, b)
		in := d.Input("t", serde.String(), serde.JSON[map[string]int]())
		require.NoError(t, in.Pipe("k", map[string]int{"x": 1}))
		require.NoError(t, in.Pipe("k", nil))
		raw := d.ReadRaw("t")
		require.Len(t, raw, 2)
		assert.Equal(t, `{"x":1}`, string(raw[0].Value))
		assert.Nil(t, raw[1].Value)
	})
	t.Run("interface", func(t *testing.T) {
		b := stream.NewBuilder()
		b.Table("t", serde.String(), serde.JSON[any](), table.As("t"))
		d := driver(t, b)
		in := d.Input("t", serde.String(), serde.JSON[any]())
		require.NoError(t, in.Pipe("k", "v"))
		require.NoError(t, in.Pipe("k", nil))
		raw := d.ReadRaw("t")
		require.Len(t, raw, 2)
		assert.Equal(t, `"v"`, string(raw[0].Value))
		assert.Nil(t, raw[1].Value)
	})
	t.Run("key", func(t *testing.T) {
		b := stream.NewBuilder()
		b.Stream("s", serde.JSON[*string](), serde.String()).GroupByKey().Count()
		d := driver(t, b)
		in := d.Input("s", serde.JSON[*string](), serde.String())
		require.NoError(t, in.Pipe(nil, "v"))
		raw := d.ReadRaw("s")
		require.Len(t, raw, 1)
		assert.Nil(t, raw[0].Key, "a nil key is a null key")
		assert.Equal(t, int64(1), d.Dropped()["null-key"], "the aggregation drops the null key")
	})
	t.Run("non-nillable", func(t *testing.T) {
		b := stream.NewBuilder()
		b.Table("t", serde.String(), serde.String(), table.As("t"))
		d := driver(t, b)
		in := d.Input("t", serde.String(), serde.String())
		require.NoError(t, in.Pipe("k", ""))
		require.NoError(t, in.PipeTombstone("k"))
		raw := d.ReadRaw("t")
		require.Len(t, raw, 2)
		assert.NotNil(t, raw[0].Value, "an empty string is a value")
		assert.Nil(t, raw[1].Value)
	})
}
