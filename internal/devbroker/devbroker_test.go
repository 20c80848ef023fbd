// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package devbroker

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// logBuf is a goroutine-safe log sink.
type logBuf struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuf) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuf) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func testLogger(t *testing.T) (*slog.Logger, *logBuf) {
	t.Helper()
	var buf logBuf
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("broker log:\n%s", buf.String())
		}
	})
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelInfo})), &buf
}

func start(t *testing.T, opts Options) *Broker {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger, _ = testLogger(t)
	}
	b, err := Start(t.Context(), opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func client(t *testing.T, b *Broker, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addrs()...)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func produce(t *testing.T, cl *kgo.Client, topic, key, value string) {
	t.Helper()
	r := &kgo.Record{Topic: topic, Key: []byte(key), Value: []byte(value)}
	if err := cl.ProduceSync(testCtx(t), r).FirstErr(); err != nil {
		t.Fatalf("produce to %s: %v", topic, err)
	}
}

// consume reads n records of topic from the start.
func consume(t *testing.T, b *Broker, topic string, n int, opts ...kgo.Opt) []*kgo.Record {
	t.Helper()
	cl := client(t, b, append([]kgo.Opt{kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart())}, opts...)...)
	ctx := testCtx(t)
	var recs []*kgo.Record
	for len(recs) < n {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("consuming %s: got %d of %d records: %v", topic, len(recs), n, err)
		}
		fs.EachError(func(topic string, p int32, err error) { t.Fatalf("fetch %s/%d: %v", topic, p, err) })
		recs = append(recs, fs.Records()...)
	}
	return recs
}

func partitions(t *testing.T, b *Broker, topic string) int {
	t.Helper()
	adm := kadm.NewClient(client(t, b))
	td, err := adm.ListTopics(testCtx(t), topic)
	if err != nil {
		t.Fatal(err)
	}
	d, ok := td[topic]
	if !ok || d.Err != nil {
		t.Fatalf("topic %s: exists=%v err=%v", topic, ok, d.Err)
	}
	return len(d.Partitions)
}

func TestStartProduceConsume(t *testing.T) {
	log, logs := testLogger(t)
	b := start(t, Options{Topics: []string{"orders:3", "events"}, Partitions: 2, Logger: log})

	addrs := b.Addrs()
	if len(addrs) != 1 || !strings.HasPrefix(addrs[0], "127.0.0.1:") {
		t.Fatalf("Addrs() = %v, want one 127.0.0.1 address", addrs)
	}
	if got := logs.String(); !strings.Contains(got, "embedded Kafka broker started") || !strings.Contains(got, addrs[0]) {
		t.Errorf("start log does not name the broker and its address:\n%s", got)
	}
	if b.Cluster() == nil {
		t.Fatal("Cluster() = nil")
	}

	produce(t, client(t, b), "orders", "k1", "v1")
	recs := consume(t, b, "orders", 1)
	if r := recs[0]; string(r.Key) != "k1" || string(r.Value) != "v1" {
		t.Errorf("consumed %q=%q, want k1=v1", r.Key, r.Value)
	}

	if got := partitions(t, b, "orders"); got != 3 {
		t.Errorf("orders has %d partitions, want 3", got)
	}
	if got := partitions(t, b, "events"); got != 2 {
		t.Errorf("events has %d partitions, want the default 2", got)
	}
	// Auto-created like in Kafka, with the default partition count, for
	// clients that ask for it (kgo does not by default).
	produce(t, client(t, b, kgo.AllowAutoTopicCreation()), "auto-created", "k", "v")
	if got := partitions(t, b, "auto-created"); got != 2 {
		t.Errorf("auto-created has %d partitions, want 2", got)
	}
}

