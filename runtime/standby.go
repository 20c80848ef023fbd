package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
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
	task *engine.Task
	next map[string]int64 // changelog "topic/partition" → next offset
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
	t, err := w.app.newTask(id, rejectCollector{})
	if err != nil {
		return err
	}
	stored, err := t.Offsets()
	if err != nil {
		t.Close()
		return err
	}
	sb := &standby{task: t, next: map[string]int64{}}
	add := map[string]map[int32]kgo.Offset{}
	for topic := range t.Changelogs() {
		k := engine.OffsetKey(topic, id.Partition)
		off, ok := stored[k]
		start := kgo.NewOffset().AtStart()
		if ok {
			start = kgo.NewOffset().At(off)
			sb.next[k] = off
		}
		add[topic] = map[int32]kgo.Offset{id.Partition: start}
	}
	if w.sbClient == nil {
		cl, err := kgo.NewClient(append(w.app.baseOpts(),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.KeepControlRecords(),
			// A recorded offset out of the changelog's range means the
			// copy does not belong to the changelog as it is now (it was
			// recreated, or truncated): pollStandbys wipes the copy
			// rather than let the client reset and replay over it.
			kgo.ConsumeResetOffset(kgo.NoResetOffset()),
		)...)
		if err != nil {
			t.Close()
			return err
		}
		w.sbClient = cl
	}
	w.sbClient.AddConsumePartitions(add)
	w.standbys[id] = sb
	w.stateSums[id] = sum(stored)
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
	rm := map[string][]int32{}
	for topic := range sb.task.Changelogs() {
		rm[topic] = []int32{id.Partition}
	}
	if w.sbClient != nil {
		w.sbClient.RemoveConsumePartitions(rm)
	}
	if err := sb.task.Commit(sb.next); err != nil {
		w.log.Warn("commit standby state", "task", id.String(), "err", err)
	}
	if err := sb.task.Close(); err != nil {
		w.log.Warn("close standby task", "task", id.String(), "err", err)
	}
	delete(w.standbys, id)
	w.log.Info("standby task closed", "task", id.String())
}

// pollStandbys applies whatever changelog records are ready, without
// waiting, and commits the standbys' progress when commit is true.
func (w *worker) pollStandbys(commit bool) error {
	if w.sbClient == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
	fs := w.sbClient.PollRecords(ctx, 10_000)
	cancel()
	w.mu.Lock()
	defer w.mu.Unlock()
	var err error
	fs.EachError(func(topic string, p int32, ferr error) {
		if errors.Is(ferr, context.DeadlineExceeded) || errors.Is(ferr, context.Canceled) {
			return
		}
		if !errors.Is(ferr, kerr.OffsetOutOfRange) {
			w.log.Warn("standby fetch error", "topic", topic, "partition", p, "err", ferr)
			return
		}
		if sub, ok := w.app.plan.changelogSub[topic]; ok && err == nil {
			err = w.resetStandbyLocked(engine.TaskID{Subtopology: sub, Partition: p}, topic)
		}
	})
	if err != nil {
		return err
	}
	fs.EachRecord(func(r *kgo.Record) {
		if err != nil {
			return
		}
		sub, ok := w.app.plan.changelogSub[r.Topic]
		if !ok {
			return
		}
		sb, ok := w.standbys[engine.TaskID{Subtopology: sub, Partition: r.Partition}]
		if !ok {
			return // removed meanwhile
		}
		if !r.Attrs.IsControl() {
			if err = sb.task.Restore(r.Topic, r.Key, r.Value, r.Timestamp.UnixMilli()); err != nil {
				return
			}
			w.app.metrics.standbyApplied.Add(1)
		}
		sb.next[engine.OffsetKey(r.Topic, r.Partition)] = r.Offset + 1
	})
	if err != nil || !commit {
		return err
	}
	for id, sb := range w.standbys {
		if err := sb.task.Commit(sb.next); err != nil {
			return fmt.Errorf("standby task %s: commit: %w", id, err)
		}
		w.stateSums[id] = sum(sb.next)
	}
	return nil
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
	info := balancer.MemberInfo{Instance: w.app.cfg.InstanceID, State: map[balancer.Task]int64{}}
	for _, id := range w.app.diskTasks() {
		info.State[balancer.Task(id)] = 1
	}
	w.mu.Lock()
	for id, s := range w.stateSums {
		info.State[balancer.Task(id)] = max(s, 1)
	}
	w.mu.Unlock()
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

// resetStandbyLocked wipes a standby copy whose recorded offset in topic is
// out of the changelog's range and copies the changelog again from its
// start.
func (w *worker) resetStandbyLocked(id engine.TaskID, topic string) error {
	sb, ok := w.standbys[id]
	if !ok {
		return nil
	}
	st, ok := w.app.stateOf(id)
	if !ok {
		return fmt.Errorf("standby task %s: state not open", id)
	}
	if err := st.wipe(fmt.Sprintf("standby copy: recorded offset out of range of changelog %s partition %d", topic, id.Partition)); err != nil {
		return err
	}
	rm := map[string][]int32{}
	add := map[string]map[int32]kgo.Offset{}
	for t := range sb.task.Changelogs() {
		rm[t] = []int32{id.Partition}
		add[t] = map[int32]kgo.Offset{id.Partition: kgo.NewOffset().AtStart()}
	}
	clear(sb.next)
	w.sbClient.RemoveConsumePartitions(rm)
	w.sbClient.AddConsumePartitions(add)
	w.stateSums[id] = 0
	return nil
}
