// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/memory"
	"github.com/eddy-streams/eddy/state/pebble"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/window"
)

// joinRestoreTopology is an inner stream-stream join whose buffers are
// duplicate-keeping window stores.
func joinRestoreTopology(t *testing.T) *stream.Topology {
	t.Helper()
	b := stream.NewBuilder()
	l := b.Stream("left", serde.String(), serde.String())
	r := b.Stream("right", serde.String(), serde.String())
	l.Join(r, func(a, b string) string { return a + "+" + b },
		window.JoinWindow(100*time.Millisecond).Grace(time.Second)).
		To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

func joinPipe(t *testing.T, d *Driver, side, key, value string, ts int64) {
	t.Helper()
	require.NoError(t, d.Input(side, serde.String(), serde.String()).PipeAt(key, value, time.UnixMilli(ts)))
}

func joinOut(t *testing.T, d *Driver) []string {
	t.Helper()
	rs, err := d.Output("out", serde.String(), serde.String()).ReadRecords()
	require.NoError(t, err)
	var out []string
	for _, r := range rs {
		out = append(out, r.Key+" "+r.Value)
	}
	slices.Sort(out)
	return out
}

// joinChangelogs reads the changelog topics of the join's window stores.
func joinChangelogs(d *Driver) map[string][]RawRecord {
	out := map[string][]RawRecord{}
	for _, topic := range d.ProducedTopics() {
		if strings.HasSuffix(topic, "-changelog") {
			out[topic] = d.ReadRaw(topic)
		}
	}
	return out
}

// joinStoreEntries returns every entry of the task's changelogged window
// stores by changelog topic, as "key@start=value" (local layout).
func joinStoreEntries(t *testing.T, d *Driver) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, id := range d.order {
		task := d.tasks[id]
		for topic, name := range task.Changelogs() {
			ws, ok := task.Stores()[name].(state.WindowStore)
			require.True(t, ok, "store %s is a window store", name)
			for e, err := range ws.All() {
				require.NoError(t, err)
				v := e.Value
				if len(v) >= 8 {
					v = v[8:] // the timestamp prefix
				}
				out[topic] = append(out[topic], string(e.Key)+"@"+time.UnixMilli(e.WindowStart).UTC().Format("05.000")+"="+string(v))
			}
		}
	}
	for _, es := range out {
		slices.Sort(es)
	}
	return out
}

// Restoring a changelog record that a duplicate-keeping window store (a
// stream-stream join buffer) already holds does not add it again: entries
// keep the sequence number of their changelog key, as in Kafka Streams,
// so restoring the same records twice, or restoring into a store that
// already holds them, leaves each once, and the join emits each result
// once.
func TestJoinBufferRestoreIsIdempotent(t *testing.T) {
	history := func(d *Driver) {
		// Two duplicates of (k, 10), which differ only by sequence number.
		joinPipe(t, d, "left", "k", "A", 10)
		joinPipe(t, d, "left", "k", "B", 10)
		joinPipe(t, d, "left", "j", "C", 20)
		joinPipe(t, d, "right", "k", "x", 15)
	}
	dir := t.TempDir()
	for name, backend := range map[string]func(task string) (state.Backend, error){
		"memory": func(string) (state.Backend, error) { return memory.New(), nil },
		"pebble": func(task string) (state.Backend, error) {
			return pebble.Open(filepath.Join(dir, task), pebble.Options{})
		},
	} {
		t.Run(name, func(t *testing.T) {
			src, err := New(joinRestoreTopology(t), AppID("app"))
			require.NoError(t, err)
			defer src.Close()
			history(src)
			assert.Equal(t, []string{"k A+x", "k B+x"}, joinOut(t, src))
			changelogs := joinChangelogs(src)
			require.Len(t, changelogs, 2, "the join's two buffers")
			want := joinStoreEntries(t, src)
			for topic, cl := range changelogs {
				require.Len(t, want[topic], len(cl), "one entry per changelog record of %s", topic)
			}

			d, err := New(joinRestoreTopology(t), AppID("app"), Backend(backend))
			require.NoError(t, err)
			defer d.Close()
			// Twice, as a restore that starts from an older offset than
			// the store holds replays records it already has.
			for range 2 {
				for topic, cl := range changelogs {
					restore(t, d, topic, cl)
				}
			}
			assert.Equal(t, want, joinStoreEntries(t, d), "each restored record once")

			// The restored buffers join like the original ones, once each,
			// and new duplicates of a restored window add to it.
			for _, dd := range []*Driver{src, d} {
				joinPipe(t, dd, "right", "k", "y", 16)
				joinPipe(t, dd, "left", "k", "D", 10)
				joinPipe(t, dd, "right", "k", "z", 17)
			}
			got := joinOut(t, d)
			assert.Equal(t, []string{"k A+y", "k A+z", "k B+y", "k B+z", "k D+x", "k D+y", "k D+z"}, got)
			assert.Equal(t, joinOut(t, src), got)
			assert.Equal(t, joinStoreEntries(t, src), joinStoreEntries(t, d))
		})
	}
}

