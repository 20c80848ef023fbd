// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"log/slog"
	"os"
	goruntime "runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/runtime"
)

// BenchmarkRuntimeWordCount runs word count on the embedded broker: b.N
// input lines of 8 words are written first, then an instance processes
// them; the clock runs from Run until every line and word was processed.
// These figures measure Eddy with a broker that is nearly free (in-process
// kfake); they are not comparable with a real Kafka deployment. Each
// guarantee runs with the record cache off (every update written, logged
// and sent, as Kafka Streams with statestore.cache.max.bytes=0) and at its
// default size.
func BenchmarkRuntimeWordCount(b *testing.B) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		for _, cache := range []struct {
			name  string
			bytes int64
		}{{"nocache", runtime.NoCache}, {"cache", 0}} {
			benchWordCount(b, g, cache.name, cache.bytes)
		}
	}
}

func benchWordCount(b *testing.B, g runtime.Guarantee, cacheName string, cacheBytes int64) {
	{
		b.Run(g.String()+"/"+cacheName, func(b *testing.B) {
			t := &testing.T{}
			c := newCluster(t, map[string]int32{"lines": 4, "counts-out": 4})
			defer c.c.Close()
			var rs []*kgo.Record
			for i := range b.N {
				var sb strings.Builder
				for j := range 8 {
					fmt.Fprintf(&sb, "w%d ", (i*7+j*131)%5000)
				}
				rs = append(rs, &kgo.Record{Topic: "lines", Value: []byte(sb.String())})
				if len(rs) == 10_000 || i == b.N-1 {
					if err := c.cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
						b.Fatal(err)
					}
					rs = rs[:0]
				}
			}
			app, err := runtime.New(wordCount(t), runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: b.TempDir(),
				Guarantee: g, CacheMaxBytes: cacheBytes, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			b.ResetTimer()
			start := time.Now()
			go func() { done <- app.Run(ctx) }()
			want := int64(b.N) * 9
			for {
				var n int64
				for _, v := range app.Metrics().Processed {
					n += v
				}
				if n >= want {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			el := time.Since(start)
			b.StopTimer()
			cancel()
			if err := <-done; err != nil {
				b.Fatal(err)
			}
			app.Close(context.Background())
			b.ReportMetric(float64(b.N)/el.Seconds(), "lines/s")
			b.ReportMetric(float64(b.N*8)/el.Seconds(), "words/s")
		})
	}
}

// BenchmarkRestore measures restoring a store from its changelog into an
// empty state directory: b.N distinct keys.
func BenchmarkRestore(b *testing.B) {
	t := &testing.T{}
	c := newCluster(t, map[string]int32{"lines": 1, "counts-out": 1})
	defer c.c.Close()
	var rs []*kgo.Record
	for i := range b.N {
		rs = append(rs, &kgo.Record{Topic: "lines", Value: []byte(fmt.Sprintf("key%d", i))})
		if len(rs) == 10_000 || i == b.N-1 {
			if err := c.cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
				b.Fatal(err)
			}
			rs = rs[:0]
		}
	}
	cfg := runtime.Config{AppID: "wc", Brokers: c.addrs, StateDir: b.TempDir(), Logger: slog.New(slog.DiscardHandler), CommitInterval: 100 * time.Millisecond}
	run := func(cfg runtime.Config, until func(*runtime.App) bool) time.Duration {
		app, err := runtime.New(wordCount(t), cfg)
		if err != nil {
			b.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		start := time.Now()
		go func() { done <- app.Run(ctx) }()
		for !until(app) {
			time.Sleep(5 * time.Millisecond)
		}
		el := time.Since(start)
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
		app.Close(context.Background())
		return el
	}
	b.StopTimer()
	run(cfg, func(a *runtime.App) bool {
		var n int64
		for _, v := range a.Metrics().Processed {
			n += v
		}
		return n >= int64(2*b.N)
	})
	cfg.StateDir = b.TempDir()
	b.StartTimer()
	el := run(cfg, func(a *runtime.App) bool { return a.State() == runtime.Running })
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), "records/s")
}

