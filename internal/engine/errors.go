// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"errors"
	"fmt"
	"log/slog"
)

// ErrorAction is an error handler's decision.
type ErrorAction int

// Error handler decisions.
const (
	// Fail stops processing with the error.
	Fail ErrorAction = iota
	// Skip drops the record, counts it in Metrics.Dropped and continues.
	Skip
	// Diverted drops and counts the record like Skip, but the handler has
	// logged it (and written it elsewhere, such as a dead-letter topic,
	// if it did), so the task does not log it as skipped.
	Diverted
)

// ErrorContext describes the record an error happened on.
type ErrorContext struct {
	Task   TaskID
	Node   string
	Record *RawRecord
	// Collector sends records in the task's output stream (and, under
	// exactly-once, its transaction), e.g. to a dead-letter topic.
	Collector Collector
	// Logger is the task's logger, for a handler that logs what it did.
	Logger *slog.Logger
}

// ErrorHandler decides what to do with a record that cannot be processed:
// undecodable key or value, invalid timestamp, an error or panic of an
// operator, or an output record that cannot be serialized or produced (a
// non-fatal error the collector's Send returned included).
type ErrorHandler func(ec ErrorContext, err error) ErrorAction

// FailOnError is the default handler: every error stops processing.
func FailOnError(ErrorContext, error) ErrorAction { return Fail }

// SkipOnError drops bad records and counts them.
func SkipOnError(ErrorContext, error) ErrorAction { return Skip }

// RecordError is a processing error pinned to the input record that caused it.
type RecordError struct {
	Task      TaskID
	Node      string
	Topic     string
	Partition int32
	Offset    int64
	Key       []byte
	Err       error
}

// Error names the task, node and record position.
func (e *RecordError) Error() string {
	key := "null"
	if e.Key != nil {
		key = fmt.Sprintf("%q", truncate(e.Key, 64))
	}
	node := ""
	if e.Node != "" {
		node = ", node " + e.Node
	}
	return fmt.Sprintf("task %s%s: record at topic %q partition %d offset %d (key %s): %v",
		e.Task, node, e.Topic, e.Partition, e.Offset, key, e.Err)
}

// Unwrap returns the cause.
func (e *RecordError) Unwrap() error { return e.Err }

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// FatalError marks an error the error handler must not skip: a store or the
// output could not be written, so the task's state or output is in doubt.
type FatalError struct{ Err error }

// Error returns the cause's message.
func (e *FatalError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *FatalError) Unwrap() error { return e.Err }

// Fatal marks err as fatal; nil stays nil.
func Fatal(err error) error {
	if err == nil {
		return nil
	}
	var fe *FatalError
	if errors.As(err, &fe) {
		return err
	}
	return &FatalError{Err: err}
}