func TestTransactions(t *testing.T) {
	b := start(t, Options{Topics: []string{"out"}})
	ctx := testCtx(t)
	p := client(t, b, kgo.TransactionalID("tx-1"), kgo.DefaultProduceTopic("out"))

	for _, commit := range []kgo.TransactionEndTry{kgo.TryAbort, kgo.TryCommit} {
		if err := p.BeginTransaction(); err != nil {
			t.Fatal(err)
		}
		val := "aborted"
		if commit {
			val = "committed"
		}
		if err := p.ProduceSync(ctx, kgo.StringRecord(val)).FirstErr(); err != nil {
			t.Fatal(err)
		}
		if err := p.EndTransaction(ctx, commit); err != nil {
			t.Fatal(err)
		}
	}
	recs := consume(t, b, "out", 1, kgo.FetchIsolationLevel(kgo.ReadCommitted()))
	if len(recs) != 1 || string(recs[0].Value) != "committed" {
		t.Fatalf("read_committed saw %d records, first %q; want only \"committed\"", len(recs), recs[0].Value)
	}
}

func TestRestartWithDataDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	log, _ := testLogger(t)

	b1, err := Start(t.Context(), Options{DataDir: dir, Topics: []string{"kept:2"}, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b1.Close() })
	produce(t, client(t, b1), "kept", "key", "survives restarts")
	if err := b1.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := b1.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "meta.json")); err != nil {
		t.Fatalf("no state written to the data dir: %v", err)
	}

	// The topic list may grow between runs; the existing topic is kept.
	b2 := start(t, Options{DataDir: dir, Topics: []string{"kept:2", "new"}, Logger: log})
	recs := consume(t, b2, "kept", 1)
	if r := recs[0]; string(r.Key) != "key" || string(r.Value) != "survives restarts" {
		t.Errorf("after restart read %q=%q", r.Key, r.Value)
	}
	if got := partitions(t, b2, "kept"); got != 2 {
		t.Errorf("kept has %d partitions after restart, want 2", got)
	}
	partitions(t, b2, "new")
}

func TestPortConflict(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	_, err = Start(t.Context(), Options{Port: port, Logger: slog.New(slog.DiscardHandler)})
	if err == nil {
		t.Fatal("Start on a busy port succeeded")
	}
	var pe *PortInUseError
	if !errors.As(err, &pe) {
		t.Fatalf("error is %T, want *PortInUseError: %v", err, err)
	}
	if msg := err.Error(); !strings.Contains(msg, "127.0.0.1:"+strconv.Itoa(port)) || !strings.Contains(msg, "already in use") {
		t.Errorf("error does not name the address and the problem: %v", err)
	}

	// The failed start released everything: the same options work once
	// the port is free.
	ln.Close()
	b := start(t, Options{Port: port})
	if got, want := b.Addrs()[0], "127.0.0.1:"+strconv.Itoa(port); got != want {
		t.Errorf("Addrs()[0] = %s, want %s", got, want)
	}
}

func TestFixedPortMultipleBrokers(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	if port > 65000 {
		t.Skip("random port too close to the top of the range")
	}
	b, err := Start(t.Context(), Options{Port: port, Brokers: 2, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		var pe *PortInUseError
		if errors.As(err, &pe) {
			t.Skipf("port %d+1 taken: %v", port, err)
		}
		t.Fatal(err)
	}
	defer b.Close()
	want := []string{"127.0.0.1:" + strconv.Itoa(port), "127.0.0.1:" + strconv.Itoa(port+1)}
	if got := b.Addrs(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("Addrs() = %v, want %v", got, want)
	}
}

func TestDataDirInUse(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no data dir lock on this platform")
	}
	dir := t.TempDir()
	start(t, Options{DataDir: dir})
	_, err := Start(t.Context(), Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "in use by another broker") {
		t.Fatalf("second broker on the same data dir: err = %v", err)
	}
}

func TestDataDirWithForeignFiles(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Start(t.Context(), Options{DataDir: dir, Logger: slog.New(slog.DiscardHandler)})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("err = %v, want a non-empty data dir error", err)
	}
}

