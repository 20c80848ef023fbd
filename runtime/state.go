// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

// State is the lifecycle state of an application instance, as in Kafka
// Streams: CREATED → REBALANCING → RUNNING → PENDING_SHUTDOWN →
// NOT_RUNNING, or ERROR.
type State int

// Lifecycle states.
const (
	Created State = iota
	Rebalancing
	Running
	PendingShutdown
	NotRunning
	Error
)

// String names the state as Kafka Streams does.
func (s State) String() string {
	switch s {
	case Created:
		return "CREATED"
	case Rebalancing:
		return "REBALANCING"
	case Running:
		return "RUNNING"
	case PendingShutdown:
		return "PENDING_SHUTDOWN"
	case NotRunning:
		return "NOT_RUNNING"
	case Error:
		return "ERROR"
	}
	return "UNKNOWN"
}
