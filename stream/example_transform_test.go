// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream_test

import (
	"fmt"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
)

// versions numbers each row's updates, counting them in a store it
// declares once, as a typed handle.
type versions struct {
	seen stream.KeyValueStore[string, int64]
	view state.KeyValueView[string, int64]
}

func (v *versions) Init(ctx processor.ValueTransformerContext) (err error) {
	v.view, err = v.seen.Open(ctx)
	return err
}

func (v *versions) Transform(key, value string, found bool) (string, bool, error) {
	n, _, err := v.view.Get(key)
	if err != nil {
		return "", false, err
	}
	if err := v.view.Put(key, n+1); err != nil {
		return "", false, err
	}
	if !found {
		return "", false, nil // the row was deleted: keep it deleted
	}
	return fmt.Sprintf("%s (v%d)", value, n+1), true, nil
}

func (v *versions) Close() error { return nil }

// A table's values computed by a ValueTransformer with a state store, the
// result materialized and queried.
func ExampleTable_TransformValues() {
	seen := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "update-counts"}, serde.String(), serde.Int64())
	b := stream.NewBuilder()
	b.Table("docs", serde.String(), serde.String()).
		TransformValues(func() processor.ValueTransformer[string, string, string] { return &versions{seen: seen} },
			seen, table.As("versioned-docs")).
		ToStream().
		To("versioned-docs", nil, nil)
	topo, err := b.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := topologytest.New(topo)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	in := d.Input("docs", serde.String(), serde.String())
	_ = in.Pipe("readme", "draft")
	_ = in.Pipe("readme", "final")
	_ = in.PipeTombstone("readme")
	_ = in.Pipe("faq", "hello")
	rs, _ := d.Output("versioned-docs", serde.String(), serde.String()).ReadRecords()
	for _, r := range rs {
		fmt.Println(r.Key, r.Value, r.ValueNull)
	}
	docs, _ := d.KeyValueStore("versioned-docs", serde.String(), serde.String())
	all, _ := docs.All()
	fmt.Println(all)
	// Output:
	// readme draft (v1) false
	// readme final (v2) false
	// readme  true
	// faq hello (v1) false
	// [{faq hello (v1)}]
}
