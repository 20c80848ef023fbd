// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package wincore holds what the window- and session-store implementations
// of the memory and Pebble backends share: the order-preserving key encoding
// of window entries and sessions, the retention arithmetic over segments,
// the queries that select entries by key and time, and the merge of
// per-segment cursors into key order.
package wincore
