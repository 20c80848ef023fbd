// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package metrics

import "github.com/prometheus/client_golang/prometheus"

// Label names. Every series carries application_id first.
const (
	labelApp       = "application_id"
	labelInstance  = "instance_id"
	labelState     = "state"
	labelThread    = "thread_id"
	labelTask      = "task_id"
	labelNode      = "processor_node_id"
	labelReason    = "reason"
	labelTopic     = "topic"
	labelPartition = "partition"
	labelStore     = "store"
)

// series holds the descriptions of every series a Collector exports,
// grouped by Kafka Streams' levels: client (the instance), thread (a
// worker), task, processor node, and store.
type series struct {
	// Instance.
	info, state, threads, aborts, producerResets, globalRestored, globalApplied *prometheus.Desc
	// Worker.
	poll, commit, rebalances, enforced, tasks *prometheus.Desc
	recordHits, recordMisses                  *prometheus.Desc
	// Task.
	processed, dropped, process, punctuate, restored, restoreRemaining, standbyApplied, standbyLag *prometheus.Desc
	// Processor node and input partition.
	e2e, lag *prometheus.Desc
	// Store (Pebble).
	memtable, disk, debt, readAmp, compactions, flushes, cacheSize, cacheHits, cacheMisses *prometheus.Desc

	all []*prometheus.Desc
}

func newSeries(constLabels prometheus.Labels) *series {
	s := &series{}
	d := func(name, help string, labels ...string) *prometheus.Desc {
		desc := prometheus.NewDesc("eddy_"+name, help, append([]string{labelApp}, labels...), constLabels)
		s.all = append(s.all, desc)
		return desc
	}

	s.info = d("app_info", "Always 1; names the instance in instance_id.", labelInstance)
	s.state = d("app_state", "1 for the instance's lifecycle state (CREATED, REBALANCING, RUNNING, PENDING_SHUTDOWN, NOT_RUNNING, ERROR), 0 for the others.", labelState)
	s.threads = d("app_threads", "Workers (stream threads) the instance runs.")
	s.aborts = d("app_transaction_aborts_total", "Exactly-once transactions aborted.")
	s.producerResets = d("app_producer_resets_total", "Exactly-once producers rebuilt after being fenced.")
	s.globalRestored = d("global_restored_records_total", "Records read to bootstrap global tables' stores at start-up.")
	s.globalApplied = d("global_store_applied_records_total", "Records applied to a global table's store since start-up.", labelStore)

	s.poll = d("thread_poll_latency_seconds", "Time a worker's poll for records took (it waits up to 100 ms).", labelThread)
	s.commit = d("thread_commit_latency_seconds", "Time a worker's successful commit took (offsets, producer flush or transaction, state).", labelThread)
	s.rebalances = d("thread_rebalances_total", "Consumer-group sessions a worker joined; each ends a rebalance.", labelThread)
	s.enforced = d("thread_enforced_processing_total", "Records processed while another input partition of their task had nothing buffered and was not waited for (Config.MaxTaskIdle).", labelThread)
	s.recordHits = d("thread_record_cache_hits_total", "Reads of a worker's record cache (Config.CacheMaxBytes) that found the key cached.", labelThread)
	s.recordMisses = d("thread_record_cache_misses_total", "Reads of a worker's record cache that did not find the key (and went to the store).", labelThread)
	s.tasks = d("thread_tasks", "A worker's tasks by state: RUNNING and RESTORING (active), STANDBY.", labelThread, labelState)

	s.processed = d("task_processed_records_total", "Input records a task processed.", labelTask)
	s.dropped = d("task_dropped_records_total", "Records a task dropped, by reason (late, null-key, null-value, deserialization, invalid-timestamp, expired, processing).", labelTask, labelReason)
	s.process = d("task_process_latency_seconds", "Time a record took to go through its task (the mean of a batch of up to 100).", labelTask)
	s.punctuate = d("task_punctuate_latency_seconds", "Time a punctuation took.", labelTask)
	s.restored = d("task_restored_records_total", "Changelog records restored into a task's stores.", labelTask)
	s.restoreRemaining = d("task_restore_remaining_records", "Changelog offsets a task's restore in progress still has to read.", labelTask)
	s.standbyApplied = d("task_standby_applied_records_total", "Changelog records applied to a task's standby copy.", labelTask)
	s.standbyLag = d("task_standby_lag_records", "Changelog records a standby task has not applied yet.", labelTask)

	s.e2e = d("node_e2e_latency_seconds", "Age of the records a sink node sent: wall-clock time minus the record's timestamp.", labelTask, labelNode)
	s.lag = d("consumer_lag_records", "Records of an input partition the broker holds beyond what the worker fetched.", labelTopic, labelPartition, labelTask)

	s.memtable = d("store_memtable_size_bytes", "Memory of a task database's memtables.", labelTask, labelStore)
	s.disk = d("store_disk_usage_bytes", "Disk space of a task database (sstables, WAL, manifest).", labelTask, labelStore)
	s.debt = d("store_compaction_debt_bytes", "Pebble's estimate of the bytes compactions must rewrite to settle a task database's LSM.", labelTask, labelStore)
	s.readAmp = d("store_read_amplification", "Sublevels and levels a read of a task database may look in.", labelTask, labelStore)
	s.compactions = d("store_compactions_total", "Compactions of a task database since it was opened.", labelTask, labelStore)
	s.flushes = d("store_flushes_total", "Memtable flushes of a task database since it was opened.", labelTask, labelStore)
	s.cacheSize = d("store_block_cache_size_bytes", "Bytes of blocks in the block cache the instance's databases share.")
	s.cacheHits = d("store_block_cache_hits_total", "Block cache lookups that found the block.")
	s.cacheMisses = d("store_block_cache_misses_total", "Block cache lookups that did not.")
	return s
}
