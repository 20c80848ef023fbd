// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	goruntime "runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
)

// BenchmarkRestoreWhileProcessing restores a large store while the same
// worker's other task keeps processing. A keyed count runs on a 2-partition
// input with one worker (both tasks on it); the changelog of task 0_0 holds
// `keys` distinct keys, that of 0_1 a hundred. Per size it measures:
//
//   - an interrupted restore: an instance on a fresh state directory is
//     stopped once it restored half the changelog, and a second one on the
//     same directory restores only the rest (resumed-frac = what the second
//     restored / changelog records); a sample of keys is checked afterwards.
//     restore-alone-rec/s is the first run's rate, with nothing else to do.
//   - a restore on a fresh state directory while input is produced to
//     partition 1 as fast as task 0_1 takes it (at most 20,000 records
//     ahead): restore-s and restore-rec/s; the records/s task 0_1
//     processed during the restore (from its first record on; left out
//     when that leaves less than 250 ms) and in the seconds after it, and
//     their ratio (during/after); how long after the restore began task
//     0_1 processed its first record (p01-first-ms: it restores its own
//     small changelog first); the resident set size of this process (the
//     broker runs in another) before the restore (base-RSS-MB), its peak
//     during the restore (peak-RSS-MB, VmHWM reset before the restore) and
//     the difference (RSS-growth-MB); the
//     peak of the Go heap's objects during the restore (garbage included),
//     and, at the end of the restore after a collection, the live heap
//     (live-heap-MB) and the resident memory outside the Go heap
//     (nonGo-RSS-MB: with cgo, Pebble allocates its block cache, at most
//     64 MB shared, and its memtables in C).
//
// The sizes (distinct keys of the large changelog) come from
// EDDY_BENCH_RESTORE_KEYS, comma-separated, default 50000. The work does not
// depend on b.N; run it with -benchtime=1x, e.g.
//
//	EDDY_BENCH_RESTORE_KEYS=250000,500000,1000000 go test -run '^$' \
//	    -bench RestoreWhileProcessing -benchtime 1x ./runtime
//
// Each size runs on a broker of its own, in a child process (the test
// binary again, see TestRestoreBenchBroker), so that the memory figures are
// the instance's, not the broker's copy of the topics. For RSS figures that
// do not carry over from one size to the next, run one size per process.
func BenchmarkRestoreWhileProcessing(b *testing.B) {
	sizes := []int{50_000}
	if env := os.Getenv("EDDY_BENCH_RESTORE_KEYS"); env != "" {
		sizes = sizes[:0]
		for _, f := range strings.Split(env, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 2 {
				b.Fatalf("EDDY_BENCH_RESTORE_KEYS: %q is not a number of keys", f)
			}
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("keys=%d", n), func(b *testing.B) { benchRestoreWhileProcessing(b, n) })
	}
}

