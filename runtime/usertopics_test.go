// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eddy-streams/eddy/runtime"
)

func topicsCluster(t *testing.T, brokers int) (*kfake.Cluster, *kadm.Client) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(brokers))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.MetadataMinAge(10*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	return c, kadm.NewClient(cl)
}

// hideTopic makes broker node answer metadata requests naming topic as if
// it did not know it, the first n times (n < 0: always), and counts them.
func hideTopic(c *kfake.Cluster, node int32, topic string, n int64) *atomic.Int64 {
	var hidden atomic.Int64
	c.ControlKey(int16(kmsg.Metadata), func(req kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		mreq := req.(*kmsg.MetadataRequest)
		if c.CurrentNode() != node || (n >= 0 && hidden.Load() >= n) {
			return nil, nil, false
		}
		named := false
		for _, rt := range mreq.Topics {
			named = named || rt.Topic != nil && *rt.Topic == topic
		}
		if !named {
			return nil, nil, false
		}
		hidden.Add(1)
		resp := mreq.ResponseKind().(*kmsg.MetadataResponse)
		for _, rt := range mreq.Topics {
			st := kmsg.NewMetadataResponseTopic()
			st.Topic = rt.Topic
			st.ErrorCode = kerr.UnknownTopicOrPartition.Code
			resp.Topics = append(resp.Topics, st)
		}
		return resp, nil, true
	})
	return &hidden
}

// CreateTopics creates what is missing with the partitions, replication
// and configs asked for, and returns only once every broker lists the
// topics: here broker 2 does not know "late" for its first three
// metadata requests.
func TestCreateTopicsWaitsUntilEveryBrokerListsThem(t *testing.T) {
	c, adm := topicsCluster(t, 3)
	hidden := hideTopic(c, 2, "late", 3)
	ctx := context.Background()
	err := runtime.CreateTopics(ctx, c.ListenAddrs(), []runtime.TopicSpec{
		{Name: "late", Partitions: 3},
		{Name: "prices", Partitions: 2, ReplicationFactor: 2, Configs: map[string]string{"cleanup.policy": "compact"}},
	})
	require.NoError(t, err)
	assert.Equal(t, int64(3), hidden.Load(), "it asked broker 2 until it listed the topic")

	details, err := adm.ListTopics(ctx, "late", "prices")
	require.NoError(t, err)
	assert.Len(t, details["late"].Partitions, 3)
	assert.Len(t, details["prices"].Partitions, 2)
	assert.Len(t, details["prices"].Partitions[0].Replicas, 2)
	cfgs, err := adm.DescribeTopicConfigs(ctx, "prices")
	require.NoError(t, err)
	cfg, err := cfgs.On("prices", nil)
	require.NoError(t, err)
	for _, kv := range cfg.Configs {
		if kv.Key == "cleanup.policy" {
			assert.Equal(t, "compact", kv.MaybeValue())
		}
	}

	// Again: the topics exist; nothing changes, no error.
	require.NoError(t, runtime.CreateTopics(ctx, c.ListenAddrs(), []runtime.TopicSpec{{Name: "late", Partitions: 3}, {Name: "prices", Partitions: 2}}))
}

// A topic that never shows up: the error says what was awaited and what
// each broker said, and wraps the context's error.
func TestCreateTopicsTimeoutSaysWhatItSaw(t *testing.T) {
	c, _ := topicsCluster(t, 2)
	hideTopic(c, 1, "never", -1)
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond)
	defer cancel()
	err := runtime.CreateTopics(ctx, c.ListenAddrs(), []runtime.TopicSpec{{Name: "never", Partitions: 1}})
	require.Error(t, err)
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	for _, want := range []string{`runtime: create topics: "never" not usable after `,
		"waited for every broker's metadata to list a leader for each partition, and for the leaders to serve them",
		`last seen: broker 1 (`, `"never": UNKNOWN_TOPIC_OR_PARTITION`} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), "broker 0 (", "broker 0 listed it")
}

func TestCreateTopicsExistingWithOtherPartitionCount(t *testing.T) {
	c, adm := topicsCluster(t, 1)
	_, err := adm.CreateTopic(context.Background(), 2, 1, nil, "orders")
	require.NoError(t, err)
	err = runtime.CreateTopics(context.Background(), c.ListenAddrs(), []runtime.TopicSpec{{Name: "orders", Partitions: 4}, {Name: "fresh", Partitions: 1}})
	require.Error(t, err)
	assert.Equal(t, `runtime: create topics: topic "orders" exists with 2 partitions, not the 4 asked for: `+
		"ask for 2, or delete the topic (losing its records) to have it created anew", err.Error())
}

func TestCreateTopicsRejectsBadSpecs(t *testing.T) {
	err := runtime.CreateTopics(context.Background(), nil, []runtime.TopicSpec{
		{Name: "", Partitions: 1},
		{Name: "a b", Partitions: 1},
		{Name: "ok", Partitions: 0},
		{Name: "twice", Partitions: 1},
		{Name: "twice", Partitions: 1, ReplicationFactor: -2},
	})
	require.Error(t, err)
	for _, want := range []string{
		"no brokers: give the bootstrap servers (host:port), or App.Brokers() for the embedded broker",
		"TopicSpec 0 has no Name",
		`topic name "a b": character ' ' at byte 1`,
		`topic "ok": Partitions is 0: it must be at least 1`,
		`topic "twice" is listed twice`,
		`topic "twice": ReplicationFactor is -2: it must be at least 1, or 0 for the brokers' default`,
	} {
		assert.Contains(t, err.Error(), want)
	}
	joined, ok := err.(interface{ Unwrap() []error })
	require.True(t, ok, "errors joined: %T", err)
	assert.Len(t, joined.Unwrap(), 6, "every problem is reported: %v", err)
}
