package pebble_test

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/state/pebble"
)

// A commit on a filesystem with less free space than required is refused
// with an error that says so and what to do; the writes stay uncommitted
// (Pebble would stop the process when its disk fills).
func TestCommitRefusesOnAFullDisk(t *testing.T) {
	dir := t.TempDir()
	b, err := pebble.Open(dir, pebble.Options{MinFreeBytes: 1 << 62}) // more than any disk has
	require.NoError(t, err)
	defer b.Close()
	kv, err := b.KeyValue("kv")
	require.NoError(t, err)
	require.NoError(t, kv.Put([]byte("k"), []byte("v")))
	err = b.Commit(map[string]int64{"in/0": 7})
	var full *pebble.DiskFullError
	require.True(t, errors.As(err, &full), "got %v", err)
	assert.Equal(t, dir, full.Dir)
	assert.Contains(t, err.Error(), "no space left")
	assert.Contains(t, err.Error(), "free disk space")
	offs, err := b.Offsets()
	require.NoError(t, err)
	assert.NotContains(t, offs, "in/0", "nothing was committed")

	// With the default requirement (64 MiB) a test machine's disk passes,
	// and a negative one turns the check off.
	for _, min := range []int64{0, -1} {
		b2, err := pebble.Open(t.TempDir(), pebble.Options{MinFreeBytes: min})
		require.NoError(t, err)
		kv, err := b2.KeyValue("kv")
		require.NoError(t, err)
		require.NoError(t, kv.Put([]byte("k"), []byte("v")))
		assert.NoError(t, b2.Commit(map[string]int64{"in/0": 7}))
		require.NoError(t, b2.Close())
	}
}
