// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/balancer"
	"github.com/eddy-streams/eddy/internal/engine"
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
	// purge deletes committed repartition records (nil: no repartition
	// topics).
	purge *repartitionPurger

	lags  *inputLag     // input partitions' consumer lag, for the partition groups
	su    *stateUpdater // restores the tasks' state
	stats *threadStats  // poll and commit latencies, rebalances (metrics.go)
	cache *engine.Cache // the record cache its tasks' stores share
	// enforced counts records processed while one of their task's input
	// partitions had nothing buffered (MaxTaskIdle gave up waiting).
	enforced atomic.Int64

	mu    sync.Mutex
	tasks map[engine.TaskID]*activeTask
	lag   map[string]int64 // "topic/partition" → records behind the high watermark
	bal   *balancer.Balancer
	// standby replicas (see standby.go)
	standbys  map[engine.TaskID]*standby
	sumsMu    sync.Mutex              // guards stateSums (the state updater writes it too)
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

	// raw is the input record being processed or ordered (process,
	// bufferRecord), one for every record rather than one allocated per
	// record: the engine keeps no pointer to it past the call (the
	// runtime's error handlers copy what they keep).
	raw engine.RawRecord

	// Interactive queries waiting for the worker's goroutine (querylocal.go).
	qmu      sync.Mutex
	queries  []queryReq
	qclosed  bool               // the worker stopped: no more reads
	wakePoll context.CancelFunc // ends the poll in progress, if any
}

