// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package topologytest runs a topology without a broker, in the spirit of
// Kafka Streams' TopologyTestDriver, through the same task engine the
// runtime uses.
//
// Beyond TopologyTestDriver, every topic can have N partitions: input keys
// are routed with Kafka's murmur2 partitioner, one task runs per
// sub-topology and partition, and records written to repartition topics are
// routed to the task owning their partition, so repartitioning and
// co-partitioning behave as in production. Every record is processed
// synchronously when piped; every store update is visible downstream at
// once (as with Kafka Streams' cache disabled).
//
// Global tables behave as in Kafka Streams' TopologyTestDriver: a record
// piped into a global table's topic updates the global store at once, and
// every task (whatever its partition) reads the same store.
//
// Time is explicit: input records carry event time (from the pipe call or
// the input topic's auto-advancing clock) and wall-clock time only moves
// with AdvanceWallClock. Both start at the Unix epoch unless set.
//
// # Stream time and window closing
//
// Stream time is per task: the largest record timestamp the task has
// processed. A window closes, and a record for it is dropped as late
// (counted in Dropped()["late"]), once window end <= stream time - grace.
// Each partition of a topic is its own task, so a window of partition 0
// closes only when partition 0's stream time passes its end: a later
// record on partition 1 does not close it. That is why a test that expects
// a window to close (emit-final, suppress, late drops) pipes a "tick"
// record with a later timestamp to every partition whose windows it checks.
//
// # Pipe order and production order
//
// By default (PipeOrder) every piped record, and everything it causes
// downstream, is processed before the pipe call returns. Production is
// less orderly: a task with several input partitions picks the buffered
// record with the lowest timestamp, and records that several upstream
// tasks write to a repartition topic reach the downstream task in whatever
// order they are produced, so that task's stream time can jump ahead with
// one upstream task's records and make another's late. A topology whose
// output depends on that order passes in pipe order and fails in
// production.
//
// Batch runs like the runtime: records piped wait until Run, and every task
// consumes its partitions through the runtime's own partition group (the
// lowest timestamp first). Shuffle(seed) adds a seeded interleaving of the
// records in flight to repartition topics, and CheckOrder runs a scenario
// in pipe order and under many seeds and reports the first seed whose
// output differs — the fix is then a grace period covering the spread
// between upstream tasks, or a key that needs no repartition.
//
// # Assertions
//
// AssertKeyValues, AssertTable and AssertGolden compare an output topic
// with an expected sequence, a final table or a golden file under testdata/
// (rewritten when the test binary's -update flag is set), and report the
// difference per key.
package topologytest

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"time"
	"unsafe"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/memory"
	"github.com/eddy-streams/eddy/stream"
)

// Option configures a Driver.
type Option func(*config)

type config struct {
	app        string
	partitions int32
	perTopic   map[string]int32
	wallClock  time.Time
	backend    func(task string) (state.Backend, error)
	onError    engine.ErrorHandler
	logger     *slog.Logger
	batch      bool  // Batch or Shuffle: records wait for Run
	shuffle    bool  // Shuffle: a seeded interleaving
	seed       int64 // Shuffle's seed
}

// AppID sets the application id, which prefixes internal topic names
// (<app>-<name>-repartition, <app>-<store>-changelog). Default "test-app".
func AppID(id string) Option { return func(c *config) { c.app = id } }

// DefaultPartitions gives every topic n partitions (default 1; see
// TopicPartitions for one topic). Keys are routed
// with Kafka's murmur2 partitioner, as a Java or franz-go producer would.
func DefaultPartitions(n int32) Option { return func(c *config) { c.partitions = n } }

// TopicPartitions gives one user topic n partitions, overriding Partitions.
func TopicPartitions(topic string, n int32) Option {
	return func(c *config) {
		if c.perTopic == nil {
			c.perTopic = map[string]int32{}
		}
		c.perTopic[topic] = n
	}
}

// WallClock sets the initial wall-clock time (default the Unix epoch).
func WallClock(t time.Time) Option { return func(c *config) { c.wallClock = t } }

