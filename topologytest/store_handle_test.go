// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

// One handle passed to two processors declares one store, shared by both:
// they run in one sub-topology, and what one writes the other reads.
func TestStoreHandleSharedByProcessors(t *testing.T) {
	versions := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "versions"}, serde.String(), serde.Int64())
	assert.Equal(t, "versions", versions.Name())
	b := stream.NewBuilder()
	fixed := func() processor.FixedKeyProcessor[string, string, string] { return &versioner{store: versions} }
	b.Stream("a", serde.String(), serde.String()).ProcessValues(fixed, versions).To("out", nil, nil)
	b.Stream("b", serde.String(), serde.String()).ProcessValues(fixed, versions, stream.As("second")).To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Equal(t, 1, topo.Subtopologies())
	d, err := topologytest.New(topo)
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Input("a", serde.String(), serde.String()).PipeAt("k", "x", ms(1)))
	require.NoError(t, d.Input("b", serde.String(), serde.String()).PipeAt("k", "y", ms(2)))
	got, err := d.Output("out", serde.String(), serde.String()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, string]{record.KV("k", "x-v1@a/0/0"), record.KV("k", "y-v2@b/0/0")}, got)

	// The handle works in another builder too, where it declares the store
	// again.
	b2 := stream.NewBuilder()
	b2.Stream("a", serde.String(), serde.String()).ProcessValues(fixed, versions).To("out", nil, nil)
	_, err = b2.Build()
	require.NoError(t, err)
}

// windowLister forwards, for each record, the windows of its key in a DSL
// window store.
type windowLister struct {
	store stream.WindowStore[string, int64]
	ctx   processor.Context[string, string]
	view  state.WindowView[string, int64]
}

func (p *windowLister) Init(ctx processor.Context[string, string]) (err error) {
	p.ctx = ctx
	p.view, err = p.store.Open(ctx)
	return err
}

func (p *windowLister) Process(r processor.Record[string, string]) error {
	var ws []string
	for kv, err := range p.view.FetchRange(r.Key, time.UnixMilli(0), r.Timestamp) {
		if err != nil {
			return err
		}
		ws = append(ws, fmt.Sprintf("[%d,%d)=%d", kv.Key.Window.Start().UnixMilli(), kv.Key.Window.End().UnixMilli(), kv.Value))
	}
	r.Value = strings.Join(ws, " ")
	return p.ctx.Forward(r)
}

func (p *windowLister) Close() error { return nil }

// sessionLister forwards, for each record, the sessions of its key in a
// DSL session store.
type sessionLister struct {
	store stream.SessionStore[string, int64]
	ctx   processor.Context[string, string]
	view  state.SessionView[string, int64]
}

func (p *sessionLister) Init(ctx processor.Context[string, string]) (err error) {
	p.ctx = ctx
	p.view, err = p.store.Open(ctx)
	return err
}

func (p *sessionLister) Process(r processor.Record[string, string]) error {
	var ss []string
	for kv, err := range p.view.Fetch(r.Key) {
		if err != nil {
			return err
		}
		ss = append(ss, fmt.Sprintf("[%d,%d]=%d", kv.Key.Window.Start().UnixMilli(), kv.Key.Window.End().UnixMilli(), kv.Value))
	}
	r.Value = strings.Join(ss, " ")
	return p.ctx.Forward(r)
}

func (p *sessionLister) Close() error { return nil }

// Processors read DSL window and session stores through the windowed and
// session tables' handles.
func TestStoreHandleOnWindowedTables(t *testing.T) {
	b := stream.NewBuilder()
	clicks := b.Stream("clicks", serde.String(), serde.String())
	windowed := clicks.GroupByKey().WindowedBy(window.Tumbling(10*time.Millisecond)).Count(table.As("per-window"), table.WithRetention(time.Hour))
	sessions := clicks.GroupByKey().SessionWindowedBy(window.Session(5*time.Millisecond)).Count(table.As("per-session"), table.WithRetention(time.Hour))
	queries := b.Stream("queries", serde.String(), serde.String())
	ws := windowed.Store(serde.String())
	queries.Process(func() processor.Processor[string, string, string, string] { return &windowLister{store: ws} }, ws).
		To("windows", nil, nil)
	ss := sessions.Store(serde.String())
	queries.Process(func() processor.Processor[string, string, string, string] { return &sessionLister{store: ss} }, ss).
		To("sessions", nil, nil)
	d := driver(t, b, topologytest.DefaultPartitions(2))
	in := d.Input("clicks", serde.String(), serde.String())
	for _, ts := range []int64{1, 3, 12, 30} {
		require.NoError(t, in.PipeAt("a", "x", ms(ts)))
	}
	require.NoError(t, d.Input("queries", serde.String(), serde.String()).PipeAt("a", "?", ms(40)))
	topologytest.AssertKeyValues(t, d.Output("windows", serde.String(), serde.String()), record.KV("a", "[0,10)=2 [10,20)=1 [30,40)=1"))
	topologytest.AssertKeyValues(t, d.Output("sessions", serde.String(), serde.String()), record.KV("a", "[1,3]=2 [12,12]=1 [30,30]=1"))
}
