// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package query_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/query"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// A global table's store is read whole on every instance, and a windowed
// count's store by key and time range.
func TestGlobalAndWindowStores(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	for topic, n := range map[string]int32{"regions": 3, "clicks": 2} {
		_, err := adm.CreateTopic(context.Background(), n, 1, nil, topic)
		require.NoError(t, err)
	}
	b := stream.NewBuilder()
	b.GlobalTable("regions", serde.String(), serde.String(), table.As("regions-store"))
	grouped := b.Stream("clicks", serde.String(), serde.String()).GroupByKey()
	grouped.SessionWindowedBy(window.Session(30 * time.Second).Grace(5 * time.Minute)).Count(table.As("click-sessions"))
	grouped.
		WindowedBy(window.Tumbling(time.Minute).Grace(5 * time.Minute)). // retention 6 min: all windows kept
		Count(table.As("clicks-per-minute"))
	topo, err := b.Build()
	require.NoError(t, err)

	var rs []*kgo.Record
	for _, kv := range [][2]string{{"c1", "eu"}, {"c2", "us"}, {"c3", "apac"}, {"c1", "emea"}} {
		rs = append(rs, &kgo.Record{Topic: "regions", Key: []byte(kv[0]), Value: []byte(kv[1])})
	}
	base := time.UnixMilli(0).Add(10 * time.Minute)
	for i, user := range strings.Fields("u1 u2 u1 u1 u2 u1") {
		rs = append(rs, &kgo.Record{Topic: "clicks", Key: []byte(user), Value: []byte("x"), Timestamp: base.Add(time.Duration(i) * 25 * time.Second)})
	}
	require.NoError(t, cl.ProduceSync(context.Background(), rs...).FirstErr())

	app, err := runtime.New(topo, runtime.Config{AppID: "g", Brokers: c.ListenAddrs(), StateDir: t.TempDir(),
		CommitInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	regions, err := query.KeyValue(app, "regions-store", serde.String(), serde.String())
	require.NoError(t, err)
	clicks, err := query.Window(app, "clicks-per-minute", serde.String(), serde.Int64())
	require.NoError(t, err)
	_, err = query.KeyValue(app, "clicks-per-minute", serde.String(), serde.Int64())
	assert.ErrorContains(t, err, "not a key-value store")
	_, err = query.KeyValue(app, "nope", serde.String(), serde.Int64())
	assert.True(t, errors.Is(err, runtime.ErrUnknownStore))

	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { assert.NoError(t, app.Run(ctx)) })
	t.Cleanup(func() { cancel(); wg.Wait(); assert.NoError(t, app.Close(context.Background())) })
	require.Eventually(t, func() bool { return app.State() == runtime.Running }, 30*time.Second, 10*time.Millisecond)

	v, ok, err := regions.Get(ctx, "c1")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, "emea", v, "the latest row")
	all, err := regions.All(ctx)
	require.NoError(t, err)
	got := map[string]string{}
	for _, e := range all {
		got[e.Key] = e.Value
	}
	assert.Equal(t, map[string]string{"c1": "emea", "c2": "us", "c3": "apac"}, got)
	md, err := app.QueryMetadataForKey(ctx, "regions-store", []byte("c2"))
	require.NoError(t, err)
	assert.True(t, md.Local)

	// u1 clicked at +0 s, +50 s (minute 10), +75 s, +125 s (minutes 11, 12).
	want := map[int64]int64{10: 2, 11: 1, 12: 1}
	require.Eventually(t, func() bool {
		ws, err := clicks.Fetch(ctx, "u1", base, base.Add(5*time.Minute))
		if err != nil || len(ws) != len(want) {
			return false
		}
		for _, w := range ws {
			if want[w.Key.Window.Start().UnixMilli()/60000] != w.Value || w.Key.Key != "u1" || w.Key.Window.Size() != time.Minute {
				return false
			}
		}
		return true
	}, 20*time.Second, 20*time.Millisecond, "u1's windows")
	ws, err := clicks.Fetch(ctx, "u2", base.Add(time.Minute), base.Add(time.Minute))
	require.NoError(t, err)
	require.Len(t, ws, 1, "u2 clicked at +25 s (minute 10) and +100 s (minute 11): one window starts in [11 min, 11 min]")
	assert.Equal(t, int64(1), ws[0].Value)

	// Sessions with a 30 s gap: u1 at +0 s | +50 s, +75 s | +125 s.
	sessions, err := query.Session(app, "click-sessions", serde.String(), serde.Int64())
	require.NoError(t, err)
	ss, err := sessions.Sessions(ctx, "u1")
	require.NoError(t, err)
	var spans []string
	for _, s := range ss {
		spans = append(spans, fmt.Sprintf("%d-%d:%d", int(s.Key.Window.Start().Sub(base).Seconds()), int(s.Key.Window.End().Sub(base).Seconds()), s.Value))
	}
	assert.Equal(t, []string{"0-0:1", "50-75:2", "125-125:1"}, spans)
}
