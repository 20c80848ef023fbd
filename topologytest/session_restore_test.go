// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/memory"
	"github.com/eddy-streams/eddy/state/pebble"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// restore applies every record of topic to the task that logs to it, as the
// runtime does after losing local state.
func restore(t *testing.T, d *Driver, topic string, rs []RawRecord) {
	t.Helper()
	for _, r := range rs {
		n := 0
		for _, id := range d.order {
			task := d.tasks[id]
			if _, ok := task.Changelogs()[topic]; ok && id.Partition == r.Partition {
				require.NoError(t, task.Restore(topic, r.Key, r.Value, r.Timestamp.UnixMilli()))
				n++
			}
		}
		require.Equal(t, 1, n, "tasks logging to %s partition %d", topic, r.Partition)
	}
	require.NoError(t, d.commitAll())
}

// Session stores restore from their changelog (key ‖ end ‖ start, plain
// values, tombstones for merged sessions) into both backends, and the
// restored state merges later records like the original.
func TestSessionStoreRestoresFromChangelog(t *testing.T) {
	build := func() *stream.Topology {
		b := stream.NewBuilder()
		b.Stream("in", serde.String(), serde.String()).
			GroupByKey().
			SessionWindowedBy(window.Session(10*time.Millisecond).Grace(time.Second)).
			Count(table.As("sessions")).
			ToStream().
			To("out", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		return topo
	}
	pipe := func(d *Driver, key string, ts int64) {
		require.NoError(t, d.Input("in", serde.String(), serde.String()).PipeAt(key, "v", time.UnixMilli(ts)))
	}
	history := func(d *Driver) {
		// a at 0, 14, 35, 42 and 7, which bridges [0,0] and [14,14].
		for i, k := range []string{"a", "b", "a", "c", "b", "a", "a", "c"} {
			pipe(d, k, int64(i*7))
		}
		pipe(d, "a", 7)
	}
	type out struct {
		key        string
		start, end int64
		value      int64
		null       bool
		ts         int64
	}
	outputs := func(d *Driver) []out {
		rs, err := d.Output("out", serde.SessionWindowed(serde.String()), serde.Int64()).ReadRecords()
		require.NoError(t, err)
		var o []out
		for _, r := range rs {
			o = append(o, out{r.Key.Key, r.Key.Window.Start().UnixMilli(), r.Key.Window.End().UnixMilli(), r.Value, r.ValueNull, r.Timestamp.UnixMilli()})
		}
		return o
	}
	dir := t.TempDir()
	for name, backend := range map[string]func(task string) (state.Backend, error){
		"memory": func(string) (state.Backend, error) { return memory.New(), nil },
		"pebble": func(task string) (state.Backend, error) {
			return pebble.Open(filepath.Join(dir, task), pebble.Options{})
		},
	} {
		t.Run(name, func(t *testing.T) {
			src, err := New(build(), AppID("app"), DefaultPartitions(2))
			require.NoError(t, err)
			defer src.Close()
			history(src)
			changelog := src.ReadRaw("app-sessions-changelog")
			require.NotEmpty(t, changelog)
			want, err := src.SessionStore("sessions", serde.String(), serde.Int64())
			require.NoError(t, err)
			wantAll, err := want.All()
			require.NoError(t, err)
			outputs(src)

			d, err := New(build(), AppID("app"), DefaultPartitions(2), Backend(backend))
			require.NoError(t, err)
			defer d.Close()
			restore(t, d, "app-sessions-changelog", changelog)
			got, err := d.SessionStore("sessions", serde.String(), serde.Int64())
			require.NoError(t, err)
			gotAll, err := got.All()
			require.NoError(t, err)
			assert.Equal(t, wantAll, gotAll)
			assert.Contains(t, gotAll, record.KeyValue[window.Windowed[string], int64]{Key: window.Of("a", time.UnixMilli(0), time.UnixMilli(14)), Value: 3})
			assert.Empty(t, d.ReadRaw("app-sessions-changelog"), "restoring does not log again")

			// The restored sessions merge like the original ones.
			for _, dd := range []*Driver{src, d} {
				pipe(dd, "c", 30)
				pipe(dd, "a", 40)
			}
			assert.Equal(t, outputs(src), outputs(d))
		})
	}
}
