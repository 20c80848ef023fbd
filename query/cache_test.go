// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package query_test

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/query"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
)

// With the record cache (on by default), updates wait in the cache until
// the commit: queries see them at once, the output gets one record per key
// with its latest count, and nothing is lost.
func TestRecordCacheDefersAndMergesUpdates(t *testing.T) {
	e := newEnv(t)
	app, err := runtime.New(wordCount(t), runtime.Config{AppID: "wc", Brokers: e.addrs, StateDir: t.TempDir(),
		CommitInterval: time.Hour, Logger: slog.New(slog.DiscardHandler)}) // no commit until shutdown
	require.NoError(t, err)
	counts, err := query.KeyValue(app, "counts", serde.String(), serde.Int64())
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { assert.NoError(t, app.Run(ctx)) })
	want := e.produce(t, lines(300)...)

	require.Eventually(t, func() bool {
		for w, n := range want {
			if v, ok, err := counts.Get(context.Background(), w); err != nil || !ok || v != n {
				return false
			}
		}
		return true
	}, 30*time.Second, 20*time.Millisecond, "queries read the cached counts")
	assert.Empty(t, readAll(t, e, 500*time.Millisecond), "nothing leaves the cache before a commit")

	cancel() // a clean shutdown commits: the cache is written out
	wg.Wait()
	require.NoError(t, app.Close(context.Background()))
	out := readAll(t, e, 3*time.Second)
	got := map[string]int64{}
	perKey := map[string]int{}
	for _, r := range out {
		n, err := serde.Int64().Deserialize("counts-out", r.Value)
		require.NoError(t, err)
		got[string(r.Key)] = n
		perKey[string(r.Key)]++
	}
	assert.Equal(t, want, got, "every final count")
	for w, n := range perKey {
		assert.Equal(t, 1, n, "one update of %s: the cache merged the others", w)
	}
	words := 0
	for _, n := range want {
		words += int(n)
	}
	t.Logf("%d words counted, %d output records", words, len(out))
}

func readAll(t *testing.T, e *env, wait time.Duration) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(e.addrs...), kgo.ConsumeTopics("counts-out"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	require.NoError(t, err)
	defer cl.Close()
	var out []*kgo.Record
	deadline := time.Now().Add(wait)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		out = append(out, fs.Records()...)
	}
	return out
}