// A Pebble join buffer that is reopened keeps its sequence numbers: new
// records neither overwrite the ones it holds nor reuse their changelog
// keys, and replaying the changelog into it (a restore from an older
// offset) adds nothing, while restoring the whole changelog into an empty
// store gives the same buffer.
func TestJoinBufferSequenceSurvivesReopen(t *testing.T) {
	dir := t.TempDir()
	open := func() *Driver {
		d, err := New(joinRestoreTopology(t), AppID("app"), Backend(func(task string) (state.Backend, error) {
			return pebble.Open(filepath.Join(dir, task), pebble.Options{})
		}))
		require.NoError(t, err)
		return d
	}
	all := map[string][]RawRecord{}
	collect := func(d *Driver) {
		for topic, cl := range joinChangelogs(d) {
			all[topic] = append(all[topic], cl...)
		}
	}

	d1 := open()
	joinPipe(t, d1, "left", "k", "A", 10)
	joinPipe(t, d1, "left", "k", "B", 10)
	collect(d1)
	require.NoError(t, d1.Close())

	d2 := open()
	defer d2.Close()
	// Replays what the store already holds.
	for topic, cl := range all {
		restore(t, d2, topic, cl)
	}
	joinPipe(t, d2, "left", "k", "C", 10)
	joinPipe(t, d2, "right", "k", "x", 15)
	assert.Equal(t, []string{"k A+x", "k B+x", "k C+x"}, joinOut(t, d2))
	collect(d2)
	seen := map[string]bool{}
	for topic, cl := range all {
		for _, r := range cl {
			k := topic + "/" + string(r.Key)
			assert.False(t, seen[k], "changelog key %q of %s is reused", r.Key, topic)
			seen[k] = true
		}
	}

	fresh, err := New(joinRestoreTopology(t), AppID("app"))
	require.NoError(t, err)
	defer fresh.Close()
	for topic, cl := range all {
		restore(t, fresh, topic, cl)
	}
	assert.Equal(t, joinStoreEntries(t, d2), joinStoreEntries(t, fresh))
	joinPipe(t, fresh, "right", "k", "y", 16)
	joinPipe(t, d2, "right", "k", "y", 16)
	assert.Equal(t, []string{"k A+y", "k B+y", "k C+y"}, joinOut(t, fresh))
	assert.Equal(t, []string{"k A+y", "k B+y", "k C+y"}, joinOut(t, d2))
}

// plainWindows wraps a backend so that its window stores implement only
// state.WindowStore, like a third-party backend's.
type plainWindows struct{ state.Backend }

func (b plainWindows) Window(name string, opts state.WindowOptions) (state.WindowStore, error) {
	w, err := b.Backend.Window(name, opts)
	return struct{ state.WindowStore }{w}, err
}

// Window stores without state.WindowRestorer still work: entries are
// restored with Put, and the changelog numbers duplicates itself.
func TestJoinBufferWithoutRestorer(t *testing.T) {
	d, err := New(joinRestoreTopology(t), AppID("app"), Backend(func(string) (state.Backend, error) {
		return plainWindows{memory.New()}, nil
	}))
	require.NoError(t, err)
	defer d.Close()
	for _, id := range d.order {
		for _, s := range d.tasks[id].Stores() {
			_, ok := s.(state.WindowRestorer)
			require.False(t, ok)
		}
	}
	joinPipe(t, d, "left", "k", "A", 10)
	joinPipe(t, d, "left", "k", "B", 10)
	cls := joinChangelogs(d)
	var seqs []byte
	for topic, cl := range cls {
		if strings.Contains(topic, "JOINTHIS") {
			for _, r := range cl {
				seqs = append(seqs, r.Key[len(r.Key)-1])
			}
		}
	}
	assert.Equal(t, []byte{1, 2}, seqs)

	fresh, err := New(joinRestoreTopology(t), AppID("app"), Backend(func(string) (state.Backend, error) {
		return plainWindows{memory.New()}, nil
	}))
	require.NoError(t, err)
	defer fresh.Close()
	for topic, cl := range cls {
		restore(t, fresh, topic, cl)
	}
	assert.Equal(t, joinStoreEntries(t, d), joinStoreEntries(t, fresh))
	joinPipe(t, fresh, "right", "k", "x", 15)
	assert.Equal(t, []string{"k A+x", "k B+x"}, joinOut(t, fresh))
}