// Backend sets the state backend of each task (default in-memory). The
// function gets the task id ("0_1"; "2_global" for the store of a global
// table); use it to open e.g. a Pebble store in a per-task directory.
func Backend(open func(task string) (state.Backend, error)) Option {
	return func(c *config) { c.backend = open }
}

// SkipBadRecords makes undecodable records and invalid timestamps skipped
// and counted instead of failing the pipe call.
func SkipBadRecords() Option { return func(c *config) { c.onError = engine.SkipOnError } }

// Logger sets the logger (default: discard).
func Logger(l *slog.Logger) Option { return func(c *config) { c.logger = l } }

// errDriverClosed is returned by calls on a closed driver.
var errDriverClosed = errors.New("topologytest: driver is closed")

// Driver runs a topology in process.
type Driver struct {
	cfg     config
	topo    *topology.Topology
	parts   map[string]int32 // every source and changelog topic (full names) -> partitions
	reader  map[string]int   // source topic -> sub-topology
	tasks   map[engine.TaskID]*engine.Task
	order   []engine.TaskID
	torder  []*engine.Task // the tasks of order
	globals *engine.GlobalStores
	gtasks  map[string]*engine.Task // global topic -> its global task
	gorder  []*engine.Task
	logs    map[string]*topicLog         // every topic written to
	topics  map[string]*topicState       // every topic sent or piped to
	recent  [1 << recentBits]recentTopic // the topics looked up last, tried first
	queue   []queued                     // records to process, from head on
	head    int
	slab    []engine.RawRecord  // records not handed out yet (see keep)
	free    []*engine.RawRecord // records processed and not logged, for reuse
	bytes   engine.Arena        // the piped records' keys and values
	now     int64
	closed  bool
	discard bool // benchmarks: do not keep written records
	batch   *batch
	// producer is the task whose processing or punctuation sends records
	// (noTask: a pipe call): under Shuffle, what one task sends to a
	// partition stays in order, what several send interleaves.
	producer engine.TaskID
}

type topicLog struct {
	records []*engine.RawRecord
	read    int
}

// topicState is what the driver knows of a topic, looked up once per record
// sent to it.
type topicState struct {
	n       int32          // partitions
	reader  int            // the sub-topology that reads the topic, -1: none
	tasks   []*engine.Task // reader's tasks by partition (nil: no such task)
	global  *engine.Task   // the global task that reads the topic
	offsets []int64        // next offset per partition
	rr      int32          // the next partition of a record without one
	log     *topicLog      // nil until a record is written
}

// recentTopic is an entry of the driver's cache of topics: a task sends
// to few topics, whose names are mostly the very strings the cache holds,
// so that comparing their addresses is cheaper than hashing them.
//
// The cache has 1<<recentBits entries.
const recentBits = 4

type recentTopic struct {
	name string
	ts   *topicState
}

// reads reports whether a task or a global task reads the topic.
func (ts *topicState) reads() bool { return ts.reader >= 0 || ts.global != nil }

// queued is a record waiting to be processed by task (nil: the reader has
// no task for the record's partition, an error).
type queued struct {
	r    *engine.RawRecord
	task *engine.Task
}

