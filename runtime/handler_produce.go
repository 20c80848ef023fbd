// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
)

// Output records the broker rejects.
//
// A record the broker refuses for what it is (too large for the topic,
// invalid) fails in its produce promise, after the task that sent it went
// on. franz-go fails every record buffered for the partition with the
// same error (it does not split batches as Java's producer does), so the
// promise errors cannot tell the rejected record from the others. The
// collector collects them (rejections) and, when the cycle commits
// (collector.Err), sends each of a partition's failed records again
// alone: a record refused again is at fault, the others are not.
//
// The at-fault records cannot be handed to the production handler with
// the input record that produced them there: the input is long processed.
// So the cycle is rolled back and processed again: under exactly-once the
// transaction is aborted (txnproducer.go handles the error Err returns
// as a failed produce: abort, rewind, process again); under at-least-once
// the worker rewinds its input to the last commit and drops the cycle's
// state changes (worker.replay), the records it sent are sent again
// (duplicates, as at-least-once allows). The collector watches for the
// at-fault records while the cycle is processed again: Send returns a
// *rejectedError for the first record with the key and value of each
// (until watchCommits commits passed), without producing it, and the task
// hands that error to the production handler, with the input record, as it
// does a record a sink found too large before sending.
//
// If none of a partition's failed records is refused alone (the batch as
// a whole was larger than the topic accepts), sending them again
// delivered them: the cycle commits, with those records possibly after
// records sent to the partition later (a warning says so).
//
// A cycle whose at-fault records are rejected again after maxReplays
// rollbacks (processing did not produce the same record again: a
// non-deterministic topic chooser or function) stops the application
// with the rejection.
//
// Why not commit without the rejected record under exactly-once? franz-go
// does not poison the transaction (a transactional batch's failure does
// not fail the producer id), so the commit would succeed without it; but
// the other records failed with it would be lost, or, sent again, land
// after records sent to the partition later; and the handler could not
// be given the input record. The rollback costs the cycle's processing
// once per rejection.

// maxReplays bounds the consecutive rollbacks for rejected records.
const maxReplays = 3

// rejectedError is an output record refused for what it is: too large for
// its topic or invalid. errors.Is finds the kerr error.
type rejectedError struct {
	out OutputRecord
	err error
}

// Error names the record's topic, partition and key, and the broker's
// error.
func (e *rejectedError) Error() string {
	return fmt.Sprintf("output record to topic %q partition %d (key %s) rejected by the broker: %v",
		e.out.Topic, e.out.Partition, keyString(e.out.Key), e.err)
}

// Unwrap returns the broker's (or client's) error.
func (e *rejectedError) Unwrap() error { return e.err }

// isRejection reports whether a produce error refuses the record for what
// it is, so that sending it again fails the same way: the production
// handler's business.
func isRejection(err error) bool {
	for _, k := range []*kerr.Error{kerr.MessageTooLarge, kerr.RecordListTooLarge, kerr.InvalidRecord,
		kerr.CorruptMessage, kerr.InvalidTimestamp} {
		if errors.Is(err, k) {
			return true
		}
	}
	return false
}

// errReplay marks the error of a commit that found rejected output
// records: the cycle is to be processed again (see above). It is not a
// kerr error, so that the exactly-once commit takes it as a failed
// produce to retry; under at-least-once the error also wraps
// errCommitLater, so that a commit at shutdown leaves the records to the
// next owner.
var errReplay = errors.New("output records rejected")

// replayError reports the rejected records of a cycle that is processed
// again.
type replayError struct {
	first *rejectedError
	n     int
	alos  bool
}

func (e *replayError) Error() string {
	more := ""
	if e.n > 1 {
		more = fmt.Sprintf(" (and %d more)", e.n-1)
	}
	return fmt.Sprintf("%v%s: processing the input since the last commit again, to hand the record to the production handler with the input record that produced it",
		e.first, more)
}

func (e *replayError) Unwrap() []error {
	if e.alos {
		return []error{errReplay, errCommitLater}
	}
	return []error{errReplay}
}

// collectorErrors is the collector's part in error handling: the node
// indexes the error handler names nodes from, and the rejected records of
// the cycle processed again. Used on the worker's goroutine only.
type collectorErrors struct {
	app *App
	log *slog.Logger
	idx map[int]*nodeIndex
	// pending are the at-fault records of the cycle being rolled back;
	// watch holds them, by topic, until each is sent again (the input
	// processed again may take more than one commit to get to it), for
	// at most watchCommits commits.
	pending  []*rejectedError
	watch    map[string][]*rejectedError
	watchAge int // commits since the watch began
	replays  int // rollbacks since the last commit
}

// watchCommits bounds the commits a watched record is waited for.
const watchCommits = 10

func newCollectorErrors(a *App, log *slog.Logger) *collectorErrors {
	return &collectorErrors{app: a, log: log, idx: map[int]*nodeIndex{}}
}

