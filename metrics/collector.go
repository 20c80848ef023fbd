// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package metrics exports an Eddy application instance's metrics to
// Prometheus: NewCollector returns a prometheus.Collector to register in
// any registry, and Handler a ready /metrics endpoint to mount in a server.
//
// The series follow Kafka Streams' metric levels, named eddy_<level>_…:
// the instance (eddy_app_*), each worker (eddy_thread_*; Kafka Streams'
// stream thread), each task (eddy_task_*), each sink node
// (eddy_node_e2e_latency_seconds), each input partition
// (eddy_consumer_lag_records) and each task's Pebble database
// (eddy_store_*). Counters count from the instance's start and never go
// down: a task's series stay, with their totals, after a rebalance moves
// the task away or shutdown closes it. Rates come from PromQL, e.g.
// sum(rate(eddy_task_processed_records_total[1m])).
//
// metrics/dashboards/eddy.json is a Grafana dashboard charting them.
package metrics

import (
	"maps"
	"slices"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/eddy-streams/eddy/runtime"
)

// Collector is a prometheus.Collector of one application instance's
// metrics. Each scrape reads runtime.App.DetailedMetrics.
type Collector struct {
	app *runtime.App
	s   *series
}

var _ prometheus.Collector = (*Collector)(nil)

// NewCollector returns a collector of app's metrics, to register in a
// prometheus.Registerer. Register it before or after app.Run; it reports
// the instance's state and what it counted so far.
func NewCollector(app *runtime.App, opts ...Opt) *Collector {
	c := newCfg(opts)
	labels := maps.Clone(c.constLabels)
	delete(labels, labelApp)
	return &Collector{app: app, s: newSeries(labels)}
}

// Describe implements prometheus.Collector.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.s.all {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	m := c.app.DetailedMetrics()
	s := c.s
	app := []string{m.AppID}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, append(app, labels...)...)
	}
	counter := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, v, append(app, labels...)...)
	}
	histogram := func(d *prometheus.Desc, h runtime.Histogram, labels ...string) {
		buckets := make(map[float64]uint64, len(h.Buckets))
		for _, b := range h.Buckets {
			buckets[b.UpperBound] = b.Count
		}
		ch <- prometheus.MustNewConstHistogram(d, h.Count, h.Sum, buckets, append(app, labels...)...)
	}

	gauge(s.info, 1, m.InstanceID)
	for st := runtime.Created; st <= runtime.Error; st++ {
		gauge(s.state, boolValue(m.State == st), st.String())
	}
	gauge(s.threads, float64(len(m.Threads)))
	counter(s.aborts, float64(m.Aborts))
	counter(s.producerResets, float64(m.ProducerResets))
	if len(m.GlobalApplied) > 0 {
		counter(s.globalRestored, float64(m.GlobalRestored))
		for store, n := range m.GlobalApplied {
			counter(s.globalApplied, float64(n), store)
		}
	}

	for _, t := range m.Threads {
		id := strconv.Itoa(t.ID)
		histogram(s.poll, t.PollLatency, id)
		histogram(s.commit, t.CommitLatency, id)
		counter(s.rebalances, float64(t.Rebalances), id)
		counter(s.enforced, float64(t.EnforcedProcessing), id)
		counter(s.recordHits, float64(t.CacheHits), id)
		counter(s.recordMisses, float64(t.CacheMisses), id)
		gauge(s.tasks, float64(t.Running), id, "RUNNING")
		gauge(s.tasks, float64(t.Restoring), id, "RESTORING")
		gauge(s.tasks, float64(t.Standby), id, "STANDBY")
	}

	for _, t := range m.Tasks {
		counter(s.processed, float64(t.Processed), t.ID)
		for _, reason := range slices.Sorted(maps.Keys(t.Dropped)) {
			counter(s.dropped, float64(t.Dropped[reason]), t.ID, reason)
		}
		histogram(s.process, t.ProcessLatency, t.ID)
		histogram(s.punctuate, t.PunctuateLatency, t.ID)
		counter(s.restored, float64(t.Restored), t.ID)
		gauge(s.restoreRemaining, float64(t.RestoreRemaining), t.ID)
		counter(s.standbyApplied, float64(t.StandbyApplied), t.ID)
		if t.State == "STANDBY" && t.StandbyLag >= 0 {
			gauge(s.standbyLag, float64(t.StandbyLag), t.ID)
		}
		for _, node := range slices.Sorted(maps.Keys(t.EndToEndLatency)) {
			histogram(s.e2e, t.EndToEndLatency[node], t.ID, node)
		}
	}

	for _, l := range m.Lags {
		gauge(s.lag, float64(l.Records), l.Topic, strconv.Itoa(int(l.Partition)), l.Task)
	}

	for _, st := range m.Stores {
		stores := strings.Join(st.Stores, ",")
		gauge(s.memtable, float64(st.MemTableBytes), st.Task, stores)
		gauge(s.disk, float64(st.DiskUsageBytes), st.Task, stores)
		gauge(s.debt, float64(st.CompactionDebtBytes), st.Task, stores)
		gauge(s.readAmp, float64(st.ReadAmplification), st.Task, stores)
		counter(s.compactions, float64(st.Compactions), st.Task, stores)
		counter(s.flushes, float64(st.Flushes), st.Task, stores)
	}
	gauge(s.cacheSize, float64(m.BlockCache.Size))
	counter(s.cacheHits, float64(m.BlockCache.Hits))
	counter(s.cacheMisses, float64(m.BlockCache.Misses))
}

func boolValue(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