// New builds a driver for topo and creates its tasks.
func New(topo *stream.Topology, opts ...Option) (*Driver, error) {
	t, ok := topology.Of(topo)
	if !ok {
		return nil, errors.New("topologytest: nil or unbuilt topology")
	}
	cfg := config{app: "test-app", partitions: 1, onError: engine.FailOnError, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(&cfg)
	}
	if cfg.partitions <= 0 {
		return nil, fmt.Errorf("topologytest: partitions must be positive, got %d", cfg.partitions)
	}
	if cfg.backend == nil {
		cfg.backend = func(string) (state.Backend, error) { return memory.New(), nil }
	}
	d := &Driver{
		cfg: cfg, topo: t, reader: map[string]int{}, tasks: map[engine.TaskID]*engine.Task{},
		logs: map[string]*topicLog{}, topics: map[string]*topicState{},
		now: cfg.wallClock.UnixMilli(), globals: engine.NewGlobalStores(), gtasks: map[string]*engine.Task{},
	}
	if cfg.wallClock.IsZero() {
		d.now = 0
	}
	d.producer = noTask
	parts, err := t.Partitions(cfg.app, d.userPartitions)
	if err != nil {
		return nil, fmt.Errorf("topologytest: %w", err)
	}
	d.parts = parts
	// Global tasks first: the tasks' joins find their stores at Init.
	for _, st := range t.GlobalSubtopologies() {
		id := engine.TaskID{Subtopology: st.ID, Partition: engine.GlobalPartition}
		task, err := d.newTask(id, t.Spec(st.ID, cfg.app), true)
		if err != nil {
			d.Close()
			return nil, err
		}
		d.gorder = append(d.gorder, task)
		for _, topic := range st.Sources {
			d.gtasks[topic] = task
		}
	}
	for _, st := range t.Subtopologies() {
		var n int32
		for _, topic := range t.SourceTopics(st.ID, cfg.app) {
			d.reader[topic] = st.ID
			n = max(n, parts[topic])
		}
		// A store's changelog has a partition per task, as the runtime
		// creates it: task <sub>_p logs to partition p.
		for _, store := range st.Stores {
			if store.Spec.Logged {
				d.parts[engine.ChangelogTopic(cfg.app, store.Name)] = n
			}
		}
		spec := t.Spec(st.ID, cfg.app)
		for p := range n {
			id := engine.TaskID{Subtopology: st.ID, Partition: p}
			task, err := d.newTask(id, spec, false)
			if err != nil {
				d.Close()
				return nil, err
			}
			d.tasks[id] = task
			d.order = append(d.order, id)
			d.torder = append(d.torder, task)
		}
	}
	if cfg.batch {
		d.batch = newBatch(d)
	}
	return d, nil
}

// newTask opens the task's backend (through the global stores' lock for a
// global task) and creates the task.
func (d *Driver) newTask(id engine.TaskID, spec *engine.Spec, global bool) (*engine.Task, error) {
	be, err := d.cfg.backend(id.String())
	if err != nil {
		return nil, fmt.Errorf("topologytest: open state of task %s: %w", id, err)
	}
	if global {
		be = d.globals.Wrap(be)
	}
	task, err := engine.NewTask(engine.Config{
		AppID: d.cfg.app, ID: id, Spec: spec, Backend: be, Collector: taskCollector{d}, Globals: d.globals,
		OnError: d.cfg.onError, Clock: func() int64 { return d.now }, Logger: d.cfg.logger,
	})
	if err != nil {
		be.Close()
		return nil, err
	}
	return task, nil
}

func (d *Driver) userPartitions(topic string) (int32, error) {
	if n, ok := d.cfg.perTopic[topic]; ok {
		if n <= 0 {
			return 0, fmt.Errorf("partition count must be positive, got %d", n)
		}
		return n, nil
	}
	return d.cfg.partitions, nil
}

// PartitionCount returns the number of partitions of topic: as set with
// TopicPartitions or DefaultPartitions, or as derived for an internal
// topic (a repartition topic as the runtime sizes it; a store's changelog
// topic, one partition per task of the sub-topology that owns the store).
// It fails for a topic the topology does not use.
func (d *Driver) PartitionCount(topic string) (int32, error) {
	if n, ok := d.parts[topic]; ok {
		return n, nil
	}
	return d.userPartitions(topic)
}

// taskCollector is the driver as its tasks' collector: where the records
// they produce go.
type taskCollector struct{ d *Driver }

func (c taskCollector) Send(r *engine.RawRecord) error {
	ts, err := c.d.topic(r.Topic)
	if err != nil {
		return err
	}
	return c.d.send(ts, r)
}

func (c taskCollector) PartitionCount(topic string) (int32, error) { return c.d.PartitionCount(topic) }

// CopiesKeyValues tells the tasks that Send copies the key and value bytes
// of the records the driver keeps (keep), so that they may reuse theirs.
func (taskCollector) CopiesKeyValues() {}