func (ce *collectorErrors) nodes(sub int) *nodeIndex {
	ni, ok := ce.idx[sub]
	if !ok {
		ni = newNodeIndex(ce.app.topo, ce.app.cfg.AppID, sub)
		ce.idx[sub] = ni
	}
	return ni
}

// rejections are the output records of a producer generation that failed
// with a rejection, in promise order.
type rejections struct {
	mu   sync.Mutex
	recs []*rejectedError
}

func (rs *rejections) add(kr *kgo.Record, err error) {
	out := OutputRecord{Topic: kr.Topic, Partition: kr.Partition, Key: kr.Key, Value: kr.Value, Timestamp: kr.Timestamp}
	for _, h := range kr.Headers {
		out.Headers = append(out.Headers, engine.Header{Key: h.Key, Value: h.Value})
	}
	rs.mu.Lock()
	rs.recs = append(rs.recs, &rejectedError{out: out, err: err})
	rs.mu.Unlock()
}

func (rs *rejections) take() []*rejectedError {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	r := rs.recs
	rs.recs = nil
	return r
}

// rejected records, from a produce promise, that kr failed with err, if
// err is a rejection of an output or repartition record: the cycle's
// commit resolves it (resolveRejected). It reports false for other errors
// and for changelog records (a state update cannot be skipped), which
// fail the cycle as before.
func (g *produceGen) rejected(kr *kgo.Record, err error) bool {
	c := g.c
	if c.errs == nil || c.changelogs[kr.Topic] || !isRejection(err) {
		return false
	}
	g.rej.add(kr, err)
	return true
}

