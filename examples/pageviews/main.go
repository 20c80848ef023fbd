// Command pageviews is tumbling-window analytics: views per page per
// one-minute window, with a 10-second grace period for late events, from
// JSON events whose event time comes from the payload.
//
// Until the Kafka runtime lands, it runs the topology on built-in sample
// events through the broker-free test driver and prints the windows.
package main

import (
	"fmt"
	"os"
	"time"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/topologytest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pageviews:", err)
		os.Exit(1)
	}
}

func run() error {
	topo, err := Topology()
	if err != nil {
		return err
	}
	d, err := topologytest.New(topo, topologytest.AppID("pageviews"), topologytest.Partitions(3), topologytest.SkipBadRecords())
	if err != nil {
		return err
	}
	defer d.Close()
	base := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC).UnixMilli()
	events := []struct {
		user, page string
		at         int64 // ms after base
	}{
		{"u1", "/home", 1_000}, {"u2", "/home", 20_000}, {"u1", "/cart", 30_000},
		{"u3", "/home", 61_000}, {"u2", "/home", 59_000}, // out of order, within grace
		{"u4", "/home", 75_000}, {"u1", "/home", 10_000}, // late: window closed at 70s
	}
	in := d.Input(InputTopic, serde.String(), serde.String())
	for _, e := range events {
		v := fmt.Sprintf(`{"page":%q,"user":%q,"ts":%d}`, e.page, e.user, base+e.at)
		if err := in.Pipe(e.user, v); err != nil {
			return err
		}
	}
	if err := in.Pipe("u9", "not json"); err != nil {
		return err
	}
	out := d.Output(OutputTopic, serde.TimeWindowed(serde.String(), Windows.Size()), serde.Int64())
	rs, err := out.ReadRecords()
	if err != nil {
		return err
	}
	fmt.Println("window updates (page, window start, count):")
	for _, r := range rs {
		fmt.Printf("  %-6s %s  %d\n", r.Key.Key, time.UnixMilli(r.Key.Window.Start).UTC().Format("15:04:05"), r.Value)
	}
	fmt.Printf("dropped: %v\n", d.Dropped())
	return nil
}
