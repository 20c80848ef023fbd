// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/partitiongroup"
)

// noTask is the producer of records piped by the test.
var noTask = engine.TaskID{Subtopology: -1, Partition: -1}

// Batch makes the driver run like the runtime: piped records wait in their
// partitions until Run, which lets every task consume its input partitions
// in the runtime's order (of the partitions with buffered records, the one
// whose head record has the lowest timestamp goes first). Tasks take turns,
// in the order Tasks lists them, processing up to 100 records each, as a
// runtime worker does; records sent to a topic the topology reads are
// buffered for the reading task at once, in the order they were sent.
func Batch() Option { return func(c *config) { c.batch, c.shuffle = true, false } }

// Shuffle is Batch with a seeded schedule: at each step Run picks, with a
// pseudo-random source seeded by seed, either one task with buffered
// records to process one record, or one in-flight record to deliver.
// Records a task sends to a topic the topology reads (a repartition topic)
// are in flight until delivered: those one task sends to one partition
// arrive in order, those several tasks send interleave as the seed decides,
// and a receiving task may run ahead of a slower sender, as on a broker.
// The same seed gives the same run. See CheckOrder.
func Shuffle(seed int64) Option {
	return func(c *config) { c.batch, c.shuffle, c.seed = true, true, seed }
}

// PipeOrder makes the driver process each piped record, and everything it
// causes, before the pipe call returns: the default. CheckOrder passes it
// for its reference run.
func PipeOrder() Option { return func(c *config) { c.batch, c.shuffle = false, false } }

// processBatch bounds the records one task processes before the next task
// gets its turn in Batch mode (the runtime worker's bound).
const processBatch = 100

// batch is the state of batch mode: each task's partition group, and under
// Shuffle the records in flight.
type batch struct {
	d        *Driver
	groups   map[engine.TaskID]*partitiongroup.Group[*engine.RawRecord]
	enforced atomic.Int64
	rng      *rand.Rand // nil unless Shuffle
	flights  []*flight  // in creation order, so a seed replays
	flightOf map[flightKey]*flight
	steps    []int // scratch: the candidate steps of a Shuffle step
}

// flight holds, in order, the records one task sent to one partition of a
// topic the topology reads and that were not delivered yet.
type flight struct {
	recs []*engine.RawRecord
	head int
}

type flightKey struct {
	from      engine.TaskID
	topic     string
	partition int32
}

// caughtUp is the driver's lag: every record a task may read is either
// buffered or in flight, which a broker would not have yet, so an empty
// partition is never waited for.
func caughtUp(string, int32) (int64, bool) { return 0, true }

func newBatch(d *Driver) *batch {
	b := &batch{d: d, groups: make(map[engine.TaskID]*partitiongroup.Group[*engine.RawRecord], len(d.order))}
	for _, id := range d.order {
		topics := d.tasks[id].Topics()
		slices.Sort(topics)
		b.groups[id] = partitiongroup.New[*engine.RawRecord](topics, id.Partition, 0, caughtUp, &b.enforced)
	}
	if d.cfg.shuffle {
		b.rng = rand.New(rand.NewPCG(uint64(d.cfg.seed), 0x6564647973687566))
		b.flightOf = map[flightKey]*flight{}
	}
	return b
}

// holds reports whether a record sent now to ts is held in flight: under
// Shuffle, a record a task sends to a topic a task reads.
func (b *batch) holds(ts *topicState) bool {
	return b.rng != nil && b.d.producer != noTask && ts.reader >= 0
}

// hold keeps r in flight (see holds).
func (b *batch) hold(r *engine.RawRecord) {
	k := flightKey{from: b.d.producer, topic: r.Topic, partition: r.Partition}
	f := b.flightOf[k]
	if f == nil {
		f = &flight{}
		b.flightOf[k] = f
		b.flights = append(b.flights, f)
	}
	f.recs = append(f.recs, r)
}

// buffer adds r, already in its topic's log, to the partition group of the
// task that reads it, ordered by the event time the task's source gives it.
func (b *batch) buffer(r *engine.RawRecord) error {
	id := engine.TaskID{Subtopology: b.d.reader[r.Topic], Partition: r.Partition}
	task, ok := b.d.tasks[id]
	if !ok {
		return fmt.Errorf("topologytest: no task %s for %s", id, r.Where())
	}
	ts := r.Timestamp
	if task.Extracts(r.Topic) {
		ts = task.EventTime(r)
	}
	b.groups[id].Queue(r.Topic).Add(r, ts)
	return nil
}

