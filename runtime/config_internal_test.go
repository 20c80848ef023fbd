// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"log/slog"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
)

func TestApplyDefaults(t *testing.T) {
	c := Config{AppID: "wc"}
	c.applyDefaults()
	assert.Equal(t, Config{AppID: "wc", Workers: 1, MaxPollRecords: 1000, BufferedRecordsPerPartition: 1000, CacheMaxBytes: 10 << 20,
		CommitInterval: 30 * time.Second, RepartitionPurgeInterval: 30 * time.Second, StateDir: filepath.Join(os.TempDir(), "eddy"), Logger: slog.Default()}, c)
	assert.Empty(t, c.InstanceID, "the instance id is loaded under the state directory's lock, not here")
	assert.Zero(t, c.MaxTaskIdle, "0 is Kafka Streams' default")

	c = Config{AppID: "wc", Guarantee: ExactlyOnce, OnError: DeadLetter}
	c.applyDefaults()
	assert.Equal(t, 100*time.Millisecond, c.CommitInterval)
	assert.Equal(t, "wc-dlq", c.DeadLetterTopic)

	// Set fields are kept.
	log := slog.New(slog.DiscardHandler)
	c = Config{AppID: "wc", Brokers: []string{"k:9092"}, Workers: 3, MaxPollRecords: 7, BufferedRecordsPerPartition: 9, CommitInterval: time.Second,
		RepartitionPurgeInterval: time.Minute, StateDir: "d", Logger: log, OnError: DeadLetter, DeadLetterTopic: "dlq", MaxTaskIdle: NoTaskIdle, CacheMaxBytes: NoCache}
	want := c
	c.applyDefaults()
	assert.Equal(t, want, c)
	require.NoError(t, c.Validate(), "defaults are valid")
}

func TestLoadInstanceID(t *testing.T) {
	c := Config{AppID: "wc", StateDir: t.TempDir()}
	require.NoError(t, c.loadInstanceID())
	assert.Len(t, c.InstanceID, 16)
	again := Config{AppID: "wc", StateDir: c.StateDir}
	require.NoError(t, again.loadInstanceID())
	assert.Equal(t, c.InstanceID, again.InstanceID, "kept in the state directory")
	set := Config{AppID: "wc", StateDir: t.TempDir(), InstanceID: "mine"}
	require.NoError(t, set.loadInstanceID())
	assert.Equal(t, "mine", set.InstanceID)
	_, err := os.Stat(filepath.Join(set.StateDir, "wc", "instance-id"))
	assert.ErrorIs(t, err, os.ErrNotExist, "a configured id is not written")
}

// Each worker is a group member of its own, with its own static group
// instance id.
func TestMemberOpts(t *testing.T) {
	dynamic := Config{AppID: "wc"}
	assert.Empty(t, dynamic.memberOpts(0), "dynamic membership by default")

	static := Config{AppID: "wc", GroupInstanceID: "pod-7", Workers: 2}
	ids := map[string]bool{}
	for worker := range static.Workers {
		// A later kgo.InstanceID wins: memberOpts go after ClientOptions.
		opts := append([]kgo.Opt{kgo.InstanceID("from-client-options")}, static.memberOpts(worker)...)
		cl, err := kgo.NewClient(append(opts, kgo.SeedBrokers("127.0.0.1:1"), kgo.ConsumerGroup("wc"), kgo.ConsumeTopics("t"))...)
		require.NoError(t, err)
		got := cl.OptValues(kgo.InstanceID)
		cl.Close()
		require.Equal(t, []any{static.groupInstanceID(worker), true}, got)
		ids[got[0].(string)] = true
	}
	assert.Equal(t, map[string]bool{"pod-7-0": true, "pod-7-1": true}, ids)
}
