// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
)

// dropLogInterval bounds how often one operator logs the records it drops.
const dropLogInterval = 10 * time.Second

// dropLog counts a record an operator drops (a null key where one is
// required, a null value an aggregation cannot use) and logs a warning
// naming the record's topic, partition and offset, as Kafka Streams does
// ("Skipping record due to null key or value"). The warning is rate
// limited per operator instance: the first drop is logged, then at most one
// per dropLogInterval with the number of drops not logged since. The zero
// value is ready; an operator instance runs on one goroutine.
type dropLog struct {
	last       time.Time
	suppressed int64
}

var dropMessages = map[string]string{
	engine.DropNullKey:   "skipping record with a null key",
	engine.DropNullValue: "skipping record with a null value",
}

func (d *dropLog) drop(t *engine.Task, node, reason string) {
	t.Drop(reason)
	now := time.Now()
	if !d.last.IsZero() && now.Sub(d.last) < dropLogInterval {
		d.suppressed++
		return
	}
	msg, ok := dropMessages[reason]
	if !ok {
		msg = "skipping record"
	}
	rc := t.RecordContext()
	args := []any{"node", node, "reason", reason, "topic", rc.Topic, "partition", rc.Partition, "offset", rc.Offset}
	if d.suppressed > 0 {
		args = append(args, "not_logged_since_last", d.suppressed)
	}
	t.Logger().Warn(msg, args...)
	d.last, d.suppressed = now, 0
}
