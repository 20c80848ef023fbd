// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"math"

	"github.com/eddy-streams/eddy/internal/metric"
	"github.com/eddy-streams/eddy/state"
)

// Collector receives every record a task produces: sink output,
// repartition records and changelog records.
type Collector interface {
	// Send delivers r. Partition -1 lets the collector choose (null keys).
	// r itself stays the sender's, which may reuse it once Send returns:
	// a collector that keeps the record keeps a copy. r's slices are the
	// collector's after the call: the sender neither changes nor reuses
	// them (sinks copy their serialized key and value into an Arena).
	Send(r *RawRecord) error
	// PartitionCount returns the number of partitions of topic.
	PartitionCount(topic string) (int32, error)
}

// Config configures a task.
type Config struct {
	AppID     string
	ID        TaskID
	Spec      *Spec
	Backend   state.Backend
	Collector Collector
	// OnError handles undecodable records and invalid timestamps;
	// nil means FailOnError.
	OnError ErrorHandler
	// Clock returns wall-clock time in epoch milliseconds.
	Clock  func() int64
	Logger *slog.Logger
	// Globals are the instance's global stores, read by stream–global
	// table joins (nil: none).
	Globals *GlobalStores
	// Metrics receives the task's counts (nil: the task's own), so an
	// owner can keep them across the task's lifetimes.
	Metrics *Metrics
	// Cache is the record cache of the task's worker (nil or disabled:
	// stores write through at once). Stores whose spec asks for caching
	// use it; the owner calls Flush before each commit.
	Cache *Cache
}

// UnknownTime is the stream time of a task that has seen no record.
const UnknownTime int64 = math.MinInt64

// Task runs one sub-topology for one partition. It is not safe for
// concurrent use: the owner feeds it one record at a time.
type Task struct {
	cfg        Config
	instances  []any
	sources    map[string]RawProcessor
	kv         map[string]*KVStore
	windows    map[string]*WindowStore
	sessions   map[string]*SessionStore   // created by openStore when needed
	versioned  map[string]*VersionedStore // created by openStore when needed
	streamTime int64
	rc         RecordContext
	node       string // node being processed, for errors
	punct      punctuations
	metrics    *Metrics
	wall       int64 // the owner's wall-clock time in epoch ms, for end-to-end latency (0: unknown)
	log        *slog.Logger
	commitReq  bool
	cached     []*storeCache // the caches of the task's cached stores, in spec order
	logs       logSlabs      // the stores' changelog records (store_changelog.go)
	// srcTopic and src are the topic of the last record processed and
	// its source, which Process tries before looking the topic up.
	srcTopic string
	src      RawProcessor
}

// NewTask instantiates the processor graph, opens the stores and links nodes.
func NewTask(cfg Config) (*Task, error) {
	if cfg.Spec == nil || cfg.Backend == nil || cfg.Collector == nil {
		return nil, errors.New("engine: task config needs Spec, Backend and Collector")
	}
	if cfg.OnError == nil {
		cfg.OnError = FailOnError
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = NewMetrics()
	}
	t := &Task{
		cfg:        cfg,
		sources:    make(map[string]RawProcessor),
		kv:         make(map[string]*KVStore),
		windows:    make(map[string]*WindowStore),
		streamTime: UnknownTime,
		metrics:    cfg.Metrics,
		log:        cfg.Logger.With("task", cfg.ID.String()),
	}
	_, t.logs.reuse = cfg.Collector.(KeyValueCopier)
	for _, ss := range cfg.Spec.Stores {
		if err := t.openStore(ss); err != nil {
			return nil, fmt.Errorf("task %s: open store %q: %w", cfg.ID, ss.Name, err)
		}
	}
	maxID := 0
	for _, n := range cfg.Spec.Nodes {
		maxID = max(maxID, n.ID)
	}
	t.instances = make([]any, maxID+1)
	for _, n := range cfg.Spec.Nodes {
		inst, err := n.New(t)
		if err != nil {
			return nil, fmt.Errorf("task %s: create node %s: %w", cfg.ID, n.Name, err)
		}
		t.instances[n.ID] = inst
		if len(n.Topics) > 0 {
			rp, ok := inst.(RawProcessor)
			if !ok {
				return nil, fmt.Errorf("task %s: source node %s cannot consume raw records", cfg.ID, n.Name)
			}
			for _, topic := range n.Topics {
				t.sources[topic] = rp
			}
		}
	}
	for _, n := range cfg.Spec.Nodes {
		for _, link := range n.Links {
			link(t.instances)
		}
	}
	for _, n := range cfg.Spec.Nodes {
		if in, ok := t.instances[n.ID].(Initializer); ok {
			t.node = n.Name
			if err := in.Init(t); err != nil {
				return nil, fmt.Errorf("task %s: init node %s: %w", cfg.ID, n.Name, err)
			}
		}
	}
	t.node = ""
	return t, nil
}

