// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package demo holds what the example programs share: command-line flags,
// creating their topics, producing sample input, and reading the output
// back read_committed until it is complete.
//
// Every run is a fresh application that sees only its own records, so an
// example can run again and again on one cluster, and after a failed run:
//
//   - With -brokers the application id gets a per-run suffix
//     (wordcount-20261207-161216-3fa2c1): no state, committed offsets or
//     transactions of an earlier run are reused. Its internal topics and
//     consumer group are deleted at exit.
//   - The topics are created unless they exist (runtime.CreateTopics,
//     which waits until every broker lists them).
//   - Before the application starts, its consumer group's offsets are set
//     to the end of its input topics, so it reads only the input this run
//     produces, and the end of each output topic is noted, so the check
//     reads only this run's output.
package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/metrics"
	"github.com/eddy-streams/eddy/query"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/status"
	"github.com/eddy-streams/eddy/stream"
)

// CheckTimeout bounds how long an example waits for its output.
const CheckTimeout = time.Minute

// Flags are the options every example accepts.
type Flags struct {
	// Brokers are the comma-separated bootstrap servers; empty asks for
	// the embedded broker.
	Brokers string
	// KeepRunning keeps the application processing after the check,
	// until SIGINT or SIGTERM.
	KeepRunning bool
	// ExactlyOnce selects runtime.ExactlyOnce.
	ExactlyOnce bool
	// StateDir is the state directory; empty makes a temporary one,
	// removed at exit.
	StateDir string
	// Partitions is the partition count of the output topics (and of the
	// input topics whose count the example does not fix).
	Partitions int
	// Verbose logs the runtime at info level (default: warnings).
	Verbose bool
	// Cleanup deletes, at exit, the input and output topics this run
	// created (topics that existed before are kept).
	Cleanup bool
	// Progress receives the lines saying what the example is doing and
	// waiting for; nil means os.Stderr.
	Progress io.Writer
	// HTTP is the address (host:port; port 0 picks one) where the
	// application serves its status page, its Prometheus metrics at
	// /metrics and its stores' queries; empty serves nothing.
	HTTP string
}

// Parse reads the flags from the command line.
func Parse() Flags {
	var f Flags
	flag.StringVar(&f.Brokers, "brokers", "", "comma-separated bootstrap servers (default: an embedded in-memory broker, data lost at exit)")
	flag.BoolVar(&f.KeepRunning, "keep-running", false, "keep processing after the sample input until interrupted")
	flag.BoolVar(&f.ExactlyOnce, "eos", false, "exactly-once processing (default at-least-once)")
	flag.StringVar(&f.StateDir, "state-dir", "", "state directory (default: a fresh temporary directory)")
	flag.IntVar(&f.Partitions, "partitions", 4, "partitions of the topics the example creates (some inputs always have 1)")
	flag.BoolVar(&f.Verbose, "v", false, "log at info level")
	flag.StringVar(&f.HTTP, "http", "", "serve the status page, /metrics and the stores' queries at this `address` (host:port)")
	flag.BoolVar(&f.Cleanup, "cleanup", false, "at exit, delete the input and output topics this run created (with -brokers, the run's internal topics and consumer group are always deleted)")
	flag.Parse()
	return f
}

// Config builds the runtime configuration for the application named app
// from the flags. With -brokers the application id is app plus a per-run
// suffix. The returned function removes the temporary state directory.
func (f Flags) Config(app string) (runtime.Config, func(), error) {
	cfg := runtime.Config{AppID: app, CommitInterval: 200 * time.Millisecond}
	if f.Brokers != "" {
		cfg.Brokers = strings.Split(f.Brokers, ",")
		cfg.AppID = app + "-" + runID()
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
			return cfg, nil, fmt.Errorf("create a temporary state directory (or give one with -state-dir): %w", err)
		}
		cfg.StateDir, cleanup = dir, func() { os.RemoveAll(dir) }
	}
	return cfg, cleanup, nil
}

// runID is a per-run suffix for the application id: the start time and 24
// random bits, so that runs in the same second differ.
func runID() string {
	var b [3]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return time.Now().UTC().Format("20060102-150405") + "-" + hex.EncodeToString(b[:])
}

// Example describes an example program for Run.
type Example struct {
	// Name is the application id (with -brokers, plus a per-run suffix)
	// and the prefix of the progress lines.
	Name string
	// Topology builds the topology.
	Topology func() (*stream.Topology, error)
	// Inputs are the topics the application reads and Outputs those it
	// writes; Run creates those that do not exist.
	Inputs, Outputs []runtime.TopicSpec
	// Configure adjusts the configuration built from the flags; nil for
	// none.
	Configure func(*runtime.Config)
	// Check produces the sample input and waits for the expected output;
	// its context ends after CheckTimeout, or when the application stops.
	Check func(ctx context.Context, s *Session) error
	// Stores are the stores -http serves queries of; nil for none.
	Stores func(app *runtime.App) ([]query.Servable, error)
}

