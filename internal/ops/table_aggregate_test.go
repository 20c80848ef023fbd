// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The repartition value layout of a table grouping follows Kafka Streams'
// ChangedSerializer (KIP-904): old ‖ 0, new ‖ 1, len(new) ‖ new ‖ old ‖ 2.
func TestChangeLayout(t *testing.T) {
	assert.Equal(t, []byte("old\x00"), encodeChange(nil, []byte("old"), changeOld))
	assert.Equal(t, []byte("new\x01"), encodeChange([]byte("new"), nil, changeNew))
	both := encodeChange([]byte("nw"), []byte("old"), changeBoth)
	assert.Equal(t, []byte("\x00\x00\x00\x02nwold\x02"), both)

	n, o, hn, ho, err := decodeChange(both)
	require.NoError(t, err)
	assert.Equal(t, []byte("nw"), n)
	assert.Equal(t, []byte("old"), o)
	assert.True(t, hn && ho)
	n, o, hn, ho, err = decodeChange([]byte("\x00"))
	require.NoError(t, err)
	assert.Empty(t, n)
	assert.Empty(t, o)
	assert.False(t, hn)
	assert.True(t, ho)

	for _, bad := range [][]byte{nil, {9}, {0, 2}, {0, 0, 0, 9, 'a', 2}} {
		_, _, _, _, err := decodeChange(bad)
		assert.Error(t, err, "%q", bad)
	}
}