// topic returns the state of topic, which it creates on first use; it
// fails for a topic with an invalid partition count.
func (d *Driver) topic(name string) (*topicState, error) {
	// A direct-mapped cache by the address of the name's bytes: the same
	// string, not only the same name, so no bytes are compared.
	rt := &d.recent[(uintptr(unsafe.Pointer(unsafe.StringData(name)))*0x9e3779b97f4a7c15)>>(64-recentBits)]
	if len(rt.name) == len(name) && unsafe.StringData(rt.name) == unsafe.StringData(name) && rt.ts != nil {
		return rt.ts, nil
	}
	ts := d.topics[name]
	if ts == nil {
		n, err := d.PartitionCount(name)
		if err != nil {
			return nil, err
		}
		ts = &topicState{n: n, reader: -1, global: d.gtasks[name], offsets: make([]int64, n)}
		if st, ok := d.reader[name]; ok {
			ts.reader = st
			ts.tasks = make([]*engine.Task, n)
			for p := range n {
				ts.tasks[p] = d.tasks[engine.TaskID{Subtopology: st, Partition: p}]
			}
		}
		d.topics[name] = ts
	}
	*rt = recentTopic{name: name, ts: ts}
	return ts, nil
}

// send appends a copy of r to its topic's log and, if a sub-topology reads
// the topic, queues it for processing (in batch mode: buffers it in the
// reading task's partition group, or, under Shuffle, holds a repartition
// record in flight until the schedule delivers it). ts is r's topic. r
// stays the caller's (see engine.Collector): the driver keeps a copy, and
// none when it keeps nothing (benchmarks).
func (d *Driver) send(ts *topicState, r *engine.RawRecord) error {
	p := r.Partition
	if p < 0 {
		p = ts.rr % ts.n
		ts.rr++
	}
	if p >= ts.n {
		return fmt.Errorf("record for partition %d of topic %q, which has %d partitions", p, r.Topic, ts.n)
	}
	if d.batch != nil && d.batch.holds(ts) {
		d.batch.hold(d.keep(r, p))
		return nil
	}
	if d.discard && !ts.reads() {
		d.append(ts, r.Topic, p, nil)
		return nil
	}
	kept := d.keep(r, p)
	d.append(ts, kept.Topic, p, kept)
	if !ts.reads() {
		return nil
	}
	if d.batch != nil && ts.global == nil {
		return d.batch.buffer(kept)
	}
	q := queued{r: kept, task: ts.global}
	if q.task == nil {
		q.task = ts.tasks[p] // nil: processQueue reports it
	}
	d.queue = append(d.queue, q)
	return nil
}

// recordSlab is how many records the driver allocates at once.
const recordSlab = 64

// keep returns a copy of r for partition, which the driver keeps: a
// recycled record (see processQueue) or one of a slab, its key and value
// copied into the driver's arena (the sender may reuse its own: see
// taskCollector.CopiesKeyValues).
func (d *Driver) keep(r *engine.RawRecord, partition int32) *engine.RawRecord {
	var c *engine.RawRecord
	if n := len(d.free); n > 0 {
		c = d.free[n-1]
		d.free = d.free[:n-1]
	} else {
		if len(d.slab) == 0 {
			d.slab = make([]engine.RawRecord, recordSlab)
		}
		c = &d.slab[0]
		d.slab = d.slab[1:]
	}
	cp := *r
	cp.Partition = partition
	cp.Key, cp.Value = d.bytes.Copy(r.Key), d.bytes.Copy(r.Value)
	c.Assign(cp)
	return c
}

// append takes the next offset of topic's partition, gives it to r (nil:
// a record the driver does not keep) and appends r to the topic's log; ts
// is the topic.
func (d *Driver) append(ts *topicState, topic string, partition int32, r *engine.RawRecord) {
	off := ts.offsets[partition]
	ts.offsets[partition]++
	if ts.log == nil {
		ts.log = &topicLog{}
		d.logs[topic] = ts.log
	}
	if r != nil {
		r.Offset = off
		if !d.discard {
			ts.log.records = append(ts.log.records, r)
		}
	}
}

// pipe writes an input record and processes it and everything it causes.
func (d *Driver) pipe(r *engine.RawRecord) error {
	if d.closed {
		return errDriverClosed
	}
	ts, err := d.topic(r.Topic)
	if err != nil || !ts.reads() {
		return fmt.Errorf("topologytest: no source reads topic %q (source topics: %v)", r.Topic, d.sourceTopics())
	}
	if r.Key != nil && r.Partition < 0 {
		r.Partition = partition.ForKey(r.Key, ts.n)
	}
	if err := d.send(ts, r); err != nil {
		return err
	}
	if d.batch != nil {
		return nil // Run processes it
	}
	return d.drain()
}

