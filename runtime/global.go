// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/state/pebble"
)

// Global tables (Kafka Streams' GlobalKTable and its global stream
// thread): every instance keeps a full copy of each global table's topic
// in a Pebble store under <StateDir>/<AppID>/global/<store>/, together
// with the offsets it has read (the global checkpoint). Before any worker
// starts, the stores are brought up to the topics' end offsets
// (read_committed), from the stored offsets, so a restart with current
// stores reads nothing; then one goroutine with its own client keeps
// applying the topics' new records until shutdown. Tasks read the stores
// concurrently (engine.GlobalStores). An error of the global goroutine
// stops the instance (state ERROR): it cannot be replaced, as in Kafka
// Streams.

// globalState is the instance's global stores and their updater.
type globalState struct {
	a       *App
	stores  *engine.GlobalStores
	tasks   []*globalTask
	byTopic map[string]*globalTask
	cl      *kgo.Client

	bootstrapped atomic.Int64 // records applied while bootstrapping
}

// globalTask keeps one global store from its topic.
type globalTask struct {
	id    engine.TaskID
	spec  *engine.Spec
	store string
	topic string
	dir   string
	task  *engine.Task
	next  map[int32]int64 // partition → next offset to apply
	dirty bool            // records applied since the last commit

	mu        sync.Mutex // guards task for metrics snapshots
	processed atomic.Int64
}

// globalStores returns the registry tasks read global stores from (nil
// without global tables). Run sets it before creating any worker.
func (a *App) globalStores() *engine.GlobalStores {
	if g := a.global.Load(); g != nil {
		return g.stores
	}
	return nil
}

// startGlobal opens and bootstraps the global stores, then runs their
// updater in wg until ctx ends; an updater error is sent to errc and
// cancels the instance. The returned stop closes the stores: call it
// after wg is done (no task reads them any more). Without global tables it
// does nothing.
func (a *App) startGlobal(ctx context.Context, wg *sync.WaitGroup, errc chan<- error, cancel context.CancelFunc) (stop func(), err error) {
	subs := a.topo.GlobalSubtopologies()
	if len(subs) == 0 {
		return func() {}, nil
	}
	g := &globalState{a: a, stores: engine.NewGlobalStores(), byTopic: map[string]*globalTask{}}
	a.global.Store(g)
	defer func() {
		if err != nil {
			g.close()
		}
	}()
	for _, st := range subs {
		gt := &globalTask{id: engine.TaskID{Subtopology: st.ID, Partition: engine.GlobalPartition},
			spec: a.topo.Spec(st.ID, a.cfg.AppID), store: globalStoreName(st), topic: st.Sources[0]}
		gt.dir = filepath.Join(a.cfg.StateDir, a.cfg.AppID, "global", gt.store)
		g.tasks = append(g.tasks, gt)
		g.byTopic[gt.topic] = gt
	}
	if err := g.bootstrap(ctx); err != nil {
		return nil, err
	}
	wg.Go(func() {
		if err := g.run(ctx); err != nil {
			a.log.Error("global stores stopping on error", "err", err)
			errc <- fmt.Errorf("global stores: %w", err)
			cancel()
		}
	})
	return g.close, nil
}

func globalStoreName(st *topology.Subtopology) string {
	if len(st.Stores) > 0 {
		return st.Stores[0].Name
	}
	return ""
}

// open opens the task's Pebble store (through the global stores' lock) and
// creates the global task.
func (g *globalState) open(gt *globalTask) error {
	be, err := pebble.Open(gt.dir, pebble.Options{Cache: g.a.cache, Logger: g.a.log,
		OnDamage: func(err *pebble.DamagedError) bool {
			g.a.log.Warn("global store is damaged: deleting it and reading its topic again", "store", gt.store, "dir", gt.dir, "err", err.Err)
			return true
		}})
	if err != nil {
		return fmt.Errorf("global store %q: open state in %s: %w", gt.store, gt.dir, err)
	}
	t, err := engine.NewTask(engine.Config{
		AppID: g.a.cfg.AppID, ID: gt.id, Spec: gt.spec, Backend: g.stores.Wrap(be),
		Collector: &globalCollector{g: g}, OnError: g.a.cfg.errorHandler(), Logger: g.a.log, Globals: g.stores,
	})
	if err != nil {
		be.Close()
		return fmt.Errorf("global store %q: %w", gt.store, err)
	}
	gt.mu.Lock()
	gt.task = t
	gt.mu.Unlock()
	return nil
}

