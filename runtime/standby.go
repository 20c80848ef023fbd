// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/balancer"
	"github.com/eddy-streams/eddy/internal/engine"
)

// A standby task keeps a warm copy of another instance's task state by
// tailing its changelog partitions (Kafka Streams' standby replicas). It
// processes no input; when the balancer makes this instance the task's
// active owner, the standby is closed and the active task opens the same
// state, so it restores only the changelog tail.
type standby struct {
	id   engine.TaskID
	task *engine.Task
	from map[string]map[int32]kgo.Offset // where tailing starts
	// next is the changelog "topic/partition" → next offset; the state
	// updater's goroutine alone writes it once the standby is added.
	next  map[string]int64
	stats *taskStats // the task's counters (metrics.go)
}

// rejectCollector is the collector of standby tasks, which never produce.
type rejectCollector struct{}

func (rejectCollector) Send(r *engine.RawRecord) error {
	return fmt.Errorf("standby task cannot produce to %q", r.Topic)
}
func (rejectCollector) PartitionCount(string) (int32, error) {
	return 0, errors.New("standby task has no output")
}

// syncStandbys opens the standbys the balancer assigned to this member and
// closes those it took away. Called from the poll loop.
func (w *worker) syncStandbys() error {
	if w.bal == nil || w.app.cfg.StandbyReplicas == 0 {
		return nil
	}
	want := map[engine.TaskID]bool{}
	for _, t := range w.bal.Standbys() {
		id := engine.TaskID(t)
		if !w.app.isTask(id) {
			// A leader with another view of the topics (or a bug)
			// must not make this member open state for a task that
			// does not exist here.
			w.log.Warn("ignoring a standby assignment of a task this application does not have", "task", id.String())
			continue
		}
		want[id] = true
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for id := range w.standbys {
		if !want[id] {
			w.closeStandbyLocked(id)
		}
	}
	for id := range want {
		if _, ok := w.standbys[id]; ok {
			continue
		}
		if _, active := w.tasks[id]; active {
			continue
		}
		if err := w.openStandbyLocked(id); err != nil {
			// Typically the task's state is still open in a sibling
			// worker that is handing it over; try again next cycle.
			w.log.Warn("cannot open standby task yet; retrying", "task", id.String(), "err", err)
		}
	}
	return nil
}

func (w *worker) openStandbyLocked(id engine.TaskID) error {
	t, err := w.app.newTask(id, rejectCollector{}, nil) // a standby only restores: no cache
	if err != nil {
		return err
	}
	stored, err := t.Offsets()
	if err != nil {
		t.Close()
		return err
	}
	sb := &standby{id: id, task: t, next: map[string]int64{}, from: map[string]map[int32]kgo.Offset{}, stats: w.app.metrics.task(id)}
	for topic := range t.Changelogs() {
		k := engine.OffsetKey(topic, id.Partition)
		off, ok := stored[k]
		start := kgo.NewOffset().AtStart()
		if ok {
			start = kgo.NewOffset().At(off)
			sb.next[k] = off
		}
		sb.from[topic] = map[int32]kgo.Offset{id.Partition: start}
	}
	w.su.do(func(u *stateUpdater) { u.addStandby(sb) })
	w.standbys[id] = sb
	w.setSum(id, sum(stored))
	w.log.Info("standby task opened", "task", id.String())
	return nil
}

// closeStandbyLocked stops tailing id's changelogs, records how far the
// copy got and closes it.
func (w *worker) closeStandbyLocked(id engine.TaskID) {
	sb, ok := w.standbys[id]
	if !ok {
		return
	}
	w.su.do(func(u *stateUpdater) { u.removeStandby(sb) })
	if err := sb.task.Close(); err != nil {
		w.log.Warn("close standby task", "task", id.String(), "err", err)
	}
	delete(w.standbys, id)
	w.log.Info("standby task closed", "task", id.String())
}

// setSum records the changelog offset sum of id's local state, for the
// balancer.
func (w *worker) setSum(id engine.TaskID, n int64) {
	w.sumsMu.Lock()
	defer w.sumsMu.Unlock()
	w.stateSums[id] = n
}

func sum(offsets map[string]int64) int64 {
	var n int64
	for _, o := range offsets {
		n += o
	}
	return n
}

// memberInfo tells the group leader which tasks' state this instance
// holds: open active and standby tasks with their changelog offset sums,
// and task directories left on disk by earlier runs.
func (w *worker) memberInfo() balancer.MemberInfo {
	info := balancer.MemberInfo{Instance: w.app.cfg.InstanceID, Endpoint: w.app.cfg.Endpoint, State: map[balancer.Task]int64{}}
	for _, id := range w.app.diskTasks() {
		info.State[balancer.Task(id)] = 1
	}
	w.sumsMu.Lock()
	for id, s := range w.stateSums {
		info.State[balancer.Task(id)] = max(s, 1)
	}
	w.sumsMu.Unlock()
	return info
}

// diskTasks lists the task directories under the application's state
// directory that name tasks of the application as it is now (a directory
// "1_2" for sub-topology 1, partition 2); other entries are ignored.
func (a *App) diskTasks() []engine.TaskID {
	entries, err := os.ReadDir(filepath.Join(a.cfg.StateDir, a.cfg.AppID))
	if err != nil {
		return nil
	}
	var out []engine.TaskID
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		if id, ok := parseTaskDir(e.Name()); ok && a.isTask(id) {
			out = append(out, id)
		}
	}
	return out
}

// parseTaskDir parses a task directory name as TaskID.String writes it.
func parseTaskDir(name string) (engine.TaskID, bool) {
	sub, part, ok := strings.Cut(name, "_")
	if !ok {
		return engine.TaskID{}, false
	}
	s, err1 := strconv.Atoi(sub)
	p, err2 := strconv.ParseInt(part, 10, 32)
	id := engine.TaskID{Subtopology: s, Partition: int32(p)}
	if err1 != nil || err2 != nil || s < 0 || p < 0 || id.String() != name {
		return engine.TaskID{}, false // "1_2junk", "01_2", "1_+2", "1_-2"
	}
	return id, true
}

// isTask says whether id is a partitioned task of the application: its
// sub-topology exists and the partition is below the sub-topology's task
// count.
func (a *App) isTask(id engine.TaskID) bool {
	n, ok := a.plan.tasks[id.Subtopology]
	return ok && id.Partition >= 0 && id.Partition < n
}

// releaseStandby closes a standby of id held by any worker of this
// instance, so an active task can open the same state directory.
func (a *App) releaseStandby(id engine.TaskID) {
	a.handover.Lock()
	defer a.handover.Unlock()
	a.mu.Lock()
	workers := append([]*worker(nil), a.workers...)
	a.mu.Unlock()
	for _, w := range workers {
		w.mu.Lock()
		w.closeStandbyLocked(id)
		w.mu.Unlock()
	}
}