func benchRestoreWhileProcessing(b *testing.B, keys int) {
	const (
		small   = 100    // changelog records of task 0_1
		backlog = 20_000 // how far the producer may run ahead of task 0_1
		batch   = 1_000  // records per produce
		feeds   = 10_000 // distinct keys of the input to partition 1
	)
	// The broker runs in a process of its own: what this one holds
	// resident is the instance's (and the clients').
	c := arClusterAt(b, arBrokerProcess(b), 2)
	arLoad(b, c, 0, "a", keys, keys, 0)
	arLoad(b, c, 1, "b", small, small, 0)
	topo := arTopology(b)
	cfg := func(dir string) runtime.Config {
		return runtime.Config{AppID: arApp, Brokers: c.addrs, StateDir: dir, Workers: 1,
			CommitInterval: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)}
	}
	wait := func(what string, timeout time.Duration, cond func() bool) {
		b.Helper()
		deadline := time.Now().Add(timeout)
		for !cond() {
			if time.Now().After(deadline) {
				b.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}

	// An interrupted restore, resumed.
	dir := b.TempDir()
	r := arStartBench(b, topo, cfg(dir))
	var began time.Time
	wait("half the restore", 10*time.Minute, func() bool {
		m := r.app.Metrics()
		if began.IsZero() && m.RestoreRemaining > 0 {
			began = time.Now()
		}
		return m.Restored >= int64(keys/2)
	})
	alone := float64(r.app.Metrics().Restored) / time.Since(began).Seconds()
	r.stop(b)
	first := r.app.Metrics().Restored
	r = arStartBench(b, topo, cfg(dir))
	wait("the resumed restore", 10*time.Minute, func() bool { return r.app.State() == runtime.Running })
	second := r.app.Metrics().Restored
	if second >= int64(keys) || first+second < int64(keys+small) {
		b.Fatalf("restore stopped after %d records, resumed with %d: want the rest of %d", first, second, keys+small)
	}
	want := map[string]int64{}
	var probe []string
	for i := 0; i < keys; i += max(1, keys/200) {
		probe = append(probe, arKey("a", i))
		want[arKey("a", i)] = arLoaded(i, keys, keys) + 1
	}
	from := arEndOffsets(b, c, "out")
	arInput(b, c, 0, probe...)
	got := arReadOut(b, c, from, func(got map[string]int64) bool { return mapsEqual(got, want) }, time.Minute)
	if !mapsEqual(got, want) {
		b.Fatalf("state after the resumed restore: %d of %d sampled keys right", arMatching(got, want), len(want))
	}
	r.stop(b)

	// A restore while task 0_1 processes.
	var processed atomic.Int64 // task 0_1, as last sampled
	prod := arClient(b, c)
	defer prod.Close()
	var sent int64
	next := 0
	produce := func() {
		rs := make([]*kgo.Record, batch)
		for i := range rs {
			rs[i] = &kgo.Record{Topic: "in", Partition: 1, Key: []byte(arKey("b", next%feeds)), Value: []byte("x")}
			next++
		}
		if err := prod.ProduceSync(context.Background(), rs...).FirstErr(); err != nil {
			b.Error(err)
		}
		sent += batch
	}
	for sent < backlog {
		produce()
	}
	stopFeed := make(chan struct{})
	var feed sync.WaitGroup
	feed.Go(func() {
		for {
			select {
			case <-stopFeed:
				return
			default:
			}
			if sent-processed.Load() >= backlog {
				time.Sleep(time.Millisecond)
				continue
			}
			produce()
		}
	})

	debug.FreeOSMemory()
	baseRSS, _ := arProcStatus("VmRSS")
	baseHeap := arHeapObjects()
	resetHWM := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil // VmHWM := VmRSS
	r = arStartBench(b, topo, cfg(b.TempDir()))
	type sample struct {
		at        time.Time
		processed int64 // by task 0_1
	}
	var (
		samples          []sample
		start, end       time.Time
		peakRSS, rssHWM  int64
		peakHeap         uint64
		liveHeap         uint64
		cRSS             int64
		firstProcessed   time.Time
		restoredAtFinish int64
	)
	for {
		now := time.Now()
		m := r.app.Metrics()
		running := r.app.State() == runtime.Running
		processed.Store(m.Processed["0_1"])
		samples = append(samples, sample{now, m.Processed["0_1"]})
		if start.IsZero() && m.RestoreRemaining > 0 {
			start = now
		}
		if firstProcessed.IsZero() && m.Processed["0_1"] > 0 {
			firstProcessed = now
		}
		if end.IsZero() {
			if rss, ok := arProcStatus("VmRSS"); ok {
				peakRSS = max(peakRSS, rss)
			}
			peakHeap = max(peakHeap, arHeapObjects())
			if !start.IsZero() && running {
				end, restoredAtFinish = now, m.Restored
				if resetHWM {
					rssHWM, _ = arProcStatus("VmHWM")
				}
				// What stays once the garbage is collected: the live Go
				// heap, and the resident memory outside it (Pebble's
				// block cache and memtables are allocated in C).
				goruntime.GC()
				liveHeap = arHeapObjects()
				if rss, ok := arProcStatus("VmRSS"); ok {
					cRSS = rss - int64(arGoResident())
				}
			}
		}
		if !end.IsZero() && now.Sub(end) > max(3*time.Second, min(end.Sub(start), 10*time.Second))+300*time.Millisecond {
			break
		}
		if start.IsZero() && now.Sub(samples[0].at) > time.Minute || now.Sub(samples[0].at) > 30*time.Minute {
			b.Fatal("the restore did not start or end")
		}
		time.Sleep(10 * time.Millisecond)
	}
	close(stopFeed)
	feed.Wait()
	r.stop(b)

	// Task 0_1's rate over [from, to]: processed records between the
	// samples closest to the bounds.
	rate := func(from, to time.Time) float64 {
		var a, z *sample
		for i := range samples {
			s := &samples[i]
			if a == nil && !s.at.Before(from) {
				a = s
			}
			if !s.at.After(to) {
				z = s
			}
		}
		if a == nil || z == nil || !z.at.After(a.at) {
			return 0
		}
		return float64(z.processed-a.processed) / z.at.Sub(a.at).Seconds()
	}
	took := end.Sub(start)
	since := start // task 0_1's rate from when it got going
	if firstProcessed.After(since) {
		since = firstProcessed
	}
	during := rate(since, end)
	settle := end.Add(300 * time.Millisecond)
	after := rate(settle, settle.Add(max(3*time.Second, min(took, 10*time.Second))))
	if rssHWM > 0 {
		peakRSS = max(peakRSS, rssHWM)
	}
	const mb = 1 << 20
	b.ReportMetric(took.Seconds(), "restore-s")
	b.ReportMetric(float64(restoredAtFinish)/took.Seconds(), "restore-rec/s")
	b.ReportMetric(alone, "restore-alone-rec/s")
	// Task 0_1 has a (tiny) restore of its own first; with a restore of
	// 0_0 shorter than that there is no "during" to measure.
	if end.Sub(since) >= 250*time.Millisecond {
		b.ReportMetric(during, "p01-during-rec/s")
		if after > 0 {
			b.ReportMetric(during/after, "during/after")
		}
	}
	b.ReportMetric(after, "p01-after-rec/s")
	if !firstProcessed.IsZero() {
		b.ReportMetric(float64(firstProcessed.Sub(start).Milliseconds()), "p01-first-ms")
	}
	b.ReportMetric(float64(baseRSS)/mb, "base-RSS-MB")
	b.ReportMetric(float64(peakRSS)/mb, "peak-RSS-MB")
	b.ReportMetric(float64(peakRSS-baseRSS)/mb, "RSS-growth-MB")
	b.ReportMetric(float64(baseHeap)/mb, "base-heap-MB")
	b.ReportMetric(float64(peakHeap)/mb, "peak-heap-MB")
	b.ReportMetric(float64(liveHeap)/mb, "live-heap-MB")
	b.ReportMetric(float64(cRSS)/mb, "nonGo-RSS-MB")
	b.ReportMetric(float64(first), "interrupted-at")
	b.ReportMetric(float64(second), "resumed-restored")
	b.ReportMetric(float64(second)/float64(keys+small), "resumed-frac")
	b.Logf("timeline: run→restore start %v, →task 0_1 first processed %v, →restore end %v",
		start.Sub(samples[0].at).Round(time.Millisecond), firstProcessed.Sub(samples[0].at).Round(time.Millisecond), end.Sub(samples[0].at).Round(time.Millisecond))
	b.Logf("keys=%d: restore %v (%d records), task 0_1 %.0f rec/s during, %.0f after; RSS %d MB → peak %d MB (VmHWM reset: %v); interrupted at %d, resumed with %d",
		keys, took.Round(time.Millisecond), restoredAtFinish, during, after, baseRSS/mb, peakRSS/mb, resetHWM, first, second)
}

// arRun is an instance running in the background.
type arRun struct {
	app    *runtime.App
	cancel context.CancelFunc
	done   chan error
}

func arStartBench(tb testing.TB, topo *stream.Topology, cfg runtime.Config) *arRun {
	tb.Helper()
	app, err := runtime.New(topo, cfg)
	require.NoError(tb, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &arRun{app: app, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- app.Run(ctx) }()
	return r
}

// stop cancels the instance, as startApp's stop does, and closes it.
func (r *arRun) stop(tb testing.TB) {
	tb.Helper()
	r.cancel()
	require.NoError(tb, <-r.done)
	require.NoError(tb, r.app.Close(context.Background()))
}

// arEndOffsets returns the end offset of each partition of topic.
func arEndOffsets(tb testing.TB, c *cluster, topic string) map[int32]kgo.Offset {
	tb.Helper()
	ends, err := c.adm.ListEndOffsets(context.Background(), topic)
	require.NoError(tb, err)
	out := map[int32]kgo.Offset{}
	ends.Each(func(o kadm.ListedOffset) {
		out[o.Partition] = kgo.NewOffset().At(o.Offset)
	})
	return out
}

// arReadOut reads "out" (int64 values) from the offsets from until done
// holds for the latest value of every key read, or timeout passes.
func arReadOut(tb testing.TB, c *cluster, from map[int32]kgo.Offset, done func(map[string]int64) bool, timeout time.Duration) map[string]int64 {
	tb.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{"out": from}))
	require.NoError(tb, err)
	defer cl.Close()
	got := map[string]int64{}
	deadline := time.Now().Add(timeout)
	for !done(got) && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			v, err := serde.Int64().Deserialize("out", r.Value)
			require.NoError(tb, err)
			got[string(r.Key)] = v
		})
	}
	return got
}