// bootstrap opens every global store and reads its topic from the stored
// offsets to the end offsets as of now.
func (g *globalState) bootstrap(ctx context.Context) error {
	a := g.a
	topics := make([]string, len(g.tasks))
	for i, gt := range g.tasks {
		topics[i] = gt.topic
	}
	details, err := listTopics(ctx, a.adm, topics)
	if err != nil {
		return err
	}
	parts := map[string][]int32{}
	for _, gt := range g.tasks {
		d, ok := details[gt.topic]
		if !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			return fmt.Errorf("global table topic %q (store %q) does not exist: create it before starting application %q (e.g. with runtime.CreateTopics)", gt.topic, gt.store, a.cfg.AppID)
		}
		if d.Err != nil {
			return fmt.Errorf("global table topic %q: %w", gt.topic, d.Err)
		}
		for p := range d.Partitions {
			parts[gt.topic] = append(parts[gt.topic], p)
		}
		sort.Slice(parts[gt.topic], func(i, j int) bool { return parts[gt.topic][i] < parts[gt.topic][j] })
	}
	ends, err := a.adm.ListCommittedOffsets(ctx, topics...)
	if err == nil {
		err = ends.Error()
	}
	if err != nil {
		return fmt.Errorf("list end offsets of global table topics %v: %w", topics, err)
	}
	hwms, err := a.adm.ListEndOffsets(ctx, topics...)
	if err == nil {
		err = hwms.Error()
	}
	if err != nil {
		return fmt.Errorf("list end offsets of global table topics %v: %w", topics, err)
	}
	starts, err := a.adm.ListStartOffsets(ctx, topics...)
	if err == nil {
		err = starts.Error()
	}
	if err != nil {
		return fmt.Errorf("list start offsets of global table topics %v: %w", topics, err)
	}

	from := map[string]map[int32]kgo.Offset{}
	target := map[string]map[int32]int64{} // partitions still to read up to
	for _, gt := range g.tasks {
		if err := g.open(gt); err != nil {
			return err
		}
		stored, err := gt.task.Offsets()
		if err != nil {
			return fmt.Errorf("global store %q: %w", gt.store, err)
		}
		reason := globalStale(gt.topic, parts[gt.topic], stored, hwms, starts)
		if reason == "" {
			reason = globalRecreated(gt, topicID(details[gt.topic]))
		}
		if reason != "" {
			a.log.Warn("global store does not match its topic; rebuilding it from the topic", "store", gt.store, "reason", reason)
			if err := g.wipe(gt); err != nil {
				return err
			}
			stored = nil
		}
		gt.next = map[int32]int64{}
		from[gt.topic] = map[int32]kgo.Offset{}
		for _, p := range parts[gt.topic] {
			off, ok := stored[engine.OffsetKey(gt.topic, p)]
			if st, found := starts.Lookup(gt.topic, p); found && (!ok || off < st.Offset) {
				off = st.Offset
			}
			gt.next[p] = off
			from[gt.topic][p] = kgo.NewOffset().At(off)
			end, _ := ends.Lookup(gt.topic, p)
			if off < end.Offset {
				if target[gt.topic] == nil {
					target[gt.topic] = map[int32]int64{}
				}
				target[gt.topic][p] = end.Offset
			}
		}
	}
	g.cl, err = kgo.NewClient(append(a.baseOpts(),
		kgo.ConsumePartitions(from),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RecordPartitioner(partitioner{}), // dead letters
	)...)
	if err != nil {
		return fmt.Errorf("global stores: client: %w", err)
	}
	start := time.Now()
	lastLog := start
	for len(target) > 0 {
		if time.Since(lastLog) > 5*time.Second {
			a.log.Info("bootstrapping global stores", "applied", g.bootstrapped.Load(), "partitions left", countPartitions(target))
			lastLog = time.Now()
		}
		fs := g.cl.PollRecords(ctx, 10_000)
		if err := ctx.Err(); err != nil {
			return err
		}
		n, err := g.apply(fs, target)
		g.bootstrapped.Add(n)
		if err != nil {
			return err
		}
		if err := g.commit(); err != nil {
			return err
		}
	}
	for _, gt := range g.tasks {
		if err := g.commitTask(gt, true); err != nil { // record the offsets even when nothing was read
			return err
		}
		meta := &taskMeta{Format: taskMetaFormat, AppID: a.cfg.AppID, Task: gt.id.String(), Stores: []string{gt.store}}
		if id := topicID(details[gt.topic]); id != "" {
			meta.ChangelogIDs = map[string]string{gt.topic: id}
		}
		if err := writeTaskMeta(gt.dir, meta); err != nil {
			return fmt.Errorf("global store %q: %w", gt.store, err)
		}
	}
	a.log.Info("bootstrapped global stores", "stores", len(g.tasks), "records", g.bootstrapped.Load(),
		"took", time.Since(start).Round(time.Millisecond))
	return nil
}

