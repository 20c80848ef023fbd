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

// sessionizer counts a key's clicks in sessions with a 10 ms inactivity
// gap, kept by hand in a user session store: each record finds the
// sessions it touches, removes them and puts the merged one. The value
// "drop" removes the key's sessions; "list" forwards them.
type sessionizer struct {
	store    stream.SessionStore[string, int64]
	ctx      processor.Context[string, string]
	sessions state.SessionView[string, int64]
}

const sessionGap = 10 * time.Millisecond

func (p *sessionizer) Init(ctx processor.Context[string, string]) (err error) {
	p.ctx = ctx
	p.sessions, err = p.store.Open(ctx)
	return err
}

func (p *sessionizer) Process(r processor.Record[string, string]) error {
	var found []record.KeyValue[window.Windowed[string], int64]
	var err error
	switch r.Value {
	case "list", "drop":
		found, err = collect(p.sessions.Fetch(r.Key))
	default:
		found, err = collect(p.sessions.FindSessions(r.Key, r.Timestamp.Add(-sessionGap), r.Timestamp.Add(sessionGap)))
	}
	if err != nil {
		return err
	}
	if r.Value == "list" {
		var out []string
		for _, s := range found {
			out = append(out, fmt.Sprintf("[%d,%d]:%d", s.Key.Window.Start().UnixMilli(), s.Key.Window.End().UnixMilli(), s.Value))
		}
		r.Value = strings.Join(out, " ")
		return p.ctx.Forward(r)
	}
	start, end, n := r.Timestamp, r.Timestamp, int64(1)
	for _, s := range found {
		if err := p.sessions.Remove(r.Key, s.Key.Window.Start(), s.Key.Window.End()); err != nil {
			return err
		}
		start, end = minTime(start, s.Key.Window.Start()), maxTime(end, s.Key.Window.End())
		n += s.Value
	}
	if r.Value == "drop" {
		return nil
	}
	if err := p.sessions.Put(r.Key, start, end, n); err != nil {
		return err
	}
	got, ok, err := p.sessions.FetchSession(r.Key, start, end)
	if err != nil || !ok || got != n {
		return fmt.Errorf("FetchSession after Put: %d %v %v", got, ok, err)
	}
	r.Value = fmt.Sprintf("[%d,%d]:%d", start.UnixMilli(), end.UnixMilli(), n)
	return p.ctx.Forward(r)
}

func (p *sessionizer) Close() error { return nil }