// deliver appends the next record of f to its topic's log and buffers it
// for its task.
func (b *batch) deliver(f *flight) error {
	r := f.recs[f.head]
	f.recs[f.head] = nil
	f.head++
	if f.head == len(f.recs) {
		f.recs, f.head = f.recs[:0], 0
	}
	ts, err := b.d.topic(r.Topic)
	if err != nil {
		return err
	}
	b.d.append(ts, r.Topic, r.Partition, r)
	return b.buffer(r)
}

// pending reports whether any record is buffered or in flight.
func (b *batch) pending() bool {
	for _, f := range b.flights {
		if f.head < len(f.recs) {
			return true
		}
	}
	for _, g := range b.groups {
		if g.Buffered() > 0 {
			return true
		}
	}
	return false
}

// drop forgets every buffered and in-flight record.
func (b *batch) drop() {
	for _, g := range b.groups {
		g.Drop()
	}
	for _, f := range b.flights {
		clear(f.recs)
		f.recs, f.head = f.recs[:0], 0
	}
}

// process runs the next record of task id's partition group through the
// task, and reports whether there was one.
func (b *batch) process(id engine.TaskID) (bool, error) {
	r, _, ok := b.groups[id].Next(time.UnixMilli(b.d.now))
	if !ok {
		return false, nil
	}
	b.d.producer = id
	err := b.d.tasks[id].Process(r)
	b.d.producer = noTask
	return true, err
}

// run processes until nothing is buffered or in flight.
func (b *batch) run() error {
	if b.rng != nil {
		return b.runShuffled()
	}
	for progress := true; progress; {
		progress = false
		for _, id := range b.d.order {
			for range processBatch {
				ok, err := b.process(id)
				if err != nil {
					return err
				}
				if !ok {
					break
				}
				progress = true
			}
		}
	}
	return nil
}

// runShuffled takes one seeded step at a time: a task processes one record,
// or one in-flight record is delivered.
func (b *batch) runShuffled() error {
	for {
		b.steps = b.steps[:0]
		for i, id := range b.d.order {
			if b.groups[id].Buffered() > 0 {
				b.steps = append(b.steps, i)
			}
		}
		for i, f := range b.flights {
			if f.head < len(f.recs) {
				b.steps = append(b.steps, -1-i)
			}
		}
		if len(b.steps) == 0 {
			return nil
		}
		step := b.steps[b.rng.IntN(len(b.steps))]
		if step < 0 {
			if err := b.deliver(b.flights[-1-step]); err != nil {
				return err
			}
			continue
		}
		id := b.d.order[step]
		ok, err := b.process(id)
		if err != nil {
			return err
		}
		if !ok {
			// The driver's lag never makes a group wait: a bug if it does.
			return fmt.Errorf("topologytest: task %s has %d records buffered but is not ready", id, b.groups[id].Buffered())
		}
	}
}

// Run processes every record piped since the last Run, and everything they
// cause, the way the runtime would (see Batch and Shuffle), then commits
// every task. Without Batch or Shuffle every record was processed when
// piped, and Run only reports whether the driver is closed.
func (d *Driver) Run() error {
	if d.closed {
		return errDriverClosed
	}
	if d.batch == nil {
		return nil
	}
	for {
		// Global tables first: as in the runtime, their updates reach the
		// global stores apart from the tasks' input.
		if err := d.processQueue(); err != nil {
			return err
		}
		if !d.batch.pending() {
			break
		}
		if err := d.batch.run(); err != nil {
			d.fail()
			return err
		}
	}
	return d.commitAll()
}

// EnforcedProcessing returns how many records batch mode processed while
// another input partition of their task had nothing buffered (the
// runtime's metric of the same name; the driver never waits for such a
// partition, like the runtime with MaxTaskIdle 0 on caught-up input).
func (d *Driver) EnforcedProcessing() int64 {
	if d.batch == nil {
		return 0
	}
	return d.batch.enforced.Load()
}
