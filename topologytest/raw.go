// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import "time"

// RawRecord is a record as bytes, as written to a topic.
type RawRecord struct {
	Key, Value []byte
	Timestamp  time.Time
	Partition  int32
	Offset     int64
}

// ReadRaw reads every unread record of topic as bytes, e.g. to compare
// with another implementation's output byte for byte.
func (d *Driver) ReadRaw(topic string) []RawRecord {
	l := d.logs[topic]
	if l == nil {
		return nil
	}
	var out []RawRecord
	for ; l.read < len(l.records); l.read++ {
		r := l.records[l.read]
		out = append(out, RawRecord{Key: r.Key, Value: r.Value, Timestamp: time.UnixMilli(r.Timestamp), Partition: r.Partition, Offset: r.Offset})
	}
	l.records, l.read = l.records[:0], 0 // everything is read: let the log shrink
	return out
}
