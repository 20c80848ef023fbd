// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
)

// wordCount counts words: lines of text in, a running count per word out.
func wordCount() (*stream.Topology, error) {
	b := stream.NewBuilder()
	b.Stream("text-lines", serde.String(), serde.String()).
		FlatMapValues(func(line string) []string { return strings.Fields(strings.ToLower(line)) }).
		GroupBy(func(_, word string) string { return word }, serde.String()).
		Count(table.As("word-counts")).
		ToStream().
		To("word-counts-output", serde.String(), serde.Int64())
	return b.Build()
}

// Pipe records into a topology and read what it wrote, without a broker:
// every update of a count is a record of the output topic, and the store
// holds the latest counts.
func Example() {
	topo, err := wordCount()
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

	in := d.Input("text-lines", serde.String(), serde.String())
	start := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	if err := in.PipeAt("", "Hello world", start); err != nil {
		fmt.Println(err)
		return
	}
	if err := in.PipeAt("", "hello again", start.Add(time.Minute)); err != nil {
		fmt.Println(err)
		return
	}

	out := d.Output("word-counts-output", serde.String(), serde.Int64())
	records, err := out.ReadRecords()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range records {
		fmt.Printf("%s=%d at %s\n", r.Key, r.Value, r.Timestamp.UTC().Format(time.TimeOnly))
	}
	fmt.Println("all read:", out.IsEmpty())

	counts, err := d.KeyValueStore("word-counts", serde.String(), serde.Int64())
	if err != nil {
		fmt.Println(err)
		return
	}
	n, ok, err := counts.Get("hello")
	fmt.Println("store: hello =", n, ok, err)
	// Output:
	// hello=1 at 12:00:00
	// world=1 at 12:00:00
	// hello=2 at 12:01:00
	// again=1 at 12:01:00
	// all read: true
	// store: hello = 2 true <nil>
}

// With several partitions, keys are spread by Kafka's murmur2 partitioner
// and repartitioned as on a broker; ReadToMap keeps the latest value per
// key, the table the output topic describes.
func ExampleReadToMap() {
	topo, err := wordCount()
	if err != nil {
		fmt.Println(err)
		return
	}
	d, err := topologytest.New(topo, topologytest.DefaultPartitions(4))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer d.Close()
	in := d.Input("text-lines", serde.String(), serde.String())
	if err := in.PipeValues("the quick brown fox", "the lazy dog", "The dog"); err != nil {
		fmt.Println(err)
		return
	}
	counts, err := topologytest.ReadToMap(d.Output("word-counts-output", serde.String(), serde.Int64()))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(counts)
	fmt.Println("tasks:", d.Tasks())
	// Output:
	// map[brown:1 dog:2 fox:1 lazy:1 quick:1 the:3]
	// tasks: [0_0 0_1 0_2 0_3 1_0 1_1 1_2 1_3]
}

// A record the topology cannot decode stops the test with an error naming
// it, as the Fail policy stops an application; with SkipBadRecords it is
// dropped and counted instead, like runtime.Skip.
func ExampleSkipBadRecords() {
	b := stream.NewBuilder()
	b.Stream("amounts", serde.String(), serde.Int64()).
		MapValues(func(cents int64) int64 { return cents / 100 }).
		To("euros", serde.String(), serde.Int64())
	topo, err := b.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, opts := range [][]topologytest.Option{nil, {topologytest.SkipBadRecords()}} {
		d, err := topologytest.New(topo, opts...)
		if err != nil {
			fmt.Println(err)
			return
		}
		// Three bytes are not an 8-byte Int64.
		err = d.PipeRaw("amounts", []byte("k"), []byte("bad"), time.UnixMilli(0))
		fmt.Println("error:", err != nil, "dropped:", d.Dropped())
		d.Close()
	}
	// Output:
	// error: true dropped: map[]
	// error: false dropped: map[deserialization:1]
}
