// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"

	"github.com/eddy-streams/eddy/runtime"
)

// Existing internal topics whose configs contradict what the application
// needs stop it at start-up with an error naming topic and config.
func TestInternalTopicConfigConflicts(t *testing.T) {
	for _, tc := range []struct {
		name, topic, key, value, want string
	}{
		{"changelog not compacted", "wc-counts-changelog", "cleanup.policy", "delete", `"wc-counts-changelog" has cleanup.policy="delete", the application needs "compact"`},
		{"repartition topic compacted", "wc-counts-repartition", "cleanup.policy", "compact", `"wc-counts-repartition" has cleanup.policy="compact", the application needs "delete"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
			_, err := c.adm.CreateTopic(context.Background(), 2, 1, map[string]*string{tc.key: kadm.StringPtr(tc.value)}, tc.topic)
			require.NoError(t, err)
			app, err := runtime.New(wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), Logger: quiet(t)})
			require.NoError(t, err)
			err = app.Run(context.Background())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Equal(t, runtime.Error, app.State())
			require.NoError(t, app.Close(context.Background()))
		})
	}
	// Matching configs (here: created by a first run) start fine.
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	for i := range int64(2) {
		_, stop := startApp(t, wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(),
			Logger: quiet(t), CommitInterval: 50 * time.Millisecond})
		c.produce(t, "lines", "a")
		want := map[string]int64{"a": i + 1}
		got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
		require.Equal(t, want, got)
		stop()
	}
}
