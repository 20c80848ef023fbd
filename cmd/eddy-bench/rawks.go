// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// The "raw-ks" contender is the yardstick for Eddy's stateful scenarios: a
// hand-written franz-go loop that does the work Kafka Streams (and Eddy) do
// for the scenario, with nothing a framework adds on top:
//
//   - wordcount: read lines, split words (the scenario's own words func),
//     write each word to <app>-word-counts-repartition keyed by the word
//     (murmur2 partitioner), read that topic back as a member of the same
//     consumer group, count in a Go map per task, write every new count to
//     the compacted changelog <app>-word-counts-changelog (the task's
//     partition) and to the output topic;
//   - window: the same through <app>-window-counts-repartition, then 10 s
//     tumbling windows with stream time per task, the grace check (late
//     records dropped), windows expired after the store's retention (size +
//     grace), changelog <app>-window-counts-changelog (compact,delete) keyed
//     word ‖ window start ‖ sequence 0 as Kafka Streams' window stores do,
//     output keyed word ‖ window start, partitioned by the word;
//   - join: per task, the table's and the stream's records are buffered
//     and merged by timestamp as Kafka Streams' partition group does
//     (max.task.idle.ms 0): the head with the smaller timestamp goes first,
//     and when one side's buffer is empty the other goes on only if that
//     side's partition is caught up (its next offset at the end offset
//     listed at start or the high watermark of a later fetch). A table
//     record upserts (or deletes) a row in a Go map and is written to
//     <app>-join-table-changelog; a stream record is left-joined with the
//     row (the scenario's own joined func) and written to the output.
//
// Same guarantee and commit interval as the other systems: at-least-once
// flushes and commits the consumed offsets every interval; exactly-once
// runs a kgo.GroupTransactSession (read_committed, repartition, changelog
// and output records and the offsets in one transaction per interval).
// Both commit the offsets of every polled record, so a commit waits while
// the join holds records it has not processed yet.
// Internal topics are created as Eddy creates them. Client settings follow
// Eddy's runtime defaults (128 KiB fetched per partition, 500 ms fetch
// wait, 10 s transaction timeout, up to 1M buffered records); the -fetch-*
// flags override them as for the other Go systems.
//
// Not done, on purpose or for lack of need in a one-instance benchmark on
// fresh topics: no local store, checkpoint or changelog-offset bookkeeping,
// no restore (state starts empty and is lost with the process), no
// rebalance handling beyond what the transact session does. The join's
// caught-up check assumes what the harness gives it: fresh input topics
// without transactions, read from offset 0 by one group member.

// hasRawKS says whether a scenario has a raw-ks loop: the stateful ones.
func hasRawKS(scenario string) bool {
	return scenario == scenWordCount || scenario == scenWindow || scenario == scenJoin
}

// runRawKS is the hidden "raw-ks" subcommand: rawKS until SIGTERM.
func runRawKS(args []string) int {
	f := parseWorkerFlags(sysRawKS, args)
	defer startProfiles(f)()
	reportAllocsOnSignal()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := rawKS(ctx, f, func() { announce("RUNNING") }); err != nil {
		fmt.Fprintln(os.Stderr, "raw-ks:", err)
		return 1
	}
	return 0
}

// ksTopics are the full topic names of a raw-ks run.
type ksTopics struct {
	inputs      []string // user input topics, in the spec's order
	output      string
	repartition string // "" for the join
	changelog   string
}

func rawKSTopics(f workerFlags) ksTopics {
	sp := specOf(f.scenario)
	t := ksTopics{output: f.prefix + sp.output}
	for _, in := range sp.inputs {
		t.inputs = append(t.inputs, f.prefix+in)
	}
	store := sp.repartition
	if f.scenario == scenJoin {
		store = joinTable
	}
	if sp.repartition != "" {
		t.repartition = f.appID + "-" + sp.repartition + "-repartition"
	}
	t.changelog = f.appID + "-" + store + "-changelog"
	return t
}

// ksCount is a count and the timestamp of its last update (Kafka Streams'
// timestamped aggregate: the max of the record timestamps).
type ksCount struct{ n, ts int64 }

// ksRow is a table row and its timestamp.
type ksRow struct {
	value string
	ts    int64
}

// ksTask is the state of one task (input partition number): the stateful
// sub-topology's store, and the join's per-poll input buffers.
type ksTask struct {
	counts  map[string]*ksCount           // wordcount
	windows map[int64]map[string]*ksCount // window: start → word → count
	stream  int64                         // window: observed stream time
	rows    map[string]ksRow              // join: the table
	table   []*kgo.Record                 // join: table records not processed yet
	events  []*kgo.Record                 // join: stream records not processed yet
}

