// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

// Reproductions of bugs in the embedded broker (franz-go's kfake, as pinned
// in go.mod) that the chaos runs ran into: each test asserts Kafka's
// behaviour and fails while its bug exists. They run only with
// EDDY_CHAOS_REPRO=1, so that bugs outside Eddy do not fail its tests. The
// two compaction bugs are why the chaos run keeps the broker it starts from
// compacting unless -compaction is given.

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

func needRepro(t *testing.T) {
	if os.Getenv("EDDY_CHAOS_REPRO") != "1" {
		t.Skip("known-bug reproduction: set EDDY_CHAOS_REPRO=1")
	}
}

func reproCluster(t *testing.T, opts ...kfake.Opt) (*kfake.Cluster, kgo.Opt) {
	c, err := kfake.NewCluster(append([]kfake.Opt{kfake.NumBrokers(1)}, opts...)...)
	require.NoError(t, err)
	t.Cleanup(c.Close)
	return c, kgo.SeedBrokers(c.ListenAddrs()...)
}

func reproClient(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	cl, err := kgo.NewClient(opts...)
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return cl
}

// readCommitted returns the latest value per key of a one-partition topic,
// read_committed from the start.
func readCommitted(t *testing.T, seeds kgo.Opt, topic string) map[string]string {
	rd := reproClient(t, seeds, kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	got := map[string]string{}
	for ctx.Err() == nil {
		rd.PollFetches(ctx).EachRecord(func(r *kgo.Record) { got[string(r.Key)] = string(r.Value) })
	}
	return got
}

func compactedTopic(t *testing.T, seeds kgo.Opt) (plain, txn *kgo.Client) {
	ctx := context.Background()
	_, err := kadm.NewClient(reproClient(t, seeds)).CreateTopic(ctx, 1, 1,
		map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}, "cl")
	require.NoError(t, err)
	return reproClient(t, seeds, kgo.DefaultProduceTopic("cl")),
		reproClient(t, seeds, kgo.DefaultProduceTopic("cl"), kgo.TransactionalID("t"))
}

func produce(t *testing.T, cl *kgo.Client, key, value string) {
	require.NoError(t, cl.ProduceSync(context.Background(), &kgo.Record{Key: []byte(key), Value: []byte(value)}).FirstErr())
}

// kfake compacts past the last stable offset: a committed record superseded
// only by a record of a still-open transaction is removed, and when that
// transaction aborts the key has no committed value left. (Kafka's cleaner
// stops at the first unstable offset.) data.go, Cluster.compact: the
// cleanable range is every batch but the last, whatever the LSO.
func TestReproKfakeCompactsOpenTransactions(t *testing.T) {
	needRepro(t)
	c, seeds := reproCluster(t)
	plain, txn := compactedTopic(t, seeds)
	ctx := context.Background()
	produce(t, plain, "k", "committed")
	require.NoError(t, txn.BeginTransaction())
	produce(t, txn, "k", "open, then aborted")
	produce(t, plain, "other", "x")
	c.Compact()
	require.NoError(t, txn.EndTransaction(ctx, kgo.TryAbort))
	assert.Equal(t, "committed", readCommitted(t, seeds, "cl")["k"])
}

// kfake's compaction drops an aborted transaction's data and its ABORT
// marker (pass 3 keeps a marker only if its producer has surviving data in
// the cleaned range) but keeps the partition's aborted-transaction index
// entry. A read_committed fetch from before the vanished marker gets the
// entry, never sees the marker that ends it, and drops every later batch
// of that producer in the response: committed records vanish.
func TestReproKfakeCompactionDropsAbortMarkers(t *testing.T) {
	needRepro(t)
	c, seeds := reproCluster(t)
	plain, txn := compactedTopic(t, seeds)
	ctx := context.Background()
	produce(t, plain, "first", "kept") // holds the log start before the aborted transaction
	require.NoError(t, txn.BeginTransaction())
	produce(t, txn, "k", "aborted")
	require.NoError(t, txn.EndTransaction(ctx, kgo.TryAbort))
	produce(t, plain, "other", "1")
	produce(t, plain, "other", "2")
	c.Compact()
	require.NoError(t, txn.BeginTransaction())
	produce(t, txn, "k", "committed")
	require.NoError(t, txn.EndTransaction(ctx, kgo.TryCommit))
	assert.Equal(t, "committed", readCommitted(t, seeds, "cl")["k"])
}

// When the previous leader of a classic group does not rejoin, kfake names
// every member of the new generation its own leader (groups.go,
// completeRebalance: foundLeader is never set in the loop that assigns
// g.leader). Only the last one is the leader kfake waits for; if that member
// died meanwhile, the group hangs until the rebalance timeout.
func TestReproKfakeOneLeaderPerGeneration(t *testing.T) {
	needRepro(t)
	_, seeds := reproCluster(t, kfake.GroupMinSessionTimeout(100*time.Millisecond))
	ctx := context.Background()
	join := func(cl *kgo.Client, member string) *kmsg.JoinGroupResponse {
		for {
			req := kmsg.NewPtrJoinGroupRequest()
			req.Group, req.MemberID, req.ProtocolType = "g", member, "consumer"
			req.SessionTimeoutMillis, req.RebalanceTimeoutMillis = 1000, 10000
			p := kmsg.NewJoinGroupRequestProtocol()
			p.Name, p.Metadata = "p", []byte{0}
			req.Protocols = append(req.Protocols, p)
			resp, err := req.RequestWith(ctx, cl)
			require.NoError(t, err)
			if errors.Is(kerr.ErrorForCode(resp.ErrorCode), kerr.MemberIDRequired) {
				member = resp.MemberID
				continue
			}
			require.NoError(t, kerr.ErrorForCode(resp.ErrorCode))
			return resp
		}
	}
	a := reproClient(t, seeds)
	ra := join(a, "")
	sreq := kmsg.NewPtrSyncGroupRequest()
	sreq.Group, sreq.MemberID, sreq.Generation = "g", ra.MemberID, ra.Generation
	_, err := sreq.RequestWith(ctx, a)
	require.NoError(t, err)
	// A (the leader) never rejoins; three new members join.
	var mu sync.Mutex
	leaders := 0
	var wg sync.WaitGroup
	for range 3 {
		wg.Go(func() {
			r := join(reproClient(t, seeds), "")
			mu.Lock()
			defer mu.Unlock()
			if r.LeaderID == r.MemberID {
				leaders++
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 1, leaders, "members told they lead the new generation")
}
