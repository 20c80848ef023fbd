package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eddy-streams/eddy/internal/balancer"
	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/state/pebble"
)

const (
	pollInterval = 100 * time.Millisecond // Kafka Streams' poll.ms
	endTimeout   = 30 * time.Second       // bound on flushing and ending a transaction
)

// worker is one processing goroutine: a group member with its own client
// (a transactional session under exactly-once), tasks and collector.
type worker struct {
	id   int
	app  *App
	log  *slog.Logger
	cl   *kgo.Client
	sess *kgo.GroupTransactSession // exactly-once only
	coll *collector

	lags *lagTracker // input partitions' consumer lag, for the partition groups
	// enforced counts records processed while one of their task's input
	// partitions had nothing buffered (MaxTaskIdle gave up waiting).
	enforced atomic.Int64

	mu    sync.Mutex
	tasks map[engine.TaskID]*activeTask
	lag   map[string]int64 // "topic/partition" → records behind the high watermark
	bal   *balancer.Balancer
	// standby replicas (see standby.go)
	standbys  map[engine.TaskID]*standby
	sbClient  *kgo.Client
	stateSums map[engine.TaskID]int64 // changelog offset sums of local state, for the balancer
	pending   []engine.TaskID         // created, not yet restored
	owned     map[string][]int32      // partitions of the current assignment (callbacks' view)
	gone      bool                    // the group dropped this member: no task until the client's next session (dropGone)
	rewind    bool                    // dropGone: the client is to fetch again from the committed offsets
	ready     atomic.Bool             // joined, and every assigned task restored
	joined    atomic.Bool             // the first group session began (its assignment may be empty)
	stopping  atomic.Bool             // shutdown has committed (or dropped) everything
	inTxn     bool                    // exactly-once: a transaction is open
	txnBegan  time.Time               // when the open transaction began
	fatal     error
	opts      []kgo.Opt   // client options, kept to rebuild a fenced session
	resets    []time.Time // recent producer rebuilds (see rebuild)
}