// Session is one run of an example, as its Check sees it.
type Session struct {
	// App is the running application.
	App *runtime.App
	// Brokers are the bootstrap servers (the embedded broker's without
	// -brokers).
	Brokers []string
	// HTTP is the base URL of the application's status page, metrics
	// and queries with -http ("" without).
	HTTP string
	// start is where each output topic's partitions ended before the
	// application started: this run's output comes after.
	start map[string]map[int32]kgo.Offset
	opts  []kgo.Opt
	out   io.Writer
	name  string
}

// Progressf prints a line saying what the example does or waits for.
func (s *Session) Progressf(format string, args ...any) {
	fmt.Fprintf(s.out, s.name+": "+format+"\n", args...)
}

// Produce writes the records synchronously.
func (s *Session) Produce(ctx context.Context, rs ...*kgo.Record) error {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(s.Brokers...)}, s.opts...)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		return fmt.Errorf("produce the sample input (%d records) to %s: %w", len(rs), topicsOf(rs), err)
	}
	return nil
}

// ReadLatest reads this run's output in topic, read_committed, and keeps
// the latest value per key as decode gives them (records it cannot decode
// are counted and skipped), until they equal want. If ctx ends first, the
// error says what it waited for and what it had read.
func (s *Session) ReadLatest(ctx context.Context, topic string, want map[string]int64, decode func(*kgo.Record) (key string, value int64, ok bool)) (map[string]int64, error) {
	from, ok := s.start[topic]
	if !ok {
		return nil, fmt.Errorf("read %q: not an output topic of this example (outputs: %s)", topic, strings.Join(slices.Sorted(maps.Keys(s.start)), ", "))
	}
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(s.Brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: from}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted())}, s.opts...)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	started := time.Now()
	got := map[string]int64{}
	var records, undecodable int
	for !maps.Equal(got, want) {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return got, fmt.Errorf("read %q: gave up after %v waiting for this run's output (from offsets %s) to be %s; "+
				"read %d records (%d undecodable); latest per key: %s; application state %v: %w",
				topic, time.Since(started).Round(time.Millisecond), offsetList(from), formatCounts(want),
				records, undecodable, diffCounts(got, want), s.App.State(), context.Cause(ctx))
		}
		fs.EachError(func(t string, p int32, err error) {
			s.Progressf("fetch %s partition %d: %v (retrying)", t, p, err)
		})
		fs.EachRecord(func(r *kgo.Record) {
			records++
			if k, v, ok := decode(r); ok {
				got[k] = v
			} else {
				undecodable++
			}
		})
	}
	return got, nil
}

// Run runs the example: it builds the application, creates the topics,
// starts the application, runs the check, and stops the application —
// or, with -keep-running, keeps it running until SIGINT or SIGTERM,
// logging progress. It returns the first error of the check or the
// application; if the application stops while the check waits, the check
// is cut short and Run returns the application's error.
func Run(f Flags, ex Example) (err error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	topo, err := ex.Topology()
	if err != nil {
		return err
	}
	cfg, cleanState, err := f.Config(ex.Name)
	if err != nil {
		return err
	}
	defer cleanState()
	if ex.Configure != nil {
		ex.Configure(&cfg)
	}
	var ln net.Listener
	if f.HTTP != "" {
		if ln, err = net.Listen("tcp", f.HTTP); err != nil {
			return fmt.Errorf("-http %s: %w", f.HTTP, err)
		}
		defer ln.Close()
		cfg.Endpoint = ln.Addr().String() // other instances forward queries here
	}
	app, err := runtime.New(topo, cfg)
	if err != nil {
		return err
	}
	s := &Session{App: app, Brokers: app.Brokers(), opts: cfg.ClientOptions, out: f.Progress, name: ex.Name}
	if s.out == nil {
		s.out = os.Stderr
	}
	if ln != nil {
		stopServing, err := s.serve(ln, ex)
		if err != nil {
			app.Close(context.Background())
			return err
		}
		defer stopServing()
	}
	if f.Brokers != "" {
		s.Progressf("application id %s (a new one each run: it reads only the input this run produces)", cfg.AppID)
	}
	var created []string
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		err = errors.Join(err, app.Close(closeCtx))
		if f.Brokers != "" { // the embedded broker is gone with the App
			if !f.Cleanup {
				created = nil
			}
			s.cleanup(closeCtx, cfg.AppID, created)
		}
	}()
	setupCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if created, err = s.setup(setupCtx, cfg.AppID, ex.Inputs, ex.Outputs); err != nil {
		return err
	}
	return s.run(ctx, f, cfg.AppID, ex.Check)
}

