// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
)

// logWriter sends an instance's logs to t.Log until the test ends.
type logWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.t.Log(strings.TrimSpace(string(p)))
	}
	return len(p), nil
}

// testLogger logs warnings and errors (everything with EDDY_IT_VERBOSE=1).
func testLogger(t *testing.T, instance string) *slog.Logger {
	w := &logWriter{t: t}
	t.Cleanup(func() { w.mu.Lock(); w.done = true; w.mu.Unlock() })
	level := slog.LevelWarn
	if os.Getenv("EDDY_IT_VERBOSE") != "" {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level})).With("instance", instance)
}

// instance is a running application instance.
type instance struct {
	t      *testing.T
	name   string
	app    *runtime.App
	cancel context.CancelFunc
	done   chan struct{}
	err    error // Run's result, once done is closed
	closed bool
}

// start runs an instance of topo. Brokers, Logger and (if empty) StateDir
// and InstanceID are filled in; the instance is stopped when the test ends.
func (k *kafka) start(name string, topo *stream.Topology, cfg runtime.Config) *instance {
	k.t.Helper()
	cfg.Brokers = brokers
	if cfg.Logger == nil {
		cfg.Logger = testLogger(k.t, name)
	}
	if cfg.StateDir == "" {
		cfg.StateDir = k.t.TempDir()
	}
	if cfg.InstanceID == "" {
		cfg.InstanceID = name
	}
	if cfg.CacheMaxBytes == 0 {
		// The suite checks every update (and compares them with Kafka
		// Streams run with statestore.cache.max.bytes=0); a test of the
		// cache sets its size itself.
		cfg.CacheMaxBytes = runtime.NoCache
	}
	app, err := runtime.New(topo, cfg)
	if err != nil {
		k.t.Fatalf("instance %s: %v", name, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{t: k.t, name: name, app: app, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(in.done)
		in.err = app.Run(ctx)
	}()
	k.t.Cleanup(func() { in.stop() })
	return in
}

// stop shuts the instance down gracefully (bounded) and returns Run's error.
func (in *instance) stop() error {
	if in.closed {
		return in.err
	}
	in.closed = true
	in.cancel()
	select {
	case <-in.done:
	case <-time.After(90 * time.Second):
		in.t.Errorf("instance %s did not stop within 90 s", in.name)
		return fmt.Errorf("instance %s did not stop", in.name)
	}
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	if err := in.app.Close(ctx); err != nil {
		in.t.Errorf("close instance %s: %v", in.name, err)
	}
	return in.err
}

// mustStop stops the instance and fails the test if Run failed.
func (in *instance) mustStop() {
	in.t.Helper()
	if err := in.stop(); err != nil {
		in.t.Fatalf("instance %s stopped with an error: %v", in.name, err)
	}
}

// waitRunning waits until the instance reports RUNNING.
func (in *instance) waitRunning(timeout time.Duration) {
	in.t.Helper()
	in.waitFor(timeout, "RUNNING", func() bool { return in.app.State() == runtime.Running })
}

func (in *instance) waitFor(timeout time.Duration, what string, cond func() bool) {
	in.t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		select {
		case <-in.done:
			in.t.Fatalf("instance %s stopped (state %v, err %v) while waiting for %s", in.name, in.app.State(), in.err, what)
		default:
		}
		if time.Now().After(deadline) {
			in.t.Fatalf("instance %s: no %s within %v (state %v)", in.name, what, timeout, in.app.State())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tasks is the number of tasks the instance owns.
func (in *instance) tasks() int { return len(in.app.Metrics().Processed) }

// ---- output decoding -----------------------------------------------------

func int64Of(t *testing.T, r *kgo.Record) int64 {
	t.Helper()
	v, err := serde.Int64().Deserialize(r.Topic, r.Value)
	if err != nil {
		t.Fatalf("record %s[%d]@%d: value %x: %v", r.Topic, r.Partition, r.Offset, r.Value, err)
	}
	return v
}

// latest maps each key to its last Int64 value.
func latest(t *testing.T, rs []*kgo.Record) map[string]int64 {
	out := map[string]int64{}
	for _, r := range rs {
		out[string(r.Key)] = int64Of(t, r)
	}
	return out
}

// diffCounts describes how got differs from want, or "".
func diffCounts(want, got map[string]int64) string {
	var b strings.Builder
	keys := slices.Sorted(maps.Keys(want))
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	n := 0
	for _, k := range keys {
		w, wok := want[k]
		g, gok := got[k]
		if w == g && wok == gok {
			continue
		}
		if n++; n > 30 {
			b.WriteString("  …\n")
			break
		}
		fmt.Fprintf(&b, "  %q: want %s, got %s\n", k, opt(w, wok), opt(g, gok))
	}
	return b.String()
}

func opt(v int64, ok bool) string {
	if !ok {
		return "(none)"
	}
	return fmt.Sprint(v)
}

// checkCounts fails the test unless got equals want.
func checkCounts(t *testing.T, what string, want, got map[string]int64) {
	t.Helper()
	if d := diffCounts(want, got); d != "" {
		t.Errorf("%s: %d keys differ (want %d keys, got %d):\n%s", what, strings.Count(d, "\n"), len(want), len(got), d)
	}
}

// checkEveryUpdateOnce checks the exactly-once shape of count output with
// no record cache: each key's committed values are 1, 2, …, n in offset
// order, one update per counted record, none lost, none repeated, and all
// on one partition. want holds the expected final counts; the number of
// records must be their sum.
func checkEveryUpdateOnce(t *testing.T, rs []*kgo.Record, want map[string]int64) {
	t.Helper()
	next := map[string]int64{}
	part := map[string]int32{}
	bad := 0
	for _, r := range rs {
		k := string(r.Key)
		v := int64Of(t, r)
		if p, ok := part[k]; ok && p != r.Partition {
			t.Errorf("key %q written to partitions %d and %d", k, p, r.Partition)
		}
		part[k] = r.Partition
		if v != next[k]+1 {
			if bad++; bad <= 20 {
				t.Errorf("key %q: update %d at %s[%d]@%d, the previous committed one was %d (a duplicate or a lost update)",
					k, v, r.Topic, r.Partition, r.Offset, next[k])
			}
		}
		next[k] = v
	}
	total := int64(0)
	for _, n := range want {
		total += n
	}
	if int64(len(rs)) != total {
		t.Errorf("%d committed updates, want exactly %d (one per counted record)", len(rs), total)
	}
}

// waitCounts follows topic until its latest values equal want.
func (k *kafka) waitCounts(tl *tail, want map[string]int64, timeout time.Duration) {
	k.t.Helper()
	if !tl.until(timeout, func(rs []*kgo.Record) bool { return maps.Equal(latest(k.t, rs), want) }) {
		k.t.Fatalf("%s: counts not reached within %v:\n%s", tl.topic, timeout, diffCounts(want, latest(k.t, tl.recs)))
	}
}
