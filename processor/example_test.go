// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package processor_test

import (
	"fmt"
	"time"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/topologytest"
)

// seenStore is the store "seen": its name and serdes, written once.
var seenStore = stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "seen"}, serde.String(), serde.Int64())

// dedup forwards the first record of each key, remembering keys in the
// store "seen".
type dedup struct {
	ctx  processor.Context[string, string]
	seen state.KeyValueView[string, int64]
}

func (d *dedup) Init(ctx processor.Context[string, string]) (err error) {
	d.ctx = ctx
	d.seen, err = seenStore.Open(ctx)
	return err
}

func (d *dedup) Process(r processor.Record[string, string]) error {
	if _, ok, err := d.seen.Get(r.Key); err != nil || ok {
		return err
	}
	if err := d.seen.Put(r.Key, r.Timestamp.UnixMilli()); err != nil {
		return err
	}
	return d.ctx.Forward(r)
}

func (d *dedup) Close() error { return nil }

func Example() {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		Process(func() processor.Processor[string, string, string, string] { return &dedup{} },
			seenStore, stream.As("dedup")).
		To("out", nil, nil)
	topo, err := b.Build()
	if err != nil {
		panic(err)
	}
	d, err := topologytest.New(topo)
	if err != nil {
		panic(err)
	}
	defer d.Close()
	in := d.Input("in", serde.String(), serde.String()).AutoAdvance(time.Second)
	for _, k := range []string{"a", "b", "a", "c", "b"} {
		if err := in.Pipe(k, "v-"+k); err != nil {
			panic(err)
		}
	}
	out, _ := d.Output("out", serde.String(), serde.String()).ReadKeyValues()
	fmt.Println(out)
	// Output: [{a v-a} {b v-b} {c v-c}]
}
