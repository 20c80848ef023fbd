// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	goruntime "runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
)

// workerFlags are shared by the hidden "worker" (Eddy), "raw" and "raw-ks"
// (franz-go loops) subcommands, which the harness starts as child processes.
type workerFlags struct {
	brokers, scenario, guarantee, appID, prefix, stateDir string
	cpuProfile, memProfile                                string
	commit                                                time.Duration
	// Eddy only: the record cache at its default size (Config.CacheMaxBytes
	// 0) instead of none
	recordCache bool
	// franz-go fetch buffering (Eddy: Config.ClientOptions); 0 = default
	fetchMaxBytes, fetchMaxPartBytes, maxConcurrentFetches int
}

func parseWorkerFlags(name string, args []string) workerFlags {
	var f workerFlags
	fs := flag.NewFlagSet(name, flag.ExitOnError)
	fs.StringVar(&f.brokers, "brokers", "127.0.0.1:9092", "bootstrap servers")
	fs.StringVar(&f.scenario, "scenario", scenWordCount, strings.Join(append(allScenarios, scenRestore), "|"))
	fs.StringVar(&f.guarantee, "guarantee", "alos", "alos|eos")
	fs.StringVar(&f.appID, "app-id", "", "application id / consumer group")
	fs.StringVar(&f.prefix, "topic-prefix", "", "prefix of user topics")
	fs.StringVar(&f.stateDir, "state-dir", os.TempDir(), "state directory")
	fs.DurationVar(&f.commit, "commit-interval", 100*time.Millisecond, "commit interval")
	fs.BoolVar(&f.recordCache, "record-cache", false, "worker: run with Eddy's record cache at its default size (Config.CacheMaxBytes 0) instead of runtime.NoCache")
	fs.StringVar(&f.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole process life to this file")
	fs.StringVar(&f.memProfile, "memprofile", "", "write a heap profile to this file when the heap peaks, and one of all allocations to FILE.allocs at exit")
	fs.IntVar(&f.fetchMaxBytes, "fetch-max-bytes", 0, "kgo.FetchMaxBytes (0: franz-go's default, 50 MiB)")
	fs.IntVar(&f.fetchMaxPartBytes, "fetch-max-partition-bytes", 0, "kgo.FetchMaxPartitionBytes (0: franz-go's default, 1 MiB)")
	fs.IntVar(&f.maxConcurrentFetches, "max-concurrent-fetches", 0, "kgo.MaxConcurrentFetches (0: franz-go's default, unbounded)")
	fs.Parse(args)
	if f.appID == "" {
		fmt.Fprintln(os.Stderr, name+": -app-id is required")
		os.Exit(2)
	}
	return f
}

// announce prints the line the harness waits for, as the Java reference does.
func announce(state string) {
	stdoutLine(fmt.Sprintf("STATE %s %d", state, time.Now().UnixMilli()))
}

var stdoutMu sync.Mutex

func stdoutLine(s string) {
	stdoutMu.Lock()
	defer stdoutMu.Unlock()
	fmt.Println(s)
}

// reportAllocsOnSignal answers SIGUSR1 with a stdout line of the process's
// cumulative heap allocations so far (runtime/metrics: objects, tiny ones
// included, and bytes):
//
//	STATS ALLOCS <objects> <bytes>
//
// The harness asks at RUNNING and at lag 0; the difference is the
// allocations of the measured drain. "STATS READY" tells it the handler
// is installed (a SIGUSR1 before that would kill the process).
func reportAllocsOnSignal() {
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGUSR1)
	go func() {
		samples := []metrics.Sample{
			{Name: "/gc/heap/allocs:objects"},
			{Name: "/gc/heap/tiny/allocs:objects"},
			{Name: "/gc/heap/allocs:bytes"},
		}
		for range sig {
			metrics.Read(samples)
			var v [3]uint64
			for i, s := range samples {
				if s.Value.Kind() == metrics.KindUint64 {
					v[i] = s.Value.Uint64()
				}
			}
			stdoutLine(fmt.Sprintf("STATS ALLOCS %d %d", v[0]+v[1], v[2]))
		}
	}()
	stdoutLine("STATS READY")
}

// startProfiles starts the CPU profile and the heap-peak sampler the flags
// ask for; the returned function stops them and writes the files.
func startProfiles(f workerFlags) (stop func()) {
	var stops []func()
	if f.cpuProfile != "" {
		if file, err := os.Create(f.cpuProfile); err != nil {
			fmt.Fprintln(os.Stderr, "cpuprofile:", err)
		} else if err := pprof.StartCPUProfile(file); err != nil {
			fmt.Fprintln(os.Stderr, "cpuprofile:", err)
			file.Close()
		} else {
			stops = append(stops, func() { pprof.StopCPUProfile(); file.Close() })
		}
	}
	if f.memProfile != "" {
		done := make(chan struct{})
		finished := make(chan struct{})
		// Every 100 ms: when the heap in use exceeds the last written peak
		// by 10 %, write a heap profile (the last one written is the one
		// nearest the peak).
		go func() {
			defer close(finished)
			var peak, written, peakSys uint64
			var ms goruntime.MemStats
			tick := time.NewTicker(100 * time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-done:
					if written == 0 {
						writeHeapProfile(f.memProfile)
					}
					writeHeapProfile(f.memProfile + ".allocs")
					// For the report: the Go heap's peak next to the
					// process's peak RSS.
					goruntime.ReadMemStats(&ms)
					hwm := int64(0)
					if b, err := os.ReadFile("/proc/self/status"); err == nil {
						hwm, _ = parseStatusKB(string(b), "VmHWM")
					}
					stdoutLine(fmt.Sprintf("MEMSTATS peak_heap_inuse=%d peak_heap_sys=%d sys=%d num_gc=%d gc_cpu_fraction=%.4f vm_hwm=%d total_alloc=%d",
						peak, peakSys, ms.Sys, ms.NumGC, ms.GCCPUFraction, hwm, ms.TotalAlloc))
					return
				case <-tick.C:
				}
				goruntime.ReadMemStats(&ms)
				peak, peakSys = max(peak, ms.HeapInuse), max(peakSys, ms.HeapSys-ms.HeapReleased)
				if ms.HeapInuse > written+written/10 {
					written = ms.HeapInuse
					writeHeapProfile(f.memProfile)
				}
			}
		}()
		stops = append(stops, func() { close(done); <-finished })
	}
	return func() {
		for _, s := range stops {
			s()
		}
	}
}