// ksInput is where the join has got to in one input partition.
type ksInput struct {
	next int64 // offset after the last record fetched (0: none yet)
	end  int64 // end offset listed at start, or a later fetch's high watermark
}

// caughtUp says whether every record the partition is known to have has
// been fetched.
func (in ksInput) caughtUp() bool { return in.next >= in.end }

// ksLoop is one raw-ks process.
type ksLoop struct {
	f              workerFlags
	eos            bool
	ctx            context.Context
	topics         ksTopics
	parts, outPart int32
	cl             *kgo.Client
	sess           *kgo.GroupTransactSession
	tasks          []ksTask
	inputs         map[string][]ksInput // join: per input topic, per partition
	dropped        int64                // window: late records
	prodErr        atomic.Pointer[error]
	promised       func(*kgo.Record, error) // l.promise
	sink           func(*kgo.Record)        // tests: takes what produce would send
}

// rawKS runs the raw-ks loop of f.scenario until ctx ends; running is
// called once, at the first partition assignment.
func rawKS(ctx context.Context, f workerFlags, running func()) error {
	if !hasRawKS(f.scenario) {
		return fmt.Errorf("no raw-ks loop for scenario %q", f.scenario)
	}
	l := &ksLoop{f: f, eos: f.guarantee == "eos", ctx: ctx, topics: rawKSTopics(f)}
	l.promised = l.promise
	if err := l.setupTopics(ctx); err != nil {
		return err
	}
	l.tasks = make([]ksTask, l.parts)
	for i := range l.tasks {
		t := &l.tasks[i]
		switch f.scenario {
		case scenWordCount:
			t.counts = map[string]*ksCount{}
		case scenWindow:
			t.windows = map[int64]map[string]*ksCount{}
			t.stream = -1
		case scenJoin:
			t.rows = map[string]ksRow{}
		}
	}
	consume := append([]string(nil), l.topics.inputs...)
	if l.topics.repartition != "" {
		consume = append(consume, l.topics.repartition)
	}
	var once sync.Once
	opts := []kgo.Opt{
		kgo.TransactionTimeout(10 * time.Second),
		kgo.FetchMaxPartitionBytes(128 << 10),
		kgo.FetchMaxWait(500 * time.Millisecond),
		kgo.SeedBrokers(strings.Split(f.brokers, ",")...),
		kgo.MetadataMinAge(time.Second),
	}
	opts = append(opts, f.clientOptions()...)
	opts = append(opts,
		kgo.ConsumerGroup(f.appID),
		kgo.ConsumeTopics(consume...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.MaxBufferedRecords(1_000_000),
		kgo.OnPartitionsAssigned(func(context.Context, *kgo.Client, map[string][]int32) { once.Do(running) }),
	)
	var err error
	if l.eos {
		opts = append(opts,
			kgo.TransactionalID(f.appID+"-"+sysRawKS),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
			kgo.RequireStableFetchOffsets(),
		)
		if l.sess, err = kgo.NewGroupTransactSession(opts...); err == nil {
			l.cl = l.sess.Client()
		}
	} else {
		opts = append(opts, kgo.DisableAutoCommit())
		l.cl, err = kgo.NewClient(opts...)
	}
	if err != nil {
		return err
	}
	err = l.run()
	if l.eos {
		l.sess.Close()
	} else {
		l.cl.Close()
	}
	if l.dropped > 0 {
		fmt.Fprintf(os.Stderr, "raw-ks: dropped %d late records\n", l.dropped)
	}
	return err
}

// setupTopics reads the input and output partition counts and creates the
// internal topics with Eddy's settings: repartition topics delete, key-value
// changelogs compact, window changelogs compact,delete with the store's
// retention plus a day; CreateTime timestamps; the broker's replication
// factor.
func (l *ksLoop) setupTopics(ctx context.Context) error {
	// kadm answers ListTopics from metadata cached up to MetadataMinAge
	// (5 s by default): the topics created here must show up at once.
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(l.f.brokers, ",")...), kgo.MetadataMinAge(20*time.Millisecond))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	td, err := adm.ListTopics(ctx, append([]string{l.topics.output}, l.topics.inputs...)...)
	if err != nil {
		return err
	}
	count := func(topic string) (int32, error) {
		d, ok := td[topic]
		if !ok || d.Err != nil || len(d.Partitions) == 0 {
			return 0, fmt.Errorf("topic %s missing (%v)", topic, d.Err)
		}
		return int32(len(d.Partitions)), nil
	}
	for i, in := range l.topics.inputs {
		n, err := count(in)
		if err != nil {
			return err
		}
		if i > 0 && n != l.parts {
			return fmt.Errorf("%s has %d partitions, %s %d: not co-partitioned", in, n, l.topics.inputs[0], l.parts)
		}
		l.parts = n
	}
	if l.outPart, err = count(l.topics.output); err != nil {
		return err
	}
	want := map[string]map[string]*string{}
	if l.topics.repartition != "" {
		// As Kafka Streams' and Eddy's: no time retention (the records
		// carry their old event times), 50 MB segments.
		want[l.topics.repartition] = map[string]*string{"cleanup.policy": kadm.StringPtr("delete"),
			"retention.ms": kadm.StringPtr("-1"), "segment.bytes": kadm.StringPtr("52428800")}
	}
	cfg := map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}
	if l.f.scenario == scenWindow {
		retention := (windows.Size() + windows.GracePeriod()).Milliseconds() + changelogExtraRetention
		cfg = map[string]*string{"cleanup.policy": kadm.StringPtr("compact,delete"), "retention.ms": kadm.StringPtr(strconv.FormatInt(retention, 10))}
	}
	want[l.topics.changelog] = cfg
	var names []string
	for name, cfg := range want {
		cfg["message.timestamp.type"] = kadm.StringPtr("CreateTime")
		resp, err := adm.CreateTopic(ctx, l.parts, -1, cfg, name)
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create %s: %w %s", name, err, resp.ErrMessage)
		}
		names = append(names, name)
	}
	if l.f.scenario == scenJoin {
		if err := l.listInputEnds(ctx, adm); err != nil {
			return err
		}
	}
	// Wait for leaders, so the first produce does not race the creation.
	for {
		td, err := adm.ListTopics(ctx, names...)
		ready := err == nil
		for _, name := range names {
			d, ok := td[name]
			ready = ready && ok && d.Err == nil && len(d.Partitions) == int(l.parts)
			for _, p := range d.Partitions {
				ready = ready && p.Err == nil && p.Leader >= 0
			}
		}
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// listInputEnds lists the join's input end offsets (the last stable
// offsets under exactly-once), where each partition counts as caught up.
// The harness pre-loads the input before a system starts, so this is
// what an assignment-time listing (Eddy) or the first fetch's lag (Kafka
// Streams) would see; later fetches raise the ends as data arrives.
func (l *ksLoop) listInputEnds(ctx context.Context, adm *kadm.Client) error {
	list := adm.ListEndOffsets
	if l.eos {
		list = adm.ListCommittedOffsets
	}
	offs, err := list(ctx, l.topics.inputs...)
	if err == nil {
		err = offs.Error()
	}
	if err != nil {
		return fmt.Errorf("list end offsets: %w", err)
	}
	l.inputs = map[string][]ksInput{}
	for _, topic := range l.topics.inputs {
		ins := make([]ksInput, l.parts)
		for p := range ins {
			o, ok := offs.Lookup(topic, int32(p))
			if !ok {
				return fmt.Errorf("no end offset for %s[%d]", topic, p)
			}
			ins[p].end = o.Offset
		}
		l.inputs[topic] = ins
	}
	return nil
}

// changelogExtraRetention is Kafka Streams'
// windowstore.changelog.additional.retention.ms (one day), as in Eddy.
const changelogExtraRetention = 24 * 60 * 60 * 1000

// run is the poll → process → commit loop.
func (l *ksLoop) run() error {
	for l.ctx.Err() == nil {
		if l.eos {
			if err := l.sess.Begin(); err != nil {
				return fmt.Errorf("begin: %w", err)
			}
		}
		deadline := time.Now().Add(l.f.commit)
		for l.ctx.Err() == nil {
			wait := time.Until(deadline)
			if wait <= 0 {
				if !l.holding() {
					break
				}
				// The commit takes the offsets of every polled record:
				// poll on until the join has processed what it holds.
				wait = l.f.commit
			}
			pctx, cancel := context.WithTimeout(l.ctx, wait)
			var fs kgo.Fetches
			if l.eos {
				fs = l.sess.PollRecords(pctx, 1000)
			} else {
				fs = l.cl.PollRecords(pctx, 1000)
			}
			cancel()
			fs.EachError(func(t string, p int32, err error) {
				if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
					fmt.Fprintf(os.Stderr, "raw-ks: fetch %s[%d]: %v\n", t, p, err)
				}
			})
			l.process(fs)
		}
		if p := l.prodErr.Load(); p != nil {
			return fmt.Errorf("produce: %w", *p)
		}
		l.expireWindows()
		ectx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var err error
		if l.eos {
			try := kgo.TryCommit
			if l.ctx.Err() != nil {
				try = kgo.TryAbort
			}
			_, err = l.sess.End(ectx, try)
		} else if err = l.cl.Flush(ectx); err == nil && !l.holding() { // holding: stopping before the join caught up
			err = l.cl.CommitUncommittedOffsets(ectx)
		}
		cancel()
		if err != nil && l.ctx.Err() == nil {
			return fmt.Errorf("commit: %w", err)
		}
	}
	return nil
}

