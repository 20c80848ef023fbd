// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/runtime"
)

// Config.StateMemoryBytes sizes the Pebble cache the instance's stores
// share, half of it their write budget; too small a value is refused
// naming the field.
func TestStateMemoryBytes(t *testing.T) {
	cfg := runtime.Config{AppID: "wc", Brokers: []string{"127.0.0.1:1"}, StateMemoryBytes: 1 << 20}
	err := cfg.Validate()
	var ce *runtime.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "StateMemoryBytes", ce.Field)
	assert.Contains(t, err.Error(), "below the minimum of 4194304 (4 MiB)")

	for _, tc := range []struct {
		set, budget int64
	}{{0, 64 << 20}, {32 << 20, 16 << 20}} {
		cfg := runtime.Config{AppID: "wc", Brokers: []string{"127.0.0.1:1"}, StateDir: t.TempDir(), StateMemoryBytes: tc.set}
		app, err := runtime.New(wordCount(t), cfg)
		require.NoError(t, err)
		assert.Equal(t, tc.budget, app.DetailedMetrics().BlockCache.MemTableLimit, "StateMemoryBytes %d", tc.set)
		require.NoError(t, app.Close(context.Background()))
	}
}