// BenchmarkWordCountVsRaw measures what Eddy costs per word over a
// hand-written franz-go loop doing the same work, in one process: b.N
// lines of 8 words go to a broker in a child process (see
// arBrokerProcess), so that this process's allocations and CPU are the
// word count's alone. Then, in each of a few rounds (EDDY_BENCH_ROUNDS,
// default 3), the raw loop (rawWordCount: split, repartition topic keyed by
// the word, count in a map per partition, changelog and output; no store)
// and Eddy (record cache off, Pebble state) each process them all, one
// after the other, as a new group (application id) with topics of their
// own, with the same guarantee, client settings and commit interval.
//
// Reported, medians over the rounds, per input word: heap allocations
// (allocs/word, raw-allocs/word: runtime.MemStats.Mallocs, tiny objects
// included) and process CPU (cpu-ns/word, raw-cpu-ns/word: utime+stime
// from /proc/self/stat at 10 ms resolution: use a b.N of 20000 or more),
// and raw/eddy-cpu, the median of the rounds' ratios raw ÷ Eddy (1.0: as
// lean as the raw loop; neighbouring runs are compared, so that load from
// elsewhere on the machine moves both). ns/op, B/op and allocs/op are
// Eddy's, per line, medians over the rounds. CPU time on a busy machine
// varies by tens of percent from run to run; compare builds with several
// -count runs and their medians.
//
//	go test -run '^$' -bench WordCountVsRaw -benchtime 30000x ./runtime
func BenchmarkWordCountVsRaw(b *testing.B) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		b.Run(g.String(), func(b *testing.B) { benchVsRaw(b, g) })
	}
}

func benchVsRaw(b *testing.B, g runtime.Guarantee) {
	b.StopTimer()
	rounds := 3
	if env := os.Getenv("EDDY_BENCH_ROUNDS"); env != "" {
		n, err := strconv.Atoi(env)
		if err != nil || n < 1 {
			b.Fatalf("EDDY_BENCH_ROUNDS: %q is not a positive number", env)
		}
		rounds = n
	}
	c := &cluster{addrs: arBrokerProcess(b)}
	var err error
	if c.cl, err = kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.MetadataMinAge(100*time.Millisecond)); err != nil {
		b.Fatal(err)
	}
	defer c.cl.Close()
	c.adm = kadm.NewClient(c.cl)
	topics := map[string]map[string]*string{"lines": nil, "counts-out": nil, "raw-out": nil}
	for i := range rounds {
		topics[rawTopic(i, "repartition")] = nil
		topics[rawTopic(i, "changelog")] = map[string]*string{"cleanup.policy": kadm.StringPtr("compact")}
	}
	for topic, cfg := range topics {
		if _, err := c.adm.CreateTopic(context.Background(), 4, 1, cfg, topic); err != nil {
			b.Fatal(err)
		}
	}
	var rs []*kgo.Record
	for i := range b.N {
		var sb strings.Builder
		for j := range 8 {
			fmt.Fprintf(&sb, "w%d ", (i*7+j*131)%5000)
		}
		rs = append(rs, &kgo.Record{Topic: "lines", Value: []byte(sb.String())})
		if len(rs) == 10_000 || i == b.N-1 {
			if err := c.cl.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
				b.Fatal(err)
			}
			rs = rs[:0]
		}
	}
	words := float64(b.N * 8)
	want := int64(b.N) * 9 // lines and words processed

	var raws, eddys []runCost
	var ratios []float64
	for i := range rounds {
		raw := measureRun(b, "raw loop", want, func(ctx context.Context) (func() int64, func() error) {
			l, err := newRawWordCount(c.addrs, i, g == runtime.ExactlyOnce)
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- l.run(ctx) }()
			return l.processed.Load, func() error { return <-done }
		})
		eddy := measureRun(b, "eddy", want, func(ctx context.Context) (func() int64, func() error) {
			app, err := runtime.New(wordCount(&testing.T{}), runtime.Config{AppID: fmt.Sprintf("wc%d", i), Brokers: c.addrs,
				StateDir: b.TempDir(), Guarantee: g, CacheMaxBytes: runtime.NoCache, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				b.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- app.Run(ctx) }()
			n := func() int64 {
				var n int64
				for _, v := range app.Metrics().Processed {
					n += v
				}
				return n
			}
			return n, func() error { err := <-done; app.Close(context.Background()); return err }
		})
		raws, eddys = append(raws, raw), append(eddys, eddy)
		ratios = append(ratios, float64(raw.cpu)/float64(eddy.cpu))
	}
	med := func(rc []runCost, f func(runCost) float64) float64 {
		v := make([]float64, len(rc))
		for i, r := range rc {
			v[i] = f(r)
		}
		return median(v)
	}
	lines := float64(b.N)
	b.ReportMetric(med(eddys, func(r runCost) float64 { return float64(r.wall.Nanoseconds()) })/lines, "ns/op")
	b.ReportMetric(med(eddys, func(r runCost) float64 { return float64(r.bytes) })/lines, "B/op")
	b.ReportMetric(med(eddys, func(r runCost) float64 { return float64(r.mallocs) })/lines, "allocs/op")
	b.ReportMetric(med(eddys, func(r runCost) float64 { return float64(r.mallocs) })/words, "allocs/word")
	b.ReportMetric(med(raws, func(r runCost) float64 { return float64(r.mallocs) })/words, "raw-allocs/word")
	b.ReportMetric(med(eddys, func(r runCost) float64 { return float64(r.cpu.Nanoseconds()) })/words, "cpu-ns/word")
	b.ReportMetric(med(raws, func(r runCost) float64 { return float64(r.cpu.Nanoseconds()) })/words, "raw-cpu-ns/word")
	b.ReportMetric(median(ratios), "raw/eddy-cpu")
	b.ReportMetric(words/med(eddys, func(r runCost) float64 { return r.wall.Seconds() }), "words/s")
	b.ReportMetric(words/med(raws, func(r runCost) float64 { return r.wall.Seconds() }), "raw-words/s")
}

