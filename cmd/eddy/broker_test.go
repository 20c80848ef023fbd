// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/devbroker"
)

func parseBroker(t *testing.T, args ...string) (*brokerFlags, error) {
	t.Helper()
	fs, f := brokerFlagSet()
	var out syncBuffer
	err := parseFlags(&env{stdout: &out, stderr: &out}, brokerCommand(), fs, args)
	return f, err
}

func TestBrokerFlags(t *testing.T) {
	f, err := parseBroker(t)
	if err != nil {
		t.Fatal(err)
	}
	opts, err := f.options(nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Port != 9092 || opts.DataDir != "" || opts.Partitions != devbroker.DefaultPartitions ||
		opts.Brokers != 1 || len(opts.Topics) != 0 || opts.DisableAutoCreateTopics || f.logLevel != slog.LevelInfo {
		t.Errorf("defaults: %+v, log level %v", opts, f.logLevel)
	}

	f, err = parseBroker(t, "-port", "0", "-data-dir", "/tmp/x", "-partitions", "8",
		"-topic", "in:4", "-topic", "out,changelog:2", "-brokers", "3", "-no-auto-create", "-log-level", "debug")
	if err != nil {
		t.Fatal(err)
	}
	opts, err = f.options(nil)
	if err != nil {
		t.Fatal(err)
	}
	if opts.Port != 0 || opts.DataDir != "/tmp/x" || opts.Partitions != 8 || opts.Brokers != 3 ||
		!opts.DisableAutoCreateTopics || f.logLevel != slog.LevelDebug {
		t.Errorf("parsed: %+v, log level %v", opts, f.logLevel)
	}
	if want := []string{"in:4", "out", "changelog:2"}; !slices.Equal(opts.Topics, want) {
		t.Errorf("topics = %q, want %q", opts.Topics, want)
	}

	for _, args := range [][]string{
		{"-port", "abc"},
		{"-topic", "bad/name"},
		{"-topic", "t:0"},
		{"-log-level", "loud"},
		{"-nope"},
		{"positional"},
	} {
		_, err := parseBroker(t, args...)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%q: err = %v, want a usage error", args, err)
		}
	}
	f, err = parseBroker(t, "-partitions", "99999999999")
	if err == nil {
		_, err = f.options(nil)
	}
	if err == nil {
		t.Error("-partitions 99999999999 accepted")
	}
}

func TestBrokerInvalidOptionsExitCode(t *testing.T) {
	code, _, stderr := runEddy(t, "broker", "-port", "0", "-brokers", "-2")
	if code != 1 || !strings.Contains(stderr, "brokers must be between") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestBrokerRun starts "eddy broker" on a random port, uses it with a Kafka
// client, stops it the way a signal does (by canceling the context) and
// checks that the data dir is kept and reloaded.
func TestBrokerRun(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	addr, stop := startBroker(t, "-port", "0", "-data-dir", dir, "-topic", "words:3")

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.DefaultProduceTopic("words"))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, kgo.KeyStringRecord("k", "hello")).FirstErr(); err != nil {
		t.Fatalf("produce: %v", err)
	}
	cl.Close()
	if code, stderr := stop(); code != 0 {
		t.Fatalf("exit %d after cancel, stderr:\n%s", code, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "meta.json")); err != nil {
		t.Fatalf("data dir not written: %v", err)
	}

	// Start again on the same data dir: the record is still there.
	addr, stop = startBroker(t, "-port", "0", "-data-dir", dir)
	defer stop()
	cl, err = kgo.NewClient(kgo.SeedBrokers(addr), kgo.ConsumeTopics("words"))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if err := ctx.Err(); err != nil {
			t.Fatalf("record not found after restart: %v", err)
		}
		if recs := fs.Records(); len(recs) > 0 {
			if string(recs[0].Value) != "hello" {
				t.Fatalf("read %q after restart, want hello", recs[0].Value)
			}
			break
		}
	}
}

func TestBrokerPortInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	port := strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	code, stdout, stderr := runEddy(t, "broker", "-port", port)
	if code != 1 || stdout != "" || !strings.Contains(stderr, "127.0.0.1:"+port) || !strings.Contains(stderr, "already in use") {
		t.Errorf("exit %d, stdout %q, stderr:\n%s", code, stdout, stderr)
	}
}

// startBroker runs "eddy broker args..." until the returned stop function
// cancels it; stop returns the exit code and stderr and may be called more
// than once.
func startBroker(t *testing.T, args ...string) (addr string, stop func() (int, string)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- run(ctx, append([]string{"broker"}, args...), &env{stdout: &stdout, stderr: &stderr}) }()

	code := -1
	stop = func() (int, string) {
		cancel()
		if code == -1 {
			select {
			case code = <-done:
			case <-time.After(20 * time.Second):
				t.Fatal("broker did not stop after cancel")
			}
		}
		return code, stderr.String()
	}
	t.Cleanup(func() { stop() })

	deadline := time.Now().Add(20 * time.Second)
	for {
		if line, _, ok := strings.Cut(stdout.String(), "\n"); ok {
			if !strings.HasPrefix(line, "127.0.0.1:") {
				t.Fatalf("stdout line %q is not a bootstrap address", line)
			}
			if !strings.Contains(stderr.String(), "embedded Kafka broker started") {
				t.Errorf("no start message on stderr:\n%s", stderr.String())
			}
			return line, stop
		}
		select {
		case code = <-done:
			t.Fatalf("broker exited with %d before printing its address, stderr:\n%s", code, stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no bootstrap address printed, stderr:\n%s", stderr.String())
		}
	}
}