func countPartitions(m map[string]map[int32]int64) int {
	n := 0
	for _, ps := range m {
		n += len(ps)
	}
	return n
}

// globalStale says why a global store's stored offsets cannot be continued
// on its topic as it is now, or "": an offset past the partition's end
// (the topic was recreated or truncated), or before its start (records the
// store lacks were deleted), or a partition the topic no longer has.
func globalStale(topic string, parts []int32, stored map[string]int64, hwms, starts kadm.ListedOffsets) string {
	known := map[string]bool{}
	for _, p := range parts {
		k := engine.OffsetKey(topic, p)
		known[k] = true
		off, ok := stored[k]
		if !ok {
			continue
		}
		if end, ok := hwms.Lookup(topic, p); ok && off > end.Offset {
			return fmt.Sprintf("the store has read partition %d up to offset %d, past the topic's end %d: the topic was recreated or truncated", p, off, end.Offset)
		}
		if st, ok := starts.Lookup(topic, p); ok && off < st.Offset {
			return fmt.Sprintf("partition %d now starts at offset %d, after the store's offset %d: records the store lacks were deleted", p, st.Offset, off)
		}
	}
	for k := range stored {
		if !known[k] {
			return fmt.Sprintf("the store has read %s, which the topic no longer has", k)
		}
	}
	return ""
}

// globalRecreated says why a global store was read from an earlier topic of
// the same name (its recorded topic id differs from id), or "".
func globalRecreated(gt *globalTask, id string) string {
	meta, err := readTaskMeta(gt.dir)
	if err != nil || meta == nil {
		return ""
	}
	if was := meta.ChangelogIDs[gt.topic]; was != "" && id != "" && was != id {
		return fmt.Sprintf("topic %s was deleted and recreated since the store read it (topic id %s, was %s)", gt.topic, id, was)
	}
	return ""
}

// topicID is d's topic id in hex, "" if the broker has none.
func topicID(d kadm.TopicDetail) string {
	if d.ID == (kadm.TopicID{}) {
		return ""
	}
	return hex.EncodeToString(d.ID[:])
}

// wipe deletes a global store's local state and reopens it empty.
func (g *globalState) wipe(gt *globalTask) error {
	gt.mu.Lock()
	t := gt.task
	gt.task = nil
	gt.mu.Unlock()
	if t != nil {
		if err := t.Close(); err != nil {
			return fmt.Errorf("global store %q: close: %w", gt.store, err)
		}
	}
	if err := os.RemoveAll(gt.dir); err != nil {
		return fmt.Errorf("global store %q: delete %s: %w", gt.store, gt.dir, err)
	}
	return g.open(gt)
}

