// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package processor

import "time"

// ValueTransformer computes the values of a table from the values of
// another, with access to state stores and the record context (Kafka
// Streams' ValueTransformerWithKey as used by KTable.transformValues). Plug
// it in with stream.Table.TransformValues. It cannot change the key and
// cannot forward records: the table's downstream operators see each
// update's transformed value.
//
// Init is called once per task before the first update; Close when the
// task closes. Transform is called with the key and the new value of each
// update of the table; found is false when the update deletes the row (a
// tombstone: value is then the zero value). It returns the row's new value
// with ok true, or ok false for no value, which deletes the row
// downstream. An error stops the task, naming the input record.
type ValueTransformer[K, V, VOut any] interface {
	Init(ctx ValueTransformerContext) error
	Transform(key K, value V, found bool) (out VOut, ok bool, err error)
	Close() error
}

// ValueTransformerContext is the context of a ValueTransformer:
// ProcessingContext (stores, record metadata, headers, punctuation) and the
// timestamp of the update being transformed. There is no forwarding.
type ValueTransformerContext interface {
	ProcessingContext
	// Timestamp returns the timestamp of the table update being
	// transformed (the punctuation time inside a punctuator).
	Timestamp() time.Time
}