// median returns the median of v, which it sorts.
func median(v []float64) float64 {
	slices.Sort(v)
	if n := len(v); n%2 == 0 {
		return (v[n/2-1] + v[n/2]) / 2
	}
	return v[len(v)/2]
}

// runCost is what one run of a word count took: wall time, process CPU
// and heap allocations (count and bytes) from its start until it processed
// everything.
type runCost struct {
	wall, cpu      time.Duration
	mallocs, bytes uint64
}

// measureRun starts a run (start returns its progress and a wait for its
// end once the context is cancelled) and measures it until its progress
// reaches want; the run failing fails b.
func measureRun(b *testing.B, what string, want int64, start func(ctx context.Context) (progress func() int64, wait func() error)) runCost {
	goruntime.GC()
	var ms goruntime.MemStats
	goruntime.ReadMemStats(&ms)
	mallocs, bytes, cpu, t0 := ms.Mallocs, ms.TotalAlloc, procCPU(), time.Now()
	ctx, cancel := context.WithCancel(context.Background())
	b.StartTimer()
	progress, wait := start(ctx)
	for progress() < want {
		time.Sleep(5 * time.Millisecond)
	}
	b.StopTimer()
	var r runCost
	r.wall, r.cpu = time.Since(t0), procCPU()-cpu
	goruntime.ReadMemStats(&ms)
	r.mallocs, r.bytes = ms.Mallocs-mallocs, ms.TotalAlloc-bytes
	cancel()
	if err := wait(); err != nil {
		b.Fatalf("%s: %v", what, err)
	}
	return r
}

// procCPU returns the process's user and system CPU time so far, from
// /proc/self/stat (clock ticks of 10 ms); 0 where it cannot be read.
func procCPU() time.Duration {
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		return 0
	}
	// Fields after the command (which may hold spaces) in parentheses:
	// utime and stime are the 14th and 15th of the whole line.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0
	}
	return time.Duration(ut+st) * 10 * time.Millisecond
}

// rawTopic names round's repartition or changelog topic of the raw loop,
// which reads "lines" (4 partitions) and writes "raw-out" besides.
func rawTopic(round int, kind string) string { return fmt.Sprintf("rawwc%d-counts-%s", round, kind) }

// rawWordCount is the yardstick of BenchmarkWordCountVsRaw: word count
// written by hand on franz-go, doing the work Eddy does for the word count
// topology without a store or any bookkeeping. It reads the lines, writes
// each word to the repartition topic keyed by the word (Kafka's murmur2
// partition), reads that back in the same group, counts per partition in a
// map, and writes each new count to the changelog (the partition's) and
// the output. At-least-once flushes and commits every 30 s (Eddy's
// default); exactly-once ends a GroupTransactSession transaction every
// 100 ms.
type rawWordCount struct {
	repartition string
	changelog   string
	cl          *kgo.Client
	sess        *kgo.GroupTransactSession // exactly-once
	interval    time.Duration
	counts      [4]map[string]*rawCount
	processed   atomic.Int64 // lines and words, as Eddy's Processed
	err         atomic.Pointer[error]
	promise     func(*kgo.Record, error)
}

