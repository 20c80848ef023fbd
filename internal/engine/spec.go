// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"fmt"

	"github.com/eddy-streams/eddy/state"
)

// TaskID identifies a task: sub-topology × partition, printed as "0_3".
type TaskID struct {
	Subtopology int
	Partition   int32
}

// String formats the id as Kafka Streams does: <subtopology>_<partition>;
// a global task (partition GlobalPartition) is <subtopology>_global.
func (id TaskID) String() string {
	if id.Partition == GlobalPartition {
		return fmt.Sprintf("%d_global", id.Subtopology)
	}
	return fmt.Sprintf("%d_%d", id.Subtopology, id.Partition)
}

// StoreKind says which store interface a store implements.
type StoreKind int

// Store kinds.
const (
	KeyValueKind StoreKind = iota
	WindowKind
	// SessionKind stores implement state.SessionStore (session-windowed
	// aggregations).
	SessionKind
	// VersionedKind stores implement state.VersionedKeyValueStore
	// (versioned tables).
	VersionedKind
)

// StoreSpec declares a store a sub-topology uses.
type StoreSpec struct {
	Name string
	Kind StoreKind
	// Logged enables the changelog topic <app>-<name>-changelog.
	Logged bool
	// Window configures window stores.
	Window state.WindowOptions
	// Session configures session stores.
	Session state.SessionOptions
	// Versioned configures versioned key-value stores.
	Versioned state.VersionedOptions
	// Cached puts the store's writes in the task's record cache (Kafka
	// Streams' caching stores): key-value and window stores that do not
	// keep duplicates.
	Cached bool
}

// ChangelogTopic returns the changelog topic name of store in app.
func ChangelogTopic(app, store string) string { return app + "-" + store + "-changelog" }

// NodeSpec describes how to instantiate one node of a sub-topology.
type NodeSpec struct {
	// ID is the node's index in the topology; Link functions address
	// instances by it.
	ID int
	// Name is the node's unique name (used in errors).
	Name string
	// Topics lists the topics a source node consumes.
	Topics []string
	// New creates the node's processor instance for task t.
	New func(t *Task) (any, error)
	// Links connect this node's instance to its children; instances is
	// indexed by node ID.
	Links []func(instances []any)
}

// Spec is the instantiable form of one sub-topology.
type Spec struct {
	Nodes  []NodeSpec
	Stores []StoreSpec
}