// serve serves the application's status page, metrics and queries on ln
// until the returned function is called.
func (s *Session) serve(ln net.Listener, ex Example) (func(), error) {
	var stores []query.Servable
	if ex.Stores != nil {
		var err error
		if stores, err = ex.Stores(s.App); err != nil {
			return nil, err
		}
	}
	srv := &http.Server{Handler: status.NewHandler(s.App,
		status.WithEndpoint(ln.Addr().String()),
		status.WithMetrics(metrics.Handler(s.App)),
		status.WithQueries(query.NewHandler(s.App, stores))),
		ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	s.HTTP = "http://" + ln.Addr().String()
	s.Progressf("status page at %s/, metrics at %s/metrics, queries at %s/stores/…", s.HTTP, s.HTTP, s.HTTP)
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// setup creates the topics, notes where the outputs end and sets the
// group's offsets to the end of the inputs. It returns the topics it
// created.
func (s *Session) setup(ctx context.Context, group string, inputs, outputs []runtime.TopicSpec) ([]string, error) {
	all := append(slices.Clone(inputs), outputs...)
	names := make([]string, len(all))
	desc := make([]string, len(all))
	for i, t := range all {
		names[i] = t.Name
		desc[i] = fmt.Sprintf("%s (%d)", t.Name, t.Partitions)
	}
	before, err := s.existing(ctx, names)
	if err != nil {
		return nil, err
	}
	s.Progressf("creating topics unless they exist, with partitions: %s; waiting until every broker lists them", strings.Join(desc, ", "))
	if err := runtime.CreateTopics(ctx, s.Brokers, all, s.opts...); err != nil {
		return nil, err
	}
	var created, existed []string
	for _, n := range names {
		if before[n] {
			existed = append(existed, n)
		} else {
			created = append(created, n)
		}
	}
	s.Progressf("topics ready (created: %s; existed: %s)", listOrNone(created), listOrNone(existed))
	// A new client: one that looked at the topics before they were
	// created may answer from its cached metadata that they do not exist.
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(s.Brokers...)}, s.opts...)...)
	if err != nil {
		return created, err
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	ends := func(ts []runtime.TopicSpec) (kadm.ListedOffsets, error) {
		var names []string
		for _, t := range ts {
			names = append(names, t.Name)
		}
		if len(names) == 0 {
			return kadm.ListedOffsets{}, nil
		}
		lo, err := adm.ListEndOffsets(ctx, names...)
		if err == nil {
			err = lo.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("list the end offsets of %s: %w", strings.Join(names, ", "), err)
		}
		return lo, nil
	}
	outEnds, err := ends(outputs)
	if err != nil {
		return created, err
	}
	s.start = map[string]map[int32]kgo.Offset{}
	for _, t := range outputs {
		s.start[t.Name] = map[int32]kgo.Offset{}
	}
	outEnds.Each(func(o kadm.ListedOffset) { s.start[o.Topic][o.Partition] = kgo.NewOffset().At(o.Offset) })
	inEnds, err := ends(inputs)
	if err != nil {
		return created, err
	}
	resp, err := adm.CommitOffsets(ctx, group, inEnds.Offsets())
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return created, fmt.Errorf("set the offsets of consumer group %q to the end of its input topics: %w", group, err)
	}
	return created, nil
}

// appStopped is the cause of a check's context ending because the
// application stopped; err is what App.Run returned.
type appStopped struct{ err error }

func (e *appStopped) Error() string {
	if e.err == nil {
		return "the application stopped"
	}
	return "the application failed: " + e.err.Error()
}

// existing reports which of the topics exist.
func (s *Session) existing(ctx context.Context, names []string) (map[string]bool, error) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(s.Brokers...)}, s.opts...)...)
	if err != nil {
		return nil, err
	}
	defer cl.Close()
	details, err := kadm.NewClient(cl).ListTopics(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("list topics %s: %w", strings.Join(names, ", "), err)
	}
	exists := map[string]bool{}
	for _, d := range details {
		exists[d.Topic] = d.Err == nil
	}
	return exists, nil
}

