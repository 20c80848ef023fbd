// Command eddy-bench compares Eddy with a raw franz-go loop and Java Kafka
// Streams on one real Kafka broker: throughput until the consumer group's lag
// reaches zero, CPU seconds, peak RSS and start-up time, at-least-once and
// exactly-once, several runs, medians and within-run ratios. It writes
// BENCHMARKS.md and a PNG chart.
//
//	scripts/kafka.sh start
//	(cd java && mvn -B -q package -DskipTests)
//	go run ./cmd/eddy-bench -records 100000 -runs 3
//	scripts/kafka.sh stop
//
// Every system runs as a child process (Eddy and the raw loop as hidden
// subcommands of this binary: "worker" and "raw"), so its CPU time and peak
// RSS can be read from /proc.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

type config struct {
	brokers, jar, out, chart, kafkaVersion, streamsVersion string
	records, runs, vocab, statelessFactor                  int
	partitions                                             int
	scenarios, guarantees, systems                         []string
	commit, timeout                                        time.Duration
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "worker":
			os.Exit(runEddyWorker(os.Args[2:]))
		case "raw":
			os.Exit(runRaw(os.Args[2:]))
		}
	}
	var c config
	var scen, guar, sys string
	flag.StringVar(&c.brokers, "brokers", "127.0.0.1:9092", "bootstrap servers of the one broker all systems share")
	flag.IntVar(&c.records, "records", 200_000, "input records (text lines) pre-loaded per run")
	flag.IntVar(&c.statelessFactor, "stateless-factor", 5, "the stateless scenario pre-loads this many times -records (it drains much faster)")
	flag.IntVar(&c.runs, "runs", 3, "runs; medians are over runs, ratios are computed within each run")
	flag.IntVar(&c.partitions, "partitions", 4, "partitions of the input and output topics")
	flag.IntVar(&c.vocab, "vocab", 10_000, "distinct words in the word count input")
	flag.StringVar(&scen, "scenarios", "wordcount,stateless", "scenarios: wordcount, stateless")
	flag.StringVar(&guar, "guarantees", "alos,eos", "guarantees: alos, eos")
	flag.StringVar(&sys, "systems", "raw,eddy,java", "systems: raw, eddy, java")
	flag.DurationVar(&c.commit, "commit-interval", 100*time.Millisecond, "commit interval of every system")
	flag.DurationVar(&c.timeout, "timeout", 90*time.Second, "limit per measured run")
	flag.StringVar(&c.jar, "jar", "java/target/eddy-reference.jar", "Java Kafka Streams reference jar")
	flag.StringVar(&c.out, "out", "BENCHMARKS.md", "report to write")
	flag.StringVar(&c.chart, "chart", "benchmarks.png", "PNG chart to write (referenced from the report, relative to it)")
	flag.StringVar(&c.kafkaVersion, "kafka-version", envOr("KAFKA_VERSION", "4.4.0"), "broker version, for the report")
	flag.StringVar(&c.streamsVersion, "streams-version", "4.4.0", "Kafka Streams version of the jar, for the report")
	flag.Parse()
	c.scenarios, c.guarantees, c.systems = split(scen), split(guar), split(sys)
	if err := bench(c); err != nil {
		fmt.Fprintln(os.Stderr, "eddy-bench:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func split(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func bench(c config) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	withJava := contains(c.systems, sysJava)
	if withJava {
		if _, err := os.Stat(c.jar); err != nil {
			return fmt.Errorf("%s missing: build it with (cd java && mvn -B -q package -DskipTests), or pass -systems raw,eddy", c.jar)
		}
	}
	br, err := newBroker(split(c.brokers))
	if err != nil {
		return err
	}
	defer br.close()
	logDir, err := os.MkdirTemp("", "eddy-bench-logs-")
	if err != nil {
		return err
	}
	env := collectEnv(c)
	lines := corpus(c.records*max(1, c.statelessFactor), c.vocab, 42)
	began := time.Now()
	var results []result
	for run := 1; run <= c.runs; run++ {
		for _, s := range c.scenarios {
			for _, g := range c.guarantees {
				systems := rotate(c.systems, run-1)
				for _, sys := range systems {
					if sys == sysJava && javaTopology(s) == "" {
						continue
					}
					r := runOne(c, br, self, logDir, s, g, sys, run, lines[:c.recordsOf(s)])
					results = append(results, r)
					fmt.Println(r.line())
				}
			}
		}
	}
	env.Elapsed = time.Since(began)
	env.LoadEnd = loadavg()
	ratios := computeRatios(ratioDefs(c.scenarios, c.guarantees, withJava), results, c.runs)
	fmt.Println()
	fmt.Print(textTable(c, results, ratios))
	chartPath := filepath.Join(filepath.Dir(c.out), c.chart)
	if err := writeChart(chartPath, c, results); err != nil {
		return err
	}
	if err := os.WriteFile(c.out, []byte(markdown(c, env, results, ratios)), 0o644); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s and %s (child logs in %s)\n", c.out, chartPath, logDir)
	return nil
}

// recordsOf is the number of input records of a scenario.
func (c config) recordsOf(scenario string) int {
	if scenario == scenStateless {
		return c.records * max(1, c.statelessFactor)
	}
	return c.records
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// rotate changes the order of systems from run to run, so slow drift of the
// shared machine does not always hit the same system.
func rotate(xs []string, k int) []string {
	if len(xs) == 0 {
		return xs
	}
	k %= len(xs)
	return append(append([]string(nil), xs[k:]...), xs[:k]...)
}

// runOne measures one system on fresh topics.
func runOne(c config, br *broker, self, logDir, scen, guar, sys string, run int, lines [][]byte) result {
	r := result{Scenario: scen, Guarantee: guar, System: sys, Run: run}
	id := fmt.Sprintf("bench-%s-%s-%s-r%d-%d", scen, guar, sys, run, time.Now().UnixMilli()%1_000_000)
	prefix := id + "."
	in, out := prefix+inputTopic, prefix+outTopic(scen)
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	defer br.cleanup(context.Background(), id, in, out)
	fail := func(format string, a ...any) result {
		r.Err = fmt.Sprintf(format, a...)
		return r
	}
	if err := br.createTopics(ctx, int32(c.partitions), in, out); err != nil {
		return fail("create topics: %v", err)
	}
	if err := br.preload(ctx, in, int32(c.partitions), lines); err != nil {
		return fail("preload: %v", err)
	}
	stateDir, err := os.MkdirTemp("", "eddy-bench-state-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(stateDir)

	var name string
	var args []string
	switch sys {
	case sysJava:
		jg := "at_least_once"
		if guar == "eos" {
			jg = "exactly_once_v2"
		}
		name = "java"
		args = []string{"-jar", c.jar, javaTopology(scen), "--bootstrap", c.brokers, "--app-id", id,
			"--guarantee", jg, "--commit-interval-ms", fmt.Sprint(c.commit.Milliseconds()),
			"--cache-bytes", "0", "--state-dir", stateDir, "--topic-prefix", prefix}
	default:
		sub := "worker"
		if sys == sysRaw {
			sub = "raw"
		}
		name = self
		args = []string{sub, "-brokers", c.brokers, "-scenario", scen, "-guarantee", guar, "-app-id", id,
			"-topic-prefix", prefix, "-state-dir", stateDir, "-commit-interval", c.commit.String()}
	}
	logFile := filepath.Join(logDir, id+".log")
	ch, err := startChild(name, args, logFile)
	if err != nil {
		return fail("start: %v", err)
	}
	defer ch.stop(30 * time.Second)
	var running time.Time
	select {
	case running = <-ch.running:
	case <-ch.exited:
		return fail("exited before RUNNING, see %s", logFile)
	case <-ctx.Done():
		return fail("no RUNNING within %v, see %s", c.timeout, logFile)
	}
	r.StartupS = running.Sub(ch.started).Seconds()
	slack := int64(0)
	if guar == "eos" {
		slack = 1
	}
	// Eddy and Kafka Streams name word count's repartition topic alike.
	var required []string
	if scen == scenWordCount && sys != sysRaw {
		required = []string{id + "-" + wordStore + "-repartition"}
	}
	last := "no answer yet"
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ch.exited:
			return fail("exited before lag 0, see %s", logFile)
		case <-ctx.Done():
			return fail("lag not 0 within %v (last: %s), see %s", c.timeout, last, logFile)
		case <-tick.C:
		}
		ok, why, err := br.drained(ctx, id, in, id, slack, required...)
		if err != nil {
			last = err.Error()
		} else if why != "" {
			last = why
		}
		if err != nil || !ok {
			continue
		}
		done := time.Now()
		pid := ch.cmd.Process.Pid
		r.CPUS, _ = cpuSeconds(pid)
		r.PeakRSS, _ = peakRSS(pid)
		r.OutEnd, _ = br.endSum(ctx, out)
		r.DrainS = done.Sub(running).Seconds()
		if r.DrainS > 0 {
			r.Throughput = float64(len(lines)) / r.DrainS
		}
		return r
	}
}

func (r result) line() string {
	if r.Err != "" {
		return fmt.Sprintf("run %d %-9s %-4s %-4s  ERROR %s", r.Run, r.Scenario, r.Guarantee, r.System, r.Err)
	}
	return fmt.Sprintf("run %d %-9s %-4s %-4s  start-up %5.2fs  drain %6.2fs  %8.0f rec/s  cpu %6.2fs  rss %6.1f MB  out %d",
		r.Run, r.Scenario, r.Guarantee, r.System, r.StartupS, r.DrainS, r.Throughput, r.CPUS, float64(r.PeakRSS)/(1<<20), r.OutEnd)
}