func arMatching(got, want map[string]int64) int {
	n := 0
	for k, v := range want {
		if g, ok := got[k]; ok && g == v {
			n++
		}
	}
	return n
}

// arProcStatus returns a size field of /proc/self/status ("VmRSS",
// "VmHWM") in bytes.
func arProcStatus(field string) (int64, bool) {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || name != field {
			continue
		}
		fs := strings.Fields(rest)
		if len(fs) != 2 || fs[1] != "kB" {
			return 0, false
		}
		n, err := strconv.ParseInt(fs[0], 10, 64)
		return n << 10, err == nil
	}
	return 0, false
}

// arGoResident estimates the memory the Go runtime holds resident: what it
// mapped less what it returned to the OS.
func arGoResident() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/total:bytes"}, {Name: "/memory/classes/heap/released:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 || s[1].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64() - s[1].Value.Uint64()
}

// arHeapObjects is the memory of live and unswept heap objects.
func arHeapObjects() uint64 {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// arBrokerProcess starts an embedded broker in a child process, the test
// binary running TestRestoreBenchBroker, and returns its addresses. The
// child ends when its standard input closes: at the end of the benchmark,
// or with this process.
func arBrokerProcess(tb testing.TB) []string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestRestoreBenchBroker$", "-test.count=1", "-test.timeout=0")
	cmd.Env = append(os.Environ(), arBrokerEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	require.NoError(tb, err)
	stdout, err := cmd.StdoutPipe()
	require.NoError(tb, err)
	require.NoError(tb, cmd.Start())
	exited := make(chan struct{})
	tb.Cleanup(func() {
		stdin.Close()
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	addrs := make(chan []string, 1)
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), arBrokerEnv+" "); ok {
				addrs <- strings.Split(a, ",")
			}
		}
		_ = cmd.Wait()
	}()
	select {
	case a := <-addrs:
		return a
	case <-exited:
	case <-time.After(time.Minute):
	}
	tb.Fatal("the broker process did not start")
	return nil
}

const arBrokerEnv = "EDDY_RESTORE_BENCH_BROKER"

// TestRestoreBenchBroker is no test: BenchmarkRestoreWhileProcessing runs
// the test binary with it to host its broker (arBrokerProcess).
func TestRestoreBenchBroker(t *testing.T) {
	if os.Getenv(arBrokerEnv) != "1" {
		t.Skip("the broker process of BenchmarkRestoreWhileProcessing")
	}
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	defer c.Close()
	fmt.Printf("%s %s\n", arBrokerEnv, strings.Join(c.ListenAddrs(), ","))
	_, _ = io.Copy(io.Discard, os.Stdin) // until the benchmark ends
}
