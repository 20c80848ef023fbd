// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package record

// Reasons a record is dropped: the keys of the dropped-record counts that
// runtime.App.Metrics and topologytest.Driver.Dropped report.
const (
	// DropLate: the record's window had already closed (window end <=
	// stream time - grace).
	DropLate = "late"
	// DropNullKey: an aggregation or repartition input without a key.
	DropNullKey = "null-key"
	// DropNullValue: an aggregation input without a value.
	DropNullValue = "null-value"
	// DropDeserialization: undecodable bytes skipped by the error policy.
	DropDeserialization = "deserialization"
	// DropTimestamp: a negative timestamp, from the record or from a
	// timestamp extractor.
	DropTimestamp = "invalid-timestamp"
	// DropExpired: the record's window lies outside the store's retention.
	DropExpired = "expired"
	// DropProcessing: a processing error or panic skipped by the error
	// policy.
	DropProcessing = "processing"
	// DropStaleResponse: a foreign-key join's response made for a left
	// value that has changed since (its hash no longer matches), as Kafka
	// Streams drops it.
	DropStaleResponse = "stale-response"
)
