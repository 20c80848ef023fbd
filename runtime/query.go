// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/state"
)

// Interactive queries (Kafka Streams' IQ): the App reads the stores of the
// tasks this instance runs, each on the goroutine that owns the task, so a
// read sees the state as the task has processed it so far (under
// exactly-once, including what the open transaction wrote). Package query
// wraps these byte-level reads in typed handles and an HTTP handler.

// Why a store read failed. A *StoreError wraps one of them; errors.Is
// tells them apart.
var (
	// ErrUnknownStore: the topology has no store of that name and kind.
	ErrUnknownStore = errors.New("no such store")
	// ErrNotHosted: this instance runs no task with that store
	// partition (App.QueryMetadataForKey tells which one does).
	ErrNotHosted = errors.New("store partition not hosted on this instance")
	// ErrRebalancing: the group is rebalancing and this instance has no
	// ready task for the partition yet. Retry shortly.
	ErrRebalancing = errors.New("rebalancing")
	// ErrRestoring: this instance owns the task but is still restoring its
	// state from the changelog. Retry shortly.
	ErrRestoring = errors.New("restoring")
	// ErrNotRunning: the App is not running (not started, or stopped).
	ErrNotRunning = errors.New("application not running")
)

// StoreError is the error of a store read: which store and partition, and
// why (one of the Err… values above, or the store's own error).
type StoreError struct {
	Store     string
	Partition int32
	Err       error
}

func (e *StoreError) Error() string {
	return fmt.Sprintf("store %q partition %d: %v", e.Store, e.Partition, e.Err)
}

func (e *StoreError) Unwrap() error { return e.Err }

// Retryable reports whether the same read may succeed shortly on this
// instance (rebalancing or restoring).
func (e *StoreError) Retryable() bool {
	return errors.Is(e.Err, ErrRebalancing) || errors.Is(e.Err, ErrRestoring)
}

// ReadOptions tune a store read.
type ReadOptions struct {
	// Standby allows reading a standby replica's copy when this instance
	// runs no active task for the partition. The copy can be behind:
	// ReadInfo.Lag says by how many changelog records. Default false:
	// only the active task's state is read.
	Standby bool
}

// ReadInfo describes the copy a read used.
type ReadInfo struct {
	// Standby is set when the read used a standby replica.
	Standby bool
	// Lag is how many changelog records the standby copy has yet to
	// apply (0 for an active task).
	Lag int64
}

// StoreKind is the kind of a state store.
type StoreKind int

// Store kinds.
const (
	KeyValueStore StoreKind = iota
	WindowStore
	SessionStore
	// VersionedKeyValueStore is the store of a versioned table
	// (table.Versioned).
	VersionedKeyValueStore
)

func (k StoreKind) String() string {
	switch k {
	case KeyValueStore:
		return "key-value"
	case WindowStore:
		return "window"
	case SessionStore:
		return "session"
	case VersionedKeyValueStore:
		return "versioned key-value"
	}
	return fmt.Sprintf("StoreKind(%d)", int(k))
}

// StoreInfo describes a store of the topology, as a query needs it.
type StoreInfo struct {
	Name string
	Kind StoreKind
	// Partitions is the number of partitions (tasks) the store is split
	// into.
	Partitions int32
	// Timestamped is set when values are stored with their record
	// timestamp (every store the DSL creates); a store added with the
	// Processor API stores plain values.
	Timestamped bool
	// WindowSize is the window size of a window store, in milliseconds.
	WindowSize int64
	// Global marks a global table's store: every instance holds all of
	// it, as one partition (0).
	Global bool
	// Topic is the topic the store's serdes are called with: its
	// changelog topic, or a global table's source topic.
	Topic string
}

// Store describes the store called name.
func (a *App) Store(name string) (StoreInfo, error) {
	st, ok := a.topo.Store(name)
	if !ok {
		return StoreInfo{}, &StoreError{Store: name, Partition: -1, Err: ErrUnknownStore}
	}
	if st.Global {
		info := StoreInfo{Name: name, Kind: KeyValueStore, Partitions: 1, Timestamped: true, Global: true}
		for _, g := range a.topo.GlobalSubtopologies() {
			if len(g.Stores) > 0 && g.Stores[0].Name == name && len(g.Sources) > 0 {
				info.Topic = g.Sources[0]
			}
		}
		return info, nil
	}
	info := StoreInfo{Name: name, Timestamped: st.Op != "USER", WindowSize: st.WindowSize, Topic: engine.ChangelogTopic(a.cfg.AppID, name)}
	switch st.Spec.Kind {
	case engine.WindowKind:
		info.Kind = WindowStore
	case engine.SessionKind:
		info.Kind = SessionStore
	case engine.VersionedKind:
		info.Kind = VersionedKeyValueStore
	}
	sub, ok := a.storeSub(name)
	if !ok {
		return StoreInfo{}, &StoreError{Store: name, Partition: -1, Err: ErrUnknownStore}
	}
	a.mu.Lock()
	plan := a.plan
	a.mu.Unlock()
	if plan == nil {
		return info, &StoreError{Store: name, Partition: -1, Err: fmt.Errorf("%w: its partitions are known once the application has started", ErrNotRunning)}
	}
	info.Partitions = plan.tasks[sub]
	return info, nil
}

