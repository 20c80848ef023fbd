// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Command sessions tracks user activity sessions: events of one user at
// most 30 minutes apart form a session (session windows with a 30-minute
// inactivity gap and 5 minutes of grace). Every change of a session's
// event count goes to user-sessions (with tombstones for sessions merged
// into others); each completed session goes once to completed-sessions.
//
// With no flags it starts an embedded broker, produces sample activity
// (an out-of-order event that bridges two sessions, a late one that is
// dropped), runs the application until the completed sessions are out,
// prints them and exits. See wordcount for the flags and for running it
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

var base = time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)

type event struct {
	user, action string
	at           time.Duration // after 09:00
}

// sample is the activity in arrival order.
var sample = []event{
	{"u1", "login", 0}, {"u2", "login", 5 * time.Minute}, {"u1", "search", 10 * time.Minute},
	{"u2", "view", 38 * time.Minute},   // 33 min after 09:05: a new session
	{"u2", "search", 20 * time.Minute}, // out of order: bridges 09:05 and 09:38
	{"u1", "view", 35 * time.Minute}, {"u1", "buy", 50 * time.Minute},
	{"u1", "login", 90 * time.Minute}, // a new session; completes the ones before 09:55
	{"u1", "view", 15 * time.Minute},  // late: u1's session closed at 09:50 + 35 min
	{"u3", "login", 3 * time.Hour},    // moves stream time past the other sessions
}

// want are the completed sessions: user@start-end → events.
var want = map[string]int64{"u1@09:00-09:50": 4, "u2@09:05-09:38": 3, "u1@10:30-10:30": 1}

func main() {
	if err := run(demo.Parse()); err != nil {
		fmt.Fprintln(os.Stderr, "sessions:", err)
		os.Exit(1)
	}
}

func run(f demo.Flags) error {
	var input []*kgo.Record
	for _, e := range sample {
		input = append(input, &kgo.Record{Topic: ActivityTopic, Key: []byte(e.user), Value: []byte(e.action), Timestamp: base.Add(e.at)})
	}
	keys := serde.SessionWindowed(serde.String())
	return demo.Run(f, demo.Example{
		Name:     "sessions",
		Topology: Topology,
		// One input partition: every user shares one stream time, so which
		// event is late does not depend on how users spread over partitions.
		Inputs: []runtime.TopicSpec{{Name: ActivityTopic, Partitions: 1}},
		Outputs: []runtime.TopicSpec{
			{Name: UpdatesTopic, Partitions: int32(f.Partitions)},
			{Name: CompletedTopic, Partitions: int32(f.Partitions)},
		},
		Check: func(ctx context.Context, s *demo.Session) error {
			if err := s.Produce(ctx, input...); err != nil {
				return err
			}
			s.Progressf("produced %d events to %s; waiting for %d completed sessions in %s", len(input), ActivityTopic, len(want), CompletedTopic)
			got, err := s.ReadLatest(ctx, CompletedTopic, want, func(r *kgo.Record) (string, int64, bool) {
				k, err1 := keys.Deserialize(CompletedTopic, r.Key)
				n, err2 := serde.Int64().Deserialize(CompletedTopic, r.Value)
				if err1 != nil || err2 != nil {
					return "", 0, false
				}
				return fmt.Sprintf("%s@%s-%s", k.Key, hhmm(k.Window.Start()), hhmm(k.Window.End())), n, true
			})
			if err != nil {
				return err
			}
			fmt.Println("completed sessions (user@start-end: events):")
			for _, k := range slices.Sorted(maps.Keys(got)) {
				fmt.Printf("  %-16s %d\n", k, got[k])
			}
			fmt.Printf("dropped records: %v\n", s.App.Metrics().Dropped)
			return nil
		},
	})
}

func hhmm(t time.Time) string { return t.UTC().Format("15:04") }
