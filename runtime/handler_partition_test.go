// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"errors"
	"io"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/partition"
)

// partitionedDLQ is a dead-letter topic of n partitions that collects what
// is sent to it.
type partitionedDLQ struct {
	fakeDLQ
	n int32
}

func (c *partitionedDLQ) PartitionCount(string) (int32, error) { return c.n, nil }

// A dead letter with a key goes to the partition of the key's murmur2
// hash, where Kafka's producer puts Kafka Streams' dead letters
// (integration's TestConformanceHandlers compares them); one without a key
// is left to the round-robin partitioner (-1).
func TestDeadLetterPartitionOfKey(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := &Config{AppID: "app", DeadLetterTopic: "dlq", Logger: log, ProcessingHandler: DeadLetterHandler("")}
	coll := &partitionedDLQ{n: 5}
	keys := [][]byte{[]byte("k00"), []byte("k01"), []byte("k07"), []byte("order-12345"), {}, nil}
	for i, k := range keys {
		rec := &engine.RawRecord{Topic: "in", Partition: 0, Offset: int64(i), Key: k, Value: []byte("v")}
		action := cfg.handleError(engine.ErrorContext{Task: engine.TaskID{Partition: 0}, Node: "map", Record: rec, Collector: coll},
			errors.New("boom"))
		require.Equal(t, engine.Diverted, action)
	}
	require.Len(t, coll.sent, len(keys))
	seen := map[int32]bool{}
	for i, r := range coll.sent {
		if keys[i] == nil {
			assert.Equal(t, int32(-1), r.Partition, "null key: round-robin")
			continue
		}
		assert.Equal(t, partition.ForKey(keys[i], 5), r.Partition, "key %q", keys[i])
		seen[r.Partition] = true
	}
	assert.Greater(t, len(seen), 1, "the keys are spread over partitions")
}