// storeSub returns the sub-topology whose tasks hold store name.
func (a *App) storeSub(name string) (int, bool) {
	for _, s := range a.topo.Subtopologies() {
		for _, st := range s.Stores {
			if st.Name == name {
				return s.ID, true
			}
		}
	}
	return 0, false
}

// PartitionForKey returns the partition of store that holds key (its
// serialized form, as the store's key serde writes it): the partition
// Kafka's default partitioner picks for that key among the store's
// partitions. Keys of window and session stores are their plain keys.
func (a *App) PartitionForKey(store string, key []byte) (int32, error) {
	info, err := a.Store(store)
	if err != nil {
		return 0, err
	}
	if info.Partitions <= 0 {
		return 0, &StoreError{Store: store, Partition: -1, Err: ErrNotRunning}
	}
	if info.Global {
		return 0, nil
	}
	return partition.ForKey(key, info.Partitions), nil
}

// ReadKeyValue runs fn with partition p of the key-value store called
// name, on the goroutine that owns the partition's task. fn must not keep
// the store (nor slices it returns) after it returns.
func (a *App) ReadKeyValue(ctx context.Context, name string, p int32, opts ReadOptions, fn func(state.KeyValueStore) error) (ReadInfo, error) {
	return a.readStore(ctx, name, p, opts, KeyValueStore, func(s any) error { return fn(s.(state.KeyValueStore)) })
}

// ReadWindow is ReadKeyValue for window stores.
func (a *App) ReadWindow(ctx context.Context, name string, p int32, opts ReadOptions, fn func(state.WindowStore) error) (ReadInfo, error) {
	return a.readStore(ctx, name, p, opts, WindowStore, func(s any) error { return fn(s.(state.WindowStore)) })
}

// ReadSession is ReadKeyValue for session stores.
func (a *App) ReadSession(ctx context.Context, name string, p int32, opts ReadOptions, fn func(state.SessionStore) error) (ReadInfo, error) {
	return a.readStore(ctx, name, p, opts, SessionStore, func(s any) error { return fn(s.(state.SessionStore)) })
}

// ReadVersioned is ReadKeyValue for the versioned stores of versioned
// tables: fn can read a key's latest row or its row as of a time. Values
// are the plain serialized values.
func (a *App) ReadVersioned(ctx context.Context, name string, p int32, opts ReadOptions, fn func(state.VersionedKeyValueStore) error) (ReadInfo, error) {
	return a.readStore(ctx, name, p, opts, VersionedKeyValueStore, func(s any) error { return fn(s.(state.VersionedKeyValueStore)) })
}

func (a *App) readStore(ctx context.Context, name string, p int32, opts ReadOptions, kind StoreKind, fn func(any) error) (ReadInfo, error) {
	fail := func(err error) (ReadInfo, error) { return ReadInfo{}, &StoreError{Store: name, Partition: p, Err: err} }
	info, err := a.Store(name)
	if err != nil {
		return ReadInfo{}, err
	}
	if info.Kind != kind {
		return fail(fmt.Errorf("%w: it is a %s store, not a %s store", ErrUnknownStore, info.Kind, kind))
	}
	if p < 0 || p >= info.Partitions {
		return fail(fmt.Errorf("%w: partition out of range [0, %d)", ErrNotHosted, info.Partitions))
	}
	switch st := a.State(); st {
	case Running, Rebalancing:
	default:
		return fail(fmt.Errorf("%w (state %s)", ErrNotRunning, st))
	}
	if info.Global {
		// Safe for concurrent use with the global updater; read-only.
		gs, ok := a.globalStores().Store(name)
		if !ok {
			return fail(fmt.Errorf("%w: the global store is not open yet", ErrRestoring))
		}
		return ReadInfo{}, fn(gs.Timestamped())
	}
	sub, _ := a.storeSub(name)
	id := engine.TaskID{Subtopology: sub, Partition: p}
	a.mu.Lock()
	workers := append([]*worker(nil), a.workers...)
	a.mu.Unlock()
	var why error = ErrNotHosted
	for _, w := range workers {
		err := w.query(ctx, id, func(t *engine.Task) error {
			s, ok := t.Stores()[name]
			if !ok {
				return fmt.Errorf("%w: task %s has no store %q", ErrUnknownStore, id, name)
			}
			return fn(s)
		})
		switch {
		case err == nil:
			return ReadInfo{}, nil
		case errors.Is(err, errNoTask):
		case errors.Is(err, ErrRestoring):
			why = ErrRestoring
		default:
			return fail(err)
		}
	}
	if opts.Standby {
		for _, w := range workers {
			lag, err := w.queryStandby(ctx, id, func(t *engine.Task) error {
				s, ok := t.Stores()[name]
				if !ok {
					return fmt.Errorf("%w: task %s has no store %q", ErrUnknownStore, id, name)
				}
				return fn(s)
			})
			if errors.Is(err, errNoTask) {
				continue
			}
			if err != nil {
				return fail(err)
			}
			return ReadInfo{Standby: true, Lag: lag}, nil
		}
	}
	if why == ErrNotHosted && a.State() == Rebalancing {
		why = ErrRebalancing
	}
	return fail(why)
}

// errNoTask: the worker runs no such task.
var errNoTask = errors.New("no such task")

// ApplicationID returns Config.AppID.
func (a *App) ApplicationID() string { return a.cfg.AppID }
