package runtime_test

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

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