func newWorker(ctx context.Context, a *App, id int) (*worker, error) {
	w := &worker{id: id, app: a, log: a.log.With("worker", id), tasks: map[engine.TaskID]*activeTask{}, lag: map[string]int64{}, lags: newLagTracker(),
		standbys: map[engine.TaskID]*standby{}, stateSums: map[engine.TaskID]int64{}, owned: map[string][]int32{}}
	w.bal = balancer.New(a.plan.groups,
		balancer.WithStandbys(a.cfg.StandbyReplicas),
		balancer.WithStateful(a.plan.stateful...),
		balancer.WithMemberInfo(w.memberInfo))
	changelogs := map[string]bool{}
	for _, st := range a.topo.Subtopologies() {
		for _, s := range st.Stores {
			if s.Spec.Logged {
				changelogs[engine.ChangelogTopic(a.cfg.AppID, s.Name)] = true
			}
		}
	}
	// The collector exists before the client: the client's group goroutine
	// may call assigned (which hands it to new tasks) before NewClient
	// returns. Its producer is set once the client exists, before any task
	// processes a record.
	w.coll = newCollector(context.WithoutCancel(ctx), nil, a.parts, changelogs)
	// Defaults that ClientOptions may override: Kafka Streams' 10 s
	// transaction timeout, and 256 KiB fetched per partition (franz-go's
	// default is 1 MiB). Fetched records are decoded structs on the Go
	// heap; with a 1 MiB cap they made up two thirds of the live heap at
	// peak in the word count benchmark, and the smaller cap halved peak
	// RSS at the same throughput (BENCHMARKS.md). Fetches wait at most
	// 500 ms for data (Kafka's fetch.max.wait.ms; franz-go's default is
	// 5 s): a resumed or newly assigned partition joins the next fetch
	// only after the one in flight returns, and a task may be waiting for
	// it (see partitionGroup).
	defaults := []kgo.Opt{kgo.TransactionTimeout(10 * time.Second), kgo.FetchMaxPartitionBytes(256 << 10), kgo.FetchMaxWait(500 * time.Millisecond)}
	opts := append(append(defaults, a.baseOpts()...),
		kgo.ConsumerGroup(a.cfg.AppID),
		kgo.ConsumeTopics(a.plan.sources...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.BlockRebalanceOnPoll(),
		kgo.RecordPartitioner(partitioner{}),
		kgo.Balancers(w.bal),
		kgo.OnPartitionsAssigned(w.assigned),
		kgo.OnPartitionsRevoked(w.revoked),
		kgo.OnPartitionsLost(w.lost),
		kgo.ConsumePreferringLagFn(w.lags.observe),
		kgo.MaxBufferedRecords(1_000_000),
	)
	var err error
	if a.cfg.Guarantee == ExactlyOnce {
		opts = append(opts,
			kgo.TransactionalID(w.txnID()),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		)
		w.opts = opts
		if w.sess, err = kgo.NewGroupTransactSession(opts...); err != nil {
			return nil, err
		}
		w.cl = w.sess.Client()
		w.coll.reset(w.sess)
	} else {
		opts = append(opts, kgo.DisableAutoCommit())
		if w.cl, err = kgo.NewClient(opts...); err != nil {
			return nil, err
		}
		w.coll.reset(w.cl)
	}
	return w, nil
}

// assigned creates tasks for newly assigned partitions; they are restored
// by the poll loop before any of their records is processed.
func (w *worker) assigned(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	if w.app.cfg.StandbyReplicas > 0 {
		// A standby of a newly assigned task, in this or a sibling worker,
		// hands its state over before the active task opens it.
		for topic, ps := range parts {
			if sub, ok := w.app.plan.subOf[topic]; ok {
				for _, p := range ps {
					w.app.releaseStandby(engine.TaskID{Subtopology: sub, Partition: p})
				}
			}
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for topic, ps := range parts {
		w.owned[topic] = append(w.owned[topic], ps...)
	}
	w.lags.forget(parts)
	if w.gone {
		// A new session after dropGone: reopen the tasks of the
		// partitions the client kept; they restore what was written
		// meanwhile, and the client fetches on from where this worker
		// stopped processing.
		parts, w.gone = w.owned, false
	}
	for topic, ps := range parts {
		sub, ok := w.app.plan.subOf[topic]
		if !ok {
			continue
		}
		for _, p := range ps {
			id := engine.TaskID{Subtopology: sub, Partition: p}
			if _, ok := w.tasks[id]; ok {
				continue
			}
			t, err := w.app.newTask(id, w.coll)
			if err != nil {
				w.fatal = errors.Join(w.fatal, err)
				continue
			}
			topics := t.Topics()
			slices.Sort(topics)
			w.tasks[id] = &activeTask{Task: t, in: newPartitionGroup(topics, p, w.app.cfg.maxTaskIdle(), w.lags.of, &w.enforced)}
			w.pending = append(w.pending, id)
		}
	}
	w.joined.Store(true)
	w.ready.Store(len(w.pending) == 0)
	w.log.Info("partitions assigned", "partitions", parts, "tasks", len(w.tasks))
}

// revoked closes the tasks of revoked partitions. Their state was committed
// at the end of the last cycle (rebalances only run between cycles).
func (w *worker) revoked(ctx context.Context, cl *kgo.Client, parts map[string][]int32) {
	if w.sess == nil && !w.stopping.Load() {
		// At-least-once: commit what was processed before giving it up.
		if err := w.commitALOS(ctx); err != nil {
			w.log.Warn("commit on revocation failed; revoked records will be processed again", "err", err)
		}
	}
	w.closeTasks(parts, false)
}

// lost drops the tasks of lost partitions without committing.
func (w *worker) lost(_ context.Context, _ *kgo.Client, parts map[string][]int32) {
	w.closeTasks(parts, true)
}

func (w *worker) closeTasks(parts map[string][]int32, dirty bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for topic, ps := range parts {
		w.owned[topic] = slices.DeleteFunc(w.owned[topic], func(p int32) bool { return slices.Contains(ps, p) })
		if len(w.owned[topic]) == 0 {
			delete(w.owned, topic)
		}
	}
	if dirty {
		w.gone = false // all lost: the next session assigns afresh
	}
	for topic, ps := range parts {
		sub, ok := w.app.plan.subOf[topic]
		if !ok {
			continue
		}
		for _, p := range ps {
			id := engine.TaskID{Subtopology: sub, Partition: p}
			if _, ok := w.tasks[id]; !ok {
				continue
			}
			if err := w.closeTaskLocked(id, dirty); err != nil {
				w.log.Warn("close task", "task", id.String(), "err", err)
			}
		}
	}
	w.log.Info("partitions released", "partitions", parts, "dirty", dirty, "tasks", len(w.tasks))
}

// activeTask is a task this worker processes, with its input buffers.
type activeTask struct {
	*engine.Task
	in      *partitionGroup
	restore *restoring // non-nil while its state is being restored
}

// closeTaskLocked closes the task id, dropping its uncommitted state changes
// if dirty, and forgets its input: buffered records, lag and paused
// partitions (a partition stays paused in the client until resumed, also
// across assignments). w.mu is held.
func (w *worker) closeTaskLocked(id engine.TaskID, dirty bool) error {
	t := w.tasks[id]
	delete(w.tasks, id)
	if t.restore != nil {
		t.restore.stop()
	}
	resume := map[string][]int32{}
	for _, q := range t.in.queues {
		delete(w.lag, engine.OffsetKey(q.topic, q.partition))
		if q.paused {
			resume[q.topic] = append(resume[q.topic], q.partition)
		}
	}
	if len(resume) > 0 {
		w.cl.ResumeFetchPartitions(resume)
	}
	t.in.drop()
	if dirty {
		_ = t.Abort()
	}
	return t.Close()
}

// closeAllLocked closes every task; dirty drops their uncommitted state.
// w.mu is held.
func (w *worker) closeAllLocked(dirty bool) error {
	var errs []error
	for id := range w.tasks {
		if err := w.closeTaskLocked(id, dirty); err != nil {
			errs = append(errs, fmt.Errorf("close task %s: %w", id, err))
		}
	}
	clear(w.lag)
	w.pending = nil
	return errors.Join(errs...)
}

func (a *App) newTask(id engine.TaskID, coll engine.Collector) (*engine.Task, error) {
	be, err := a.openState(id, pebble.Options{Cache: a.cache, Logger: a.log})
	if err != nil {
		return nil, fmt.Errorf("task %s: open state in %s: %w", id, a.taskDir(id), err)
	}
	t, err := engine.NewTask(engine.Config{
		AppID: a.cfg.AppID, ID: id, Spec: a.topo.Spec(id.Subtopology, a.cfg.AppID),
		Backend: be, Collector: coll, OnError: a.cfg.errorHandler(), Logger: a.log, Globals: a.globalStores(),
	})
	if err != nil {
		be.Close()
		return nil, err
	}
	return t, nil
}

// run is the poll → process → commit loop.
func (w *worker) run(ctx context.Context) (err error) {
	defer func() {
		if err != nil {
			w.log.Error("worker stopping on error", "err", err)
		}
		if cerr := w.shutdown(err == nil); err == nil {
			err = cerr
		}
	}()
	if w.sess != nil {
		if err := w.begin(); err != nil {
			return err
		}
	}
	lastCommit := time.Now()
	for {
		err := w.cycle(ctx, &lastCommit)
		if errors.Is(err, errStopped) {
			return nil
		}
		if err == nil {
			continue
		}
		if w.sess == nil && errors.Is(err, errCommitLater) {
			w.log.Warn("commit did not complete; retrying at the next commit", "err", err)
			lastCommit = time.Now()
			continue
		}
		if w.sess == nil || !isFenced(err) && !txnBroken(err) && !unreachable(err) {
			return err
		}
		if err := w.rebuild(ctx, err); err != nil {
			return err
		}
	}
}

// errStopped ends the poll loop without an error: the context ended or the
// client was closed.
var errStopped = errors.New("worker stopped")

// cycle polls once, processes the records, punctuates, and commits when due.
func (w *worker) cycle(ctx context.Context, lastCommit *time.Time) error {
	if w.isGone() {
		w.mu.Lock()
		rewind := w.rewind
		w.rewind = false
		w.mu.Unlock()
		if c := w.cl.CommittedOffsets(); rewind && len(c) > 0 {
			w.cl.SetOffsets(c)
		}
		// Records fetched for the dropped tasks stay buffered in the
		// client until its next session tells which partitions are
		// still this member's (assigned reopens them) or drops them
		// (lost). Let that session start.
		w.cl.AllowRebalance()
		select {
		case <-ctx.Done():
			return errStopped
		case <-time.After(pollInterval):
		}
		return nil
	}
	// Poll at most pollInterval so idle instances still commit,
	// punctuate and report RUNNING.
	pctx, pcancel := context.WithTimeout(ctx, pollInterval)
	var fs kgo.Fetches
	if w.sess != nil {
		fs = w.sess.PollRecords(pctx, w.app.cfg.MaxPollRecords)
	} else {
		fs = w.cl.PollRecords(pctx, w.app.cfg.MaxPollRecords)
	}
	pcancel()
	if ctx.Err() != nil || fs.IsClientClosed() {
		return errStopped
	}
	if err := w.takeFatal(); err != nil {
		return err
	}
	var fatal error
	fs.EachError(func(t string, p int32, err error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return
		}
		if isDenied(err) {
			// Retrying cannot help: the principal lacks an ACL.
			if t == "" {
				fatal = fmt.Errorf("consumer group %q: %w", w.app.cfg.AppID, err)
			} else {
				fatal = fmt.Errorf("fetch topic %q partition %d: %w", t, p, err)
			}
			return
		}
		w.log.Warn("fetch error", "topic", t, "partition", p, "err", err)
	})
	if fatal != nil {
		return fatal
	}
	w.restorePending(ctx)
	if err := w.finishRestores(ctx); err != nil {
		return err
	}
	w.trackLag(fs)
	if err := w.syncStandbys(); err != nil {
		return err
	}
	if err := w.buffer(fs); err != nil {
		return err
	}
	if err := w.processBuffered(); err != nil {
		return err
	}
	if err := w.punctuate(); err != nil {
		return err
	}
	due := time.Since(*lastCommit) >= w.app.cfg.CommitInterval || w.commitRequested()
	if due {
		if err := w.commit(ctx); err != nil {
			return err
		}
		*lastCommit = time.Now()
	}
	if err := w.pollStandbys(due); err != nil {
		return err
	}
	if w.sess != nil {
		w.sess.AllowRebalance()
	} else {
		w.cl.AllowRebalance()
	}
	return nil
}

func (w *worker) trackLag(fs kgo.Fetches) {
	w.mu.Lock()
	defer w.mu.Unlock()
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if n := len(p.Records); n > 0 {
			w.lag[engine.OffsetKey(p.Topic, p.Partition)] = max(0, p.HighWatermark-p.Records[n-1].Offset-1)
		}
	})
}