// run starts the application and the check; see Run.
func (s *Session) run(ctx context.Context, f Flags, appID string, check func(context.Context, *Session) error) error {
	runCtx, stopApp := context.WithCancel(ctx)
	defer stopApp()
	checkCtx, stopCheck := context.WithCancelCause(ctx)
	defer stopCheck(nil)
	errc := make(chan error, 1)
	go func() {
		err := s.App.Run(runCtx)
		stopCheck(&appStopped{err: err})
		errc <- err
	}()
	timedCtx, cancel := context.WithTimeoutCause(checkCtx, CheckTimeout,
		fmt.Errorf("the example's time limit (%v) passed", CheckTimeout))
	err := check(timedCtx, s)
	cancel()
	var stopped *appStopped
	if err != nil && errors.As(context.Cause(checkCtx), &stopped) {
		// The check was cut short because the application stopped: its
		// error is the one that says what went wrong.
		stopApp()
		<-errc
		if stopped.err != nil {
			return fmt.Errorf("application %s failed: %w", appID, stopped.err)
		}
		return fmt.Errorf("application %s stopped before its output was complete: %w", appID, err)
	}
	if err == nil && f.KeepRunning {
		s.Progressf("running; interrupt to stop")
		t := time.NewTicker(10 * time.Second)
	loop:
		for {
			select {
			case <-ctx.Done():
				break loop
			case <-checkCtx.Done(): // the application stopped by itself
				break loop
			case <-t.C:
				m := s.App.Metrics()
				var n int64
				for _, v := range m.Processed {
					n += v
				}
				s.Progressf("processed %d records in %d tasks, %d commits (mean %v)", n, len(m.Processed), m.Commits, m.CommitLatency)
			}
		}
		t.Stop()
	}
	stopApp()
	if runErr := <-errc; runErr != nil {
		return errors.Join(err, fmt.Errorf("application %s failed: %w", appID, runErr))
	}
	return err
}

// cleanup deletes, after the application closed, what the run leaves
// behind on a real cluster: the application's internal topics and
// consumer group (its per-run id is never used again), and the topics in
// created. Failures are reported as progress lines, not errors: the
// example's result stands.
func (s *Session) cleanup(ctx context.Context, appID string, created []string) {
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(s.Brokers...)}, s.opts...)...)
	if err != nil {
		s.Progressf("cleanup: %v", err)
		return
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	topics := slices.Clone(created)
	all, err := adm.ListTopics(ctx)
	if err != nil {
		s.Progressf("cleanup: list topics to find the internal topics of %s: %v", appID, err)
	}
	for name := range all {
		if strings.HasPrefix(name, appID+"-") && (strings.HasSuffix(name, "-changelog") || strings.HasSuffix(name, "-repartition")) {
			topics = append(topics, name)
		}
	}
	slices.Sort(topics)
	if len(topics) > 0 {
		resp, err := adm.DeleteTopics(ctx, topics...)
		if err == nil {
			err = resp.Error()
		}
		if err != nil {
			s.Progressf("cleanup: delete topics %s: %v", strings.Join(topics, ", "), err)
		} else {
			s.Progressf("deleted topics %s", strings.Join(topics, ", "))
		}
	}
	// No group if the run failed before committing its start offsets.
	if _, err := adm.DeleteGroup(ctx, appID); err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		s.Progressf("cleanup: delete consumer group %s: %v", appID, err)
	}
}

// listOrNone joins names with commas, or says "none".
func listOrNone(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}

// topicsOf names the topics of rs, each once.
func topicsOf(rs []*kgo.Record) string {
	seen := map[string]bool{}
	for _, r := range rs {
		seen[r.Topic] = true
	}
	return strings.Join(slices.Sorted(maps.Keys(seen)), ", ")
}

// offsetList formats partition offsets as "p0@12 p1@0".
func offsetList(from map[int32]kgo.Offset) string {
	var parts []string
	for _, p := range slices.Sorted(maps.Keys(from)) {
		parts = append(parts, fmt.Sprintf("p%d@%d", p, from[p].EpochOffset().Offset))
	}
	return strings.Join(parts, " ")
}

// formatCounts formats m as {a:1 b:2}, keys sorted.
func formatCounts(m map[string]int64) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s:%d", k, m[k]))
	}
	return "{" + strings.Join(parts, " ") + "}"
}

// diffCounts formats got and says how it differs from want.
func diffCounts(got, want map[string]int64) string {
	var missing, wrong, extra []string
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if v, ok := got[k]; !ok {
			missing = append(missing, k)
		} else if v != want[k] {
			wrong = append(wrong, fmt.Sprintf("%s:%d (want %d)", k, v, want[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			extra = append(extra, fmt.Sprintf("%s:%d", k, got[k]))
		}
	}
	out := formatCounts(got)
	if len(missing) > 0 {
		out += "; missing " + strings.Join(missing, " ")
	}
	if len(wrong) > 0 {
		out += "; different " + strings.Join(wrong, " ")
	}
	if len(extra) > 0 {
		out += "; unexpected " + strings.Join(extra, " ")
	}
	return out
}
