// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/runtime"
)

// Repartition topics are created as Kafka Streams creates them — no time
// retention, 50 MB segments — and the records a commit covered are deleted
// afterwards (repartition.purge.interval.ms), under both guarantees.
func TestRepartitionTopicsPurged(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
			c.produce(t, "lines", "a b c", "b c", "c", "a a a")
			_, stop := startApp(t, wordCount(t), runtime.Config{
				AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), Guarantee: g, Logger: quiet(t),
				CommitInterval: 20 * time.Millisecond, RepartitionPurgeInterval: 50 * time.Millisecond,
			})
			defer stop()
			want := map[string]int64{"a": 4, "b": 2, "c": 3}
			got, _ := c.readCounts(t, "counts-out", want, 20*time.Second)
			require.Equal(t, want, got)

			ctx := context.Background()
			topics, err := c.adm.ListTopics(ctx)
			require.NoError(t, err)
			var repart string
			for _, n := range topics.Names() {
				if strings.HasPrefix(n, "wc-") && strings.HasSuffix(n, "-repartition") {
					repart = n
				}
			}
			require.NotEmpty(t, repart, "repartition topic among %v", topics.Names())
			rcs, err := c.adm.DescribeTopicConfigs(ctx, repart)
			require.NoError(t, err)
			rc, err := rcs.On(repart, nil)
			require.NoError(t, err)
			cfg := map[string]string{}
			for _, e := range rc.Configs {
				cfg[e.Key] = e.MaybeValue()
			}
			assert.Equal(t, "-1", cfg["retention.ms"], "repartition topics keep records until purged")
			assert.Equal(t, "52428800", cfg["segment.bytes"])
			assert.Equal(t, "delete", cfg["cleanup.policy"])

			// 9 words went through the repartition topic; once committed,
			// every partition's log starts at its end (under exactly-once
			// the last transaction's commit marker may stay).
			slack := int64(0)
			if g == runtime.ExactlyOnce {
				slack = 1
			}
			why := ""
			assert.Eventually(t, func() bool {
				starts, err := c.adm.ListStartOffsets(ctx, repart)
				if err != nil {
					why = err.Error()
					return false
				}
				ends, err := c.adm.ListEndOffsets(ctx, repart)
				if err != nil {
					why = err.Error()
					return false
				}
				why = ""
				written := int64(0)
				for p, e := range ends[repart] {
					s := starts[repart][p].Offset
					written += e.Offset
					if s < e.Offset-slack {
						why += fmt.Sprintf(" partition %d starts at %d, ends at %d;", p, s, e.Offset)
					}
				}
				if written < 9 {
					why += fmt.Sprintf(" %d offsets written", written)
				}
				return why == ""
			}, 20*time.Second, 20*time.Millisecond, "not purged")
			require.Empty(t, why, "repartition topic %s", repart)
		})
	}
}

// An existing repartition topic with a time retention (created by another
// tool, or by Eddy before it set retention.ms=-1) is refused at start with
// what to change: the broker would delete records with old timestamps
// before the application read them.
func TestRepartitionTopicRetentionChecked(t *testing.T) {
	c := newCluster(t, map[string]int32{"lines": 2, "counts-out": 2})
	ctx := context.Background()
	retention := "604800000"
	_, err := c.adm.CreateTopic(ctx, 2, 1, map[string]*string{"retention.ms": &retention}, "wc-counts-repartition")
	require.NoError(t, err)
	app, err := runtime.New(wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: t.TempDir(), Logger: quiet(t)})
	require.NoError(t, err)
	rctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	err = app.Run(rctx)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"wc-counts-repartition" has retention.ms=604800000`)
	assert.Contains(t, err.Error(), "retention.ms=-1")
	require.NoError(t, app.Close(ctx))
}