func TestInvalidOptions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"negative port", Options{Port: -1}, "port must be between 0"},
		{"port too big", Options{Port: 70000}, "port must be between 0"},
		{"ports overflow", Options{Port: 65535, Brokers: 2}, "exceed 65535"},
		{"negative brokers", Options{Brokers: -1}, "brokers must be between"},
		{"too many brokers", Options{Brokers: MaxBrokers + 1}, "brokers must be between"},
		{"negative partitions", Options{Partitions: -3}, "partitions must be between"},
		{"data dir is a file", Options{DataDir: file}, "not a directory"},
		{"empty topic", Options{Topics: []string{""}}, "empty topic name"},
		{"bad topic char", Options{Topics: []string{"a/b"}}, "only ASCII letters"},
		{"dot topic", Options{Topics: []string{".."}}, `cannot be "." or ".."`},
		{"long topic", Options{Topics: []string{strings.Repeat("x", 250)}}, "longer than 249"},
		{"bad count", Options{Topics: []string{"t:x"}}, "partitions must be a number"},
		{"zero count", Options{Topics: []string{"t:0"}}, "partitions must be a number"},
		{"empty count", Options{Topics: []string{"t:"}}, "partitions must be a number"},
		{"duplicate topic", Options{Topics: []string{"t", "t:3"}}, "more than once"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := Start(t.Context(), tc.opts)
			if err == nil {
				b.Close()
				t.Fatal("Start succeeded")
			}
			if !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "devbroker: invalid options") {
				t.Errorf("error %q does not contain %q", err, tc.want)
			}
		})
	}
	// All problems are reported at once.
	_, err := Start(t.Context(), Options{Port: -1, Brokers: -1})
	if err == nil || !strings.Contains(err.Error(), "port") || !strings.Contains(err.Error(), "brokers") {
		t.Errorf("err = %v, want both problems", err)
	}
}

func TestStartCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Start(ctx, Options{}); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
}

func TestParseTopic(t *testing.T) {
	for spec, want := range map[string]struct {
		name  string
		parts int32
	}{
		"a":             {"a", 0},
		"a.b-c_D9:12":   {"a.b-c_D9", 12},
		" spaced:3 ":    {"spaced", 3},
		"changelog:100": {"changelog", 100},
	} {
		name, parts, err := ParseTopic(spec)
		if err != nil || name != want.name || parts != want.parts {
			t.Errorf("ParseTopic(%q) = %q, %d, %v; want %q, %d", spec, name, parts, err, want.name, want.parts)
		}
	}
}

// TestConsumerGroupKIP848 checks that a KIP-848 group splits partitions
// between its members quickly thanks to the short heartbeat interval.
func TestConsumerGroupKIP848(t *testing.T) {
	var logs logBuf
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	b := start(t, Options{Topics: []string{"in:4"}, Logger: log})

	member := func() *kgo.Client {
		return client(t, b, kgo.ConsumerGroup("g"), kgo.ConsumeTopics("in"),
			kgo.ServerSideBalancer(), kgo.Balancers(kgo.StickyBalancer()))
	}
	member()
	if _, err := b.Cluster().WaitGroupInfo(testCtx(t), "g", func(g *kfake.GroupInfo) bool {
		return g != nil && g.NumAssigned() == 4
	}); err != nil {
		t.Fatalf("first member got no assignment: %v", err)
	}
	began := time.Now()
	member()
	g, err := b.Cluster().WaitGroupInfo(testCtx(t), "g", func(g *kfake.GroupInfo) bool {
		return g != nil && len(g.Members) == 2 && g.Members[0].NumAssigned() == 2 && g.Members[1].NumAssigned() == 2
	})
	if err != nil {
		t.Fatalf("partitions not split between two members: %+v: %v", g, err)
	}
	// With Kafka's default 5s heartbeat this takes several seconds.
	if d := time.Since(began); d > 3*time.Second {
		t.Errorf("rebalance took %v", d)
	}
	t.Logf("rebalance took %v", time.Since(began))
	if s := logs.String(); s != "" {
		t.Logf("warnings:\n%s", s)
	}
}
