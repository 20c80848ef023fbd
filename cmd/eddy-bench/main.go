// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Command eddy-bench compares Eddy with hand-written franz-go loops and Java
// Kafka Streams on one real Kafka broker: throughput until the consumer
// group's lag reaches zero, CPU seconds (and CPU and heap allocations per
// input word), peak RSS and start-up time, at-least-once and exactly-once,
// for a stateless filter/map, word count, a tumbling-window count and a
// stream–table join; and the time to restore a store of 1M keys from its
// changelog. Two loops: "raw", the practical limit (state in maps, no
// repartition topic, no changelog), and "raw-ks" in the stateful scenarios,
// the same work Kafka Streams does (repartition topic, changelog, output;
// rawks.go). Every system runs without a record cache, except in the
// "wordcount-cached" variant, where Eddy and Java run word count with their
// record caches at the default size. Several runs, medians and within-run
// ratios; with -profile,
// CPU and heap profiles of Eddy and the loops and their analysis. It writes
// BENCHMARKS.md and a PNG chart.
//
//	scripts/kafka.sh start
//	(cd java && mvn -B -q package -DskipTests)
//	go run ./cmd/eddy-bench -runs 3 -profile /tmp/eddy-bench-profiles   # ~20–25 min on 2 busy cores
//	scripts/kafka.sh stop
//
// Every system runs as a child process (Eddy and the loops as hidden
// subcommands of this binary: "worker", "raw" and "raw-ks"), so its CPU time
// and peak RSS can be read from /proc.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

