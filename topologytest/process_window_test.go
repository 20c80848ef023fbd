// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/memory"
	"github.com/eddy-streams/eddy/state/pebble"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/window"
)

// clickCounter counts clicks per key in 10 ms windows kept in the user
// window store "clicks"; the value "list" forwards the key's windows.
type clickCounter struct {
	store  stream.WindowStore[string, int64]
	ctx    processor.Context[string, string]
	clicks state.WindowView[string, int64]
}

func (p *clickCounter) Init(ctx processor.Context[string, string]) (err error) {
	p.ctx = ctx
	p.clicks, err = p.store.Open(ctx)
	return err
}

func (p *clickCounter) Process(r processor.Record[string, string]) error {
	if r.Value == "list" {
		var ws []string
		for kv, err := range p.clicks.FetchRange(r.Key, time.UnixMilli(0), r.Timestamp) {
			if err != nil {
				return err
			}
			ws = append(ws, fmt.Sprintf("[%d,%d):%d", kv.Key.Window.Start().UnixMilli(), kv.Key.Window.End().UnixMilli(), kv.Value))
		}
		r.Value = strings.Join(ws, " ")
		return p.ctx.Forward(r)
	}
	ms := r.Timestamp.UnixMilli()
	start := time.UnixMilli(ms - ms%10)
	n, _, err := p.clicks.Fetch(r.Key, start)
	if err != nil {
		return err
	}
	if err := p.clicks.Put(r.Key, start, n+1); err != nil {
		return err
	}
	r.Value = fmt.Sprintf("%d:%d", start.UnixMilli(), n+1)
	return p.ctx.Forward(r)
}

func (p *clickCounter) Close() error { return nil }

