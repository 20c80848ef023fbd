// Command eddy-chaos proves Eddy's processing guarantees under crashes.
//
// It runs a counting application as several instance processes against one
// broker, kills random instances with SIGKILL at random moments while a
// producer writes a known input, restarts them on their own state
// directories, and finally reads the output read_committed and checks every
// input against it:
//
//   - exactly-once: every input is counted exactly once, and every output
//     record is the previous value of its key with exactly one new input
//     applied (no duplicate, no gap, no step backwards);
//   - at-least-once: no input is lost; duplicates are counted and reported.
//
// The application reads ids from an input topic, groups them by id modulo
// -keys (which goes through a repartition topic) and aggregates per key a
// count plus a bitmap of the ids counted (a Pebble store changelogged to
// Kafka), emitting every update to an output topic. The bitmap makes a lost
// input distinguishable from a duplicate even where they cancel out in the
// count. The store's changelog is checked to end where the output does.
//
// Usage:
//
//	go run ./cmd/eddy-chaos                 # short run: exactly-once, then at-least-once
//	go run ./cmd/eddy-chaos -long           # 30 minutes per guarantee
//	go run ./cmd/eddy-chaos -guarantee exactly_once -duration 2m -kills 50 -seed 7
//	go run ./cmd/eddy-chaos -brokers 127.0.0.1:9092   # against a running Kafka
//
// Without -brokers it builds ./cmd/eddy (with "go build", from the module in
// the working directory) and runs "eddy broker" as its own process on a free
// port. Instances are this program re-executed as "eddy-chaos instance";
// their logs, state directories and the broker's log go to a temporary
// directory whose log tails are printed on failure. The exit status is 0 if
// every run upheld its guarantee, 1 otherwise, 2 on a usage error.
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
