// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package metrics_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/metrics"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
)

// Records driven through an instance on the embedded broker come back in
// the exported series: processed counts equal the input, the bad record is
// counted as dropped by reason, every input partition has a lag series,
// the latency histograms observed every record, output and commit, and
// the stores report Pebble's figures. The counts stay once the instance has
// stopped and closed its tasks.
func TestCollectorSeries(t *testing.T) {
	c := newCluster(t, topics)
	factor, _ := serde.Int64().Serialize("factors", 10)
	c.produce(t, &kgo.Record{Topic: "factors", Key: []byte("k0"), Value: factor})
	app, stop := start(t, c, runtime.Config{OnError: runtime.Skip, Workers: 2})
	collector := metrics.NewCollector(app)
	reg := prometheus.NewRegistry()
	reg.MustRegister(collector)
	require.Eventually(t, func() bool { return app.State() == runtime.Running }, 20*time.Second, 10*time.Millisecond)

	const perPartition = 50
	var in []*kgo.Record
	for p := range int32(2) {
		for i := range perPartition {
			in = append(in, amount(key(i), p, 1))
		}
	}
	in = append(in, poison(1))
	c.produce(t, in...)
	good := len(in) - 1
	require.Equal(t, good, c.count(t, "totals", good, 30*time.Second), "one output per good record")

	var fs map[string]*dto.MetricFamily
	processed := func() float64 {
		return sum(fs, "eddy_task_processed_records_total", map[string]string{"task_id": "0_0"}) +
			sum(fs, "eddy_task_processed_records_total", map[string]string{"task_id": "0_1"})
	}
	require.Eventually(t, func() bool {
		fs = families(t, reg)
		return processed() == float64(len(in)) && sum(fs, "eddy_app_state", map[string]string{"state": "RUNNING"}) == 1 &&
			len(fs["eddy_consumer_lag_records"].GetMetric()) == 2 &&
			sum(fs, "eddy_consumer_lag_records", nil) == 0
	}, 20*time.Second, 20*time.Millisecond, "running, every input processed, both partitions' lag known and caught up")

	app1 := map[string]string{"application_id": "sums"}
	assert.Equal(t, float64(perPartition), sum(fs, "eddy_task_processed_records_total", map[string]string{"task_id": "0_0"}))
	assert.Equal(t, float64(perPartition+1), sum(fs, "eddy_task_processed_records_total", map[string]string{"task_id": "0_1"}))
	assert.Equal(t, 1.0, sum(fs, "eddy_task_dropped_records_total", map[string]string{"task_id": "0_1", "reason": "deserialization"}))
	assert.Equal(t, 1.0, sum(fs, "eddy_task_dropped_records_total", nil), "only the bad record was dropped")
	for _, p := range []string{"0", "1"} {
		assert.Equal(t, 1.0, float64(len(filter(fs["eddy_consumer_lag_records"], map[string]string{"topic": "amounts", "partition": p}))),
			"a lag series for amounts/%s", p)
	}

	// Histograms: every processed record, every output, commits and polls.
	assert.Equal(t, uint64(len(in)), observations(fs, "eddy_task_process_latency_seconds", nil))
	assert.Equal(t, uint64(good), observations(fs, "eddy_node_e2e_latency_seconds", nil), "one end-to-end observation per output record")
	nodes := map[string]bool{}
	for _, m := range fs["eddy_node_e2e_latency_seconds"].GetMetric() {
		nodes[labels(m)["processor_node_id"]] = true
	}
	assert.Len(t, nodes, 1, "the topology has one sink")
	for _, th := range []string{"0", "1"} {
		w := map[string]string{"thread_id": th}
		assert.Positive(t, observations(fs, "eddy_thread_poll_latency_seconds", w), "polls of worker %s", th)
	}
	assert.Equal(t, 2.0, sum(fs, "eddy_thread_tasks", map[string]string{"state": "RUNNING"}), "two tasks run")
	assert.Zero(t, sum(fs, "eddy_thread_tasks", map[string]string{"state": "RESTORING"}))
	assert.Positive(t, observations(fs, "eddy_thread_commit_latency_seconds", nil))

	// Instance, global table and stores.
	assert.Equal(t, 1.0, sum(fs, "eddy_app_state", map[string]string{"state": "RUNNING"}))
	assert.Equal(t, 1.0, sum(fs, "eddy_app_state", app1), "one state at a time")
	assert.Equal(t, 2.0, sum(fs, "eddy_app_threads", nil))
	assert.Equal(t, 1.0, sum(fs, "eddy_global_store_applied_records_total", map[string]string{"store": "factors"}))
	assert.Equal(t, 1.0, sum(fs, "eddy_task_processed_records_total", map[string]string{"task_id": "1_global"}), "the global table's task")
	for _, task := range []string{"0_0", "0_1"} {
		w := map[string]string{"task_id": task, "store": "totals-store"}
		assert.Len(t, filter(fs["eddy_store_disk_usage_bytes"], w), 1, "disk usage of task %s", task)
		assert.Positive(t, sum(fs, "eddy_store_disk_usage_bytes", w))
	}
	assert.Positive(t, sum(fs, "eddy_store_memtable_size_bytes", nil))
	assert.Contains(t, fs, "eddy_store_block_cache_hits_total")

	problems, err := testutil.CollectAndLint(collector)
	require.NoError(t, err)
	assert.Empty(t, problems, "Prometheus naming conventions")

	stop()
	fs = families(t, reg)
	assert.Equal(t, float64(len(in)), processed(), "closed tasks keep their counts")
	assert.Equal(t, 1.0, sum(fs, "eddy_task_dropped_records_total", map[string]string{"reason": "deserialization"}))
	assert.Equal(t, 1.0, sum(fs, "eddy_app_state", map[string]string{"state": "NOT_RUNNING"}))
	assert.Zero(t, sum(fs, "eddy_thread_tasks", nil), "no task runs")
	assert.NotContains(t, fs, "eddy_consumer_lag_records", "no input partition is assigned")
}