func (w *worker) takeFatal() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.fatal
}

// buffer adds the polled records to their tasks' partition groups and
// pauses the partitions whose buffer is over the bound (Kafka Streams'
// buffered.records.per.partition); the client drops what it fetched ahead
// for a paused partition and fetches it again once resumed.
func (w *worker) buffer(fs kgo.Fetches) error {
	limit := w.app.cfg.bufferedPerPartition()
	w.mu.Lock()
	defer w.mu.Unlock()
	var pause map[string][]int32
	var err error
	fs.EachRecord(func(r *kgo.Record) {
		if err != nil {
			return
		}
		sub, ok := w.app.plan.subOf[r.Topic]
		if !ok {
			err = fmt.Errorf("record from unexpected topic %q partition %d offset %d", r.Topic, r.Partition, r.Offset)
			return
		}
		t, ok := w.tasks[engine.TaskID{Subtopology: sub, Partition: r.Partition}]
		if !ok {
			err = fmt.Errorf("no task %d_%d for topic %q partition %d offset %d", sub, r.Partition, r.Topic, r.Partition, r.Offset)
			return
		}
		q, n := t.in.add(r)
		if q == nil {
			err = fmt.Errorf("task %s has no input topic %q (partition %d offset %d)", t.ID(), r.Topic, r.Partition, r.Offset)
			return
		}
		if n > limit && !q.paused {
			q.paused = true
			if pause == nil {
				pause = map[string][]int32{}
			}
			pause[q.topic] = append(pause[q.topic], q.partition)
		}
	})
	if len(pause) > 0 {
		w.cl.PauseFetchPartitions(pause)
	}
	return err
}