type config struct {
	brokers, jar, out, chart, kafkaVersion, streamsVersion string
	records, runs, vocab, statelessFactor                  int
	joinKeys, restoreKeys                                  int
	partitions                                             int
	scenarios, guarantees, systems                         []string
	commit, timeout, restoreTimeout                        time.Duration
	profileDir                                             string
	profileScenarios                                       []string
	eddyBin, eddyBinFlag                                   string
	eddyEnv, eddyArgs                                      []string
	variants                                               []variant // with -profile: tuned Eddy runs
	driverPkg                                              string    // the test driver's benchmark package ("" skips it)
	driverCount                                            int
	args                                                   string // the command line, for the report
}

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "worker":
			os.Exit(runEddyWorker(os.Args[2:]))
		case "raw":
			os.Exit(runRaw(os.Args[2:]))
		case sysRawKS:
			os.Exit(runRawKS(os.Args[2:]))
		}
	}
	var c config
	var scen, guar, sys, profScen, eddyEnv, eddyArgs, tuned string
	flag.StringVar(&c.brokers, "brokers", "127.0.0.1:9092", "bootstrap servers of the one broker all systems share")
	flag.IntVar(&c.records, "records", 200_000, "input records (text lines; join: stream records) pre-loaded per run")
	flag.IntVar(&c.statelessFactor, "stateless-factor", 10, "the stateless scenario pre-loads this many times -records (it drains much faster; at 5 a drain took 0.5–0.8 s, where the 50 ms lag polls and the 100 ms commit interval weigh)")
	flag.IntVar(&c.runs, "runs", 3, "runs; medians are over runs, ratios are computed within each run")
	flag.IntVar(&c.partitions, "partitions", 4, "partitions of every input and output topic")
	flag.IntVar(&c.vocab, "vocab", 10_000, "distinct words in the text lines")
	flag.IntVar(&c.joinKeys, "join-keys", 10_000, "rows (distinct keys) of the join scenario's table")
	flag.IntVar(&c.restoreKeys, "restore-keys", 1_000_000, "keys of the store whose restore is timed; 0 skips the restore measurement")
	flag.StringVar(&scen, "scenarios", strings.Join(allScenarios, ","), "throughput scenarios: "+strings.Join(allScenarios, ", "))
	flag.StringVar(&guar, "guarantees", "alos,eos", "guarantees: alos, eos")
	flag.StringVar(&sys, "systems", strings.Join(allSystems, ","), "systems: "+strings.Join(allSystems, ", ")+" (raw-ks runs in the stateful scenarios only)")
	flag.DurationVar(&c.commit, "commit-interval", 100*time.Millisecond, "commit interval of every system")
	flag.DurationVar(&c.timeout, "timeout", 90*time.Second, "limit per measured run")
	flag.DurationVar(&c.restoreTimeout, "restore-timeout", 5*time.Minute, "limit per phase (build, restore) of the restore measurement")
	flag.StringVar(&c.profileDir, "profile", "", "after the runs, profile Eddy and the raw loop (CPU, heap) in the -profile-scenarios at-least-once, write the profiles to this directory and analyse them in the report (needs `go tool pprof`)")
	flag.StringVar(&profScen, "profile-scenarios", scenStateless+","+scenWordCount+","+scenWindow, "scenarios profiled with -profile")
	flag.StringVar(&c.eddyBin, "eddy-bin", "", "binary whose \"worker\" subcommand runs Eddy (default: this binary), e.g. a build of a modified runtime for an A/B run")
	flag.StringVar(&eddyEnv, "eddy-env", "", "comma-separated KEY=VALUE environment variables for the Eddy process only, e.g. GOGC=50")
	flag.StringVar(&eddyArgs, "eddy-args", "", "space-separated extra arguments for the Eddy worker, e.g. \"-fetch-max-partition-bytes 262144\" (see eddy-bench worker -h)")
	flag.StringVar(&tuned, "tuned", defaultTuned, "with -profile: also profile Eddy in these ';'-separated variants (eddy-t1, eddy-t2, …) to show the effect of recommended settings; each is worker arguments and KEY=VALUE environment variables, e.g. \"-fetch-max-partition-bytes 262144 GOGC=50\"; empty skips them")
	flag.StringVar(&c.jar, "jar", "java/target/eddy-reference.jar", "Java Kafka Streams reference jar")
	flag.StringVar(&c.driverPkg, "driver-bench", "./topologytest", "package whose BenchmarkWordCount (the test driver's word count) the harness runs with the go tool after the broker runs, for the report; empty skips it")
	flag.IntVar(&c.driverCount, "driver-count", 5, "runs of the driver benchmark (1 s each); the report takes their median")
	flag.StringVar(&c.out, "out", "BENCHMARKS.md", "report to write")
	flag.StringVar(&c.chart, "chart", "benchmarks.png", "PNG chart to write (referenced from the report, relative to it)")
	flag.StringVar(&c.kafkaVersion, "kafka-version", envOr("KAFKA_VERSION", "4.4.0"), "broker version, for the report")
	flag.StringVar(&c.streamsVersion, "streams-version", "4.4.0", "Kafka Streams version of the jar, for the report")
	flag.Parse()
	c.scenarios, c.guarantees, c.systems = split(scen), split(guar), split(sys)
	c.profileScenarios, c.eddyEnv, c.eddyArgs = split(profScen), split(eddyEnv), strings.Fields(eddyArgs)
	c.variants = parseVariants(tuned)
	c.args = strings.Join(os.Args[1:], " ")
	c.eddyBinFlag = c.eddyBin
	if err := c.check(); err != nil {
		fmt.Fprintln(os.Stderr, "eddy-bench:", err)
		os.Exit(2)
	}
	if err := bench(c); err != nil {
		fmt.Fprintln(os.Stderr, "eddy-bench:", err)
		os.Exit(1)
	}
}

