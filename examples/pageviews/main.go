// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Command pageviews is tumbling-window analytics: views per page per
// one-minute window, with a 10-second grace period for late events, from
// JSON events whose event time comes from the payload.
//
// With no flags it starts an embedded broker, produces sample events
// (including an out-of-order one inside the grace period, a late one after
// it and an undecodable one), runs the application until the windows are
// complete, prints them and exits. See wordcount for the flags and for
// running it again on a real cluster.
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

var sample = []struct {
	user, page string
	at         int64 // ms after base
}{
	{"u1", "/home", 1_000}, {"u2", "/home", 20_000}, {"u1", "/cart", 30_000},
	{"u3", "/home", 61_000}, {"u2", "/home", 59_000}, // out of order, within grace
	{"u4", "/home", 75_000}, {"u1", "/home", 10_000}, // late: [12:00,12:01) closed at 12:01:10
}

// want is the final count per page and window start of the sample.
var want = map[string]int64{"/home@12:00": 3, "/cart@12:00": 1, "/home@12:01": 2}

func main() {
	if err := run(demo.Parse()); err != nil {
		fmt.Fprintln(os.Stderr, "pageviews:", err)
		os.Exit(1)
	}
}

func run(f demo.Flags) error {
	var input []*kgo.Record
	for _, e := range sample {
		v := fmt.Sprintf(`{"page":%q,"user":%q,"ts":%d}`, e.page, e.user, base+e.at)
		input = append(input, &kgo.Record{Topic: InputTopic, Key: []byte(e.user), Value: []byte(v)})
	}
	input = append(input, &kgo.Record{Topic: InputTopic, Key: []byte("u9"), Value: []byte("not json")})
	windowed := serde.TimeWindowed(serde.String(), Windows.Size())
	return demo.Run(f, demo.Example{
		Name:     "pageviews",
		Topology: Topology,
		// One input partition keeps the order of the sample, so which
		// record is late does not depend on how partitions interleave.
		Inputs:    []runtime.TopicSpec{{Name: InputTopic, Partitions: 1}},
		Outputs:   []runtime.TopicSpec{{Name: OutputTopic, Partitions: int32(f.Partitions)}},
		Configure: func(c *runtime.Config) { c.OnError = runtime.Skip },
		Check: func(ctx context.Context, s *demo.Session) error {
			if err := s.Produce(ctx, input...); err != nil {
				return err
			}
			s.Progressf("produced %d events to %s; waiting for %d window counts in %s", len(input), InputTopic, len(want), OutputTopic)
			got, err := s.ReadLatest(ctx, OutputTopic, want, func(r *kgo.Record) (string, int64, bool) {
				k, err1 := windowed.Deserialize(OutputTopic, r.Key)
				n, err2 := serde.Int64().Deserialize(OutputTopic, r.Value)
				if err1 != nil || err2 != nil {
					return "", 0, false
				}
				return k.Key + "@" + k.Window.Start().UTC().Format("15:04"), n, true
			})
			if err != nil {
				return err
			}
			fmt.Println("views per page per minute:")
			for _, k := range slices.Sorted(maps.Keys(got)) {
				fmt.Printf("  %-12s %d\n", k, got[k])
			}
			fmt.Printf("dropped records: %v\n", s.App.Metrics().Dropped)
			return nil
		},
	})
}
