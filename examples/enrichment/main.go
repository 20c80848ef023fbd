// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Command enrichment joins a stream of orders with a table of customers
// (a stream-table join on the customer id), writes the enriched orders to
// enriched-orders, and the revenue per region per 5-minute tumbling
// window — final results only, one record per region and window once the
// window has closed — to revenue-per-region.
//
// With no flags it starts an embedded broker, loads sample customers,
// produces sample orders (including one for an unknown customer and an
// invalid one), runs the application until the closed windows' revenue is
// out, prints it and exits. See wordcount for the flags and for running it
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
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
)

var base = time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).UnixMilli()

var customers = map[string]string{
	"c1": `{"name":"Ann","region":"EU"}`,
	"c2": `{"name":"Bo","region":"US"}`,
	"c3": `{"name":"Chen","region":"APAC"}`,
}

var orders = []struct {
	id, customer string
	amount       int64
	at           int64 // ms after base
}{
	{"o1", "c1", 1250, 30_000}, {"o2", "c2", 800, 60_000}, {"o3", "c1", 200, 299_000},
	{"o4", "c3", 999, 360_000}, {"o5", "c9", 100, 420_000}, // unknown customer
	{"o6", "c2", 150, 480_000},
	{"o7", "c1", 10, 1_200_000}, // 12:20 closes the windows before it
}

// want is the revenue per region and window start of the closed windows.
var want = map[string]int64{"EU@12:00": 1450, "US@12:00": 800, "APAC@12:05": 999, "US@12:05": 150}

func main() {
	if err := run(demo.Parse()); err != nil {
		fmt.Fprintln(os.Stderr, "enrichment:", err)
		os.Exit(1)
	}
}

func run(f demo.Flags) error {
	var custs []*kgo.Record
	for _, id := range slices.Sorted(maps.Keys(customers)) {
		custs = append(custs, &kgo.Record{Topic: CustomersTopic, Key: []byte(id), Value: []byte(customers[id]), Timestamp: time.UnixMilli(base)})
	}
	var input []*kgo.Record
	for _, o := range orders {
		v := fmt.Sprintf(`{"orderId":%q,"customerId":%q,"amount":%d}`, o.id, o.customer, o.amount)
		input = append(input, &kgo.Record{Topic: OrdersTopic, Key: []byte(o.customer), Value: []byte(v), Timestamp: time.UnixMilli(base + o.at)})
	}
	input = append(input, &kgo.Record{Topic: OrdersTopic, Key: []byte("c1"), Value: []byte(`{"orderId":"o8"}`), Timestamp: time.UnixMilli(base + 1_210_000)})
	windowed := serde.TimeWindowed(serde.String(), Windows.Size())
	return demo.Run(f, demo.Example{
		Name:     "enrichment",
		Topology: Topology,
		// One partition for the co-partitioned inputs keeps the orders in
		// order, so whether an order is late does not depend on how
		// partitions interleave, and the revenue task sees one stream time.
		Inputs: []runtime.TopicSpec{{Name: OrdersTopic, Partitions: 1}, {Name: CustomersTopic, Partitions: 1}},
		Outputs: []runtime.TopicSpec{
			{Name: EnrichedTopic, Partitions: int32(f.Partitions)},
			{Name: RevenueTopic, Partitions: int32(f.Partitions)},
		},
		Configure: func(c *runtime.Config) { c.OnError = runtime.Skip },
		Check: func(ctx context.Context, s *demo.Session) error {
			// The customers go in first, acknowledged, then the orders.
			// A task processes the record with the lowest timestamp first
			// across its input partitions (as Kafka Streams does), but it
			// waits only for records already on the broker: the
			// application is running, so if the orders landed first
			// (records for two topics can leave the producer in separate
			// requests, in either order), the task would join them with
			// an empty table and drop them — in Kafka Streams as in Eddy.
			if err := s.Produce(ctx, custs...); err != nil {
				return err
			}
			if err := s.Produce(ctx, input...); err != nil {
				return err
			}
			s.Progressf("produced %d customers to %s and %d orders to %s; waiting for %d closed windows' revenue in %s",
				len(custs), CustomersTopic, len(input), OrdersTopic, len(want), RevenueTopic)
			got, err := s.ReadLatest(ctx, RevenueTopic, want, func(r *kgo.Record) (string, int64, bool) {
				k, err1 := windowed.Deserialize(RevenueTopic, r.Key)
				n, err2 := serde.Int64().Deserialize(RevenueTopic, r.Value)
				if err1 != nil || err2 != nil {
					return "", 0, false
				}
				return k.Key + "@" + k.Window.Start().UTC().Format("15:04"), n, true
			})
			if err != nil {
				return err
			}
			fmt.Println("final revenue per region per 5 minutes (cents):")
			for _, k := range slices.Sorted(maps.Keys(got)) {
				fmt.Printf("  %-12s %d\n", k, got[k])
			}
			return nil
		},
	})
}
