// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package query reads the state stores of a running application (Kafka
// Streams' interactive queries): typed handles over runtime.App's stores,
// and an HTTP handler that answers for any key from any instance.
//
// A store is split into partitions, one per task, and each instance holds
// the partitions of the tasks it runs. A handle's key lookups read the
// key's partition on this instance; when another instance runs it, they
// fail with runtime.ErrNotHosted and runtime.App.QueryMetadataForKey tells
// which instance to ask. Range and full scans read the partitions this
// instance holds. The HTTP handler (Handler) does the routing: it forwards
// a key lookup to the instance that runs the key's task and gathers scans
// from every instance.
//
// While the group rebalances or a task restores its state, reads fail with
// a *runtime.StoreError whose Retryable method reports true (HTTP 503 with
// Retry-After), never with an empty answer. Reading a standby replica is an
// opt-in (FromStandby) that reports how far the copy is behind.
//
//	counts, err := query.KeyValue(app, "word-counts", serde.String(), serde.Int64())
//	n, ok, err := counts.Get(ctx, "hello")
package query
