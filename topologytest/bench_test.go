// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/memory"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// BenchmarkWordCount measures the engine's per-record cost for word count:
// source decode, flatMapValues, repartition (serialize, route, decode),
// count in the store with changelogging, sink. One op = one input line of
// 8 words; records/s are reported per input line and per word, and so is
// the process's CPU time per word (cpu-ns/word, garbage collection
// included), which a busy machine disturbs less than the elapsed time.
func BenchmarkWordCount(b *testing.B) {
	for _, bc := range []struct {
		name    string
		backend func(b *testing.B) func(string) (state.Backend, error)
	}{
		{"memory", func(*testing.B) func(string) (state.Backend, error) {
			return func(string) (state.Backend, error) { return memory.New(), nil }
		}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			d, err := New(wordCountTopology(b), Backend(bc.backend(b)), DefaultPartitions(2))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			d.discard = true // measure the engine, not the driver's output log
			lines := benchLines(1024)
			in := d.Input("lines", serde.String(), serde.String())
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := processCPU()
			for i := range b.N {
				if err := in.PipeValue(lines[i%len(lines)]); err != nil {
					b.Fatal(err)
				}
			}
			cpu := processCPU() - cpu0
			b.StopTimer()
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)/sec, "lines/s")
			b.ReportMetric(float64(b.N*8)/sec, "words/s")
			if cpu > 0 {
				b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*8), "cpu-ns/word")
			}
		})
	}
}

// wordCountTopology is the benchmark's word count: lines → words,
// repartitioned by word, counted in store "counts", counts to
// "counts-out".
func wordCountTopology(tb testing.TB) *stream.Topology {
	sb := stream.NewBuilder()
	sb.Stream("lines", serde.String(), serde.String()).
		FlatMapValues(strings.Fields).
		GroupBy(func(_, w string) string { return w }, serde.String()).
		Count(table.As("counts")).
		ToStream().To("counts-out", nil, nil)
	topo, err := sb.Build()
	if err != nil {
		tb.Fatal(err)
	}
	return topo
}

// benchLines returns n lines of 8 words each, of a vocabulary of 5000.
func benchLines(n int) []string {
	lines := make([]string, n)
	for i := range lines {
		var sbuf strings.Builder
		for j := range 8 {
			fmt.Fprintf(&sbuf, "w%d ", (i*7+j*131)%5000)
		}
		lines[i] = sbuf.String()
	}
	return lines
}
