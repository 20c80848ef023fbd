// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestOptionDefaults(t *testing.T) {
	o, err := parseOptions(nil, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, []string{"exactly_once", "at_least_once"}, o.guarantees)
	assert.Equal(t, 20, o.kills)
	assert.Equal(t, int64(24000), o.records)
	assert.Equal(t, 50, o.keys)
	assert.Equal(t, 2*time.Second, o.session, "the started broker allows short sessions")
	assert.NotZero(t, o.seed)

	o, err = parseOptions([]string{"-long", "-brokers", "k:9092", "-guarantee", "exactly_once"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 30*time.Minute, o.duration)
	assert.Equal(t, 300, o.kills)
	assert.Equal(t, int64(360000), o.records)
	assert.Equal(t, 720, o.keys)
	assert.Equal(t, 6*time.Second, o.session, "Kafka's minimum session timeout")
	assert.Equal(t, []string{"exactly_once"}, o.guarantees)

	for _, bad := range [][]string{{"-guarantee", "maybe"}, {"-instances", "0"}, {"extra"}, {"-duration", "-1s"}} {
		_, err := parseOptions(bad, io.Discard)
		assert.Error(t, err, "%v", bad)
	}
}

func TestPickVictims(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	slots := []*slot{{id: "a"}, {id: "b"}, {id: "c"}}
	doubles := 0
	for range 1000 {
		v := pick(rng, append([]*slot(nil), slots...), 0.3)
		require.NotEmpty(t, v)
		require.LessOrEqual(t, len(v), 2)
		if len(v) == 2 {
			doubles++
			assert.NotEqual(t, v[0].id, v[1].id)
		}
	}
	assert.InDelta(t, 300, doubles, 60)
	assert.Empty(t, pick(rng, nil, 0.3))
	assert.Len(t, pick(rng, slots[:1], 1), 1, "one running instance: never two victims")
}