func (c config) check() error {
	for _, s := range append(append([]string(nil), c.scenarios...), c.profileScenarios...) {
		if !contains(allScenarios, s) {
			return fmt.Errorf("unknown scenario %q (want %s)", s, strings.Join(allScenarios, ", "))
		}
	}
	for _, g := range c.guarantees {
		if g != "alos" && g != "eos" {
			return fmt.Errorf("unknown guarantee %q", g)
		}
	}
	for _, s := range c.systems {
		if !contains(allSystems, s) {
			return fmt.Errorf("unknown system %q (want %s)", s, strings.Join(allSystems, ", "))
		}
	}
	for _, kv := range c.eddyEnv {
		if !strings.Contains(kv, "=") {
			return fmt.Errorf("-eddy-env wants KEY=VALUE, got %q", kv)
		}
	}
	return nil
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

// datasets builds every scenario's input once; runs reuse it.
func datasets(c config) map[string]dataset {
	p := int32(c.partitions)
	lines := corpus(c.records*max(1, c.statelessFactor), c.vocab, 42)
	ds := map[string]dataset{}
	scens := slices.Clone(c.scenarios)
	if c.profileDir != "" {
		scens = append(scens, c.profileScenarios...)
	}
	for _, s := range scens {
		switch s {
		case scenStateless:
			ds[s] = dataset{inputTopic: textLines(lines, p)}
		case scenWordCount, scenWordCountCached, scenWindow:
			ds[s] = dataset{inputTopic: textLines(lines[:c.records], p)}
		case scenJoin:
			ds[s] = joinData(lines[:c.records], c.joinKeys, p)
		}
	}
	if c.restoreKeys > 0 {
		ds[scenRestore] = restoreData(c.restoreKeys, p)
	}
	return ds
}

func bench(c config) error {
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if c.eddyBin == "" {
		c.eddyBin = self
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
	data := datasets(c)
	began := time.Now()
	var results []result
	for run := 1; run <= c.runs; run++ {
		for _, s := range c.scenarios {
			for _, g := range c.guarantees {
				for _, sys := range rotate(c.systems, run-1) {
					if !runsScenario(sys, s) {
						continue
					}
					r := runOne(c, br, self, logDir, s, g, sys, run, data[s], nil, nil)
					results = append(results, r)
					fmt.Println(r.line())
				}
			}
		}
		if c.restoreKeys > 0 {
			for _, sys := range rotate(c.systems, run-1) {
				if sys == sysRaw || sys == sysRawKS {
					continue // nothing to restore
				}
				r := runRestore(c, br, self, logDir, sys, run, data[scenRestore])
				results = append(results, r)
				fmt.Println(r.line())
			}
		}
	}
	env.Elapsed = time.Since(began)
	env.LoadEnd = loadavg()
	var prof *profileReport
	if c.profileDir != "" {
		prof = profilePass(c, br, self, logDir, data)
	}
	var driver *driverResult
	if c.driverPkg != "" {
		d := runDriverBench(c.driverPkg, c.driverCount)
		driver = &d
		if d.Err != "" {
			fmt.Println("driver benchmark:", d.Err)
		} else {
			fmt.Printf("driver benchmark: %s, %.0f CPU ns/word, %.0f allocs/line (%d runs)\n", d.summaryLine(), d.CPUNsPerWord, d.AllocsPerLine, d.Runs)
		}
	}
	ratios := computeRatios(ratioDefs(c), results, c.runs)
	fmt.Println()
	fmt.Print(textTable(c, results, ratios))
	chartPath := filepath.Join(filepath.Dir(c.out), c.chart)
	if err := writeChart(chartPath, c, results); err != nil {
		return err
	}
	if err := os.WriteFile(c.out, []byte(markdown(c, env, results, ratios, prof, driver)), 0o644); err != nil {
		return err
	}
	fmt.Printf("\nwrote %s and %s (child logs in %s)\n", c.out, chartPath, logDir)
	return nil
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

// launch is how to start one system.
type launch struct {
	scen, guar, sys, id, prefix, stateDir string
	extra                                 []string // more arguments
	env                                   []string // more environment
}

// command returns the program, arguments and extra environment of l.
func (c config) command(self string, l launch) (string, []string, []string) {
	if l.sys == sysJava {
		jg := "at_least_once"
		if l.guar == "eos" {
			jg = "exactly_once_v2"
		}
		cache := 0
		if cachedScenario(l.scen) {
			cache = javaDefaultCacheBytes
		}
		args := []string{"-jar", c.jar, javaTopology(l.scen), "--bootstrap", c.brokers, "--app-id", l.id,
			"--guarantee", jg, "--commit-interval-ms", fmt.Sprint(c.commit.Milliseconds()),
			"--cache-bytes", strconv.Itoa(cache), "--state-dir", l.stateDir, "--topic-prefix", l.prefix}
		return "java", append(args, l.extra...), nil
	}
	sub, name, env, extra := "worker", c.eddyBin, c.eddyEnv, c.eddyArgs
	if l.sys == sysRaw || l.sys == sysRawKS {
		sub, name, env, extra = l.sys, self, nil, nil
	}
	args := []string{sub, "-brokers", c.brokers, "-scenario", baseScenario(l.scen), "-guarantee", l.guar, "-app-id", l.id,
		"-topic-prefix", l.prefix, "-state-dir", l.stateDir, "-commit-interval", c.commit.String()}
	if l.sys == sysEddy && cachedScenario(l.scen) {
		args = append(args, "-record-cache")
	}
	return name, append(append(args, extra...), l.extra...), append(append([]string(nil), env...), l.env...)
}

// runID names a measured run; its topics are <id>.<topic>.
func runID(scen, guar, sys string, run int) string {
	r := fmt.Sprintf("r%d", run)
	if run == 0 {
		r = "profile"
	}
	return fmt.Sprintf("bench-%s-%s-%s-%s-%d", scen, guar, sys, r, time.Now().UnixMilli()%1_000_000)
}

// createAndLoad creates a run's user topics and pre-loads its inputs in the
// order of the scenario's spec.
func createAndLoad(ctx context.Context, c config, br *broker, scen, prefix string, data dataset) error {
	sp := specOf(scen)
	topics := []string{}
	for _, t := range sp.inputs {
		topics = append(topics, prefix+t)
	}
	if sp.output != "" {
		topics = append(topics, prefix+sp.output)
	}
	if err := br.createTopics(ctx, int32(c.partitions), topics...); err != nil {
		return fmt.Errorf("create topics: %w", err)
	}
	for _, t := range sp.inputs {
		if err := br.preload(ctx, prefix+t, data[t]); err != nil {
			return fmt.Errorf("preload %s: %w", t, err)
		}
	}
	return nil
}

func userTopics(scen, prefix string) []string {
	sp := specOf(scen)
	var ts []string
	for _, t := range sp.inputs {
		ts = append(ts, prefix+t)
	}
	if sp.output != "" {
		ts = append(ts, prefix+sp.output)
	}
	return ts
}

// waitRunning waits for the child's RUNNING line.
func waitRunning(ctx context.Context, ch *child, logFile string) (time.Time, error) {
	select {
	case t := <-ch.running:
		return t, nil
	case <-ch.exited:
		return time.Time{}, fmt.Errorf("exited before RUNNING, see %s", logFile)
	case <-ctx.Done():
		return time.Time{}, fmt.Errorf("no RUNNING in time, see %s", logFile)
	}
}

// threadDump records where a stuck system is: jcmd Thread.print for Java
// (to logFile.threads), SIGQUIT for a Go process (its goroutines go to the
// log, and it exits).
func threadDump(ch *child, sys, logFile string) string {
	pid := ch.cmd.Process.Pid
	if sys == sysJava {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		out, err := exec.CommandContext(ctx, "jcmd", strconv.Itoa(pid), "Thread.print").CombinedOutput()
		if err != nil {
			return fmt.Sprintf("jcmd Thread.print failed: %v", err)
		}
		if err := os.WriteFile(logFile+".threads", out, 0o644); err != nil {
			return err.Error()
		}
		return "thread dump in " + logFile + ".threads"
	}
	if err := ch.cmd.Process.Signal(syscall.SIGQUIT); err != nil {
		return "SIGQUIT: " + err.Error()
	}
	select {
	case <-ch.exited:
	case <-time.After(10 * time.Second):
	}
	return "goroutine dump (SIGQUIT) in the log"
}

// lastState is the last "STATE <name> <ms>" line the child printed.
func lastState(ch *child) string {
	st := "no STATE line"
	for _, l := range ch.output() {
		if strings.HasPrefix(l, "STATE ") {
			st = l
		}
	}
	return st
}

// waitDrained polls until the group has committed every input (and
// repartition) offset; it returns the moment it saw that.
func waitDrained(ctx context.Context, br *broker, ch *child, logFile, id string, inputs []string, slack int64, required ...string) (time.Time, error) {
	last := "no answer yet"
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ch.exited:
			return time.Time{}, fmt.Errorf("exited before lag 0, see %s", logFile)
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			diag := br.diagnoseStuck(dctx, br.seeds, id, inputs)
			cancel()
			return time.Time{}, fmt.Errorf("lag not 0 in time (last: %s; the system's last state: %s; %s), see %s", last, lastState(ch), diag, logFile)
		case <-tick.C:
		}
		ok, why, err := br.drained(ctx, id, inputs, id, slack, required...)
		if err != nil {
			last = err.Error()
		} else if why != "" {
			last = why
		}
		if err == nil && ok {
			return time.Now(), nil
		}
	}
}

// runOne measures one system on fresh topics. extra arguments go to the
// system (profiling flags).
func runOne(c config, br *broker, self, logDir, scen, guar, sys string, run int, data dataset, extra, env []string) result {
	r := result{Scenario: scen, Guarantee: guar, System: sys, Run: run}
	fail := func(format string, a ...any) result {
		r.Err = fmt.Sprintf(format, a...)
		return r
	}
	if sys == sysJava && javaTopology(scen) == "" {
		return fail("no Java topology")
	}
	id := runID(scen, guar, sys, run)
	prefix := id + "."
	sp := specOf(scen)
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	defer br.cleanup(context.Background(), id, userTopics(scen, prefix)...)
	if err := createAndLoad(ctx, c, br, scen, prefix, data); err != nil {
		return fail("%v", err)
	}
	stateDir, err := os.MkdirTemp("", "eddy-bench-state-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(stateDir)
	name, args, env := c.command(self, launch{scen: scen, guar: guar, sys: sys, id: id, prefix: prefix, stateDir: stateDir, extra: extra, env: env})
	logFile := filepath.Join(logDir, id+".log")
	ch, err := startChild(name, args, env, logFile)
	if err != nil {
		return fail("start: %v", err)
	}
	defer ch.stop(30 * time.Second)
	running, err := waitRunning(ctx, ch, logFile)
	if err != nil {
		return fail("%v", err)
	}
	r.StartupS = running.Sub(ch.started).Seconds()
	pid := ch.cmd.Process.Pid
	r.CPUAtRunningS, _ = cpuSeconds(pid)
	allocs0, allocBytes0, allocsOK := ch.allocs()
	slack := int64(0)
	if guar == "eos" {
		slack = 1
	}
	// Eddy and Kafka Streams name repartition topics alike.
	var required []string
	if sp.repartition != "" && sys != sysRaw {
		required = []string{id + "-" + sp.repartition + "-repartition"}
	}
	var inputs []string
	for _, t := range sp.inputs {
		inputs = append(inputs, prefix+t)
	}
	done, err := waitDrained(ctx, br, ch, logFile, id, inputs, slack, required...)
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w; %s", err, threadDump(ch, sys, logFile))
		}
		return fail("%v", err)
	}
	r.CPUS, _ = cpuSeconds(pid)
	r.PeakRSS, _ = peakRSS(pid)
	if allocsOK {
		if a, b, ok := ch.allocs(); ok {
			r.Allocs, r.AllocBytes, r.HasAllocs = float64(a-allocs0), float64(b-allocBytes0), true
		}
	}
	r.Units = workUnits(scen, data)
	r.OutEnd, _ = br.endSum(ctx, prefix+sp.output)
	r.DrainS = done.Sub(running).Seconds()
	if r.DrainS > 0 {
		r.Throughput = float64(data.count()) / r.DrainS
	}
	// Lag 0 with too little output means the group committed offsets of
	// records whose results are not all written: not a valid measurement.
	if want := expectedOutput(scen, data); r.OutEnd < want {
		r.Err = fmt.Sprintf("lag 0 but the output has %d records of %d (offsets committed ahead of the output?), see %s", r.OutEnd, want, logFile)
	}
	if len(extra) > 0 {
		// profiled: stop now so the profiles are written, keep stdout
		ch.stop(30 * time.Second)
		r.stdout = ch.output()
	}
	return r
}

