// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package runtime runs a topology on Kafka: one application instance joins
// the consumer group named by the application id, is assigned tasks
// (sub-topology × partition), keeps their state in Pebble stores backed by
// changelog topics, and commits at-least-once or exactly-once.
//
// Config.Brokers is required. For examples, first runs and tests, an
// instance can instead be asked for an embedded in-process Kafka-protocol
// broker (franz-go's kfake) with Config.EmbeddedBroker; it warns in the log
// that the broker's data is lost at exit.
//
// # Topics
//
// An application creates only its internal topics: repartition and
// changelog topics, and the dead-letter topic of the DeadLetter policy.
// Its source and sink topics must exist before App.Run; CreateTopics
// creates them and waits until every broker can serve them.
//
// # Processing order
//
// A task with several input partitions (a join, a merge, co-partitioned
// sources) buffers each partition's fetched records and always processes
// the buffered record with the lowest timestamp next, as Kafka Streams
// does; the order in which records were fetched never decides. While one of
// its partitions has nothing buffered but the broker holds records for it,
// the task waits for them. Config.MaxTaskIdle (Kafka Streams'
// max.task.idle.ms) says how long it also waits for a partition that is
// caught up: 0, the default, not at all; NoTaskIdle never waits for any.
// Processing without a partition is counted in Metrics.EnforcedProcessing.
// Each task has its own stream time: the largest timestamp it processed.
//
// # Restoration
//
// Each worker has a state updater: one changelog consumer on one goroutine
// that restores the stores of newly assigned tasks, while their input
// partitions are paused, and keeps the worker's standby tasks current. The
// worker's other tasks keep processing meanwhile, and closing a task (a
// rebalance, shutdown) drops its restore at once. A restore commits its
// progress every restoreChunk records, so it holds bounded memory and
// resumes where it stopped; Config.RestoreListener hears of its start,
// batches and end. Under exactly-once a restarted instance continues from
// its local stores without a restore. Global stores have a reader of their
// own (global.go).
//
// # Membership
//
// Each worker is a consumer-group member. With Config.GroupInstanceID it is
// a static member (<GroupInstanceID>-<worker>): a restart within the
// session timeout keeps its tasks without a rebalance.
//
// # Files
//
// worker.go is the poll → process → commit loop of one worker;
// taskmanager.go opens and closes its tasks; partitiongroup.go and lag.go
// choose a task's next record; stateupdater.go reads changelogs for
// restore.go (a task's restore) and standby.go (standby copies); global.go
// keeps global stores; commit.go commits, txnproducer.go runs the
// exactly-once transactions; collector.go sends output and tracks changelog
// offsets; errclass.go classifies failures and errors.go holds the errors
// users tell apart.
package runtime