func writeHeapProfile(path string) {
	file, err := os.Create(path + ".tmp")
	if err != nil {
		fmt.Fprintln(os.Stderr, "memprofile:", err)
		return
	}
	err = pprof.Lookup("heap").WriteTo(file, 0)
	if cerr := file.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(path+".tmp", path)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "memprofile:", err)
	}
}

// clientOptions are the franz-go options the fetch flags ask for.
func (f workerFlags) clientOptions() []kgo.Opt {
	var opts []kgo.Opt
	if f.fetchMaxBytes > 0 {
		opts = append(opts, kgo.FetchMaxBytes(int32(f.fetchMaxBytes)))
	}
	if f.fetchMaxPartBytes > 0 {
		opts = append(opts, kgo.FetchMaxPartitionBytes(int32(f.fetchMaxPartBytes)))
	}
	if f.maxConcurrentFetches > 0 {
		opts = append(opts, kgo.MaxConcurrentFetches(f.maxConcurrentFetches))
	}
	return opts
}

// runEddyWorker runs runtime.App with the scenario topology until SIGTERM.
func runEddyWorker(args []string) int {
	f := parseWorkerFlags("worker", args)
	defer startProfiles(f)()
	reportAllocsOnSignal()
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, os.Interrupt)
	defer stop()
	if err := eddyWorker(ctx, f, announce); err != nil {
		fmt.Fprintln(os.Stderr, "eddy worker:", err)
		return 1
	}
	return 0
}

// eddyWorker runs runtime.App with f's scenario topology until ctx ends;
// state is called with the name of every state the app enters. The record
// cache is off (runtime.NoCache) unless f.recordCache.
func eddyWorker(ctx context.Context, f workerFlags, state func(string)) error {
	topo, err := topology(f.scenario, f.prefix)
	if err != nil {
		return err
	}
	g := runtime.AtLeastOnce
	if f.guarantee == "eos" {
		g = runtime.ExactlyOnce
	}
	// Like Java (--cache-bytes 0) and raw-ks: every update written and
	// sent, so the three do the same work.
	cache := runtime.NoCache
	if f.recordCache {
		cache = 0 // Eddy's default size
	}
	app, err := runtime.New(topo, runtime.Config{
		ClientOptions:  f.clientOptions(),
		AppID:          f.appID,
		Brokers:        strings.Split(f.brokers, ","),
		StateDir:       f.stateDir,
		Guarantee:      g,
		CommitInterval: f.commit,
		CacheMaxBytes:  cache,
		Logger:         slog.New(restoreReporter{slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})}),
		StateListener: func(_, s runtime.State) {
			state(s.String())
		},
	})
	if err != nil {
		return err
	}
	err = app.Run(ctx)
	m := app.Metrics()
	var processed int64
	for _, n := range m.Processed {
		processed += n
	}
	fmt.Fprintf(os.Stderr, "eddy worker: processed %d, dropped %v, commits %d, restored %d\n", processed, m.Dropped, m.Commits, m.Restored)
	if err != nil && ctx.Err() == nil {
		return err
	}
	return nil
}

// restoreReporter passes warnings and errors to the inner handler and turns
// the runtime's "restored task state" log record (task, records, took) into
// a stdout line for the harness:
//
//	RESTORED <task> <records> <took-ms> <epoch-ms>
//
// Eddy restores a worker's tasks one after another, so the restore of a
// task started at epoch-ms − took-ms.
type restoreReporter struct{ inner slog.Handler }

func (h restoreReporter) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h restoreReporter) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == "restored task state" {
		task, records, took := "?", int64(-1), time.Duration(-1)
		r.Attrs(func(a slog.Attr) bool {
			switch a.Key {
			case "task":
				task = a.Value.String()
			case "records":
				if a.Value.Kind() == slog.KindInt64 {
					records = a.Value.Int64()
				}
			case "took":
				if a.Value.Kind() == slog.KindDuration {
					took = a.Value.Duration()
				}
			}
			return true
		})
		stdoutLine(fmt.Sprintf("RESTORED %s %d %d %d", task, records, took.Milliseconds(), r.Time.UnixMilli()))
	}
	if r.Level >= slog.LevelWarn && h.inner.Enabled(ctx, r.Level) {
		return h.inner.Handle(ctx, r)
	}
	return nil
}

func (h restoreReporter) WithAttrs(as []slog.Attr) slog.Handler {
	return restoreReporter{h.inner.WithAttrs(as)}
}

func (h restoreReporter) WithGroup(name string) slog.Handler {
	return restoreReporter{h.inner.WithGroup(name)}
}
