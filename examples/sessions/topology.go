// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"time"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// Topic and store names.
const (
	ActivityTopic  = "user-activity"
	UpdatesTopic   = "user-sessions"
	CompletedTopic = "completed-sessions"
	Store          = "user-sessions"
	// Completed names the suppression of completed sessions; its buffer is
	// the store completed-sessions-store.
	Completed = "completed-sessions"
)

// Sessions: a user's activity belongs to one session while events are at
// most 30 minutes apart; events up to 5 minutes late are still merged.
var Sessions = window.Session(30 * time.Minute).Grace(5 * time.Minute)

// Topology counts events per user session (keyed by user id; the event
// time is the record timestamp). UpdatesTopic gets every change: the
// growing session, and a tombstone for each session that a later event
// merged away. CompletedTopic gets each session once, when no event can
// change it any more (once stream time reaches its end + gap + grace).
// Keys are Kafka-Streams-compatible session-windowed keys: user ‖ 8-byte
// end ‖ 8-byte start.
func Topology() (*stream.Topology, error) {
	b := stream.NewBuilder()
	sessions := b.Stream(ActivityTopic, serde.String(), serde.String()).
		GroupByKey().
		SessionWindowedBy(Sessions).
		Count(table.As(Store))
	sessions.ToStream().
		To(UpdatesTopic, serde.SessionWindowed(serde.String()), serde.Int64())
	sessions.SuppressUntilWindowCloses(stream.As(Completed)).
		ToStream().
		To(CompletedTopic, serde.SessionWindowed(serde.String()), serde.Int64())
	return b.Build()
}
