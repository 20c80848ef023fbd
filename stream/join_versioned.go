// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"fmt"
	"time"
)

// WithGracePeriod gives a stream–table join with a versioned table (see
// table.Versioned) a grace period, as Kafka Streams' Joined.withGracePeriod
// does (KIP-923): each stream record waits, in a store, until stream time
// (the largest stream record timestamp seen by the task) has passed its
// timestamp by d, and is then joined with the table row valid at its
// timestamp, so that table updates arriving up to d late are seen. Records
// already older than stream time - d are joined at once. Buffered records
// are joined in timestamp order, so the join's output is ordered by
// timestamp too, and every result is delayed until stream time moves on.
//
// The buffer store is named <name>-Buffer with stream.As(name) (changelog
// <app>-<name>-Buffer-changelog), otherwise generated. It needs the
// stream's value serde (Stream.WithValueSerde, unless the values are of a
// primitive type). Only JoinTable and LeftJoinTable over a versioned
// table accept it; d must not be negative and should not exceed the table's
// history retention, beyond which the rows the buffered records need are
// gone.
func WithGracePeriod(d time.Duration) Option {
	return func(c *opConfig) {
		if d < 0 {
			c.err = fmt.Errorf("stream.WithGracePeriod: grace period must not be negative, got %v", d)
		}
		c.grace, c.hasGrace = d, true
	}
}