// promise keeps the first produce error. (The error is copied before its
// address is taken: taking &err of the parameter would move every call's
// err to the heap.)
func (l *ksLoop) promise(_ *kgo.Record, err error) {
	if err != nil {
		e := err
		l.prodErr.CompareAndSwap(nil, &e)
	}
}

// produce hands r to franz-go (or to l.sink, in tests); l.promised is
// l.promise bound once (a method value per call would allocate).
func (l *ksLoop) produce(r *kgo.Record) {
	switch {
	case l.sink != nil:
		l.sink(r)
	case l.eos:
		l.sess.Produce(l.ctx, r, l.promised)
	default:
		l.cl.Produce(l.ctx, r, l.promised)
	}
}

// process handles one poll's records.
func (l *ksLoop) process(fs kgo.Fetches) {
	if l.f.scenario == scenJoin {
		l.processJoin(fs)
		return
	}
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.Err != nil || p.Partition < 0 || len(p.Records) == 0 {
			return // errors are reported by run
		}
		if p.Topic == l.topics.repartition {
			for _, r := range p.Records {
				if l.f.scenario == scenWindow {
					l.countWindow(r)
				} else {
					l.count(r)
				}
			}
			return
		}
		for _, r := range p.Records {
			l.repartition(r)
		}
	})
}

