// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
)

// A caught-up application commits its input partitions to their end
// offsets, transaction markers included (Kafka Streams commits the
// consumer's position once a partition's buffer is empty): input written
// transactionally — here by another producer, and under exactly-once the
// repartition topic by the application itself — does not show a lag of 1
// for good.
func TestCommitPastTransactionMarkers(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
			txn, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.TransactionalID("lines-writer"))
			require.NoError(t, err)
			defer txn.Close()
			ctx := context.Background()
			for batch := range 3 {
				require.NoError(t, txn.BeginTransaction())
				for i := range 4 {
					txn.Produce(ctx, &kgo.Record{Topic: "lines", Key: fmt.Appendf(nil, "k%d", i), Value: fmt.Appendf(nil, "w%d x", batch)}, nil)
				}
				require.NoError(t, txn.Flush(ctx))
				require.NoError(t, txn.EndTransaction(ctx, kgo.TryCommit))
			}
			app, stop := startApp(t, wordCount(t), runtime.Config{
				AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), Guarantee: g,
				CommitInterval: 50 * time.Millisecond, Logger: quiet(t),
			})
			defer stop()
			waitState(t, app, runtime.Running)
			topics := []string{"lines", "wc-counts-repartition"}
			var last string
			caughtUp := func() bool {
				ends, err := c.adm.ListEndOffsets(ctx, topics...)
				if err != nil {
					last = err.Error()
					return false
				}
				committed, err := c.adm.FetchOffsets(ctx, "wc")
				if err != nil {
					last = err.Error()
					return false
				}
				last = ""
				ends.Each(func(e kadm.ListedOffset) {
					got, ok := committed.Lookup(e.Topic, e.Partition)
					if !ok || got.At != e.Offset {
						last += fmt.Sprintf("%s[%d] end %d committed %d; ", e.Topic, e.Partition, e.Offset, got.At)
					}
				})
				return last == ""
			}
			for deadline := time.Now().Add(20 * time.Second); !caughtUp(); time.Sleep(50 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("committed offsets short of the end offsets after 20 s: %s", last)
				}
			}
		})
	}
}
