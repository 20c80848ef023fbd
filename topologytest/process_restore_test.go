// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"path/filepath"
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
)

// sumsStore is the user store "sums".
var sumsStore = stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "sums"}, serde.String(), serde.Int64())

// summer keeps a running sum per key in the user store "sums" and forwards
// it.
type summer struct {
	ctx  processor.Context[string, int64]
	sums state.KeyValueView[string, int64]
}

func (p *summer) Init(ctx processor.Context[string, int64]) (err error) {
	p.ctx = ctx
	p.sums, err = sumsStore.Open(ctx)
	return err
}

func (p *summer) Process(r processor.Record[string, int64]) error {
	sum, _, err := p.sums.Get(r.Key)
	if err != nil {
		return err
	}
	sum += r.Value
	if err := p.sums.Put(r.Key, sum); err != nil {
		return err
	}
	return p.ctx.Forward(processor.Record[string, int64]{Key: r.Key, Value: sum, Timestamp: r.Timestamp})
}

func (p *summer) Close() error { return nil }

// User stores work in both backends and restore from their changelog.
func TestProcessUserStoreRestores(t *testing.T) {
	build := func() *stream.Topology {
		b := stream.NewBuilder()
		b.Stream("in", serde.String(), serde.Int64()).
			Process(func() processor.Processor[string, int64, string, int64] { return &summer{} }, sumsStore).
			To("out", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		return topo
	}
	pipe := func(d *Driver, k string, v int64, ts int64) {
		require.NoError(t, d.Input("in", serde.String(), serde.Int64()).PipeAt(k, v, time.UnixMilli(ts)))
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
			for i, k := range []string{"a", "b", "a", "c", "a"} {
				pipe(src, k, int64(i+1), int64(i))
			}
			changelog := src.ReadRaw("app-sums-changelog")
			require.Len(t, changelog, 5)

			d, err := New(build(), AppID("app"), DefaultPartitions(2), Backend(backend))
			require.NoError(t, err)
			defer d.Close()
			restore(t, d, "app-sums-changelog", changelog)
			for _, dd := range []*Driver{src, d} {
				s, err := dd.KeyValueStore("sums", serde.String(), serde.Int64())
				require.NoError(t, err)
				all, err := s.All()
				require.NoError(t, err)
				assert.Equal(t, []record.KeyValue[string, int64]{record.KV("a", int64(9)), record.KV("b", int64(2)), record.KV("c", int64(4))}, all)
				pipe(dd, "a", 10, 10)
				got, err := dd.Output("out", serde.String(), serde.Int64()).ReadValues()
				require.NoError(t, err)
				assert.Equal(t, int64(19), got[len(got)-1])
			}
		})
	}
}
