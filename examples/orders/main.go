// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Command orders joins a table of orders with a table of customers on
// each order's customer id (a foreign-key join), writes every order's
// current row with its customer to orders-with-customer, and keeps the
// revenue per region up to date in revenue-by-region: when a customer
// moves to another region, all their orders move with them; a cancelled
// order (a tombstone) or one that changes customer is subtracted from
// where it was.
//
// With no flags it starts an embedded broker, loads sample customers and
// orders and waits for their revenue per region, then moves a customer,
// cancels an order and reassigns another, waits until the revenue per
// region reflects them, prints it and exits. See wordcount for the flags and for running it
// again on a real cluster.
package main

import (
	"context"
	"fmt"
	"maps"
	"os"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/examples/internal/demo"
	"github.com/eddy-streams/eddy/query"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
)

var base = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).UnixMilli()

// row is an input record: topic, key, value (nil: tombstone).
type row struct {
	topic, key string
	value      *string
}

// initial is the first input, and wantInitial the revenue per region
// (cents) it gives.
var initial = []row{
	{CustomersTopic, "c1", ptr(`{"name":"Ann","region":"EU"}`)},
	{CustomersTopic, "c2", ptr(`{"name":"Bo","region":"US"}`)},
	{CustomersTopic, "c3", ptr(`{"name":"Chen","region":"APAC"}`)},
	{OrdersTopic, "o1", ptr(`{"customerId":"c1","amount":1250}`)},
	{OrdersTopic, "o2", ptr(`{"customerId":"c2","amount":800}`)},
	{OrdersTopic, "o3", ptr(`{"customerId":"c1","amount":200}`)},
	{OrdersTopic, "o4", ptr(`{"customerId":"c3","amount":999}`)},
	{OrdersTopic, "o5", ptr(`{"customerId":"c9","amount":100}`)}, // unknown customer
	{OrdersTopic, "o6", ptr(`not json`)},                         // invalid: logged, ignored
}

var wantInitial = map[string]int64{"EU": 1250 + 200, "US": 800, "APAC": 999}

// updates come once the initial revenue is out (the foreign-key join is
// asynchronous: sent together, the updates could overtake the rows they
// update and the initial revenue would never be seen), and want is the
// revenue per region after them.
var updates = []row{
	{CustomersTopic, "c1", ptr(`{"name":"Ann","region":"US"}`)},  // Ann moves: o1 and o3 follow
	{OrdersTopic, "o2", nil},                                     // o2 cancelled
	{OrdersTopic, "o4", ptr(`{"customerId":"c2","amount":999}`)}, // o4 now Bo's
}

var want = map[string]int64{"EU": 0, "US": 1250 + 200 + 999, "APAC": 0}

func ptr(s string) *string { return &s }

func main() {
	if err := run(demo.Parse()); err != nil {
		fmt.Fprintln(os.Stderr, "orders:", err)
		os.Exit(1)
	}
}

func run(f demo.Flags) error {
	records := func(rows []row, from int) []*kgo.Record {
		var out []*kgo.Record
		for i, r := range rows {
			rec := &kgo.Record{Topic: r.topic, Key: []byte(r.key), Timestamp: time.UnixMilli(base + int64(from+i)*1000)}
			if r.value != nil {
				rec.Value = []byte(*r.value)
			}
			out = append(out, rec)
		}
		return out
	}
	decode := func(r *kgo.Record) (string, int64, bool) {
		n, err := serde.Int64().Deserialize(RevenueTopic, r.Value)
		return string(r.Key), n, err == nil && r.Value != nil
	}
	return demo.Run(f, demo.Example{
		Name:     "orders",
		Topology: Topology,
		// A foreign-key join needs no co-partitioning: the inputs may have
		// any partition counts.
		Inputs: []runtime.TopicSpec{{Name: OrdersTopic, Partitions: int32(f.Partitions)}, {Name: CustomersTopic, Partitions: 1}},
		Outputs: []runtime.TopicSpec{
			{Name: EnrichedTopic, Partitions: int32(f.Partitions)},
			{Name: RevenueTopic, Partitions: int32(f.Partitions)},
		},
		Check: func(ctx context.Context, s *demo.Session) error {
			if err := s.Produce(ctx, records(initial, 0)...); err != nil {
				return err
			}
			s.Progressf("produced %d customers and orders; waiting for the revenue per region in %s to be %v",
				len(initial), RevenueTopic, wantInitial)
			if _, err := s.ReadLatest(ctx, RevenueTopic, wantInitial, decode); err != nil {
				return err
			}
			if err := s.Produce(ctx, records(updates, len(initial))...); err != nil {
				return err
			}
			s.Progressf("produced %d updates (a customer moves, an order is cancelled, another changes customer); waiting for the revenue per region to be %v",
				len(updates), want)
			got, err := s.ReadLatest(ctx, RevenueTopic, want, decode)
			if err != nil {
				return err
			}
			fmt.Println("revenue per region (cents):")
			for _, k := range slices.Sorted(maps.Keys(got)) {
				fmt.Printf("  %-6s %d\n", k, got[k])
			}
			return nil
		},
		Stores: func(app *runtime.App) ([]query.Servable, error) {
			revenue, err := query.KeyValue(app, RevenueStore, serde.String(), serde.Int64())
			if err != nil {
				return nil, err
			}
			return []query.Servable{revenue.Serve(nil)}, nil
		},
	})
}
