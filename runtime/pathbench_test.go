// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"fmt"
	"log/slog"
	goruntime "runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state/memory"
	"github.com/eddy-streams/eddy/stream"
)

// asyncProducer stands in for franz-go in benchmarks: it runs the promises
// of the records it is given on another goroutine, in batches, as the
// client does once their produce request returned.
type asyncProducer struct {
	batch []*kgo.Record
	proms []func(*kgo.Record, error)
	ch    chan asyncBatch
	done  chan struct{}
}

type asyncBatch struct {
	recs  []*kgo.Record
	proms []func(*kgo.Record, error)
}

func newAsyncProducer() *asyncProducer {
	p := &asyncProducer{ch: make(chan asyncBatch, 64), done: make(chan struct{})}
	go func() {
		defer close(p.done)
		for b := range p.ch {
			for i, r := range b.recs {
				b.proms[i](r, nil)
			}
		}
	}()
	return p
}

func (p *asyncProducer) Produce(_ context.Context, r *kgo.Record, promise func(*kgo.Record, error)) {
	p.batch = append(p.batch, r)
	p.proms = append(p.proms, promise)
	if len(p.batch) == 256 {
		p.flush()
	}
}

func (p *asyncProducer) flush() {
	if len(p.batch) > 0 {
		p.ch <- asyncBatch{p.batch, p.proms}
		p.batch, p.proms = nil, nil
	}
}

func (p *asyncProducer) close() { p.flush(); close(p.ch); <-p.done }

// BenchmarkStatelessPath measures the worker's per-record path of the
// stateless benchmark scenario (filter, mapValues, to) without a broker:
// buffering polled records in their tasks' partition groups, processing
// them, and the collector handing the output to a producer whose promises
// run on another goroutine. One op is one poll of 1000 records from 4
// partitions; ns/record is the figure to compare.
func BenchmarkStatelessPath(b *testing.B) {
	const in, out, parts, perPart = "lines", "upper", 4, 250
	sb := stream.NewBuilder()
	sb.Stream(in, serde.String(), serde.String()).
		Filter(func(_, v string) bool { return len(v) >= 12 }).
		MapValues(strings.ToUpper).
		To(out, serde.String(), serde.String())
	st, err := sb.Build()
	if err != nil {
		b.Fatal(err)
	}
	topo, _ := topology.Of(st)
	cfg := Config{AppID: "bench", Logger: slog.New(slog.DiscardHandler)}
	cfg.applyDefaults()
	a := &App{cfg: cfg, topo: topo, log: cfg.Logger,
		parts: &partitionCache{counts: map[string]int32{out: parts}, limits: map[string]int{out: 1 << 20}},
		plan:  &topicPlan{subOf: map[string]int{in: 0}}}
	prod := newAsyncProducer()
	defer prod.close()
	w := &worker{app: a, log: a.log, tasks: map[engine.TaskID]*activeTask{}, lag: map[string]int64{}}
	w.lags = newInputLag(nil, w.log)
	w.coll = newCollector(context.Background(), prod, a.parts, nil)
	for p := range int32(parts) {
		id := engine.TaskID{Subtopology: 0, Partition: p}
		t, err := engine.NewTask(engine.Config{AppID: a.cfg.AppID, ID: id, Spec: topo.Spec(0, a.cfg.AppID),
			Backend: memory.New(), Collector: w.coll, OnError: a.cfg.errorHandler(), Logger: a.log})
		if err != nil {
			b.Fatal(err)
		}
		pg := newPartitionGroup([]string{in}, p, -1, w.lags.of, &w.enforced)
		w.tasks[id] = &activeTask{Task: t, in: pg}
	}
	// Lines as in the harness: a third too short to keep.
	fs := kgo.Fetches{{Topics: []kgo.FetchTopic{{Topic: in}}}}
	recs := make([][]*kgo.Record, parts)
	for p := range parts {
		for i := range perPart {
			v := fmt.Sprintf("line %d of partition %d with some words", i, p)
			if i%3 == 0 {
				v = v[:8]
			}
			recs[p] = append(recs[p], &kgo.Record{Topic: in, Partition: int32(p), Key: fmt.Appendf(nil, "k%d", i),
				Value: []byte(v), Timestamp: time.UnixMilli(int64(1e12 + i))})
		}
	}
	for p := range parts {
		fs[0].Topics[0].Partitions = append(fs[0].Topics[0].Partitions, kgo.FetchPartition{Partition: int32(p), HighWatermark: 1 << 40})
	}
	b.ReportAllocs()
	var ms0, ms1 goruntime.MemStats
	goruntime.ReadMemStats(&ms0)
	cpu0 := rusageCPU()
	b.ResetTimer()
	for n := range b.N {
		for p := range parts {
			rs := recs[p]
			for i, r := range rs {
				r.Offset = int64(n*perPart + i)
			}
			fs[0].Topics[0].Partitions[p].Records = rs
		}
		if err := w.buffer(fs); err != nil {
			b.Fatal(err)
		}
		if err := w.processBuffered(); err != nil {
			b.Fatal(err)
		}
		if n%100 == 99 { // a commit: franz-go's Flush, then settle
			prod.flush()
			if err := w.coll.settle(context.Background()); err != nil {
				b.Fatal(err)
			}
			w.coll.committedCycle()
		}
	}
	b.StopTimer()
	cpu := rusageCPU() - cpu0
	goruntime.ReadMemStats(&ms1)
	recsDone := float64(b.N * parts * perPart)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/recsDone, "ns/record")
	// CPU time of the process (the promises' goroutine and the garbage
	// collector included): steadier than wall time on a shared machine.
	b.ReportMetric(float64(cpu.Nanoseconds())/recsDone, "cpu-ns/record")
	b.ReportMetric(float64(ms1.NumGC-ms0.NumGC)*1e6/recsDone, "GCs/1M-records")
}

// rusageCPU returns the CPU time (user and system) the process used.
func rusageCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