// repartition is the first sub-topology of wordcount and window:
// flatMapValues(words) → groupBy(word) → the repartition topic, key and
// value the word, partitioned by murmur2 of the key.
func (l *ksLoop) repartition(r *kgo.Record) {
	for _, w := range words(string(r.Value)) {
		b := []byte(w)
		l.produce(&kgo.Record{Topic: l.topics.repartition, Partition: keyPartition(b, l.parts), Key: b, Value: b, Timestamp: r.Timestamp})
	}
}

// count is word count's second sub-topology: count per word, the new count
// to the changelog and the output.
func (l *ksLoop) count(r *kgo.Record) {
	if r.Key == nil {
		return
	}
	t := &l.tasks[r.Partition]
	ts := r.Timestamp.UnixMilli()
	c := t.counts[string(r.Key)]
	if c == nil {
		c = &ksCount{ts: ts}
		t.counts[string(r.Key)] = c
	}
	c.n++
	c.ts = max(c.ts, ts)
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(c.n))
	at := time.UnixMilli(c.ts)
	l.produce(&kgo.Record{Topic: l.topics.changelog, Partition: r.Partition, Key: r.Key, Value: v, Timestamp: at})
	l.produce(&kgo.Record{Topic: l.topics.output, Partition: keyPartition(r.Key, l.outPart), Key: r.Key, Value: v, Timestamp: at})
}

// countWindow is the window scenario's second sub-topology: a tumbling
// window count with Kafka Streams' grace check.
func (l *ksLoop) countWindow(r *kgo.Record) {
	if r.Key == nil {
		return
	}
	t := &l.tasks[r.Partition]
	ts := r.Timestamp.UnixMilli()
	t.stream = max(t.stream, ts)
	size := windows.Size().Milliseconds()
	start := ts - ts%size
	if start+size <= t.stream-windows.GracePeriod().Milliseconds() {
		l.dropped++
		return
	}
	win := t.windows[start]
	if win == nil {
		win = map[string]*ksCount{}
		t.windows[start] = win
	}
	c := win[string(r.Key)]
	if c == nil {
		c = &ksCount{ts: ts}
		win[string(r.Key)] = c
	}
	c.n++
	c.ts = max(c.ts, ts)
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(c.n))
	// One buffer: word ‖ start ‖ sequence 0 is the changelog key, its
	// first len+8 bytes the output's windowed key.
	k := make([]byte, len(r.Key)+12)
	copy(k, r.Key)
	binary.BigEndian.PutUint64(k[len(r.Key):], uint64(start))
	at := time.UnixMilli(c.ts)
	l.produce(&kgo.Record{Topic: l.topics.changelog, Partition: r.Partition, Key: k, Value: v, Timestamp: at})
	l.produce(&kgo.Record{Topic: l.topics.output, Partition: keyPartition(r.Key, l.outPart), Key: k[:len(r.Key)+8], Value: v, Timestamp: at})
}