// runRestore times the restore of a store with c.restoreKeys keys. Build:
// the restore topology (a source table) materializes the pre-loaded keys,
// which writes one changelog record per key; the instance stops (leaving
// the group). Restore: a new instance of the same application with an empty
// state directory starts; start-up → RUNNING includes restoring the whole
// changelog (both Eddy and Kafka Streams report RUNNING only once every
// assigned task is restored). The restore window comes from the systems'
// own reports: Kafka Streams' restore listener, Eddy's restore log.
func runRestore(c config, br *broker, self, logDir, sys string, run int, data dataset) result {
	r := result{Scenario: scenRestore, Guarantee: "alos", System: sys, Run: run}
	fail := func(format string, a ...any) result {
		r.Err = fmt.Sprintf(format, a...)
		return r
	}
	id := runID(scenRestore, "alos", sys, run)
	prefix := id + "."
	ctx, cancel := context.WithTimeout(context.Background(), 3*c.restoreTimeout)
	defer cancel()
	defer br.cleanup(context.Background(), id, userTopics(scenRestore, prefix)...)
	if err := createAndLoad(ctx, c, br, scenRestore, prefix, data); err != nil {
		return fail("%v", err)
	}
	var extra []string
	if sys == sysJava {
		extra = []string{"--leave-group-on-close", "--print-restores"}
	}
	// Build.
	build := func() error {
		stateDir, err := os.MkdirTemp("", "eddy-bench-state-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(stateDir)
		bctx, cancel := context.WithTimeout(ctx, c.restoreTimeout)
		defer cancel()
		name, args, env := c.command(self, launch{scen: scenRestore, guar: "alos", sys: sys, id: id, prefix: prefix, stateDir: stateDir, extra: extra})
		logFile := filepath.Join(logDir, id+"-build.log")
		ch, err := startChild(name, args, env, logFile)
		if err != nil {
			return err
		}
		defer ch.stop(60 * time.Second)
		running, err := waitRunning(bctx, ch, logFile)
		if err != nil {
			return err
		}
		r.BuildStartupS = running.Sub(ch.started).Seconds()
		done, err := waitDrained(bctx, br, ch, logFile, id, []string{prefix + restoreTopic}, 0)
		if err != nil {
			return err
		}
		r.BuildS = done.Sub(running).Seconds()
		ch.stop(60 * time.Second)
		return nil
	}
	if err := build(); err != nil {
		return fail("build: %v", err)
	}
	changelog := id + "-" + restoreStore + "-changelog"
	var err error
	if r.Changelog, err = br.endSum(ctx, changelog); err != nil {
		return fail("changelog %s: %v", changelog, err)
	}
	wctx, wcancel := context.WithTimeout(ctx, c.restoreTimeout)
	err = br.waitGroupEmpty(wctx, id)
	wcancel()
	if err != nil {
		return fail("%v", err)
	}
	// Restore.
	stateDir, err := os.MkdirTemp("", "eddy-bench-state-")
	if err != nil {
		return fail("%v", err)
	}
	defer os.RemoveAll(stateDir)
	rctx, rcancel := context.WithTimeout(ctx, c.restoreTimeout)
	defer rcancel()
	name, args, env := c.command(self, launch{scen: scenRestore, guar: "alos", sys: sys, id: id, prefix: prefix, stateDir: stateDir, extra: extra})
	logFile := filepath.Join(logDir, id+"-restore.log")
	ch, err := startChild(name, args, env, logFile)
	if err != nil {
		return fail("start: %v", err)
	}
	defer ch.stop(60 * time.Second)
	running, err := waitRunning(rctx, ch, logFile)
	if err != nil {
		return fail("restore: %v", err)
	}
	pid := ch.cmd.Process.Pid
	r.CPUS, _ = cpuSeconds(pid)
	r.PeakRSS, _ = peakRSS(pid)
	r.StartupS = running.Sub(ch.started).Seconds()
	win, restored, err := restoreWindow(sys, ch.output())
	if err != nil {
		return fail("restore report: %v", err)
	}
	r.DrainS, r.OutEnd = win.Seconds(), restored
	if r.DrainS > 0 {
		r.Throughput = float64(restored) / r.DrainS
	}
	if restored != r.Changelog {
		r.Err = fmt.Sprintf("restored %d records, the changelog has %d", restored, r.Changelog)
	}
	return r
}

// restoreWindow reads a restore instance's stdout: the time from the first
// restore start to the last restore end, and the records restored.
//
//	Kafka Streams: RESTORE_START <store> <topic> <partition> <from> <to> <ms>
//	               RESTORE_END <store> <topic> <partition> <records> <ms>
//	Eddy:          RESTORED <task> <records> <took-ms> <ms> (tasks restore one after another)
func restoreWindow(sys string, lines []string) (time.Duration, int64, error) {
	var first, last, n int64
	seen := false
	see := func(start, end int64) {
		if !seen || start < first {
			first = start
		}
		if !seen || end > last {
			last = end
		}
		seen = true
	}
	var starts []int64
	for _, l := range lines {
		f := strings.Fields(l)
		var nums []int64
		for _, s := range f {
			if v, err := strconv.ParseInt(s, 10, 64); err == nil {
				nums = append(nums, v)
			}
		}
		switch {
		case sys != sysJava && len(f) == 5 && f[0] == "RESTORED" && len(nums) == 3:
			n += nums[0]
			see(nums[2]-nums[1], nums[2])
		case sys == sysJava && len(f) == 7 && f[0] == "RESTORE_START":
			if len(nums) >= 1 {
				starts = append(starts, nums[len(nums)-1])
			}
		case sys == sysJava && len(f) == 6 && f[0] == "RESTORE_END" && len(nums) >= 2:
			n += nums[len(nums)-2]
			see(nums[len(nums)-1], nums[len(nums)-1])
		}
	}
	for _, s := range starts {
		see(s, s)
	}
	if !seen {
		return 0, 0, errors.New("no restore reported")
	}
	return time.Duration(last-first) * time.Millisecond, n, nil
}

func (r result) line() string {
	if r.Err != "" && r.Throughput == 0 {
		return fmt.Sprintf("run %s %-9s %-4s %-4s  ERROR %s", r.runLabel(), r.Scenario, r.Guarantee, r.System, r.Err)
	}
	if r.Scenario == scenRestore {
		s := fmt.Sprintf("run %s %-9s %-4s %-4s  build: start-up %5.2fs, %d keys in %6.2fs; restore: start → RUNNING %6.2fs, restore window %6.2fs, %8.0f rec/s  cpu %6.2fs  rss %6.1f MB  restored %d of %d",
			r.runLabel(), r.Scenario, r.Guarantee, r.System, r.BuildStartupS, r.Changelog, r.BuildS, r.StartupS, r.DrainS, r.Throughput,
			r.CPUS, float64(r.PeakRSS)/(1<<20), r.OutEnd, r.Changelog)
		if r.Err != "" {
			s += "  ERROR " + r.Err
		}
		return s
	}
	s := fmt.Sprintf("run %s %-9s %-4s %-4s  start-up %5.2fs  drain %6.2fs  %8.0f rec/s  cpu %6.2fs  rss %6.1f MB  out %d",
		r.runLabel(), r.Scenario, r.Guarantee, r.System, r.StartupS, r.DrainS, r.Throughput, r.CPUS, float64(r.PeakRSS)/(1<<20), r.OutEnd)
	if r.Err != "" {
		s += "  ERROR " + r.Err
	}
	return s
}

func (r result) runLabel() string {
	if r.Run == 0 {
		return "P"
	}
	return fmt.Sprint(r.Run)
}

// recordsOf is the number of input records of a text-line scenario.
func (c config) recordsOf(scenario string) int {
	if scenario == scenStateless {
		return c.records * max(1, c.statelessFactor)
	}
	return c.records
}

// defaultTuned are the settings the report's analysis recommends: a bounded
// franz-go fetch per partition, and that plus a lower GOGC.
const defaultTuned = "GOGC=50;-fetch-max-partition-bytes 65536 GOGC=50"

// variant is a tuned Eddy run of the profiling pass.
type variant struct {
	Name, Label string
	Args, Env   []string
}

// parseVariants parses -tuned: ';'-separated variants of space-separated
// tokens, KEY=VALUE (upper-case KEY) being environment, the rest arguments.
func parseVariants(s string) []variant {
	var vs []variant
	for _, part := range strings.Split(s, ";") {
		toks := strings.Fields(part)
		if len(toks) == 0 {
			continue
		}
		v := variant{Name: fmt.Sprintf("eddy-t%d", len(vs)+1), Label: strings.Join(toks, " ")}
		for _, t := range toks {
			if k, _, ok := strings.Cut(t, "="); ok && k != "" && !strings.HasPrefix(k, "-") && strings.ToUpper(k) == k {
				v.Env = append(v.Env, t)
			} else {
				v.Args = append(v.Args, t)
			}
		}
		vs = append(vs, v)
	}
	return vs
}
