// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/state/pebble"
)

// Local state is a cache of the changelog, so it is checked rather than
// trusted, and rebuilt from the changelog when it cannot be used:
//
//   - a deleted task directory is simply restored from scratch;
//   - a damaged database (files Pebble cannot open, checksum failures found
//     by an earlier run) is deleted by pebble.Open, under the directory
//     lock (see openState); after a crash, restore reads the whole store
//     first (verify), and wipes it if a checksum fails;
//   - a task directory written for another application id or task, or by
//     a newer, unknown layout, is wiped (see taskMeta);
//   - state built from a changelog that has since been deleted and
//     recreated (a different topic id), or whose recorded offset lies past
//     the changelog's end or before its start, is wiped at restore (see
//     restore.go); global stores (global.go) are checked the same way
//     when they open. Standby copies are checked only for offsets out of
//     the changelog's range (standby.go).
//
// Each case logs a warning naming the task, the directory and the reason.

// taskMetaFile describes the state in a task directory.
const taskMetaFile = "eddy-task.json"

// taskMetaFormat is the version of the task directory layout (the Pebble
// key layout and this file); a directory with a higher version was written
// by a newer Eddy and is rebuilt rather than misread.
const taskMetaFormat = 1

type taskMeta struct {
	Format int    `json:"format"`
	AppID  string `json:"application_id"`
	Task   string `json:"task"`
	// Stores are the task's store names, for people reading the file.
	Stores []string `json:"stores"`
	// ChangelogIDs are the topic ids of the changelogs the state was
	// restored from: a changelog deleted and recreated under the same name
	// gets a new id, and state built from the old topic must not be mixed
	// with the new one.
	ChangelogIDs map[string]string `json:"changelog_topic_ids,omitempty"`
}