// ID returns the task id.
func (t *Task) ID() TaskID { return t.cfg.ID }

// AppID returns the application id.
func (t *Task) AppID() string { return t.cfg.AppID }

// Metrics returns the task's counters.
func (t *Task) Metrics() *Metrics { return t.metrics }

// SetWallTime tells the task the wall-clock time, in epoch milliseconds, of
// the records it processes next: the owner reads the clock once per batch
// rather than per record. Outputs record their end-to-end latency against
// it; until it is set, none is recorded.
func (t *Task) SetWallTime(ms int64) { t.wall = ms }

// ObserveOutput records in h (a sink's Metrics.OutputLatency) the
// end-to-end latency of an output record with timestamp ts.
func (t *Task) ObserveOutput(h *metric.Histogram, ts int64) {
	if t.wall != 0 {
		h.Observe(t.wall - ts)
	}
}

// Logger returns the task's logger.
func (t *Task) Logger() *slog.Logger { return t.log }

// Topics returns the input topics of the task.
func (t *Task) Topics() []string {
	out := make([]string, 0, len(t.sources))
	for topic := range t.sources {
		out = append(out, topic)
	}
	return out
}

// Extracts reports whether the source of topic derives event time from
// the record with a timestamp extractor (see EventTime).
func (t *Task) Extracts(topic string) bool {
	et, ok := t.sources[topic].(EventTimer)
	return ok && et.Extracts()
}

// EventTime returns the event time the task's source of raw.Topic gives
// raw: its extractor's result, or raw.Timestamp if it has none or raw
// cannot be decoded.
//
// A panic in the user's extractor (or its deserializer) is recovered here:
// the record then orders by its own timestamp, and processing it, which
// runs the extractor again, hands the failure to the error handler.
func (t *Task) EventTime(raw *RawRecord) (ts int64) {
	ts = raw.Timestamp
	if et, ok := t.sources[raw.Topic].(EventTimer); ok && et.Extracts() {
		defer func() {
			if recover() != nil {
				ts = raw.Timestamp
			}
		}()
		if e, ok := et.EventTime(raw); ok {
			return e
		}
	}
	return raw.Timestamp
}

// StreamTime returns the largest record timestamp processed, or UnknownTime.
func (t *Task) StreamTime() int64 { return t.streamTime }

// SetStreamTime restores stream time (e.g. from committed metadata).
func (t *Task) SetStreamTime(ts int64) { t.streamTime = max(t.streamTime, ts) }

// RecordContext returns the metadata of the input record being processed.
func (t *Task) RecordContext() *RecordContext { return &t.rc }

// Collector returns the task's collector.
func (t *Task) Collector() Collector { return t.cfg.Collector }

// Now returns wall-clock time in epoch milliseconds.
func (t *Task) Now() int64 {
	if t.cfg.Clock != nil {
		return t.cfg.Clock()
	}
	return nowMillis()
}

// Drop counts a dropped record.
func (t *Task) Drop(reason string) { t.metrics.drop(reason) }

// RequestCommit asks the owner to commit soon (Kafka Streams' context.commit()).
func (t *Task) RequestCommit() { t.commitReq = true }

// CommitRequested reports and clears a pending commit request.
func (t *Task) CommitRequested() bool {
	r := t.commitReq
	t.commitReq = false
	return r
}

