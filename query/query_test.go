// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package query_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
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
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

func wordCount(t *testing.T) *stream.Topology {
	b := stream.NewBuilder()
	b.Stream("lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		GroupBy(func(_, w string) string { return w }, serde.String()).
		Count(table.As("counts")).
		ToStream().
		To("counts-out", serde.String(), serde.Int64())
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

type env struct {
	addrs []string
	cl    *kgo.Client
}

func newEnv(t *testing.T) *env {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	t.Cleanup(c.Close)
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	adm := kadm.NewClient(cl)
	for topic, n := range map[string]int32{"lines": 4, "counts-out": 4} {
		_, err := adm.CreateTopic(context.Background(), n, 1, nil, topic)
		require.NoError(t, err)
	}
	return &env{addrs: c.ListenAddrs(), cl: cl}
}

// instance is one running application instance with its query server.
type instance struct {
	app    *runtime.App
	counts *query.KeyValueStore[string, int64]
	url    string
	stop   func()
}

func (e *env) start(t *testing.T, id string, standbys int) *instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	app, err := runtime.New(wordCount(t), runtime.Config{
		AppID: "wc", Brokers: e.addrs, StateDir: t.TempDir(), InstanceID: id, Endpoint: ln.Addr().String(),
		CommitInterval: 20 * time.Millisecond, StandbyReplicas: standbys,
		Logger: slog.New(slog.DiscardHandler),
	})
	require.NoError(t, err)
	counts, err := query.KeyValue(app, "counts", serde.String(), serde.Int64())
	require.NoError(t, err)
	srv := httptest.NewUnstartedServer(query.NewHandler(app, []query.Servable{counts.Serve(nil)}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var runErr error
	wg.Go(func() { runErr = app.Run(ctx) })
	var once sync.Once
	stop := func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			srv.Close()
			assert.NoError(t, app.Close(context.Background()))
			assert.NoError(t, runErr)
		})
	}
	t.Cleanup(stop)
	return &instance{app: app, counts: counts, url: srv.URL, stop: stop}
}

func (e *env) produce(t *testing.T, lines ...string) map[string]int64 {
	want := map[string]int64{}
	var rs []*kgo.Record
	for i, l := range lines {
		rs = append(rs, &kgo.Record{Topic: "lines", Key: fmt.Appendf(nil, "k%d", i), Value: []byte(l)})
		for _, w := range strings.Fields(l) {
			want[w]++
		}
	}
	require.NoError(t, e.cl.ProduceSync(context.Background(), rs...).FirstErr())
	return want
}

func lines(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("w%d w%d w%d", i%17, i%5, i%23)
	}
	return out
}

type answer struct {
	status     int
	retryAfter string
	Key        string    `json:"key"`
	Value      int64     `json:"value"`
	Timestamp  time.Time `json:"timestamp"`
	Error      string    `json:"error"`
}

func get(t *testing.T, url string) answer {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var a answer
	require.NoError(t, json.Unmarshal(body, &a), "body %s", body)
	a.status, a.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
	return a
}

func waitRunning(t *testing.T, insts ...*instance) {
	t.Helper()
	for _, in := range insts {
		require.Eventually(t, func() bool { return in.app.State() == runtime.Running }, 30*time.Second, 10*time.Millisecond)
	}
}

