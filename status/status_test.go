// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package status_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
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
	"github.com/eddy-streams/eddy/status"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// runWordCount runs a word count over 3 input partitions with 12 counted
// lines and serves its status page; it returns the server's URL.
func runWordCount(t *testing.T) (string, *runtime.App) {
	t.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	for topic, n := range map[string]int32{"lines": 3, "counts-out": 3} {
		_, err := adm.CreateTopic(context.Background(), n, 1, nil, topic)
		require.NoError(t, err)
	}
	b := stream.NewBuilder()
	b.Stream("lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		GroupBy(func(_, w string) string { return w }, serde.String()).
		Count(table.As("word-counts")).
		ToStream().
		To("counts-out", serde.String(), serde.Int64())
	topo, err := b.Build()
	require.NoError(t, err)
	app, err := runtime.New(topo, runtime.Config{AppID: "wc", Brokers: c.ListenAddrs(), StateDir: t.TempDir(), InstanceID: "status-1",
		CommitInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	require.NoError(t, err)
	counts, err := query.KeyValue(app, "word-counts", serde.String(), serde.Int64())
	require.NoError(t, err)
	srv := httptest.NewServer(status.NewHandler(app, status.WithQueries(query.NewHandler(app, []query.Servable{counts.Serve(nil)}))))
	t.Cleanup(srv.Close)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { assert.NoError(t, app.Run(ctx)) })
	t.Cleanup(func() { cancel(); wg.Wait(); assert.NoError(t, app.Close(context.Background())) })
	var rs []*kgo.Record
	for i := range 12 {
		rs = append(rs, &kgo.Record{Topic: "lines", Key: fmt.Appendf(nil, "k%d", i), Value: []byte("alpha beta")})
	}
	require.NoError(t, cl.ProduceSync(context.Background(), rs...).FirstErr())
	require.Eventually(t, func() bool {
		v, ok, err := counts.Get(context.Background(), "alpha")
		return err == nil && ok && v == 12
	}, 30*time.Second, 20*time.Millisecond)
	return srv.URL, app
}

func fetch(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, string(b)
}

func TestStatusPageAndJSON(t *testing.T) {
	url, app := runWordCount(t)

	// A partition's lag shows once it is known: for an input partition
	// that never had a record that can take a few fetches.
	var s status.Status
	require.Eventually(t, func() bool {
		code, body := fetch(t, url+"/status.json")
		s = status.Status{}
		if code != http.StatusOK || json.Unmarshal([]byte(body), &s) != nil || len(s.Tasks) != 6 {
			return false
		}
		for _, task := range s.Tasks {
			if len(task.Partitions) != 1 {
				return false
			}
		}
		return true
	}, 20*time.Second, 50*time.Millisecond, "every task's input partition with its lag")
	assert.Equal(t, "wc", s.AppID)
	assert.Equal(t, "status-1", s.Instance)
	assert.Equal(t, "RUNNING", s.State)
	require.Len(t, s.Tasks, 6, "two sub-topologies × 3 partitions")
	var processed int64
	for _, task := range s.Tasks {
		assert.Equal(t, "RUNNING", task.State)
		assert.Len(t, task.Partitions, 1, "task %s reads one input partition", task.ID)
		processed += task.Processed
	}
	assert.Equal(t, int64(12+24), processed, "12 lines, then 24 words through the repartition topic")
	require.Len(t, s.Members, 1)
	assert.Len(t, s.Members[0].Active, 6)

	code, body := fetch(t, url+"/")
	require.Equal(t, http.StatusOK, code)
	assert.Contains(t, body, `id="instance">status-1<`)
	assert.Contains(t, body, `id="app-state">RUNNING<`)
	assert.Equal(t, 6, strings.Count(body, `<tr class="task"`))
	assert.Contains(t, body, "<svg")
	assert.Contains(t, body, ">word-counts<", "the store is in the drawing")
	assert.NotContains(t, body, "<script")
	assert.Equal(t, app.Topology().Subtopologies(), strings.Count(body, `class="subtopology"`))

	// The query routes are mounted on the same handler.
	code, body = fetch(t, url+"/stores/word-counts/keys/beta")
	assert.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, `"value":12`)
	code, _ = fetch(t, url+"/nope")
	assert.Equal(t, http.StatusNotFound, code)
}
