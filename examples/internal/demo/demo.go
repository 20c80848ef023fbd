// Package demo holds what the example programs share: command-line flags,
// creating topics, producing sample input, and reading the output back
// read_committed until it is complete.
package demo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/stream"
)

// Flags are the options every example accepts.
type Flags struct {
	Brokers     string
	KeepRunning bool
	ExactlyOnce bool
	StateDir    string
	Partitions  int
	Verbose     bool
}

// Parse reads the flags from the command line.
func Parse() Flags {
	var f Flags
	flag.StringVar(&f.Brokers, "brokers", "", "comma-separated bootstrap servers (default: an embedded in-memory broker, data lost at exit)")
	flag.BoolVar(&f.KeepRunning, "keep-running", false, "keep processing after the sample input until interrupted")
	flag.BoolVar(&f.ExactlyOnce, "eos", false, "exactly-once processing (default at-least-once)")
	flag.StringVar(&f.StateDir, "state-dir", "", "state directory (default: a fresh temporary directory)")
	flag.IntVar(&f.Partitions, "partitions", 4, "partitions of the topics the example creates")
	flag.BoolVar(&f.Verbose, "v", false, "log at info level")
	flag.Parse()
	return f
}

// Config builds the runtime configuration for app from the flags.
func (f Flags) Config(app string) (runtime.Config, func(), error) {
	cfg := runtime.Config{AppID: app, CommitInterval: 200 * time.Millisecond}
	if f.Brokers != "" {
		cfg.Brokers = strings.Split(f.Brokers, ",")
	} else {
		// No -brokers: ask for the embedded broker by name; the
		// runtime warns that its data is lost at exit.
		cfg.EmbeddedBroker = true
	}
	if f.ExactlyOnce {
		cfg.Guarantee = runtime.ExactlyOnce
		cfg.CommitInterval = 0
	}
	level := slog.LevelWarn
	if f.Verbose {
		level = slog.LevelInfo
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	cleanup := func() {}
	cfg.StateDir = f.StateDir
	if cfg.StateDir == "" {
		dir, err := os.MkdirTemp("", app+"-state-")
		if err != nil {
			return cfg, nil, err
		}
		cfg.StateDir, cleanup = dir, func() { os.RemoveAll(dir) }
	}
	return cfg, cleanup, nil
}

// CreateTopics creates the topics with n partitions unless they exist.
func CreateTopics(ctx context.Context, brokers []string, n int32, topics ...string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	for _, t := range topics {
		if _, err := adm.CreateTopic(ctx, n, -1, nil, t); err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			return fmt.Errorf("create topic %s: %w", t, err)
		}
	}
	return nil
}

// Produce writes the records synchronously.
func Produce(ctx context.Context, brokers []string, rs ...*kgo.Record) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		return err
	}
	defer cl.Close()
	return cl.ProduceSync(ctx, rs...).FirstErr()
}

// ReadUntil reads topic read_committed from the start, calling apply for
// each record, until done reports true or ctx ends.
func ReadUntil(ctx context.Context, brokers []string, topic string, apply func(*kgo.Record), done func() bool) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		return err
	}
	defer cl.Close()
	for !done() {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("reading %s: %w", topic, err)
		}
		fs.EachRecord(apply)
	}
	return nil
}

// Run starts app with the topology, calls check once it runs (to produce
// input and wait for output), then stops it — or, with -keep-running,
// keeps it running until SIGINT/SIGTERM, logging progress.
func Run(f Flags, app *runtime.App, check func(ctx context.Context) error) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	runCtx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- app.Run(runCtx) }()
	cctx, ccancel := context.WithTimeout(ctx, time.Minute)
	err := check(cctx)
	ccancel()
	if err == nil && f.KeepRunning {
		fmt.Fprintln(os.Stderr, "running; interrupt to stop")
		t := time.NewTicker(10 * time.Second)
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case <-t.C:
				m := app.Metrics()
				var n int64
				for _, v := range m.Processed {
					n += v
				}
				fmt.Fprintf(os.Stderr, "processed %d records in %d tasks, %d commits (mean %v)\n", n, len(m.Processed), m.Commits, m.CommitLatency)
			}
		}
		t.Stop()
	}
	cancel()
	runErr := <-errc
	closeCtx, ccancel2 := context.WithTimeout(context.Background(), 30*time.Second)
	defer ccancel2()
	return errors.Join(err, runErr, app.Close(closeCtx))
}

// New builds the topology and the application instance.
func New(f Flags, app string, build func() (*stream.Topology, error), adjust ...func(*runtime.Config)) (*runtime.App, func(), error) {
	topo, err := build()
	if err != nil {
		return nil, nil, err
	}
	cfg, cleanup, err := f.Config(app)
	if err != nil {
		return nil, nil, err
	}
	for _, fn := range adjust {
		fn(&cfg)
	}
	a, err := runtime.New(topo, cfg)
	if err != nil {
		cleanup()
		return nil, nil, err
	}
	return a, cleanup, nil
}