type rawCount struct{ n, ts int64 }

// newRawWordCount makes round's raw loop: its consumer group, transactional
// id and internal topics are the round's own.
func newRawWordCount(addrs []string, round int, eos bool) (*rawWordCount, error) {
	l := &rawWordCount{repartition: rawTopic(round, "repartition"), changelog: rawTopic(round, "changelog"), interval: 30 * time.Second}
	group := fmt.Sprintf("rawwc%d", round)
	l.promise = l.done
	for i := range l.counts {
		l.counts[i] = map[string]*rawCount{}
	}
	opts := []kgo.Opt{
		kgo.SeedBrokers(addrs...), kgo.TransactionTimeout(10 * time.Second), kgo.FetchMaxPartitionBytes(128 << 10),
		kgo.FetchMaxWait(500 * time.Millisecond), kgo.MaxBufferedRecords(1_000_000),
		kgo.ConsumerGroup(group), kgo.ConsumeTopics("lines", l.repartition),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.RecordPartitioner(kgo.ManualPartitioner()),
	}
	var err error
	if eos {
		l.interval = 100 * time.Millisecond
		opts = append(opts, kgo.TransactionalID(group), kgo.FetchIsolationLevel(kgo.ReadCommitted()))
		if l.sess, err = kgo.NewGroupTransactSession(opts...); err == nil {
			l.cl = l.sess.Client()
		}
	} else {
		opts = append(opts, kgo.DisableAutoCommit())
		l.cl, err = kgo.NewClient(opts...)
	}
	return l, err
}

// done keeps the first produce error.
func (l *rawWordCount) done(_ *kgo.Record, err error) {
	if err != nil {
		e := err
		l.err.CompareAndSwap(nil, &e)
	}
}

// run polls, processes and commits until ctx ends.
func (l *rawWordCount) run(ctx context.Context) error {
	defer func() {
		if l.sess != nil {
			l.sess.Close()
		} else {
			l.cl.Close()
		}
	}()
	for ctx.Err() == nil {
		if l.sess != nil {
			if err := l.sess.Begin(); err != nil {
				return err
			}
		}
		deadline := time.Now().Add(l.interval)
		for time.Now().Before(deadline) && ctx.Err() == nil {
			pctx, cancel := context.WithDeadline(ctx, deadline)
			var fs kgo.Fetches
			if l.sess != nil {
				fs = l.sess.PollRecords(pctx, 1000)
			} else {
				fs = l.cl.PollRecords(pctx, 1000)
			}
			cancel()
			fs.EachRecord(l.process)
		}
		if p := l.err.Load(); p != nil {
			return *p
		}
		ectx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var err error
		if l.sess != nil {
			try := kgo.TryCommit
			if ctx.Err() != nil {
				try = kgo.TryAbort
			}
			_, err = l.sess.End(ectx, try)
		} else if err = l.cl.Flush(ectx); err == nil {
			err = l.cl.CommitUncommittedOffsets(ectx)
		}
		cancel()
		if err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

// process handles one record of either sub-topology.
func (l *rawWordCount) process(r *kgo.Record) {
	if r.Attrs.IsControl() {
		return
	}
	l.processed.Add(1)
	ctx := context.Background()
	if r.Topic == "lines" {
		for _, w := range strings.Fields(string(r.Value)) {
			k := []byte(w)
			l.produce(ctx, &kgo.Record{Topic: l.repartition, Partition: partition.ForKey(k, 4), Key: k, Value: k, Timestamp: r.Timestamp})
		}
		return
	}
	m := l.counts[r.Partition]
	ts := r.Timestamp.UnixMilli()
	c := m[string(r.Key)]
	if c == nil {
		c = &rawCount{ts: ts}
		m[string(r.Key)] = c
	}
	c.n++
	c.ts = max(c.ts, ts)
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(c.n))
	at := time.UnixMilli(c.ts)
	l.produce(ctx, &kgo.Record{Topic: l.changelog, Partition: r.Partition, Key: r.Key, Value: v, Timestamp: at})
	l.produce(ctx, &kgo.Record{Topic: "raw-out", Partition: partition.ForKey(r.Key, 4), Key: r.Key, Value: v, Timestamp: at})
}

func (l *rawWordCount) produce(ctx context.Context, r *kgo.Record) {
	if l.sess != nil {
		l.sess.Produce(ctx, r, l.promise)
	} else {
		l.cl.Produce(ctx, r, l.promise)
	}
}