func collect[T any](seq func(func(T, error) bool)) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func sessionizerTopology(t *testing.T, spec stream.SessionStoreSpec) *stream.Topology {
	t.Helper()
	sessions := stream.NewSessionStore(spec, serde.String(), serde.Int64())
	b := stream.NewBuilder()
	b.Stream("clicks", serde.String(), serde.String()).
		Process(func() processor.Processor[string, string, string, string] { return &sessionizer{store: sessions} }, sessions).
		To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

// Session stores in the Processor API, in both backends: put, fetch, find,
// remove, changelogged in Kafka Streams' session changelog layout,
// expired by retention, and restored from the changelog.
func TestProcessUserSessionStore(t *testing.T) {
	spec := stream.SessionStoreSpec{Name: "sessions", Retention: 100 * time.Millisecond}
	dir := t.TempDir()
	for name, backend := range map[string]func(task string) (state.Backend, error){
		"memory": func(string) (state.Backend, error) { return memory.New(), nil },
		"pebble": func(task string) (state.Backend, error) {
			return pebble.Open(filepath.Join(dir, task), pebble.Options{})
		},
	} {
		t.Run(name, func(t *testing.T) {
			d, err := New(sessionizerTopology(t, spec), AppID("app"), DefaultPartitions(2), Backend(backend))
			require.NoError(t, err)
			defer d.Close()
			in := d.Input("clicks", serde.String(), serde.String())
			for _, c := range []struct {
				key string
				ts  int64
			}{{"a", 0}, {"a", 5}, {"b", 6}, {"a", 25}, {"a", 15}, {"b", 50}} {
				require.NoError(t, in.PipeAt(c.key, "click", time.UnixMilli(c.ts)))
			}
			out, err := d.Output("out", serde.String(), serde.String()).ReadKeyValues()
			require.NoError(t, err)
			assert.Equal(t, []record.KeyValue[string, string]{
				record.KV("a", "[0,0]:1"), record.KV("a", "[0,5]:2"), record.KV("b", "[6,6]:1"),
				record.KV("a", "[25,25]:1"),
				record.KV("a", "[0,25]:4"), // 15 bridges [0,5] and [25,25]
				record.KV("b", "[50,50]:1"),
			}, out)

			// Changelog: key ‖ 8-byte end ‖ 8-byte start, plain value or a
			// tombstone for a removed session, stamped with the record time.
			cl := d.ReadRaw("app-sessions-changelog")
			var got []string
			for _, r := range cl {
				k := r.Key
				end, start := int64(binary.BigEndian.Uint64(k[len(k)-16:])), int64(binary.BigEndian.Uint64(k[len(k)-8:]))
				v := "null"
				if r.Value != nil {
					v = fmt.Sprint(int64(binary.BigEndian.Uint64(r.Value)))
				}
				got = append(got, fmt.Sprintf("%s[%d,%d]=%s@%d", k[:len(k)-16], start, end, v, r.Timestamp.UnixMilli()))
			}
			assert.Equal(t, []string{
				"a[0,0]=1@0",
				"a[0,0]=null@5", "a[0,5]=2@5",
				"b[6,6]=1@6",
				"a[25,25]=1@25",
				"a[0,5]=null@15", "a[25,25]=null@15", "a[0,25]=4@15",
				"b[50,50]=1@50",
			}, got)

			s, err := d.SessionStore("sessions", serde.String(), serde.Int64())
			require.NoError(t, err)
			v, ok, err := s.FetchSession("a", time.UnixMilli(0), time.UnixMilli(25))
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, int64(4), v)

			// Restore into a fresh driver from the changelog, then carry on.
			r, err := New(sessionizerTopology(t, spec), AppID("app"), DefaultPartitions(2))
			require.NoError(t, err)
			defer r.Close()
			restore(t, r, "app-sessions-changelog", cl)
			rin := r.Input("clicks", serde.String(), serde.String())
			require.NoError(t, rin.PipeAt("a", "list", time.UnixMilli(60)))
			require.NoError(t, rin.PipeAt("b", "list", time.UnixMilli(60)))
			require.NoError(t, rin.PipeAt("a", "click", time.UnixMilli(35)))
			require.NoError(t, rin.PipeAt("b", "drop", time.UnixMilli(61)))
			require.NoError(t, rin.PipeAt("b", "list", time.UnixMilli(62)))
			out, err = r.Output("out", serde.String(), serde.String()).ReadKeyValues()
			require.NoError(t, err)
			assert.Equal(t, []record.KeyValue[string, string]{
				record.KV("a", "[0,25]:4"), record.KV("b", "[6,6]:1 [50,50]:1"),
				record.KV("a", "[0,35]:5"),
				record.KV("b", ""),
			}, out)

			// Retention: a session that ended 100 ms or more before the
			// largest end written expires.
			require.NoError(t, in.PipeAt("c", "click", time.UnixMilli(200)))
			require.NoError(t, in.PipeAt("a", "list", time.UnixMilli(200)))
			out, err = d.Output("out", serde.String(), serde.String()).ReadKeyValues()
			require.NoError(t, err)
			require.Len(t, out, 2)
			assert.Equal(t, record.KV("a", ""), out[1])
		})
	}
}

func TestSessionStoreSpecValidation(t *testing.T) {
	for _, c := range []struct {
		spec stream.SessionStoreSpec
		want string
	}{
		{stream.SessionStoreSpec{Retention: time.Second}, "empty store name"},
		{stream.SessionStoreSpec{Name: "s"}, "retention must be at least 1ms"},
	} {
		b := stream.NewBuilder()
		sessions := stream.NewSessionStore(c.spec, serde.String(), serde.Int64())
		b.Stream("in", serde.String(), serde.String()).
			Process(func() processor.Processor[string, string, string, string] { return &sessionizer{store: sessions} }, sessions)
		_, err := b.Build()
		require.Error(t, err)
		assert.Contains(t, err.Error(), c.want)
	}

	// Without logging there is no changelog.
	d, err := New(sessionizerTopology(t, stream.SessionStoreSpec{Name: "sessions", Retention: time.Second, DisableLogging: true}))
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Input("clicks", serde.String(), serde.String()).PipeAt("a", "click", time.UnixMilli(1)))
	assert.NotContains(t, d.ProducedTopics(), "test-app-sessions-changelog")
	assert.Empty(t, d.ReadRaw("test-app-sessions-changelog"))
}
