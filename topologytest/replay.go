// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"fmt"
	"os"

	"github.com/eddy-streams/eddy/internal/capture"
	"github.com/eddy-streams/eddy/internal/engine"
)

// Replay pipes the records of a capture file, as "eddy capture" writes it,
// in file order: each to its topic and partition, with its timestamp,
// headers and key and value bytes (null stays null). Records of one
// partition keep their order. A record for a partition the driver's topic
// does not have fails the replay (give the topic as many partitions with
// TopicPartitions); so does a topic no source reads.
//
// The file is text, one record a line, so that it diffs well:
//
//	eddy-capture v1
//	# comments start with '#'
//	<topic> <partition> <offset> <timestamp> <key> <value> [<header-key>=<header-value> ...]
//
// for example
//
//	orders 0 41 2024-05-01T12:00:00.250Z "o-17" "{\"amount\":5}" "source"="web"
//	orders 1 7 2024-05-01T12:00:01.000Z "o-9" null
//
// The timestamp is RFC 3339 in UTC with milliseconds; a key, value or
// header value is null or a double-quoted Go string literal, bytes that are
// not printable UTF-8 escaped (\x00, \n).
func (d *Driver) Replay(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("topologytest: replay: %w", err)
	}
	defer f.Close()
	recs, err := capture.Read(f, path)
	if err != nil {
		return fmt.Errorf("topologytest: replay: %w", err)
	}
	for i := range recs {
		r := &recs[i]
		if err := d.replay(r); err != nil {
			return fmt.Errorf("topologytest: replay %s: record of topic %q partition %d offset %d: %w", path, r.Topic, r.Partition, r.Offset, err)
		}
	}
	return nil
}

func (d *Driver) replay(r *capture.Record) error {
	if d.closed {
		return errDriverClosed
	}
	ts, err := d.topic(r.Topic)
	if err != nil {
		return err
	}
	if r.Partition >= ts.n {
		return fmt.Errorf("the driver's topic has %d partitions (see TopicPartitions)", ts.n)
	}
	return d.pipe(&engine.RawRecord{
		Topic: r.Topic, Partition: r.Partition, Key: r.Key, Value: r.Value,
		Timestamp: r.Timestamp.UnixMilli(), Headers: r.Headers,
	})
}