// processBatch bounds the records one task processes before the others get
// their turn.
const processBatch = 100

// processBuffered processes buffered records, task by task in turns, until
// no task is ready (see partitionGroup), then resumes the partitions whose
// buffers drained to the bound.
func (w *worker) processBuffered() error {
	tasks := w.snapshotTasks()
	now := time.Now()
	for progress := true; progress; {
		progress = false
		for _, t := range tasks {
			for range processBatch {
				r := t.in.next(now)
				if r == nil {
					break
				}
				if err := t.process(r); err != nil {
					return err
				}
				progress = true
			}
		}
	}
	limit := w.app.cfg.bufferedPerPartition()
	var resume map[string][]int32
	for _, t := range tasks {
		for _, q := range t.in.queues {
			if q.paused && q.len() <= limit {
				q.paused = false
				if resume == nil {
					resume = map[string][]int32{}
				}
				resume[q.topic] = append(resume[q.topic], q.partition)
			}
		}
	}
	if len(resume) > 0 {
		w.cl.ResumeFetchPartitions(resume)
	}
	return nil
}

// process runs one input record through the task.
func (t *activeTask) process(r *kgo.Record) error {
	raw := engine.RawRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp.UnixMilli()}
	if len(r.Headers) > 0 {
		raw.Headers = make([]engine.Header, len(r.Headers))
		for i, h := range r.Headers {
			raw.Headers[i] = engine.Header{Key: h.Key, Value: h.Value}
		}
	}
	return t.Process(&raw)
}

// positions returns, per input partition, the offset after the last record
// processed: what a commit records as consumed. Records buffered but not
// processed yet are not covered.
func (w *worker) positions() map[string]map[int32]kgo.EpochOffset {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := map[string]map[int32]kgo.EpochOffset{}
	for _, t := range w.tasks {
		for _, q := range t.in.queues {
			if q.next < 0 {
				continue
			}
			if out[q.topic] == nil {
				out[q.topic] = map[int32]kgo.EpochOffset{}
			}
			out[q.topic][q.partition] = kgo.EpochOffset{Epoch: q.epoch, Offset: q.next}
		}
	}
	return out
}

// restorePending starts restoring the tasks created since the last cycle,
// each on its own goroutine, with its input partitions paused; the other
// tasks keep processing, and a rebalance need not wait: closing a task
// cancels its restore. finishRestores picks up the tasks whose restore
// ended.
func (w *worker) restorePending(ctx context.Context) {
	w.mu.Lock()
	defer w.mu.Unlock()
	pause := map[string][]int32{}
	for _, id := range w.pending {
		t, ok := w.tasks[id]
		if !ok {
			continue
		}
		for _, q := range t.in.queues {
			if !q.paused {
				q.paused = true
				pause[q.topic] = append(pause[q.topic], q.partition)
			}
		}
		rctx, cancel := context.WithCancel(ctx)
		t.restore = &restoring{cancel: cancel, done: make(chan struct{})}
		go func(r *restoring) {
			defer close(r.done)
			_, r.err = w.app.restore(rctx, t.Task)
		}(t.restore)
	}
	w.pending = nil
	if len(pause) > 0 {
		w.cl.PauseFetchPartitions(pause)
	}
}

