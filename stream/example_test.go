// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
)

// Word count: lines of text in, a running count per word out. Grouping by
// a new key (the word) makes a repartition topic, so the topology has two
// sub-topologies; Describe prints them as Kafka Streams'
// Topology.describe() does (the generated names come from each
// operator's place in the graph, so they stay the same when unrelated
// operators are added).
func Example_wordCount() {
	b := stream.NewBuilder()
	b.Stream("text-lines", serde.String(), serde.String()).
		FlatMapValues(func(line string) []string { return strings.Fields(strings.ToLower(line)) }).
		GroupBy(func(_, word string) string { return word }, serde.String()).
		Count(table.As("word-counts")).
		ToStream().
		To("word-counts-output", serde.String(), serde.Int64())
	topo, err := b.Build()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(topo.Describe())
	fmt.Println("stores:", topo.StoreNames())
	// Output:
	// Topologies:
	//    Sub-topology: 0
	//     Source: KSTREAM-SOURCE-58545da0 (topics: [text-lines])
	//       --> KSTREAM-FLATMAPVALUES-df145ee9
	//     Processor: KSTREAM-FLATMAPVALUES-df145ee9 (stores: [])
	//       --> KSTREAM-KEY-SELECT-a47ba129
	//       <-- KSTREAM-SOURCE-58545da0
	//     Processor: KSTREAM-KEY-SELECT-a47ba129 (stores: [])
	//       --> word-counts-repartition-sink
	//       <-- KSTREAM-FLATMAPVALUES-df145ee9
	//     Sink: word-counts-repartition-sink (topic: word-counts-repartition)
	//       <-- KSTREAM-KEY-SELECT-a47ba129
	//
	//    Sub-topology: 1
	//     Source: word-counts-repartition-source (topics: [word-counts-repartition])
	//       --> KSTREAM-AGGREGATE-84969c12
	//     Processor: KSTREAM-AGGREGATE-84969c12 (stores: [word-counts])
	//       --> KTABLE-TOSTREAM-91f2fd41
	//       <-- word-counts-repartition-source
	//     Processor: KTABLE-TOSTREAM-91f2fd41 (stores: [])
	//       --> KSTREAM-SINK-6eb08a58
	//       <-- KSTREAM-AGGREGATE-84969c12
	//     Sink: KSTREAM-SINK-6eb08a58 (topic: word-counts-output)
	//       <-- KTABLE-TOSTREAM-91f2fd41
	// stores: [word-counts]
}

// The event time of a record can come from its payload. A record for which
// the extractor returns a negative time is dropped, counted as
// "invalid-timestamp" and logged, whatever the error policy — as Kafka
// Streams drops a record whose extracted timestamp is negative. (A record
// whose own Kafka timestamp is negative, on a stream without an
// extractor, goes to the error policy instead: by default the application
// stops, like Kafka Streams' FailOnInvalidTimestamp.)
func ExampleStream_WithTimestamps() {
	type click struct {
		Page string `json:"page"`
		At   int64  `json:"at"` // epoch ms; 0 when the sender did not know
	}
	b := stream.NewBuilder()
	b.Stream("clicks", serde.String(), serde.JSON[click]()).
		WithTimestamps(func(_ string, c click, _ time.Time) time.Time {
			if c.At == 0 {
				return time.Time{} // unknown event time: drop the record
			}
			return time.UnixMilli(c.At)
		}).
		MapValues(func(c click) string { return c.Page }).
		To("pages", serde.String(), serde.String())
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
	in := d.Input("clicks", serde.String(), serde.JSON[click]())
	sent := time.Date(2026, 1, 2, 15, 0, 0, 0, time.UTC) // the Kafka record timestamp
	for _, c := range []click{
		{Page: "/home", At: time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC).UnixMilli()},
		{Page: "/cart"},
	} {
		if err := in.PipeAt("u1", c, sent); err != nil {
			fmt.Println(err)
			return
		}
	}
	out, err := d.Output("pages", serde.String(), serde.String()).ReadRecords()
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range out {
		fmt.Println(r.Value, r.Timestamp.UTC().Format(time.TimeOnly))
	}
	fmt.Println("dropped:", d.Dropped())
	// Output:
	// /home 12:00:00
	// dropped: map[invalid-timestamp:1]
}
