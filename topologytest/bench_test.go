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
// 8 words; records/s are reported per input line and per word.
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
			sb := stream.NewBuilder()
			sb.Stream("lines", serde.String(), serde.String()).
				FlatMapValues(strings.Fields).
				GroupBy(func(_, w string) string { return w }, serde.String()).
				Count(table.As("counts")).
				ToStream().To("counts-out", nil, nil)
			topo, err := sb.Build()
			if err != nil {
				b.Fatal(err)
			}
			d, err := New(topo, Backend(bc.backend(b)), DefaultPartitions(2))
			if err != nil {
				b.Fatal(err)
			}
			defer d.Close()
			d.discard = true // measure the engine, not the driver's output log
			lines := make([]string, 1024)
			for i := range lines {
				var sbuf strings.Builder
				for j := range 8 {
					fmt.Fprintf(&sbuf, "w%d ", (i*7+j*131)%5000)
				}
				lines[i] = sbuf.String()
			}
			in := d.Input("lines", serde.String(), serde.String())
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				if err := in.PipeValue(lines[i%len(lines)]); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			sec := b.Elapsed().Seconds()
			b.ReportMetric(float64(b.N)/sec, "lines/s")
			b.ReportMetric(float64(b.N*8)/sec, "words/s")
		})
	}
}
