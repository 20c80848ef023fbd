// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
)

// Arena.Copy keeps nil nil and empty empty, copies the bytes (the source
// can change afterwards), and gives each copy no spare capacity, so that
// appending to one cannot overwrite the next; short and long slices alike.
func TestArenaCopy(t *testing.T) {
	var a engine.Arena
	assert.Nil(t, a.Copy(nil))
	empty := a.Copy([]byte{})
	assert.NotNil(t, empty)
	assert.Empty(t, empty)

	long := bytes.Repeat([]byte("L"), 1000)
	inputs := [][]byte{[]byte("word"), {0, 0, 0, 0, 0, 0, 0, 7}, long, []byte("x"), bytes.Repeat([]byte("m"), 200)}
	var copies [][]byte
	for range 50 { // several chunks
		for _, in := range inputs {
			src := bytes.Clone(in)
			c := a.Copy(src)
			require.Equal(t, in, c)
			assert.Equal(t, len(c), cap(c))
			src[0] ^= 0xff // the copy does not follow its source
			require.Equal(t, in, c)
			copies = append(copies, c)
		}
	}
	for i := range copies {
		_ = append(copies[i], '!') // may not reach into the next copy
	}
	for i, c := range copies {
		assert.Equal(t, inputs[i%len(inputs)], c, "copy %d", i)
	}
}