// readTaskMeta reads dir's metadata: nil if there is none.
func readTaskMeta(dir string) (*taskMeta, error) {
	b, err := os.ReadFile(filepath.Join(dir, taskMetaFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeTaskMeta(b)
}

// decodeTaskMeta decodes the content of a metadata file.
func decodeTaskMeta(b []byte) (*taskMeta, error) {
	var m taskMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("unreadable %s: %w", taskMetaFile, err)
	}
	return &m, nil
}

// encodeTaskMeta returns the content of the metadata file describing m.
func encodeTaskMeta(m *taskMeta) ([]byte, error) {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// writeTaskMeta replaces dir's metadata atomically.
func writeTaskMeta(dir string, m *taskMeta) error {
	b, err := encodeTaskMeta(m)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, taskMetaFile)
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// foreign says why m does not describe state of task id of this
// application, or "".
func (a *App) foreign(m *taskMeta, id engine.TaskID) string {
	switch {
	case m.Format > taskMetaFormat:
		return fmt.Sprintf("written in layout version %d by a newer Eddy; this version reads up to %d", m.Format, taskMetaFormat)
	case m.AppID != a.cfg.AppID:
		return fmt.Sprintf("it holds state of application %q, not %q", m.AppID, a.cfg.AppID)
	case m.Task != id.String():
		return fmt.Sprintf("it holds state of task %s, not %s", m.Task, id)
	}
	return ""
}

// openStates maps the directory of every task state open in this process to
// its taskState, so restore can wipe the state of a task it was handed.
// (Pebble's directory lock makes a directory open at most once.)
var openStates sync.Map

// taskState is a task's open state backend.
type taskState struct {
	*pebble.Backend
	dir string
	app *App
	id  engine.TaskID
	// mu is held while the database is replaced (wipe) or closed, and
	// while metrics read it from another goroutine (metrics_store.go).
	mu     sync.Mutex
	closed bool
}

// Close closes the backend.
func (s *taskState) Close() error {
	openStates.CompareAndDelete(s.dir, s)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return s.Backend.Close()
}

// stateOf returns the open state of task id.
func (a *App) stateOf(id engine.TaskID) (*taskState, bool) {
	v, ok := openStates.Load(a.taskDir(id))
	if !ok {
		return nil, false
	}
	return v.(*taskState), true
}

// openState opens task id's state in its task directory. A damaged database,
// or state that is not this task's, is deleted (with a warning) and an
// empty store is opened, to be restored from the changelog.
func (a *App) openState(id engine.TaskID, opts pebble.Options) (*taskState, error) {
	dir := a.taskDir(id)
	log := a.log.With("task", id.String(), "dir", dir)
	// Verification after a crash reads the whole store: restore does it,
	// in the poll loop, rather than Open in the rebalance callback.
	opts.Verify = pebble.VerifyLater
	opts.OnDamage = func(err *pebble.DamagedError) bool {
		log.Warn("task state is damaged: deleting it and rebuilding it from the changelog"+a.unloggedNote(id), "err", err.Err)
		return true
	}
	be, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, err
	}
	s := &taskState{Backend: be, dir: dir, app: a, id: id}
	meta, err := readTaskMeta(dir)
	reason := ""
	if err != nil {
		reason = err.Error()
	} else if meta != nil {
		reason = a.foreign(meta, id)
	}
	if reason != "" {
		if err := s.wipe(reason); err != nil {
			return nil, errors.Join(err, be.Close())
		}
		meta = nil
	}
	if meta == nil {
		// A new directory, or one from before the metadata file existed.
		meta = &taskMeta{}
	}
	meta.Format, meta.AppID, meta.Task = taskMetaFormat, a.cfg.AppID, id.String()
	meta.Stores = meta.Stores[:0]
	for _, st := range a.topo.Spec(id.Subtopology, a.cfg.AppID).Stores {
		meta.Stores = append(meta.Stores, st.Name)
	}
	slices.Sort(meta.Stores)
	if err := writeTaskMeta(dir, meta); err != nil {
		return nil, errors.Join(fmt.Errorf("task %s: %w", id, err), be.Close())
	}
	openStates.Store(dir, s)
	return s, nil
}

// wipe deletes the task's state, logging why; the caller restores it.
func (s *taskState) wipe(reason string) error {
	s.app.log.Warn("task state cannot be used: deleting it and rebuilding it from the changelog"+s.app.unloggedNote(s.id),
		"task", s.id.String(), "dir", s.dir, "reason", reason)
	s.mu.Lock()
	err := s.Wipe()
	s.mu.Unlock()
	if err != nil {
		return fmt.Errorf("task %s: wipe state in %s: %w", s.id, s.dir, err)
	}
	return nil
}

// recordChangelogs notes the topic ids of the changelogs the state is now
// restored from.
func (s *taskState) recordChangelogs(ids map[string]string) error {
	meta, err := readTaskMeta(s.dir)
	if err != nil || meta == nil {
		meta = &taskMeta{Format: taskMetaFormat, AppID: s.app.cfg.AppID, Task: s.id.String()}
	}
	if maps.Equal(meta.ChangelogIDs, ids) {
		return nil
	}
	meta.ChangelogIDs = ids
	return writeTaskMeta(s.dir, meta)
}

// unloggedNote warns that stores without a changelog cannot be rebuilt.
func (a *App) unloggedNote(id engine.TaskID) string {
	var names []string
	for _, st := range a.topo.Spec(id.Subtopology, a.cfg.AppID).Stores {
		if !st.Logged {
			names = append(names, st.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return fmt.Sprintf(" (stores without a changelog start empty: %v)", names)
}

// verify reads the whole store if the previous run crashed with it open
// (see pebble.VerifyLater), and wipes it if that finds damage.
func (s *taskState) verify() error {
	if !s.Crashed() {
		return nil
	}
	start := time.Now()
	if err := s.Verify(); err != nil {
		return s.wipe("verification after an unclean shutdown failed: " + err.Error())
	}
	s.app.log.Info("verified task state after an unclean shutdown", "task", s.id.String(), "took", time.Since(start).Round(time.Millisecond))
	return nil
}