// restoring is a task's restore in progress.
type restoring struct {
	cancel context.CancelFunc
	done   chan struct{} // closed when the restore ended; err is set then
	err    error
}

// stop cancels the restore and waits until it has ended.
func (r *restoring) stop() {
	r.cancel()
	<-r.done
}

// finishRestores makes the tasks whose restore completed processable and
// resumes their partitions; a failed restore is the worker's error.
func (w *worker) finishRestores(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	limit := w.app.cfg.bufferedPerPartition()
	resume := map[string][]int32{}
	busy := false
	for _, t := range w.tasks {
		if t.restore == nil {
			continue
		}
		select {
		case <-t.restore.done:
		default:
			busy = true
			continue
		}
		if err := t.restore.err; err != nil {
			if ctx.Err() != nil {
				return errStopped // shutdown interrupted the restore
			}
			return fmt.Errorf("task %s: restore: %w", t.ID(), err)
		}
		t.restore = nil
		for _, q := range t.in.queues {
			if q.paused && q.len() <= limit {
				q.paused = false
				resume[q.topic] = append(resume[q.topic], q.partition)
			}
		}
	}
	if len(resume) > 0 {
		w.cl.ResumeFetchPartitions(resume)
	}
	// RUNNING only once the worker is in the group and every task of its
	// assignment is restored: before, it is REBALANCING, as in Kafka
	// Streams.
	w.ready.Store(w.joined.Load() && !busy && len(w.pending) == 0)
	w.app.updateRunning()
	return nil
}

func (w *worker) punctuate() error {
	now := time.Now().UnixMilli()
	for _, t := range w.snapshotTasks() {
		if err := t.PunctuateWallClock(now); err != nil {
			return err
		}
	}
	return nil
}

func (w *worker) commitRequested() bool {
	req := false
	for _, t := range w.snapshotTasks() {
		req = t.CommitRequested() || req
	}
	return req
}

// snapshotTasks returns the tasks that can process (not restoring), in
// task order.
func (w *worker) snapshotTasks() []*activeTask {
	w.mu.Lock()
	defer w.mu.Unlock()
	ids := make([]engine.TaskID, 0, len(w.tasks))
	for id, t := range w.tasks {
		if t.restore == nil {
			ids = append(ids, id)
		}
	}
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].Subtopology != ids[j].Subtopology {
			return ids[i].Subtopology < ids[j].Subtopology
		}
		return ids[i].Partition < ids[j].Partition
	})
	out := make([]*activeTask, len(ids))
	for i, id := range ids {
		out[i] = w.tasks[id]
	}
	return out
}

func (w *worker) commit(ctx context.Context) error {
	start := time.Now()
	if w.sess != nil {
		if err := w.commitEOS(ctx); err != nil {
			return err
		}
	} else {
		// A commit that started finishes even if shutdown begins meanwhile.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
		err := w.commitALOS(cctx)
		cancel()
		if err != nil {
			return err
		}
	}
	w.app.metrics.commits.Add(1)
	w.app.metrics.commitDur.Add(int64(time.Since(start)))
	return nil
}

// commitALOS: flush the producer, commit the consumed offsets, then make
// the stores durable with the changelog offsets their writes reached.
func (w *worker) commitALOS(ctx context.Context) error {
	err := w.cl.Flush(ctx)
	if err == nil {
		err = w.coll.settle(ctx)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			// The brokers are slow or gone; the records stay buffered.
			return fmt.Errorf("%w: flush: %w", errCommitLater, err)
		}
		return fmt.Errorf("flush: %w", err)
	}
	if err := w.coll.Err(); err != nil {
		return err
	}
	if err := w.commitOffsets(ctx, w.positions()); err != nil {
		if memberGone(err) {
			// The group no longer knows this member: its partitions may
			// belong to another member already, which restored their
			// stores from the changelogs and writes them now.
			// Processing on would write state computed from this
			// member's stale stores after the new owner's writes, and
			// whoever restores next would lose the new owner's updates
			// of those keys, whose input offsets it committed. Drop
			// the tasks now, as Kafka Streams does on a
			// TaskMigratedException, rather than when the client calls
			// OnPartitionsLost after the next AllowRebalance.
			w.dropGone()
		}
		if errors.Is(err, context.DeadlineExceeded) || unreachable(err) || retriable(err) || isMigrated(err) {
			// A stale generation means the group moved on: the rebalance
			// hands the partitions out again, and their new owner
			// processes the uncommitted records again (at-least-once).
			return fmt.Errorf("%w: commit offsets: %w", errCommitLater, err)
		}
		return fmt.Errorf("commit offsets: %w", err)
	}
	return w.commitTasks()
}