func clickTopology(t *testing.T) *stream.Topology {
	t.Helper()
	b := stream.NewBuilder()
	clicks := stream.NewWindowStore(stream.WindowStoreSpec{Name: "clicks", WindowSize: 10 * time.Millisecond, Retention: 30 * time.Millisecond},
		serde.String(), serde.Int64())
	b.Stream("in", serde.String(), serde.String()).
		Process(func() processor.Processor[string, string, string, string] { return &clickCounter{store: clicks} }, clicks).
		To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

// User-defined window stores in both backends: windowed reads and writes
// through the typed view, retention, the changelog layout, and restoring
// from the changelog.
func TestProcessUserWindowStore(t *testing.T) {
	dir := t.TempDir()
	for name, backend := range map[string]func(task string) (state.Backend, error){
		"memory": func(string) (state.Backend, error) { return memory.New(), nil },
		"pebble": func(task string) (state.Backend, error) {
			return pebble.Open(filepath.Join(dir, task), pebble.Options{})
		},
	} {
		t.Run(name, func(t *testing.T) {
			d, err := New(clickTopology(t), AppID("app"), Backend(backend))
			require.NoError(t, err)
			defer d.Close()
			in := d.Input("in", serde.String(), serde.String())
			out := d.Output("out", serde.String(), serde.String())
			step := func(key, value string, ts int64, want string) {
				t.Helper()
				require.NoError(t, in.PipeAt(key, value, time.UnixMilli(ts)))
				v, err := out.ReadValue()
				require.NoError(t, err)
				assert.Equal(t, want, v, "%s %s at %d", key, value, ts)
			}
			step("a", "click", 1, "0:1")
			step("a", "click", 5, "0:2")
			step("a", "click", 12, "10:1")
			step("b", "click", 3, "0:1")
			step("a", "click", 25, "20:1")
			step("a", "list", 26, "[0,10):2 [10,20):1 [20,30):1")

			ws, err := d.WindowStore("clicks", serde.String(), serde.Int64())
			require.NoError(t, err)
			all, err := ws.All()
			require.NoError(t, err)
			assert.Equal(t, []record.KeyValue[window.Windowed[string], int64]{
				record.KV(window.Of("a", time.UnixMilli(0), time.UnixMilli(10)), int64(2)), record.KV(window.Of("a", time.UnixMilli(10), time.UnixMilli(20)), int64(1)), record.KV(window.Of("a", time.UnixMilli(20), time.UnixMilli(30)), int64(1)), record.KV(window.Of("b", time.UnixMilli(0), time.UnixMilli(10)), int64(1)),
			}, all)

			// Changelog: key ‖ 8-byte start ‖ 4-byte sequence, plain value,
			// record time.
			changelog := d.ReadRaw("app-clicks-changelog")
			require.Len(t, changelog, 5)
			c := changelog[2]
			assert.Equal(t, "a", string(c.Key[:len(c.Key)-12]))
			assert.Equal(t, uint64(10), binary.BigEndian.Uint64(c.Key[len(c.Key)-12:]))
			assert.Equal(t, uint32(0), binary.BigEndian.Uint32(c.Key[len(c.Key)-4:]))
			assert.Equal(t, uint64(1), binary.BigEndian.Uint64(c.Value))
			assert.Equal(t, int64(12), c.Timestamp.UnixMilli())

			// Restored into a fresh driver, the store continues.
			d2, err := New(clickTopology(t), AppID("app"))
			require.NoError(t, err)
			defer d2.Close()
			restore(t, d2, "app-clicks-changelog", changelog)
			ws2, err := d2.WindowStore("clicks", serde.String(), serde.Int64())
			require.NoError(t, err)
			all2, err := ws2.All()
			require.NoError(t, err)
			assert.Equal(t, all, all2)

			// Windows starting 30 ms or more before the latest start
			// (40) expire, as in Kafka Streams: [10,20) is gone.
			step("a", "click", 45, "40:1")
			step("a", "list", 46, "[20,30):1 [40,50):1")
			for _, start := range []int64{0, 10} {
				v, ok, err := ws.Fetch("a", time.UnixMilli(start))
				require.NoError(t, err)
				assert.False(t, ok, "expired window at %d: %d", start, v)
			}
		})
	}
}

// dupRecorder keeps every value of a key in one window of a
// duplicate-keeping store and forwards them all.
type dupRecorder struct {
	store stream.WindowStore[string, string]
	ctx   processor.Context[string, string]
	seen  state.WindowView[string, string]
}

func (p *dupRecorder) Init(ctx processor.Context[string, string]) (err error) {
	p.ctx = ctx
	p.seen, err = p.store.Open(ctx)
	return err
}

func (p *dupRecorder) Process(r processor.Record[string, string]) error {
	if err := p.seen.Put(r.Key, time.UnixMilli(0), r.Value); err != nil {
		return err
	}
	var vs []string
	for kv, err := range p.seen.FetchRange(r.Key, time.UnixMilli(0), time.UnixMilli(0)) {
		if err != nil {
			return err
		}
		vs = append(vs, kv.Value)
	}
	r.Value = strings.Join(vs, ",")
	return p.ctx.Forward(r)
}

func (p *dupRecorder) Close() error { return nil }

func TestProcessUserWindowStoreDuplicates(t *testing.T) {
	b := stream.NewBuilder()
	seen := stream.NewWindowStore(stream.WindowStoreSpec{Name: "seen", WindowSize: time.Second, Retention: time.Hour, RetainDuplicates: true, DisableLogging: true},
		serde.String(), serde.String())
	b.Stream("in", serde.String(), serde.String()).
		Process(func() processor.Processor[string, string, string, string] { return &dupRecorder{store: seen} }, seen).
		To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	d, err := New(topo)
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Input("in", serde.String(), serde.String()).PipeKeyValues(record.KV("k", "x"), record.KV("k", "x"), record.KV("k", "y")))
	vs, err := d.Output("out", serde.String(), serde.String()).ReadValues()
	require.NoError(t, err)
	assert.Equal(t, []string{"x", "x,x", "x,x,y"}, vs)
	assert.NotContains(t, d.ProducedTopics(), "test-app-seen-changelog")
}

func TestWindowStoreSpecValidation(t *testing.T) {
	sup := func() processor.Processor[string, string, string, string] { return &dupRecorder{} }
	for _, c := range []struct {
		spec stream.WindowStoreSpec
		want string
	}{
		{stream.WindowStoreSpec{WindowSize: time.Second, Retention: time.Second}, "empty store name"},
		{stream.WindowStoreSpec{Name: "w", Retention: time.Second}, "window size must be at least 1ms"},
		{stream.WindowStoreSpec{Name: "w", WindowSize: time.Minute, Retention: time.Second}, "retention 1s is shorter than the window size 1m0s"},
	} {
		b := stream.NewBuilder()
		b.Stream("in", serde.String(), serde.String()).Process(sup, stream.NewWindowStore(c.spec, serde.String(), serde.String())).To("out", nil, nil)
		_, err := b.Build()
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
	}

	// A window store opened as a key-value store fails at Init with the
	// store's name.
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		Process(func() processor.Processor[string, string, string, string] { return &summerAsString{} },
			stream.NewWindowStore(stream.WindowStoreSpec{Name: "seen", WindowSize: time.Second, Retention: time.Second}, serde.String(), serde.String())).
		To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	_, err = New(topo)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no key-value store "seen"`)
}

// summerAsString opens the window store "seen" as a key-value store.
type summerAsString struct{}

func (p *summerAsString) Init(ctx processor.Context[string, string]) error {
	_, err := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "seen"}, serde.String(), serde.String()).Open(ctx)
	return err
}
func (p *summerAsString) Process(processor.Record[string, string]) error { return nil }
func (p *summerAsString) Close() error                                   { return nil }
