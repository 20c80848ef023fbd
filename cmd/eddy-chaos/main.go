// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Command eddy-chaos proves Eddy's processing guarantees under crashes.
//
// It runs a counting application as several instance processes against one
// broker, kills random instances with SIGKILL while a producer writes a
// known input, restarts them on their own state directories, and finally
// reads the output read_committed and checks every input against it:
//
//   - exactly-once: every input is counted exactly once, and every output
//     record is the previous value of its key with exactly one new input
//     applied (no duplicate, no gap, no step backwards);
//   - at-least-once: no input is lost; duplicates are counted and reported.
//
// The application reads ids from an input topic, groups them by id modulo
// -keys (which goes through a repartition topic) and aggregates per key a
// count plus a bitmap of the ids counted (a Pebble store changelogged to
// Kafka), emitting every update to an output topic. The bitmap tells a lost
// input from a duplicate even where they cancel out in the count. The
// store's changelog must end where the output does, and the input itself is
// checked to hold every id once. An instance that exits by itself, or does
// not stop cleanly on SIGTERM at the end, also fails the run.
//
// Kills land mid-processing: the next kill waits until the group has
// committed progress since the last restart (at most -max-kill-gap), plus a
// random 0–2 s; one kill in five hits a group still rebalancing or
// restoring; some kill two instances at once. Each slot keeps its instance
// id (so a restart fences its predecessor's transactions) and its state
// directory (so local state is reused).
//
// With -topology join it runs joins instead (see join.go): orders joined
// with payments by order id within window.JoinWindow(-join-window) (an
// inner stream–stream join), re-keyed by customer (a repartition topic)
// and joined with a customers table (an inner stream–table join). The
// controller writes the whole table first, timestamped before every order,
// and waits until the group has processed it; orders and payments follow,
// with payments on, inside and 1 ms outside the window's bounds, and rows
// updated, deleted or never written. Input and expected results are a
// function of a few numbers, so the verifier knows the exact set of join
// results: under exactly-once each must be read exactly once and nothing
// else; under at-least-once none may be missing and nothing else read
// (duplicates are counted). -scale, the default with -topology join, also
// scales: every fourth event stops an instance gracefully (SIGTERM, which
// must exit cleanly) and keeps it stopped, or starts a stopped or spare
// one, keeping between -instances - 1 and -instances + 1 running.
//
// Usage:
//
//	go run ./cmd/eddy-chaos                 # short run: exactly-once, then at-least-once
//	go run ./cmd/eddy-chaos -topology join  # the same with the join topology, and scaling
//	go run ./cmd/eddy-chaos -long           # 30 minutes of input per guarantee
//	go run ./cmd/eddy-chaos -guarantee exactly_once -duration 2m -kills 50 -seed 7 -v
//	go run ./cmd/eddy-chaos -brokers 127.0.0.1:9092   # against a running Kafka
//	MALLOC_ARENA_MAX=2 go run ./cmd/eddy-chaos -soak -brokers 127.0.0.1:9092 -soak-png docs/soak.png
//
// Without -brokers it builds ./cmd/eddy (with "go build", from the module in
// the working directory) and runs "eddy broker" as its own process on a free
// port, lowering its minimum session timeout so that instances can use 2 s.
// That broker (franz-go's kfake) does not compact topics: kfake's compaction
// has bugs that lose committed records of transactional writes (it compacts
// past the last stable offset, and it drops abort markers that its
// aborted-transaction index still refers to), and a restore would then miss
// state. -compaction makes it compact every 15 s to expose them.
//
// With -soak it runs a soak instead (see soak.go): the counting topology
// under steady input at -rate (default 300 records/s) for -duration
// (default 30m), exactly-once unless -guarantee says otherwise, with no
// kills but a rolling restart every -restart-every (default 5m): each
// instance in turn stopped gracefully and started again on its state
// directory. Every -sample-every (default 5s) it records each instance's
// resident memory (VmRSS from /proc/<pid>/status) and the group's lag on
// the input and repartition topics in -soak-csv, draws them over time into
// -soak-png, and verifies the output at the end as the chaos runs do. It
// prints per instance the RSS after warm-up, at the end and the maximum,
// and the maximum lag. It is too long for CI.
//
// Instances are this program re-executed as "eddy-chaos instance"; their
// logs, state directories and the broker's log go to a temporary directory
// whose log tails are printed on failure (-keep keeps it, -broker-data-dir
// also keeps the broker's data for inspection, -client-log adds franz-go's
// logs). The exit status is 0 if every run upheld its guarantee, 1
// otherwise, 2 on a usage error.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "instance" {
		if err := runInstance(os.Args[2:]); err != nil {
			fmt.Fprintln(os.Stderr, "eddy-chaos instance:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(runController(os.Args[1:]))
}