// Every key is answered correctly by every instance's handler, whichever
// instance runs its task; the typed handle reads a key only where its
// task runs.
func TestEveryKeyFromEveryInstance(t *testing.T) {
	e := newEnv(t)
	insts := []*instance{e.start(t, "i1", 0), e.start(t, "i2", 0), e.start(t, "i3", 0)}
	waitRunning(t, insts...)
	want := e.produce(t, lines(300)...)

	require.Eventually(t, func() bool {
		for w, n := range want {
			if a := get(t, insts[0].url+"/stores/counts/keys/"+w); a.status != http.StatusOK || a.Value != n {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "counts complete")

	for _, in := range insts {
		for w, n := range want {
			a := get(t, in.url+"/stores/counts/keys/"+w)
			assert.Equal(t, http.StatusOK, a.status, "%s from %s: %s", w, in.url, a.Error)
			assert.Equal(t, w, a.Key)
			assert.Equal(t, n, a.Value, "%s from %s", w, in.url)
			assert.False(t, a.Timestamp.IsZero())
		}
		a := get(t, in.url+"/stores/counts/keys/never-seen")
		assert.Equal(t, http.StatusNotFound, a.status)
		assert.Contains(t, a.Error, "no value for key")
		assert.Equal(t, http.StatusNotFound, get(t, in.url+"/stores/nope/keys/x").status)

		// The scan gathers every instance's partitions.
		resp, err := http.Get(in.url + "/stores/counts/all")
		require.NoError(t, err)
		var all []answer
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&all))
		resp.Body.Close()
		got := map[string]int64{}
		for _, a := range all {
			got[a.Key] = a.Value
		}
		assert.Equal(t, want, got, "all from %s", in.url)
	}

	// Typed handles: exactly one instance holds each key's active task.
	ctx := context.Background()
	for w, n := range want {
		holders := 0
		for _, in := range insts {
			v, ok, err := in.counts.Get(ctx, w)
			if errors.Is(err, runtime.ErrNotHosted) {
				continue
			}
			require.NoError(t, err)
			assert.True(t, ok)
			assert.Equal(t, n, v)
			holders++
			md, err := in.app.QueryMetadataForKey(ctx, "counts", []byte(w))
			require.NoError(t, err)
			assert.True(t, md.Local, "metadata of %s names the instance that holds it", w)
		}
		assert.Equal(t, 1, holders, "key %s", w)
	}
	md, err := insts[1].app.QueryMetadata(ctx)
	require.NoError(t, err)
	require.Len(t, md, 3)
	tasks := 0
	for _, m := range md {
		assert.NotEmpty(t, m.Endpoint)
		tasks += len(m.Active)
	}
	assert.Equal(t, 8, tasks, "two sub-topologies of 4 tasks each, each task on one instance")
}

// While an instance joins and the group rebalances, a query gets the right
// answer or a retryable 503 with Retry-After — never a wrong value or a
// silent 404.
func TestQueriesDuringRebalance(t *testing.T) {
	e := newEnv(t)
	i1, i2 := e.start(t, "i1", 0), e.start(t, "i2", 0)
	waitRunning(t, i1, i2)
	want := e.produce(t, lines(200)...)
	require.Eventually(t, func() bool {
		all, err := i1.counts.All(context.Background())
		n := 0
		for _, en := range all {
			if want[en.Key] == en.Value {
				n++
			}
		}
		all2, err2 := i2.counts.All(context.Background())
		for _, en := range all2 {
			if want[en.Key] == en.Value {
				n++
			}
		}
		return err == nil && err2 == nil && n == len(want)
	}, 30*time.Second, 50*time.Millisecond)

	var i3 *instance
	done := make(chan struct{})
	go func() {
		defer close(done)
		i3 = e.start(t, "i3", 0)
		waitRunning(t, i3)
		time.Sleep(300 * time.Millisecond)
	}()
	retries, answers := 0, 0
	for loop := true; loop; {
		select {
		case <-done:
			loop = false
		default:
		}
		for w, n := range want {
			a := get(t, i1.url+"/stores/counts/keys/"+w)
			switch a.status {
			case http.StatusOK:
				answers++
				require.Equal(t, n, a.Value, "%s during the rebalance", w)
			case http.StatusServiceUnavailable:
				retries++
				require.Equal(t, "1", a.retryAfter, "a 503 says when to retry")
			default:
				t.Fatalf("%s during the rebalance: status %d: %s", w, a.status, a.Error)
			}
		}
	}
	t.Logf("during the rebalance: %d answers, %d retryable refusals", answers, retries)
	waitRunning(t, i1, i2, i3)
	require.Eventually(t, func() bool {
		for w, n := range want {
			if a := get(t, i3.url+"/stores/counts/keys/"+w); a.status != http.StatusOK || a.Value != n {
				return false
			}
		}
		return true
	}, 30*time.Second, 50*time.Millisecond, "every key from the new instance")
}

// A read of a partition this instance does not run fails as not hosted,
// unless standby reads are allowed: then the standby copy answers and
// reports its lag.
func TestStandbyReadReportsLag(t *testing.T) {
	e := newEnv(t)
	i1, i2 := e.start(t, "i1", 1), e.start(t, "i2", 1)
	waitRunning(t, i1, i2)
	want := e.produce(t, lines(200)...)
	ctx := context.Background()
	require.Eventually(t, func() bool {
		for w, n := range want {
			for _, in := range []*instance{i1, i2} {
				var info runtime.ReadInfo
				v, ok, err := in.counts.Get(ctx, w, query.FromStandby(&info))
				if err != nil || !ok || v != n || info.Lag != 0 {
					return false
				}
			}
		}
		return true
	}, 30*time.Second, 100*time.Millisecond, "both instances answer every key, active or caught-up standby")

	standbyReads := 0
	for w := range want {
		for _, in := range []*instance{i1, i2} {
			_, _, err := in.counts.Get(ctx, w)
			if !errors.Is(err, runtime.ErrNotHosted) {
				require.NoError(t, err)
				continue
			}
			var se *runtime.StoreError
			require.ErrorAs(t, err, &se)
			assert.False(t, se.Retryable())
			var info runtime.ReadInfo
			_, ok, err := in.counts.Get(ctx, w, query.FromStandby(&info))
			require.NoError(t, err)
			assert.True(t, ok)
			assert.True(t, info.Standby)
			standbyReads++
		}
	}
	assert.Equal(t, len(want), standbyReads, "each key is active on one instance and standby on the other")
}