// drain processes the queued records and everything they cause, then
// commits every task.
func (d *Driver) drain() error {
	if err := d.processQueue(); err != nil {
		return err
	}
	return d.commitAll()
}

// processQueue processes the queued records, and the records they cause, in
// order; in batch mode only records of global tables are queued.
func (d *Driver) processQueue() error {
	for d.head < len(d.queue) {
		q := d.queue[d.head] // left in place: the entries are reused soon
		d.head++
		if q.task == nil {
			id := engine.TaskID{Subtopology: d.reader[q.r.Topic], Partition: q.r.Partition}
			return fmt.Errorf("topologytest: no task %s for %s", id, q.r.Where())
		}
		if err := q.task.Process(q.r); err != nil {
			d.fail()
			return err
		}
		if d.discard { // in no log: reuse it (keep overwrites it)
			d.free = append(d.free, q.r)
		}
	}
	d.queue, d.head = d.queue[:0], 0
	return nil
}

// fail forgets every record waiting to be processed and drops the tasks'
// uncommitted state, after an error.
func (d *Driver) fail() {
	clear(d.queue)
	d.queue, d.head = d.queue[:0], 0
	if d.batch != nil {
		d.batch.drop()
	}
	d.abortAll()
}

func (d *Driver) commitAll() error {
	for _, g := range d.gorder {
		if err := g.Commit(nil); err != nil {
			return fmt.Errorf("topologytest: commit global task %s: %w", g.ID(), err)
		}
	}
	for _, t := range d.torder {
		if err := t.Commit(nil); err != nil {
			return fmt.Errorf("topologytest: commit task %s: %w", t.ID(), err)
		}
	}
	return nil
}

func (d *Driver) abortAll() {
	for _, g := range d.gorder {
		_ = g.Abort()
	}
	for _, t := range d.torder {
		_ = t.Abort()
	}
}

func (d *Driver) sourceTopics() []string {
	out := make([]string, 0, len(d.reader)+len(d.gtasks))
	for t := range d.reader {
		out = append(out, t)
	}
	for t := range d.gtasks {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// AdvanceWallClock moves wall-clock time forward by dt and fires due
// wall-clock punctuations. In batch mode, the records the punctuations
// send to topics the topology reads wait for the next Run.
func (d *Driver) AdvanceWallClock(dt time.Duration) error {
	d.now += dt.Milliseconds()
	for _, id := range d.order {
		d.producer = id
		err := d.tasks[id].PunctuateWallClock(d.now)
		d.producer = noTask
		if err != nil {
			d.fail()
			return err
		}
	}
	if d.batch != nil {
		return nil
	}
	return d.drain()
}

// ProducedTopics lists every topic the topology wrote to, including
// repartition and changelog topics, sorted.
func (d *Driver) ProducedTopics() []string {
	out := make([]string, 0, len(d.logs))
	for t := range d.logs {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Dropped sums the dropped-record counts of all tasks by reason ("late",
// "null-key", "null-value", "deserialization", "invalid-timestamp").
func (d *Driver) Dropped() map[string]int64 {
	out := map[string]int64{}
	for _, t := range d.tasks {
		for k, v := range t.Metrics().Dropped() {
			out[k] += v
		}
	}
	for _, t := range d.gorder {
		for k, v := range t.Metrics().Dropped() {
			out[k] += v
		}
	}
	return out
}

// Tasks lists the task ids ("0_0", "1_3", …) in creation order. Global
// tables' tasks are not listed: like Kafka Streams' global stores, they
// "will not generate tasks".
func (d *Driver) Tasks() []string {
	out := make([]string, len(d.order))
	for i, id := range d.order {
		out[i] = id.String()
	}
	return out
}

// Close closes every task and its state.
func (d *Driver) Close() error {
	if d.closed {
		return nil
	}
	d.closed = true
	var errs []error
	for _, id := range slices.Clone(d.order) {
		errs = append(errs, d.tasks[id].Close())
	}
	for _, g := range d.gorder {
		errs = append(errs, g.Close())
	}
	return errors.Join(errs...)
}