func newWorker(ctx context.Context, a *App, id int) (*worker, error) {
	w := &worker{id: id, app: a, log: a.log.With("worker", id), tasks: map[engine.TaskID]*activeTask{}, lag: map[string]int64{},
		standbys: map[engine.TaskID]*standby{}, stateSums: map[engine.TaskID]int64{}, owned: map[string][]int32{}}
	w.lags = newInputLag(a.listInputOffsets, w.log)
	w.cache = engine.NewCache(a.cfg.CacheMaxBytes / int64(a.cfg.Workers)) // NoCache: disabled
	w.su = newStateUpdater(w)
	w.stats = newThreadStats()
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
	w.coll.errs = newCollectorErrors(a, w.log)
	// Defaults that ClientOptions may override: Kafka Streams' 10 s
	// transaction timeout, and 128 KiB fetched per partition (franz-go's
	// default is 1 MiB). Fetched records are decoded structs on the Go
	// heap; with a 1 MiB cap they made up two thirds of the live heap at
	// peak in the word count benchmark, and 256 KiB halved peak RSS at the
	// same throughput (BENCHMARKS.md). 128 KiB took word count's peak RSS
	// down another 10 MB (medians of 2 × 3 runs) at the same throughput
	// once polls take the tail of a fetch at once (pollSize), which hides
	// the extra round trips. Fetches wait at most
	// 500 ms for data (Kafka's fetch.max.wait.ms; franz-go's default is
	// 5 s): a resumed or newly assigned partition joins the next fetch
	// only after the one in flight returns, and a task may be waiting for
	// it (see partitionGroup).
	defaults := []kgo.Opt{kgo.TransactionTimeout(10 * time.Second), kgo.FetchMaxPartitionBytes(128 << 10), kgo.FetchMaxWait(500 * time.Millisecond)}
	opts := append(append(defaults, a.baseOpts()...),
		kgo.ConsumerGroup(a.cfg.AppID),
	)
	// After ClientOptions: Config.GroupInstanceID wins over a
	// kgo.InstanceID there.
	opts = append(opts, a.cfg.memberOpts(id)...)
	opts = append(opts,
		kgo.ConsumeTopics(a.plan.sources...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.BlockRebalanceOnPoll(),
		kgo.RecordPartitioner(partitioner{}),
		kgo.Balancers(w.bal),
		kgo.OnPartitionsAssigned(w.assigned),
		kgo.OnPartitionsRevoked(w.revoked),
		kgo.OnPartitionsLost(w.lost),
		kgo.ConsumePreferringLagFn(w.lags.observe),
		kgo.AdjustFetchOffsetsFn(w.lags.starting),
		// Transaction markers come through (and are skipped) so that the
		// lag knows a partition ending in one was fetched to its end.
		kgo.KeepControlRecords(),
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
	w.purge = newRepartitionPurger(a.plan.internal, a.cfg.RepartitionPurgeInterval, w.log)
	return w, nil
}

// run is the poll → process → commit loop.
func (w *worker) run(ctx context.Context) (err error) {
	go w.su.run()
	defer w.closeQueries()
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
		if w.sess == nil && errors.Is(err, errReplay) {
			// Output records were rejected: process the cycle again
			// (handler_produce.go).
			if err := w.replay(err); err != nil {
				return err
			}
			lastCommit = time.Now()
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
		w.runQueries() // answered: no task while gone
		w.mu.Lock()
		rewind := w.rewind
		w.rewind = false
		w.mu.Unlock()
		if c := w.cl.CommittedOffsets(); rewind && len(c) > 0 {
			w.cl.SetOffsets(c)
			w.lags.rewound(c)
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
	// Tasks assigned since the last poll start their restore checks now,
	// not after a poll that can wait pollInterval for records.
	w.restorePending(ctx)
	// Poll at most pollInterval so idle instances still commit,
	// punctuate and report RUNNING.
	w.runQueries()
	pctx, pcancel := context.WithTimeout(ctx, pollInterval)
	w.setWake(pcancel)
	polled := time.Now()
	var fs kgo.Fetches
	n := w.pollSize()
	if w.sess != nil {
		fs = w.sess.PollRecords(pctx, n)
	} else {
		fs = w.cl.PollRecords(pctx, n)
	}
	w.stats.poll.Observe(int64(time.Since(polled)))
	w.setWake(nil)
	pcancel()
	if ctx.Err() != nil || fs.IsClientClosed() {
		return errStopped
	}
	w.runQueries()
	if err := w.takeFatal(); err != nil {
		return err
	}
	var fatal error
	fs.EachError(func(t string, p int32, err error) {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return
		}
		// Retrying cannot help a missing ACL or a static twin.
		if ferr := w.app.cfg.pollError(w.id, t, p, err); ferr != nil {
			fatal = ferr
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
	if err := w.su.failure(); err != nil {
		return err
	}
	if w.sess != nil {
		w.sess.AllowRebalance()
	} else {
		w.cl.AllowRebalance()
	}
	return nil
}

// pollSize is how many records the next poll takes: MaxPollRecords, or
// all the client has buffered once that is at most prefetchPolls times
// MaxPollRecords. franz-go sends a broker its next fetch request only after
// the buffered response has been taken whole, so taking the tail of a
// response at once lets the next request travel while the worker processes
// the tail, instead of after. Measured in the stateless benchmark: the
// worker spent 30–37 % of its time waiting in PollRecords without this.
// The records are decoded already; taking them moves them from the
// client's buffer to the tasks' queues.
func (w *worker) pollSize() int {
	n := w.app.cfg.MaxPollRecords
	if b := w.cl.BufferedFetchRecords(); b > int64(n) && b <= prefetchPolls*int64(n) {
		return int(b)
	}
	return n
}

// prefetchPolls: see pollSize.
const prefetchPolls = 8

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

// buffer adds the polled records to their tasks' partition groups.
// processBuffered pauses the partitions whose buffer is still over the
// bound once processed.
func (w *worker) buffer(fs kgo.Fetches) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	var err error
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if err != nil || len(p.Records) == 0 {
			return
		}
		last := p.Records[len(p.Records)-1]
		w.lags.fetched(p.Topic, p.Partition, last.Offset+1)
		// The task and queue are looked up once per fetched partition:
		// its records all share topic and partition.
		var t *activeTask
		var q *recordQueue
		for _, r := range p.Records {
			if r.Attrs.IsControl() {
				continue
			}
			if q == nil {
				if t, q, err = w.queueOf(r); err != nil {
					return
				}
			}
			w.bufferRecord(t, q, r)
		}
		if q == nil { // only transaction markers
			_, q, _ = w.queueOf(last)
		}
		if q != nil {
			q.fetchedTo(last)
		}
	})
	return err
}

// queueOf returns the task and the partition queue of r's partition (r
// may be a transaction marker). The caller holds w.mu.
func (w *worker) queueOf(r *kgo.Record) (*activeTask, *recordQueue, error) {
	sub, ok := w.app.plan.subOf[r.Topic]
	if !ok {
		return nil, nil, fmt.Errorf("record from unexpected topic %q partition %d offset %d", r.Topic, r.Partition, r.Offset)
	}
	t, ok := w.tasks[engine.TaskID{Subtopology: sub, Partition: r.Partition}]
	if !ok {
		return nil, nil, fmt.Errorf("no task %d_%d for topic %q partition %d offset %d", sub, r.Partition, r.Topic, r.Partition, r.Offset)
	}
	q := t.in.queue(r.Topic)
	if q == nil {
		return nil, nil, fmt.Errorf("task %s has no input topic %q (partition %d offset %d)", t.ID(), r.Topic, r.Partition, r.Offset)
	}
	return t, q, nil
}

// bufferRecord adds r to q, the queue of its partition in task t.
func (w *worker) bufferRecord(t *activeTask, q *recordQueue, r *kgo.Record) {
	ts := r.Timestamp.UnixMilli()
	if q.extracts {
		w.raw = engine.RawRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: ts}
		ts = t.EventTime(&w.raw)
		w.raw = engine.RawRecord{}
	}
	q.add(r, ts)
}

// processBatch bounds the records one task processes before the others get
// their turn.
const processBatch = 100

// processBuffered processes buffered records, task by task in turns, until
// no task is ready (see partitionGroup), then resumes the partitions whose
// buffers drained to the bound.
func (w *worker) processBuffered() error {
	defer w.clearRaw()
	tasks := w.snapshotTasks()
	now := time.Now()
	for progress := true; progress; {
		progress = false
		for _, t := range tasks {
			// The clock is read once per batch: for the task's process
			// latency (the batch's mean per record) and its outputs'
			// end-to-end latency.
			var start time.Time
			n := int64(0)
			for range processBatch {
				r := t.in.next(now)
				if r == nil {
					break
				}
				if n == 0 {
					start = time.Now()
					t.SetWallTime(start.UnixMilli())
				}
				if err := w.process(t, r); err != nil {
					return err
				}
				n++
			}
			if n > 0 {
				t.Metrics().ProcessLatency().ObserveN(int64(time.Since(start))/n, n)
				progress = true
			}
		}
	}
	w.pauseFull(tasks)
	return nil
}

// pauseFull pauses the input partitions of tasks whose buffer is over
// BufferedRecordsPerPartition after processing (Kafka Streams'
// buffered.records.per.partition) and resumes the paused ones back under
// it; the client drops what it fetched ahead for a paused partition and
// fetches it again once resumed. A buffer over the bound after processing
// belongs to a task that waits for another partition (a join within
// MaxTaskIdle) or ran out of its share of the cycle. Checking after
// processing rather than when buffering, as Kafka Streams does, keeps a
// partition that a poll took far into its buffer (see pollSize) from being
// paused and resumed in the same cycle: a resumed partition is fetched
// only after the request in flight returns, which waits up to the
// client's fetch wait (500 ms) when the other partitions have no data.
func (w *worker) pauseFull(tasks []*activeTask) {
	limit := w.app.cfg.BufferedRecordsPerPartition
	var pause, resume map[string][]int32
	add := func(m *map[string][]int32, q *recordQueue) {
		if *m == nil {
			*m = map[string][]int32{}
		}
		(*m)[q.topic] = append((*m)[q.topic], q.partition)
	}
	for _, t := range tasks {
		for _, q := range t.in.queues {
			switch n := q.len(); {
			case !q.paused && n > limit:
				q.paused = true
				add(&pause, q)
			case q.paused && n <= limit:
				q.paused = false
				add(&resume, q)
			}
		}
	}
	if len(pause) > 0 {
		w.cl.PauseFetchPartitions(pause)
	}
	if len(resume) > 0 {
		w.cl.ResumeFetchPartitions(resume)
	}
}

// process runs one input record through task t, as w.raw. w.raw keeps the
// record's bytes until processBuffered returns, which clears it: Assign
// writes only the fields that change, and clearing it once rather than
// after every record saves write barriers while the garbage collector
// marks.
func (w *worker) process(t *activeTask, r *kgo.Record) error {
	var hs []engine.Header
	if len(r.Headers) > 0 {
		// A slice of its own: processors may keep a record's headers
		// (the record cache does).
		hs = make([]engine.Header, len(r.Headers))
		for i, h := range r.Headers {
			hs[i] = engine.Header{Key: h.Key, Value: h.Value}
		}
	}
	w.raw.Assign(engine.RawRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp.UnixMilli(), Headers: hs})
	return t.Process(&w.raw)
}

// clearRaw makes w.raw hold on to none of the last record's bytes.
func (w *worker) clearRaw() { w.raw = engine.RawRecord{} }

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
	err = errors.Join(err, w.closeAllLocked(!clean))
	w.mu.Unlock()
	w.su.close() // after the tasks: closing them ended their restores
	w.stopping.Store(true)
	if w.sess != nil {
		w.sess.CloseAllowingRebalance()
	} else {
		w.cl.CloseAllowingRebalance()
	}
	w.purge.wait() // the closed client ended a running deletion
	return err
}