// commitOffsets commits offs as the group's consumed offsets.
func (w *worker) commitOffsets(ctx context.Context, offs map[string]map[int32]kgo.EpochOffset) error {
	var errs []error
	w.cl.CommitOffsetsSync(ctx, offs, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					errs = append(errs, fmt.Errorf("topic %q partition %d: %w", t.Topic, p.Partition, err))
				}
			}
		}
	})
	return errors.Join(errs...)
}

// txnOffsets rewrites the offsets of an exactly-once transaction to the
// processed positions: the transactional session would commit everything
// polled, which includes records still buffered in the partition groups.
// A partition with nothing processed since its task opened keeps its
// committed offset (prior), or is left out if it has none.
func txnOffsets(pos, prior map[string]map[int32]kgo.EpochOffset) func(*kmsg.TxnOffsetCommitRequest) error {
	return func(req *kmsg.TxnOffsetCommitRequest) error {
		topics := req.Topics[:0]
		for _, t := range req.Topics {
			parts := t.Partitions[:0]
			for _, p := range t.Partitions {
				o, ok := pos[t.Topic][p.Partition]
				if !ok {
					o, ok = prior[t.Topic][p.Partition]
				}
				if !ok {
					continue
				}
				p.Offset, p.LeaderEpoch = o.Offset, o.Epoch
				parts = append(parts, p)
			}
			if len(parts) > 0 {
				t.Partitions = parts
				topics = append(topics, t)
			}
		}
		req.Topics = topics
		return nil
	}
}

// dropGone closes every task dirty (their uncommitted state changes
// dropped) and stops processing until the client's next group session:
// then assigned reopens the tasks of the partitions the client kept (or
// lost drops them), and the records it buffered meanwhile are processed.
func (w *worker) dropGone() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.closeAllLocked(true); err != nil {
		w.log.Warn("close tasks", "err", err)
	}
	// The records processed since the last commit lost their state
	// changes, and those polled but not processed were dropped with the
	// tasks: the poll loop rewinds the client to the committed offsets
	// (SetOffsets is not safe in a rebalance callback, where this may run).
	w.gone, w.rewind = true, true
	w.log.Warn("the group dropped this member: closed its tasks without committing, processing nothing until it rejoins")
}

func (w *worker) isGone() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.gone
}

// memberGone reports whether a commit failed because the group coordinator
// no longer knows this member (its session expired) or it is a generation
// behind: its partitions have been, or are being, handed to other members.
// The client rejoins on either. FencedInstanceID (static membership: another
// process took this instance id) is not one of them, as the client does not
// rejoin then.
func memberGone(err error) bool {
	return errors.Is(err, kerr.UnknownMemberID) || errors.Is(err, kerr.IllegalGeneration)
}

// errCommitLater marks an at-least-once commit that could not complete for
// now (brokers unreachable or slow); nothing was lost, and the next commit
// covers its records too.
var errCommitLater = errors.New("commit postponed")

func (w *worker) commitTasks() error {
	for _, t := range w.snapshotTasks() {
		offs := w.coll.offsetsFor(t.Changelogs(), t.ID().Partition)
		if err := t.Commit(offs); err != nil {
			return fmt.Errorf("task %s: commit state: %w", t.ID(), err)
		}
		if len(offs) > 0 {
			all, err := t.Offsets()
			if err != nil {
				return fmt.Errorf("task %s: read committed changelog offsets: %w", t.ID(), err)
			}
			w.mu.Lock()
			w.stateSums[t.ID()] = sum(all)
			w.mu.Unlock()
		}
	}
	w.coll.committedCycle()
	return nil
}

// commitEOS ends the transaction; its state writes are applied only if it
// committed, otherwise dropped (the session rewinds the consumer).
func (w *worker) commitEOS(ctx context.Context) error {
	if !w.inTxn {
		return nil
	}
	fctx, fcancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
	err := w.sess.Client().Flush(fctx)
	if err == nil {
		err = w.coll.settle(fctx)
	}
	fcancel()
	if err != nil {
		// Unknown outcome of the cycle's records: rebuild (see unreachable).
		return fmt.Errorf("flush: %w", err)
	}
	if err := w.coll.Err(); err != nil {
		if !retriable(err) {
			// Abort, then stop: repeating the cycle would fail the same way.
			fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
			defer cancel()
			_ = w.sess.Client().Flush(fctx)
			if _, aerr := w.sess.End(fctx, kgo.TryAbort); aerr != nil {
				w.log.Warn("abort transaction", "err", aerr)
			}
			w.inTxn = false
			return err
		}
		w.log.Warn("produce failed; aborting the transaction", "err", err)
		fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
		defer cancel()
		if ferr := w.sess.Client().Flush(fctx); ferr != nil {
			return ferr
		}
		return w.endEOS(ctx, kgo.TryAbort)
	}
	return w.endEOS(ctx, kgo.TryCommit)
}