// expireWindows drops windows older than the store's retention (size +
// grace) behind each task's stream time, as window store segments expire.
func (l *ksLoop) expireWindows() {
	retention := (windows.Size() + windows.GracePeriod()).Milliseconds()
	for i := range l.tasks {
		t := &l.tasks[i]
		for start := range t.windows {
			if start <= t.stream-retention {
				delete(t.windows, start)
			}
		}
	}
}

// processJoin buffers the poll's records per task and input, then
// processes each task's buffered records in timestamp order (the table
// first on a tie) as far as the caught-up rule allows (see rawKS).
func (l *ksLoop) processJoin(fs kgo.Fetches) {
	table, stream := l.topics.inputs[0], l.topics.inputs[1] // specOf(scenJoin): the table first
	fs.EachPartition(func(p kgo.FetchTopicPartition) {
		if p.Err != nil || p.Partition < 0 || p.Partition >= l.parts {
			return
		}
		ins := l.inputs[p.Topic]
		if ins == nil {
			return
		}
		in := &ins[p.Partition]
		end := p.HighWatermark
		if l.eos {
			end = p.LastStableOffset
		}
		in.end = max(in.end, end)
		if len(p.Records) == 0 {
			return
		}
		in.next = max(in.next, p.Records[len(p.Records)-1].Offset+1)
		t := &l.tasks[p.Partition]
		if p.Topic == table {
			t.table = append(t.table, p.Records...)
		} else {
			t.events = append(t.events, p.Records...)
		}
	})
	for part := range l.tasks {
		t := &l.tasks[part]
		tableDone, streamDone := l.inputs[table][part].caughtUp(), l.inputs[stream][part].caughtUp()
		i, j := 0, 0
		for {
			a, b := i < len(t.table), j < len(t.events)
			if a && b {
				a = !t.events[j].Timestamp.Before(t.table[i].Timestamp)
				b = !a
			} else if !(a && streamDone) && !(b && tableDone) {
				break // nothing buffered, or wait for the side that has data on the broker
			}
			if a {
				l.upsert(t, t.table[i])
				i++
			} else {
				l.join(t, t.events[j])
				j++
			}
		}
		t.table, t.events = dropFirst(t.table, i), dropFirst(t.events, j)
	}
}

// holding says whether the join holds polled records it has not processed
// (waiting for a partition that is not caught up).
func (l *ksLoop) holding() bool {
	for i := range l.tasks {
		if len(l.tasks[i].table) > 0 || len(l.tasks[i].events) > 0 {
			return true
		}
	}
	return false
}

// dropFirst removes the first n records of rs in place.
func dropFirst(rs []*kgo.Record, n int) []*kgo.Record {
	if n == 0 {
		return rs
	}
	k := copy(rs, rs[n:])
	clear(rs[k:])
	return rs[:k]
}

// upsert materializes a table record and writes it to the changelog.
func (l *ksLoop) upsert(t *ksTask, r *kgo.Record) {
	if r.Key == nil {
		return
	}
	ts := r.Timestamp.UnixMilli()
	if r.Value == nil {
		delete(t.rows, string(r.Key))
	} else {
		t.rows[string(r.Key)] = ksRow{value: string(r.Value), ts: ts}
	}
	l.produce(&kgo.Record{Topic: l.topics.changelog, Partition: r.Partition, Key: r.Key, Value: r.Value, Timestamp: r.Timestamp})
}

// join left-joins a stream record with its row and writes the result.
func (l *ksLoop) join(t *ksTask, r *kgo.Record) {
	if r.Key == nil || r.Value == nil {
		return
	}
	row, found := t.rows[string(r.Key)]
	l.produce(&kgo.Record{Topic: l.topics.output, Partition: keyPartition(r.Key, l.outPart), Key: r.Key,
		Value: []byte(joined(string(r.Value), row.value, found)), Timestamp: r.Timestamp})
}
