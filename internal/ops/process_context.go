// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"iter"
	"slices"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/state"
)

// StoreAccess lists the stores a user processor (Process, ProcessValues,
// TransformValues) may open by name: Stores are connected to it;
// WindowSizes gives the window size (ms) of its window stores.
type StoreAccess struct {
	Stores      []string
	WindowSizes map[string]int64
}

// procBase implements processor.ProcessingContext over a task for the
// user processor node called node.
type procBase struct {
	node   string
	access StoreAccess
	t      *engine.Task
}

func (c *procBase) ApplicationID() string { return c.t.AppID() }

func (c *procBase) TaskID() string { return c.t.ID().String() }

func (c *procBase) RecordMetadata() (processor.RecordMetadata, bool) {
	rc := c.t.RecordContext()
	if rc.Topic == "" {
		return processor.RecordMetadata{}, false
	}
	return processor.RecordMetadata{Topic: rc.Topic, Partition: rc.Partition, Offset: rc.Offset}, true
}

func (c *procBase) Headers() []record.Header { return c.t.RecordContext().Headers }

func (c *procBase) StreamTime() time.Time {
	st := c.t.StreamTime()
	if st == engine.UnknownTime {
		return time.Time{}
	}
	return time.UnixMilli(st)
}

func (c *procBase) WallClockTime() time.Time { return time.UnixMilli(c.t.Now()) }

func (c *procBase) Schedule(interval time.Duration, typ processor.PunctuationType, fn processor.Punctuator) (cancel func()) {
	node := c.node
	clock := engine.StreamTime
	if typ == processor.WallClock {
		clock = engine.WallClock
	}
	return c.t.Schedule(interval.Milliseconds(), clock, func(ts int64) error {
		at := time.UnixMilli(ts)
		if err := fn(at); err != nil {
			return fmt.Errorf("%s: %v punctuation at %s: %w", node, typ, at.UTC().Format(time.RFC3339Nano), err)
		}
		return nil
	})
}

func (c *procBase) RequestCommit() { c.t.RequestCommit() }

func (c *procBase) connected(name string) error {
	if !slices.Contains(c.access.Stores, name) {
		return fmt.Errorf("%s: store %q is not connected to this processor (connected: %v); pass its handle to the operator", c.node, name, c.access.Stores)
	}
	return nil
}

func (c *procBase) StateStore(name string) (state.KeyValueStore, error) {
	// Global stores are readable by every processor, connected or not, as
	// in Kafka Streams.
	if g, err := c.t.GlobalStore(name); err == nil {
		return g.Plain(), nil
	}
	if err := c.connected(name); err != nil {
		return nil, err
	}
	s, err := c.t.KeyValue(name)
	if err != nil {
		return nil, err
	}
	return s.Logged(), nil
}

func (c *procBase) WindowStateStore(name string) (state.WindowStore, time.Duration, error) {
	if err := c.connected(name); err != nil {
		return nil, 0, err
	}
	s, err := c.t.Window(name)
	if err != nil {
		return nil, 0, err
	}
	return s.Logged(), time.Duration(c.access.WindowSizes[name]) * time.Millisecond, nil
}

func (c *procBase) SessionStateStore(name string) (state.SessionStore, error) {
	if err := c.connected(name); err != nil {
		return nil, err
	}
	s, err := c.t.Session(name)
	if err != nil {
		return nil, err
	}
	return loggedSession{s: s, t: c.t}, nil
}

// loggedSession is the Processor API's byte-level view of a session
// store: every write goes to the changelog (key ‖ 8-byte end ‖ 8-byte
// start, plain value), stamped with the timestamp of the record being
// processed (the punctuation time inside a punctuator).
type loggedSession struct {
	s *engine.SessionStore
	t *engine.Task
}

func (l loggedSession) Name() string { return l.s.Store.Name() }

func (l loggedSession) Put(key []byte, start, end int64, value []byte) error {
	if start > end {
		return fmt.Errorf("store %s: session start %d after its end %d", l.s.Store.Name(), start, end)
	}
	return l.s.Put(key, start, end, value, l.t.RecordContext().Timestamp)
}

func (l loggedSession) FetchSession(key []byte, start, end int64) ([]byte, error) {
	return l.s.Store.FetchSession(key, start, end)
}

func (l loggedSession) FindSessions(key []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[state.SessionEntry, error] {
	return l.s.Store.FindSessions(key, earliestSessionEnd, latestSessionStart)
}

func (l loggedSession) BackwardFindSessions(key []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[state.SessionEntry, error] {
	return l.s.Store.BackwardFindSessions(key, earliestSessionEnd, latestSessionStart)
}

func (l loggedSession) FindSessionsKeyRange(keyFrom, keyTo []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[state.SessionEntry, error] {
	return l.s.Store.FindSessionsKeyRange(keyFrom, keyTo, earliestSessionEnd, latestSessionStart)
}

func (l loggedSession) Fetch(key []byte) iter.Seq2[state.SessionEntry, error] {
	return l.s.Store.Fetch(key)
}

func (l loggedSession) FetchKeyRange(keyFrom, keyTo []byte) iter.Seq2[state.SessionEntry, error] {
	return l.s.Store.FetchKeyRange(keyFrom, keyTo)
}

func (l loggedSession) All() iter.Seq2[state.SessionEntry, error] { return l.s.Store.All() }

func (l loggedSession) ObservedTime() int64 { return l.s.Store.ObservedTime() }