// apply processes the fetched records in their global tasks; with target
// (while bootstrapping) it also drops each partition from target once its
// end offset is reached. It returns the number of records applied.
func (g *globalState) apply(fs kgo.Fetches, target map[string]map[int32]int64) (int64, error) {
	var ferr error
	fs.EachError(func(t string, p int32, err error) {
		var loss *kgo.ErrDataLoss
		switch {
		case errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded):
		case kerr.IsRetriable(err) || errors.As(err, &loss):
			// The client retries (or has reset the offset); as the
			// workers do, log and go on.
			g.a.log.Warn("global table fetch error", "topic", t, "partition", p, "err", err)
		case ferr == nil:
			ferr = fmt.Errorf("read global table topic %q partition %d: %w", t, p, err)
		}
	})
	if ferr != nil {
		return 0, ferr
	}
	var n int64
	var perr error
	fs.EachRecord(func(r *kgo.Record) {
		if perr != nil {
			return
		}
		gt, ok := g.byTopic[r.Topic]
		if !ok {
			return
		}
		if !r.Attrs.IsControl() {
			raw := engine.RawRecord{Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp.UnixMilli()}
			if len(r.Headers) > 0 {
				raw.Headers = make([]engine.Header, len(r.Headers))
				for i, h := range r.Headers {
					raw.Headers[i] = engine.Header{Key: h.Key, Value: h.Value}
				}
			}
			if perr = gt.task.Process(&raw); perr != nil {
				perr = fmt.Errorf("global store %q: %w", gt.store, perr)
				return
			}
			gt.processed.Add(1)
			n++
		}
		gt.next[r.Partition] = r.Offset + 1
		gt.dirty = true
		if ps := target[r.Topic]; ps != nil {
			if end, ok := ps[r.Partition]; ok && r.Offset+1 >= end {
				delete(ps, r.Partition)
				if len(ps) == 0 {
					delete(target, r.Topic)
				}
			}
		}
	})
	return n, perr
}

// commit makes the stores' changes durable with their offsets.
func (g *globalState) commit() error {
	for _, gt := range g.tasks {
		if err := g.commitTask(gt, false); err != nil {
			return err
		}
	}
	return nil
}

func (g *globalState) commitTask(gt *globalTask, force bool) error {
	if !gt.dirty && !force {
		return nil
	}
	offs := make(map[string]int64, len(gt.next))
	for p, o := range gt.next {
		offs[engine.OffsetKey(gt.topic, p)] = o
	}
	if err := gt.task.Commit(offs); err != nil {
		return fmt.Errorf("global store %q: commit: %w", gt.store, err)
	}
	gt.dirty = false
	return nil
}

// run keeps the global stores current until ctx ends.
func (g *globalState) run(ctx context.Context) error {
	for {
		fs := g.cl.PollRecords(ctx, g.a.cfg.MaxPollRecords)
		if fs.IsClientClosed() {
			return nil
		}
		_, err := g.apply(fs, nil)
		if err != nil {
			return err
		}
		if err := g.commit(); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return nil
		}
	}
}

// close closes the client and the stores.
func (g *globalState) close() {
	if g.cl != nil {
		g.cl.Close()
	}
	for _, gt := range g.tasks {
		gt.mu.Lock()
		t := gt.task
		gt.task = nil
		gt.mu.Unlock()
		if t != nil {
			if err := t.Close(); err != nil {
				g.a.log.Warn("close global store", "store", gt.store, "err", err)
			}
		}
	}
}

// globalMetrics adds the global tasks' counters to m.
func (a *App) globalMetrics(m *Metrics) {
	g := a.global.Load()
	if g == nil {
		return
	}
	m.GlobalRestored = g.bootstrapped.Load()
	m.GlobalApplied = map[string]int64{}
	for _, gt := range g.tasks {
		m.GlobalApplied[gt.store] = gt.processed.Load()
		gt.mu.Lock()
		if gt.task != nil {
			for k, v := range gt.task.Metrics().Dropped() {
				m.Dropped[k] += v
			}
		}
		gt.mu.Unlock()
	}
}

// globalCollector is the collector of global tasks, which produce only
// dead letters: synchronously, before the record's offset is committed.
type globalCollector struct{ g *globalState }

func (c *globalCollector) Send(r *engine.RawRecord) error {
	kr := &kgo.Record{Topic: r.Topic, Partition: r.Partition, Key: r.Key, Value: r.Value, Timestamp: msTime(r.Timestamp)}
	for _, h := range r.Headers {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	ctx, cancel := context.WithTimeout(context.Background(), endTimeout)
	defer cancel()
	if err := c.g.cl.ProduceSync(ctx, kr).FirstErr(); err != nil {
		return engine.Fatal(fmt.Errorf("produce to topic %q: %w", r.Topic, err))
	}
	return nil
}

func (c *globalCollector) PartitionCount(topic string) (int32, error) {
	return c.g.a.parts.get(context.Background(), topic)
}