// endEOS ends the transaction and, unless ctx is done, begins the next.
func (w *worker) endEOS(ctx context.Context, try kgo.TransactionEndTry) error {
	endCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), endTimeout)
	defer cancel()
	endCtx = kgo.PreTxnCommitFnContext(endCtx, txnOffsets(w.positions(), w.cl.CommittedOffsets()))
	committed, err := w.sess.End(endCtx, try)
	w.inTxn = false
	if err != nil && !committed && isMigrated(err) {
		// The offset commit was refused because the group moved on; the
		// session aborted the transaction and rewound the consumer, and
		// the rejoin hands the tasks out again (Kafka Streams'
		// TaskMigratedException). Not an error.
		w.log.Warn("transaction aborted: the group rebalanced while it was open; its state changes are dropped and its input is processed again", "err", err)
		err = nil
	}
	if err != nil {
		return fmt.Errorf("end transaction: %w", err)
	}
	if committed {
		if err := w.commitTasks(); err != nil {
			return err
		}
	} else {
		w.app.metrics.aborts.Add(1)
		w.log.Info("transaction aborted; state changes dropped, input rewound")
		for _, t := range w.snapshotTasks() {
			// The session rewound the consumer to the committed offsets:
			// what was buffered comes again.
			t.in.drop()
			if err := t.Abort(); err != nil {
				return fmt.Errorf("task %s: abort state: %w", t.ID(), err)
			}
		}
		w.coll.abortedCycle()
	}
	if ctx.Err() != nil {
		return nil
	}
	return w.begin()
}

func (w *worker) begin() error {
	if err := w.sess.Begin(); err != nil {
		return fmt.Errorf("begin transaction (transactional id %q): %w", w.txnID(), err)
	}
	w.inTxn = true
	w.txnBegan = time.Now()
	return nil
}

// shutdown commits (if clean), closes tasks and leaves the group.
func (w *worker) shutdown(clean bool) error {
	var err error
	if w.sess != nil {
		if clean {
			done, cancel := context.WithCancel(context.Background())
			cancel() // a done context: end the transaction, begin no other
			err = w.commitEOS(done)
		}
	} else if clean {
		ctx, cancel := context.WithTimeout(context.Background(), endTimeout)
		err = w.commitALOS(ctx)
		cancel()
		if errors.Is(err, errCommitLater) {
			// At-least-once: the next owner processes them again.
			w.log.Warn("final commit did not complete; the last records will be processed again", "err", err)
			err = nil
		}
	}
	w.mu.Lock()
	for id := range w.standbys {
		w.closeStandbyLocked(id)
	}
	if w.sbClient != nil {
		w.sbClient.Close()
	}
	err = errors.Join(err, w.closeAllLocked(!clean))
	w.mu.Unlock()
	w.stopping.Store(true)
	if w.sess != nil {
		w.sess.CloseAllowingRebalance()
	} else {
		w.cl.CloseAllowingRebalance()
	}
	return err
}

func (w *worker) snapshot(m *Metrics) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for k, v := range w.lag {
		m.Lag[k] = v
	}
	m.Standbys += len(w.standbys)
	m.EnforcedProcessing += w.enforced.Load()
	for id, t := range w.tasks {
		m.Processed[id.String()] += t.Metrics().Processed()
		for k, v := range t.Metrics().Dropped() {
			m.Dropped[k] += v
		}
	}
}

// isFenced reports whether err means the worker's transactional producer
// lost its epoch: another producer initialised the same transactional id,
// or the broker aborted a transaction that outlived the transaction timeout
// and bumped the epoch (Kafka reports both as fencing).
func isFenced(err error) bool {
	return errors.Is(err, kerr.ProducerFenced) || errors.Is(err, kerr.InvalidProducerEpoch)
}

// txnBroken reports whether err leaves the transactional producer in a
// state it cannot continue from — the broker no longer knows its producer
// id, or rejected ending the transaction (as after a lost EndTxn response
// whose retry finds the transaction already ended) — so that the producer
// must be rebuilt. Whether the last transaction committed is then unknown
// locally; the rebuild reopens the tasks, whose restore replays any of its
// changelog writes that did commit.
func txnBroken(err error) bool {
	return errors.Is(err, kerr.InvalidTxnState) || errors.Is(err, kerr.InvalidProducerIDMapping) ||
		errors.Is(err, kerr.TransactionAbortable) || errors.Is(err, kerr.UnknownProducerID) ||
		errors.Is(err, kerr.OutOfOrderSequenceNumber)
}