// resolveRejected finds which of the cycle's rejected records are at
// fault: a record failed alone in its partition is; of several failed
// together, those refused again when sent alone are (the others are
// delivered by that). It returns nil if none is, otherwise a
// *replayError, having set them aside for the rollback (rolledBack), or,
// after maxReplays rollbacks, the first rejection.
func (c *collector) resolveRejected(g *produceGen) error {
	rs := g.rej.take()
	if len(rs) == 0 || c.errs == nil {
		return nil
	}
	type tp struct {
		topic     string
		partition int32
	}
	var order []tp
	groups := map[tp][]*rejectedError{}
	for _, r := range rs {
		k := tp{r.out.Topic, r.out.Partition}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var atFault []*rejectedError
	resent := 0
	for _, k := range order {
		grp := groups[k]
		if len(grp) == 1 {
			atFault = append(atFault, grp[0])
			continue
		}
		for _, r := range grp {
			g.sent.Add(1)
			err := produceAlone(c.ctx, g.p, r.out)
			switch {
			case err == nil:
				resent++
			case isRejection(err):
				r.err = err
				atFault = append(atFault, r)
			default:
				return fmt.Errorf("produce to topic %q partition %d again, alone, after the broker rejected it with %d other records: %w",
					r.out.Topic, r.out.Partition, len(grp)-1, err)
			}
		}
	}
	if len(atFault) == 0 {
		c.errs.log.Warn("output records the broker rejected together were sent again one by one, and accepted", "records", resent,
			"hint", "the topics' max.message.bytes are smaller than the producer's batches: lower kgo.ProducerBatchMaxBytes in Config.ClientOptions")
		return nil
	}
	if resent > 0 {
		c.errs.log.Warn("output records the broker rejected together with a record at fault were sent again one by one, and accepted", "records", resent)
	}
	if c.errs.replays >= maxReplays {
		return fmt.Errorf("%w; rejected again after the input was processed again %d times (does processing produce it again? a topic chooser or function that is not deterministic would not)",
			atFault[0], c.errs.replays)
	}
	c.errs.replays++
	c.errs.pending = atFault
	_, eos := g.p.(*kgo.GroupTransactSession)
	return &replayError{first: atFault[0], n: len(atFault), alos: !eos}
}

// produceAlone sends out and waits for the outcome.
func produceAlone(ctx context.Context, p producer, out OutputRecord) error {
	kr := &kgo.Record{Topic: out.Topic, Partition: out.Partition, Key: out.Key, Value: out.Value, Timestamp: out.Timestamp}
	for _, h := range out.Headers {
		kr.Headers = append(kr.Headers, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	done := make(chan error, 1)
	p.Produce(ctx, kr, func(_ *kgo.Record, err error) { done <- err })
	select {
	case err := <-done:
		return err
	case <-time.After(endTimeout):
		return fmt.Errorf("no produce result after %v", endTimeout)
	}
}

// rolledBack starts watching for the records set aside by resolveRejected:
// the cycle they were sent in was rolled back and is processed again.
func (ce *collectorErrors) rolledBack() {
	if len(ce.pending) == 0 {
		return
	}
	if ce.watch == nil {
		ce.watch = map[string][]*rejectedError{}
	}
	for _, r := range ce.pending {
		ce.watch[r.out.Topic] = append(ce.watch[r.out.Topic], r)
	}
	ce.pending, ce.watchAge = nil, 0
}

// committed counts a commit: the rollbacks start again from 0, and a watch
// that waited watchCommits commits in vain ends.
func (ce *collectorErrors) committed() {
	ce.pending, ce.replays = nil, 0
	if ce.watch == nil {
		return
	}
	if ce.watchAge++; ce.watchAge >= watchCommits {
		n := 0
		for _, ws := range ce.watch {
			n += len(ws)
		}
		ce.log.Warn("rejected output records were not produced again by processing their input again; no longer watching for them", "records", n)
		ce.watch = nil
	}
}

// check returns the rejection of r if it is a watched record (which is
// then no longer watched), or nil.
func (ce *collectorErrors) check(r *engine.RawRecord) error {
	ws := ce.watch[r.Topic]
	for i, w := range ws {
		if !bytes.Equal(w.out.Key, r.Key) || !bytes.Equal(w.out.Value, r.Value) {
			continue
		}
		if ws = slices.Delete(ws, i, i+1); len(ws) > 0 {
			ce.watch[r.Topic] = ws
		} else if delete(ce.watch, r.Topic); len(ce.watch) == 0 {
			ce.watch = nil
		}
		p := r.Partition
		if p < 0 {
			p = w.out.Partition
		}
		return &rejectedError{out: OutputRecord{Topic: r.Topic, Partition: p, Key: r.Key, Value: r.Value,
			Timestamp: msTime(r.Timestamp), Headers: r.Headers}, err: w.err}
	}
	return nil
}

// replay rolls an at-least-once cycle back after resolveRejected found
// rejected records (cause): it drops the tasks' uncommitted state changes
// and buffered input, and rewinds the input partitions to the last
// committed offsets (where fetching started, for a partition without
// one), so that the cycle is processed again with the collector watching
// for the rejected records.
func (w *worker) replay(cause error) error {
	committed := w.cl.CommittedOffsets()
	to := map[string]map[int32]kgo.EpochOffset{}
	var unknown []string
	w.mu.Lock()
	for _, t := range w.tasks {
		for _, q := range t.in.queues {
			o, ok := committed[q.topic][q.partition]
			if !ok || o.Offset < 0 {
				start, known := w.lags.startOf(q.topic, q.partition)
				if !known {
					unknown = append(unknown, fmt.Sprintf("topic %q partition %d", q.topic, q.partition))
					continue
				}
				o = kgo.EpochOffset{Epoch: -1, Offset: start}
			}
			if to[q.topic] == nil {
				to[q.topic] = map[int32]kgo.EpochOffset{}
			}
			to[q.topic][q.partition] = o
		}
	}
	if len(unknown) > 0 {
		w.mu.Unlock()
		return fmt.Errorf("%w; cannot process the input again: %s has no committed offset and the offset fetching started at is unknown",
			cause, slices.Sorted(slices.Values(unknown))[0])
	}
	for _, t := range w.tasks {
		t.in.drop()
	}
	w.mu.Unlock()
	w.log.Warn("output record rejected by the broker; processing the input since the last commit again (at-least-once: records sent since are sent again)",
		"err", cause)
	for _, t := range w.snapshotTasks() {
		if err := t.Abort(); err != nil {
			return fmt.Errorf("task %s: abort state: %w", t.ID(), err)
		}
	}
	w.cl.SetOffsets(to)
	w.lags.rewound(to)
	w.coll.abortedCycle()
	return nil
}

// startOf returns the offset the client started fetching topic/partition
// at, if known.
func (l *inputLag) startOf(topic string, partition int32) (int64, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ip := l.parts[topic][partition]
	if ip == nil || !ip.listed {
		return 0, false
	}
	return ip.start, true
}

// ensureDeadLetterTopic creates topic, for dead letters, if it is missing:
// one partition, cleanup.policy=delete, as the DeadLetter policy's.
func ensureDeadLetterTopic(coll engine.Collector, topic string) error {
	var parts *partitionCache
	switch c := coll.(type) {
	case *collector:
		parts = c.parts
	case *globalCollector:
		parts = c.g.a.parts
	}
	if parts == nil || parts.cl == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), endTimeout)
	defer cancel()
	if _, err := parts.get(ctx, topic); err == nil {
		return nil
	}
	if err := ensureTopics(ctx, parts.cl, map[string]topicSpec{topic: {
		partitions: 1, configs: map[string]string{"cleanup.policy": "delete"}, keepExisting: true,
	}}); err != nil {
		return fmt.Errorf("create dead-letter topic %q: %w", topic, err)
	}
	// A topic created moments ago can be unknown to the brokers' metadata
	// for a while.
	for backoff := 10 * time.Millisecond; ; backoff = min(2*backoff, time.Second) {
		_, err := parts.get(ctx, topic)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("dead-letter topic %q created, but not listed after %v: %w", topic, endTimeout, err)
		case <-time.After(backoff):
		}
	}
}