// Process runs one input record through the graph, depth-first, then fires
// due stream-time punctuations.
//
// A panic in user code or an error while processing the record (other
// than a fatal store or output failure) goes to the error handler, like an
// undecodable record: fail, skip (counted as "processing") or dead-letter.
func (t *Task) Process(raw *RawRecord) (err error) {
	src := t.src
	if raw.Topic != t.srcTopic || src == nil {
		var ok bool
		if src, ok = t.sources[raw.Topic]; !ok {
			return fmt.Errorf("task %s: no source for %s", t.cfg.ID, raw.Where())
		}
		t.srcTopic, t.src = raw.Topic, src
	}
	t.rc.set(raw)
	t.metrics.processed.Add(1)
	defer func() {
		if p := recover(); p != nil {
			err = t.HandleError(t.node, raw, DropProcessing, fmt.Errorf("panic: %v", p))
		}
	}()
	if err := src.ProcessRaw(raw); err != nil {
		var re *RecordError
		if errors.As(err, &re) {
			return err
		}
		var fe *FatalError
		if errors.As(err, &fe) {
			return &RecordError{Task: t.cfg.ID, Node: t.node, Topic: raw.Topic, Partition: raw.Partition, Offset: raw.Offset, Key: raw.Key, Err: err}
		}
		return t.HandleError(t.node, raw, DropProcessing, err)
	}
	return t.punctuateStreamTime()
}

// HandleError applies the configured error handler to a bad input record:
// it returns nil when the record is to be skipped (and counts it under
// reason) or the error to stop with.
func (t *Task) HandleError(node string, raw *RawRecord, reason string, err error) error {
	switch t.cfg.OnError(ErrorContext{Task: t.cfg.ID, Node: node, Record: raw, Collector: t.cfg.Collector, Logger: t.log}, err) {
	case Skip:
		t.Drop(reason)
		t.log.Warn("skipping bad record", "node", node, "topic", raw.Topic, "partition", raw.Partition, "offset", raw.Offset, "reason", reason, "err", err)
		return nil
	case Diverted: // the handler logged where the record went
		t.Drop(reason)
		return nil
	}
	return &RecordError{Task: t.cfg.ID, Node: node, Topic: raw.Topic, Partition: raw.Partition, Offset: raw.Offset, Key: raw.Key, Err: err}
}

// Advance moves stream time forward to ts (sources call it for each
// record, after timestamp extraction).
func (t *Task) Advance(ts int64) {
	t.rc.Timestamp = ts
	if ts > t.streamTime {
		t.streamTime = ts
	}
}

// SetNode records which node is processing, for error messages.
func (t *Task) SetNode(name string) { t.node = name }

// Commit makes the task's state durable together with changelog offsets.
func (t *Task) Commit(offsets map[string]int64) error {
	return t.cfg.Backend.Commit(offsets)
}

// Flush writes the changes the record cache holds for the task's stores to
// the stores and their changelogs, and forwards them downstream (which can
// produce records): call it before committing. Without caching it does
// nothing.
func (t *Task) Flush() error {
	for _, c := range t.cached {
		if err := c.flushAll(); err != nil {
			return err
		}
	}
	return nil
}

// forwardFlushed runs forward (a cached store's OnFlush for key) with the
// record context of the record that last wrote the flushed entry, as Kafka
// Streams does, and restores the current one afterwards. A failure goes to
// the error handler as a processing error of that record would (Fail,
// Skip, DeadLetter); the record it names is that input record's position
// with the store key, its value being long processed.
func (t *Task) forwardFlushed(ctx *RecordContext, key []byte, forward func() error) (err error) {
	saved := t.rc
	t.rc = *ctx
	raw := &RawRecord{Topic: ctx.Topic, Partition: ctx.Partition, Offset: ctx.Offset, Key: key, Timestamp: ctx.Timestamp, Headers: ctx.Headers}
	defer func() {
		if p := recover(); p != nil {
			err = t.HandleError(t.node, raw, DropProcessing, fmt.Errorf("panic: %v", p))
		}
		t.rc = saved
	}()
	if err := forward(); err != nil {
		var re *RecordError
		if errors.As(err, &re) {
			return err
		}
		var fe *FatalError
		if errors.As(err, &fe) {
			return &RecordError{Task: t.cfg.ID, Node: t.node, Topic: raw.Topic, Partition: raw.Partition, Offset: raw.Offset, Key: key, Err: err}
		}
		return t.HandleError(t.node, raw, DropProcessing, err)
	}
	return nil
}

// Abort drops uncommitted state changes, the cached ones included.
func (t *Task) Abort() error {
	for _, c := range t.cached {
		c.drop()
	}
	return t.cfg.Backend.Abort()
}

// Close closes node instances and the backend. Uncommitted state is dropped.
func (t *Task) Close() error {
	for _, c := range t.cached {
		c.drop()
	}
	var errs []error
	for _, inst := range t.instances {
		if c, ok := inst.(Closer); ok {
			errs = append(errs, c.Close())
		}
	}
	errs = append(errs, t.cfg.Backend.Close())
	return errors.Join(errs...)
}