// isDenied reports whether err is an authorization or authentication
// failure: retrying cannot help.
func isDenied(err error) bool {
	for _, e := range []error{kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed,
		kerr.TransactionalIDAuthorizationFailed, kerr.ClusterAuthorizationFailed, kerr.SaslAuthenticationFailed} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// retriable reports whether a failed produce may succeed when its cycle is
// repeated: broker-side retriable errors, timeouts and fencing (handled by
// rebuild). Authorization failures and records the broker rejects (too
// large, invalid) fail the same way every time.
func retriable(err error) bool {
	if isDenied(err) {
		return false
	}
	var ke *kerr.Error
	if errors.As(err, &ke) {
		return ke.Retriable || isFenced(err)
	}
	return true
}

// isMigrated reports whether a transactional offset commit failed because
// this member's group generation is stale: its partitions may belong to
// another member now.
func isMigrated(err error) bool {
	return errors.Is(err, kerr.IllegalGeneration) || errors.Is(err, kerr.UnknownMemberID) ||
		errors.Is(err, kerr.RebalanceInProgress) || errors.Is(err, kerr.FencedInstanceID)
}

// unreachable reports whether err says the brokers could not be reached
// (connection refused or dropped, or the end of a transaction timed out):
// the outcome of the transaction is unknown and the producer is rebuilt
// once the brokers answer again.
func unreachable(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, context.DeadlineExceeded)
}

// Bounds on rebuilding a fenced producer: more rebuilds than this within
// the window mean something keeps fencing the worker, and it stops.
const (
	maxResets   = 5
	resetWindow = time.Minute
)

// rebuild handles fencing of the exactly-once producer, and a producer
// whose transaction state broke (txnBroken).
//
// If the open transaction had outlived the transaction timeout, the broker
// aborted it and bumped the producer epoch: the worker was stalled, not
// replaced. As Kafka Streams does on a TaskMigratedException, its tasks
// are closed dirty (their uncommitted state changes dropped), the session
// is closed, which leaves the group, and a new session with the same
// transactional id joins again; assigned tasks reopen from their committed
// local state.
//
// Fenced within the timeout, another live producer initialised this
// worker's transactional id: a second instance runs with the same
// InstanceID. The worker stops with an error saying so; rebuilding would
// fence the twin in turn, and the two would take turns forever.
func (w *worker) rebuild(ctx context.Context, cause error) error {
	timeout, _ := w.cl.OptValue(kgo.TransactionTimeout).(time.Duration)
	if open := time.Since(w.txnBegan); isFenced(cause) && (timeout <= 0 || open < timeout) {
		return fmt.Errorf("producer fenced %v after its transaction began, within the %v transaction timeout: another instance uses transactional id %q (instance id %q); give every instance its own Config.InstanceID or state directory: %w",
			open.Round(time.Millisecond), timeout, w.txnID(), w.app.cfg.InstanceID, cause)
	}
	now := time.Now()
	lost := unreachable(cause) && !isFenced(cause) && !txnBroken(cause)
	if !lost {
		// Losing the brokers is retried for as long as it lasts; anything
		// else that keeps breaking the producer is not.
		w.resets = slices.DeleteFunc(w.resets, func(t time.Time) bool { return now.Sub(t) > resetWindow })
		if len(w.resets) >= maxResets {
			return fmt.Errorf("producer fenced %d times within %v; giving up: %w", len(w.resets)+1, resetWindow, cause)
		}
		w.resets = append(w.resets, now)
	}
	if lost {
		w.log.Warn("brokers unreachable while ending a transaction; its outcome is unknown: dropping uncommitted state, rebuilding the producer and rejoining once they answer (restore replays whatever committed)",
			"transactional_id", w.txnID(), "err", cause)
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	} else if isFenced(cause) {
		w.log.Warn("transaction outlived the transaction timeout and was aborted by the broker; dropping its state changes, rebuilding the producer and rejoining the group",
			"transactional_id", w.txnID(), "transaction_timeout", timeout, "open_for", time.Since(w.txnBegan).Round(time.Millisecond), "err", cause)
	} else {
		w.log.Warn("transactional producer in an unrecoverable state; dropping uncommitted state, rebuilding the producer and rejoining the group (restore replays whatever the last transaction committed)",
			"transactional_id", w.txnID(), "err", cause)
	}
	w.mu.Lock()
	if err := w.closeAllLocked(true); err != nil {
		w.log.Warn("close tasks", "err", err)
	}
	w.mu.Unlock()
	w.inTxn = false
	w.sess.CloseAllowingRebalance()
	sess, err := kgo.NewGroupTransactSession(w.opts...)
	if err != nil {
		return fmt.Errorf("rebuild transactional producer: %w", err)
	}
	w.sess, w.cl = sess, sess.Client()
	w.coll.reset(sess)
	w.app.metrics.producerResets.Add(1)
	if ctx.Err() != nil {
		return nil
	}
	return w.begin()
}

func (w *worker) txnID() string {
	return fmt.Sprintf("%s-%s-%d", w.app.cfg.AppID, w.app.cfg.InstanceID, w.id)
}
