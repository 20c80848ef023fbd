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

// Topic and store names shared with the Java Kafka Streams reference
// implementation (java/).
const (
	InputTopic  = "page-views"
	OutputTopic = "page-view-counts"
	Store       = "pageviews-per-minute"
)

// Windows: one-minute tumbling windows that accept records up to 10 s late.
var Windows = window.Tumbling(time.Minute).Grace(10 * time.Second)

// PageView is one view event. Its event time is the payload's ts field
// (epoch milliseconds), not the Kafka record's timestamp.
type PageView struct {
	Page *string `json:"page"`
	User string  `json:"user,omitempty"`
	TS   *int64  `json:"ts"`
}

// eventTime extracts ts; events without a page or a ts are rejected (the
// zero time makes the engine drop and count them).
func eventTime(_ string, v PageView, _ time.Time) time.Time {
	if v.TS == nil || v.Page == nil {
		return time.Time{} // dropped
	}
	return time.UnixMilli(*v.TS)
}

// Topology counts views per page per minute. Keys of the output are
// Kafka-Streams-compatible time-windowed keys: page bytes ‖ 8-byte window
// start.
func Topology() (*stream.Topology, error) {
	b := stream.NewBuilder()
	b.Stream(InputTopic, serde.String(), serde.JSON[PageView]()).
		WithTimestamps(eventTime).
		GroupBy(func(_ string, v PageView) string { return *v.Page }, serde.String(), stream.As(Store)).
		WindowedBy(Windows).
		Count(table.As(Store)).
		ToStream().
		To(OutputTopic, serde.TimeWindowed(serde.String(), Windows.Size()), serde.Int64())
	return b.Build()
}