// filter returns the metrics of f whose labels include want.
func filter(f *dto.MetricFamily, want map[string]string) []*dto.Metric {
	var out []*dto.Metric
	for _, m := range f.GetMetric() {
		if matches(m, want) {
			out = append(out, m)
		}
	}
	return out
}

// Handler serves the text format, with the Go runtime's series unless
// DisableGoMetrics, and ConstLabels label every Eddy series.
func TestHandler(t *testing.T) {
	c := newCluster(t, topics)
	app, _ := start(t, c, runtime.Config{})
	c.produce(t, amount("a", 0, 1))
	require.Equal(t, 1, c.count(t, "totals", 1, 30*time.Second))

	get := func(h http.Handler) string {
		mux := http.NewServeMux()
		mux.Handle("GET /metrics", h)
		srv := httptest.NewServer(mux)
		defer srv.Close()
		resp, err := http.Get(srv.URL + "/metrics")
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Contains(t, resp.Header.Get("Content-Type"), "text/plain")
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}
	body := get(metrics.Handler(app))
	assert.Contains(t, body, `eddy_task_processed_records_total{application_id="sums",task_id="0_0"} 1`)
	assert.Contains(t, body, "# TYPE eddy_task_process_latency_seconds histogram")
	assert.Contains(t, body, "go_goroutines ")
	assert.Contains(t, body, "process_resident_memory_bytes ")

	body = get(metrics.Handler(app, metrics.DisableGoMetrics(), metrics.ConstLabels(prometheus.Labels{"member": "m1", "application_id": "ignored"})))
	assert.Contains(t, body, `eddy_task_processed_records_total{application_id="sums",member="m1",task_id="0_0"} 1`)
	assert.NotContains(t, body, "go_goroutines")
	for _, line := range strings.Split(body, "\n") {
		if line != "" && !strings.HasPrefix(line, "#") {
			assert.True(t, strings.HasPrefix(line, "eddy_"), "only Eddy's series: %s", line)
		}
	}
}
