// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	goruntime "runtime"
	"runtime/debug"
	"strings"
	"text/tabwriter"
	"time"
)

// env describes the machine and versions of a benchmark run.
type env struct {
	CPU, MemTotal, GoVersion, FranzGo, Java string
	NProc                                   int
	LoadStart, LoadEnd                      string
	Date                                    time.Time
	Elapsed                                 time.Duration
}

func collectEnv(c config) env {
	e := env{GoVersion: goruntime.Version(), NProc: goruntime.NumCPU(), LoadStart: loadavg(), Date: time.Now().UTC()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		e.CPU = cpuModel(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if n, err := parseStatusKB(string(b), "MemTotal"); err == nil {
			e.MemTotal = fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
		}
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, d := range bi.Deps {
			if d.Path == "github.com/twmb/franz-go" {
				e.FranzGo = d.Version
			}
		}
	}
	if contains(c.systems, sysJava) {
		if out, err := exec.Command("java", "-version").CombinedOutput(); err == nil {
			e.Java = strings.SplitN(strings.TrimSpace(string(out)), "\n", 2)[0]
		}
	}
	return e
}

// cpuModel returns the first "model name" of /proc/cpuinfo.
func cpuModel(cpuinfo string) string {
	for line := range strings.SplitSeq(cpuinfo, "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// summary is the medians of one cell (scenario × guarantee × system).
type summary struct {
	cell
	OK, N                                  int
	Startup, Drain, Throughput, CPU, RSSMB float64
	CPUPerUnit, AllocsPerUnit              float64 // per input word (record): see workUnits
	Out                                    float64 // output records (end offsets, with commit markers) at lag 0
	BuildStartup, Build, Changelog         float64 // restore measurement
}

func summarizeCell(rs []result, c cell) summary {
	var st, dr, tp, cpu, rss, bst, bd, cl, cpuU, allocU, out []float64
	sm := summary{cell: c}
	for _, r := range rs {
		if r.cell() != c || r.Run == 0 {
			continue
		}
		sm.N++
		if r.Err != "" {
			continue
		}
		sm.OK++
		st, dr, tp = append(st, r.StartupS), append(dr, r.DrainS), append(tp, r.Throughput)
		cpu, rss = append(cpu, r.CPUS), append(rss, float64(r.PeakRSS)/(1<<20))
		bst, bd, cl = append(bst, r.BuildStartupS), append(bd, r.BuildS), append(cl, float64(r.Changelog))
		out = append(out, float64(r.OutEnd))
		if v := r.cpuPerUnit(); v > 0 {
			cpuU = append(cpuU, v)
		}
		if v := r.allocsPerUnit(); !math.IsNaN(v) {
			allocU = append(allocU, v)
		}
	}
	sm.CPUPerUnit, sm.AllocsPerUnit, sm.Out = median(cpuU), median(allocU), median(out)
	sm.Startup, sm.Drain, sm.Throughput, sm.CPU, sm.RSSMB = median(st), median(dr), median(tp), median(cpu), median(rss)
	sm.BuildStartup, sm.Build, sm.Changelog = median(bst), median(bd), median(cl)
	return sm
}

// summarize returns the throughput scenarios' cells.
func summarize(c config, rs []result) []summary {
	var out []summary
	for _, s := range c.scenarios {
		for _, g := range c.guarantees {
			for _, sys := range c.systems {
				if runsScenario(sys, s) {
					out = append(out, summarizeCell(rs, cell{s, g, sys}))
				}
			}
		}
	}
	return out
}

// summarizeRestore returns the restore measurement's cells.
func summarizeRestore(c config, rs []result) []summary {
	var out []summary
	if c.restoreKeys <= 0 {
		return nil
	}
	for _, sys := range c.systems {
		if sys != sysRaw && sys != sysRawKS {
			out = append(out, summarizeCell(rs, cell{scenRestore, "alos", sys}))
		}
	}
	return out
}

func f(x float64, prec int) string {
	if math.IsNaN(x) {
		return "—"
	}
	return fmt.Sprintf("%.*f", prec, x)
}

func textTable(c config, rs []result, ratios []ratio) string {
	var b strings.Builder
	w := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "scenario\tguarantee\tsystem\truns ok\tstart-up s\tdrain s\trecords/s\tCPU s\tCPU µs/unit\tallocs/unit\tpeak RSS MB")
	for _, s := range summarize(c, rs) {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d/%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", s.Scenario, s.Guarantee, s.System, s.OK, s.N,
			f(s.Startup, 2), f(s.Drain, 2), f(s.Throughput, 0), f(s.CPU, 2), f(s.CPUPerUnit, 2), f(s.AllocsPerUnit, 1), f(s.RSSMB, 1))
	}
	for _, s := range summarizeRestore(c, rs) {
		fmt.Fprintf(w, "restore %d keys\t\t%s\t%d/%d\t%s\t%s\t%s\t%s\t%s\n", c.restoreKeys, s.System, s.OK, s.N,
			f(s.Startup, 2), f(s.Drain, 2), f(s.Throughput, 0), f(s.CPU, 2), f(s.RSSMB, 1))
	}
	w.Flush()
	b.WriteString("\n")
	w = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ratio (median of per-run ratios)\tmedian\tper run\ttarget\t")
	for _, r := range ratios {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", r.Label, f(r.Median, 2), perRun(r.PerRun), target(r.Target), r.met())
	}
	w.Flush()
	for _, t := range []struct {
		head []string
		rows [][]string
	}{{yardstickHead, yardstickRows(c, rs, ratios)}, {cacheHead, cacheRows(c, rs, ratios)}} {
		if len(t.rows) == 0 {
			continue
		}
		b.WriteString("\n")
		w = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintln(w, strings.Join(t.head, "\t"))
		for _, row := range t.rows {
			fmt.Fprintln(w, strings.Join(row, "\t"))
		}
		w.Flush()
	}
	return b.String()
}

func perRun(xs []float64) string {
	var s []string
	for _, x := range xs {
		s = append(s, f(x, 2))
	}
	return strings.Join(s, " ")
}

func target(t float64) string {
	if t == 0 {
		return ""
	}
	return "≥ " + f(t, 1)
}

// command is the harness command line as run.
func (c config) commandLine() string {
	s := "go run ./cmd/eddy-bench"
	if c.args != "" {
		s += " " + c.args
	}
	return s
}

func markdown(c config, e env, rs []result, ratios []ratio, prof *profileReport, driver *driverResult) string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Benchmarks\n\n")
	p("Generated by `%s` on %s (%s of measured runs). Do not edit by hand: rerun the harness "+
		"(see cmd/eddy-bench/main.go for the broker and jar it needs).\n\n", c.commandLine(), e.Date.Format("2006-01-02 15:04 UTC"), e.Elapsed.Round(time.Second))
	p("![throughput, peak RSS and time to RUNNING](%s)\n\n", c.chart)

	var missed, met []string
	for _, r := range ratios {
		switch r.met() {
		case "MISSED", "n/a":
			m := fmt.Sprintf("%s: %s (target %s)", r.Label, f(r.Median, 2), target(r.Target))
			if r.straddles() {
				m += fmt.Sprintf(" — per run %s: some runs meet it, so this one is within the noise", perRun(r.PerRun))
			}
			missed = append(missed, m)
		case "met":
			met = append(met, fmt.Sprintf("%s: %s", r.Label, f(r.Median, 2)))
		}
	}
	if driver != nil {
		switch driver.met() {
		case "met":
			met = append(met, driver.summaryLine())
		case "MISSED":
			missed = append(missed, driver.summaryLine())
		}
	}
	p("## Summary\n\n")
	p("**Targets met: %d of %d.**", len(met), len(met)+len(missed))
	if len(missed) > 0 {
		p(" Missed:\n\n")
		for _, m := range missed {
			p("- %s\n", m)
		}
		if prof != nil && len(prof.Runs) > 0 {
			p("\nThe profiles that explain the misses, and what would close them, are in [Profiles](#profiles).\n")
		} else {
			p("\nThis run took no profiles; rerun with `-profile DIR` for the analysis of the misses.\n")
		}
	} else {
		p(" All targets met.\n")
	}
	p("\nThe machine is shared (load average below): expect run-to-run noise of tens of percent; the per-run " +
		"ratios show it, and only ratios within one run are compared.\n\n")

	p("## Machine and versions\n\n")
	p("| | |\n|---|---|\n")
	p("| CPU | %s |\n| nproc | %d |\n| MemTotal | %s |\n", e.CPU, e.NProc, e.MemTotal)
	p("| load average (1/5/15 min) at start / end | %s / %s |\n", e.LoadStart, e.LoadEnd)
	p("| Go | %s |\n| franz-go | %s |\n| Kafka broker | %s (scripts/kafka.sh, single KRaft node, 127.0.0.1) |\n", e.GoVersion, e.FranzGo, c.kafkaVersion)
	if e.Java != "" {
		p("| Java | %s |\n| Kafka Streams | %s (java/target/eddy-reference.jar) |\n", e.Java, c.streamsVersion)
	}
	p("\n")

	methodSection(&b, c)

	p("## Ratios (same run, median over runs) and the issue's targets\n\n")
	p("| ratio | median | per run | target | |\n|---|---|---|---|---|\n")
	for _, r := range ratios {
		p("| %s | %s | %s | %s | %s |\n", r.Label, f(r.Median, 2), perRun(r.PerRun), target(r.Target), r.met())
	}

	if driver != nil {
		p("%s", driver.markdown())
	}

	if rows := yardstickRows(c, rs, ratios); len(rows) > 0 {
		p("\n## Eddy against the same work (raw-ks)\n\n")
		p("raw-ks does, by hand, the work Kafka Streams and Eddy do in the stateful scenarios (repartition topic, changelog, output; " +
			"see Method), so these ratios measure what the framework costs on top of that work. The *raw* loop skips the repartition " +
			"topic and the changelog and is only the practical limit. Ratios are medians of per-run ratios; CPU and allocations per " +
			"input word (join: per input record) from RUNNING to lag 0, medians over runs. Eddy/raw-ks CPU is raw-ks µs ÷ Eddy µs " +
			"(1.0 = as lean as the hand-written loop).\n\n")
		p("| %s |\n|%s\n", strings.Join(yardstickHead, " | "), strings.Repeat("---|", len(yardstickHead)))
		for _, row := range rows {
			p("| %s |\n", strings.Join(row, " | "))
		}
	}

	if rows := cacheRows(c, rs, ratios); len(rows) > 0 {
		p("\n## Word count with both record caches (wordcount-cached)\n\n")
		p("Eddy with `Config.CacheMaxBytes` at its default and Kafka Streams with `statestore.cache.max.bytes` at its default "+
			"(10 MiB each), word count, commit interval %v: each system merges a word's count updates in its cache and writes the "+
			"changelog and the output when the cache evicts or the task commits, so it writes fewer records than the %d updates "+
			"of the uncached runs, as many as its cache and commits make it. *out* is the median of the output topic's end offsets "+
			"at lag 0 (under exactly-once including the commit markers). The wordcount rows (no cache) are repeated for comparison. "+
			"The issue's target: Eddy/Java throughput ≥ 4 with both caches on.\n\n", c.commit, expectedOutput(scenWordCount, datasets(config{
			records: c.records, vocab: c.vocab, partitions: c.partitions, scenarios: []string{scenWordCount}})[scenWordCount]))
		p("| %s |\n|%s\n", strings.Join(cacheHead, " | "), strings.Repeat("---|", len(cacheHead)))
		for _, row := range rows {
			p("| %s |\n", strings.Join(row, " | "))
		}
	}

	p("\n## Medians\n\n")
	p("*CPU µs/unit* and *allocs/unit*: from RUNNING to lag 0, per input word (wordcount, window) or record (stateless, join); " +
		"allocations are the Go systems' heap allocations (runtime/metrics), — for Java.\n\n")
	p("| scenario | guarantee | system | runs ok | start-up s | drain s | records/s | CPU s | CPU µs/unit | allocs/unit | peak RSS MB |\n|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, s := range summarize(c, rs) {
		p("| %s | %s | %s | %d/%d | %s | %s | %s | %s | %s | %s | %s |\n", s.Scenario, s.Guarantee, s.System, s.OK, s.N,
			f(s.Startup, 2), f(s.Drain, 2), f(s.Throughput, 0), f(s.CPU, 2), f(s.CPUPerUnit, 2), f(s.AllocsPerUnit, 1), f(s.RSSMB, 1))
	}
	if rsum := summarizeRestore(c, rs); len(rsum) > 0 {
		p("\n### Restore of a %d-key store\n\n", c.restoreKeys)
		p("| system | runs ok | changelog records | build: start-up s | build: drain s | restore: start → RUNNING s | restore window s | restore records/s | CPU s at RUNNING | peak RSS MB at RUNNING |\n|---|---|---|---|---|---|---|---|---|---|\n")
		for _, s := range rsum {
			p("| %s | %d/%d | %s | %s | %s | %s | %s | %s | %s | %s |\n", s.System, s.OK, s.N, f(s.Changelog, 0),
				f(s.BuildStartup, 2), f(s.Build, 2), f(s.Startup, 2), f(s.Drain, 2), f(s.Throughput, 0), f(s.CPU, 2), f(s.RSSMB, 1))
		}
	}

	profileSection(&b, c, rs, ratios, prof)

	var errs []string
	all := append([]result(nil), rs...)
	if prof != nil {
		all = append(all, prof.Failed...)
	}
	for _, r := range all {
		if r.Err != "" {
			errs = append(errs, fmt.Sprintf("- run %s %s %s %s: %s", r.runLabel(), r.Scenario, r.Guarantee, r.System, r.Err))
		}
	}
	if len(errs) > 0 {
		p("\n## Failed runs\n\n%s\n", strings.Join(errs, "\n"))
	}
	p("\n## All runs\n\n```\n")
	for _, r := range rs {
		p("%s\n", r.line())
	}
	if prof != nil {
		for _, r := range prof.Failed {
			p("%s\n", r.line())
		}
		for _, pr := range prof.Runs {
			p("%s\n", pr.Result.line())
		}
	}
	p("```\n")
	return b.String()
}

func methodSection(b *strings.Builder, c config) {
	p := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	data := datasets(config{records: c.records, statelessFactor: c.statelessFactor, vocab: c.vocab, partitions: c.partitions,
		joinKeys: c.joinKeys, scenarios: allScenarios})
	p("## Method\n\n")
	p("- One broker for everything (`-brokers %s`). Every measured run gets fresh topics named "+
		"`bench-<scenario>-<guarantee>-<system>-r<run>-<n>.<topic>`, inputs and outputs with %d partitions each; "+
		"internal topics are created by the system under test. They are deleted after the run.\n", c.brokers, c.partitions)
	p("- The input is pre-loaded before the system starts (identical bytes for every system and run): text lines of 1–6 words "+
		"(vocabulary %d, mixed case, seed 42), line i on partition i mod %d with timestamp 1700000000000+i ms.\n", c.vocab, c.partitions)
	p("- Systems, each its own OS process, one processing thread, same guarantee, commit interval %v, no record cache "+
		"(except Eddy and Java in the wordcount-cached variant):\n", c.commit)
	p("  - **raw**: a hand-written franz-go loop (`eddy-bench raw`): poll, transform, produce, and every commit interval " +
		"flush + commit offsets (at-least-once) or end a `kgo.GroupTransactSession` transaction (exactly-once). For the stateful " +
		"scenarios it keeps its state in Go maps and writes results straight to the output topic: **no repartition topic, no changelog**, " +
		"no store, nothing survives a restart — the practical limit, not the same work (the stateful scenarios' Eddy/raw ratios compare " +
		"Eddy with less than half of its produce and fetch traffic). It has no restore measurement.\n")
	if contains(c.systems, sysRawKS) {
		p("  - **raw-ks** (wordcount, window, join): the yardstick for the stateful scenarios, a hand-written franz-go loop " +
			"(`eddy-bench raw-ks`, cmd/eddy-bench/rawks.go) doing the work Kafka Streams does. Word count: split each line (the scenario's " +
			"own `words`), write every word to `<app-id>-word-counts-repartition` keyed by the word (murmur2 of the key, the input's " +
			"partition count), read that topic back in the same consumer group, count in a Go map per task, write every new count to " +
			"the compacted changelog `<app-id>-word-counts-changelog` (the task's partition) and to the output. Window: the same through " +
			"`<app-id>-window-counts-repartition`, 10 s tumbling windows with stream time per task, the grace check and retention " +
			"(size + grace), changelog `<app-id>-window-counts-changelog` (compact,delete) keyed word ‖ window start ‖ sequence as Kafka " +
			"Streams' window stores, output in the time-windowed key format partitioned by the word. Join: per task, the table and stream records merged by " +
			"timestamp as Kafka Streams' partition group does (`max.task.idle.ms` 0: when one side has nothing buffered, the other " +
			"waits unless that side's partition is caught up with its end offset, listed at start or seen in a fetch; a commit " +
			"waits while records are held); a table row goes into a Go map and to `<app-id>-join-table-changelog`; a stream record " +
			"is left-joined with its row (the scenario's own `joined`) and written out. A test (rawks_test.go) runs raw-ks and Eddy " +
			"on the same input on the embedded broker in every stateful scenario and guarantee and checks that both write exactly " +
			"the output, repartition and changelog records computed from the input. Internal topics are created with Eddy's settings; " +
			"same guarantee, commit interval, one group member and one (transactional) producer as Eddy, and Eddy's franz-go defaults " +
			"(128 KiB fetched per partition, 500 ms fetch wait, 10 s transaction timeout, 1M buffered records). What it leaves out: a " +
			"local store (maps only), checkpoints and changelog-offset bookkeeping, restore, and rebalance handling beyond the transact " +
			"session's. Not in the wordcount-cached variant (it has no record cache). No restore measurement.\n")
	}
	p("  - **eddy**: `runtime.App` with the scenario topology (`eddy-bench worker`), Workers 1, Pebble stores. " +
		"Eddy has no record cache (`Config.CacheMaxBytes: runtime.NoCache`, Kafka Streams' `statestore.cache.max.bytes=0` equivalent), " +
		"except in wordcount-cached (`eddy-bench worker -record-cache`: `Config.CacheMaxBytes` 0, the default, 10 MiB).\n")
	if contains(c.systems, sysJava) {
		p("  - **java**: `java -jar java/target/eddy-reference.jar <topology> --cache-bytes 0 --commit-interval-ms %d` "+
			"(wordcount-cached: `--cache-bytes 10485760`, Kafka Streams' default) "+
			"with default JVM options (no -Xmx: the JVM picks 1/4 of RAM as max heap), RocksDB stores, 1 stream thread. "+
			"The topologies are in java/src/main/java/io/eddystreams/reference (Topologies.java, BenchTopologies.java); "+
			"each has a Go twin in cmd/eddy-bench/scenario.go with the same topic, store and repartition names and output bytes.\n", c.commit.Milliseconds())
	}
	if c.eddyBinFlag != "" || len(c.eddyEnv) > 0 || len(c.eddyArgs) > 0 {
		p("  - **Eddy process overrides in this report** (not the defaults): binary `%s`, environment `%s`, arguments `%s`.\n",
			c.eddyBinFlag, strings.Join(c.eddyEnv, " "), strings.Join(c.eddyArgs, " "))
	}
	p("- Scenarios (Java topology in parentheses); *out* is the number of output records every system must write without a record cache:\n")
	p("  - **stateless** (`bench-stateless`): filter (line ≥ 12 bytes) → mapValues (upper case) → to. %d lines (%d× -records, it drains fast); out %d.\n",
		len(data[scenStateless][inputTopic]), c.statelessFactor, expectedOutput(scenStateless, data[scenStateless]))
	p("  - **wordcount** (`wordcount`) = examples/wordcount: flatMapValues (lower-case words) → groupBy word (repartition) → count → to. "+
		"%d lines; out %d (one count update per word).\n", len(data[scenWordCount][inputTopic]), expectedOutput(scenWordCount, data[scenWordCount]))
	if contains(c.scenarios, scenWordCountCached) {
		p("  - **wordcount-cached** (`wordcount`): word count, Eddy and Java only, both record caches at their default size "+
			"(10 MiB), same input; a system writes at least one update per distinct word (%d), how many more depends on its cache "+
			"and commits. CPU per input word as in wordcount.\n", expectedOutput(scenWordCountCached, data[scenWordCount]))
	}
	p("  - **window** (`bench-window`): the same words → groupBy word (repartition `window-counts`) → 10 s tumbling windows, "+
		"grace 1 h (longer than the input spans, so nothing is late whatever the fetch order) → count → to, keys in Kafka Streams' "+
		"time-windowed format. %d lines; out %d.\n", len(data[scenWindow][inputTopic]), expectedOutput(scenWindow, data[scenWindow]))
	p("  - **join** (`bench-join`): a table of %d rows (`join-table`, keys `c<n>`) and %d stream records (`join-stream`, values = "+
		"the text lines, keys drawn from the table's keys, seed 43), both partitioned by murmur2 of the key like a Java producer; "+
		"stream.leftJoin(table) → to. The table is pre-loaded first with earlier timestamps; a left join makes the output count (%d) "+
		"independent of whether a system happens to fetch a stream record before its row. Throughput counts table and stream records.\n",
		c.joinKeys, c.records, expectedOutput(scenJoin, data[scenJoin]))
	p("- Measured per run: **start-up** = process start → the process prints `STATE RUNNING <epoch-ms>` (Kafka Streams' " +
		"state listener; Eddy's `Config.StateListener`; raw: first partition assignment). **Throughput** = input records / " +
		"(RUNNING → the consumer group's committed offsets equal the end offsets of the input topics and of the system's " +
		"`<app-id>-…-repartition` topics), polled every 50 ms with kadm (under exactly-once a repartition partition may keep " +
		"one offset of lag: the final commit marker). **CPU seconds** = utime+stime from `/proc/<pid>/stat` at that moment " +
		"(start-up included, shutdown excluded). **CPU µs/unit** = (CPU seconds at lag 0 − CPU seconds when the harness saw RUNNING) " +
		"÷ input units: words for wordcount and window (one record each through repartition, store and output), records for stateless " +
		"and join; the stable figure on a shared machine. **allocs/unit**: the Go systems answer SIGUSR1 with their cumulative heap " +
		"allocations (runtime/metrics, tiny objects included), asked at RUNNING and at lag 0. **Peak RSS** = `VmHWM` from " +
		"`/proc/<pid>/status` at that moment. Then SIGTERM, wait.\n")
	if c.restoreKeys > 0 {
		p("- **Restore** (at-least-once, Eddy and Java; Java topology `bench-restore`): %d records with distinct keys are pre-loaded "+
			"into `restore-keys`; a source table materializes them in the store `restore-store`, which writes a changelog of one "+
			"record per key (*build*, not the measurement). The instance stops (Kafka Streams with `--leave-group-on-close`, "+
			"so the next one gets every task at once; Eddy always leaves the group), the harness checks the changelog's record count, "+
			"waits until the group is empty, and starts a new instance of the same application with an **empty state directory**. "+
			"Both systems report RUNNING only after every assigned task is restored, so **start → RUNNING** is the recovery time a user "+
			"sees (process start-up included). The **restore window** is the systems' own report: Kafka Streams' global restore "+
			"listener (first `onRestoreStart` → last `onRestoreEnd`; it restores partitions concurrently), Eddy's `restored task state` "+
			"log records (tasks restore one after another; first start → last end). **Restore records/s** = records restored / restore window. "+
			"CPU seconds and peak RSS are read at RUNNING.\n", c.restoreKeys)
	}
	p("- %d runs; in each run every system runs once per scenario and guarantee (and the restore once), one after another, in an order rotated "+
		"from run to run. Tables show medians over runs; ratios are computed within each run, then the median is shown "+
		"(per-run values alongside). The start-up target (≥ 10×) is checked in every scenario (not again in the wordcount-cached variant), "+
		"the throughput and memory targets where the issues set them (stateless vs raw, word count vs Java without and with the record "+
		"caches, word count CPU per word vs raw-ks), EOS/ALOS for Eddy in every scenario but the variant.\n", c.runs)
	p("- Sanity check: each line of *All runs* ends with `out N`, the sum of the output topic's end offsets when lag " +
		"reached 0: the *out* count above, plus, under exactly-once, one commit marker per partition and transaction.\n")
	p("- Resolution: lag is polled every 50 ms and commits happen every %v, so short drains carry ~0.1–0.2 s of "+
		"measurement slack; with a few seconds of drain that is a few percent.\n\n", c.commit)
}

// cacheHead are the columns of the record-cache comparison.
var cacheHead = []string{"scenario", "guarantee", "Eddy/Java throughput", "Java/Eddy CPU per word", "Java/Eddy peak RSS",
	"records/s Eddy", "records/s Java", "CPU µs/word Eddy", "CPU µs/word Java", "peak RSS MB Eddy", "peak RSS MB Java",
	"out Eddy", "out Java"}

// cacheRows compares Eddy with Java in word count with the record caches on
// (wordcount-cached) and, for reference, off (wordcount), per guarantee.
func cacheRows(c config, rs []result, ratios []ratio) [][]string {
	if !contains(c.scenarios, scenWordCountCached) || !contains(c.systems, sysEddy) || !contains(c.systems, sysJava) {
		return nil
	}
	rat := func(num, den cell, m metric) string {
		for _, r := range ratios {
			if r.Num == num && r.Den == den && r.Metric.Name == m.Name {
				return f(r.Median, 2)
			}
		}
		// not among the report's ratios (wordcount's CPU per word)
		return f(computeRatios([]ratioDef{{Num: num, Den: den, Metric: m}}, rs, c.runs)[0].Median, 2)
	}
	var rows [][]string
	for _, s := range []string{scenWordCountCached, scenWordCount} {
		if !contains(c.scenarios, s) {
			continue
		}
		for _, g := range c.guarantees {
			e, j := summarizeCell(rs, cell{s, g, sysEddy}), summarizeCell(rs, cell{s, g, sysJava})
			val := func(sm summary, v float64, prec int) string {
				if sm.OK == 0 {
					return "—"
				}
				return f(v, prec)
			}
			rows = append(rows, []string{s, g,
				rat(e.cell, j.cell, mThroughput), rat(j.cell, e.cell, mCPUPerUnit), rat(j.cell, e.cell, mRSS),
				val(e, e.Throughput, 0), val(j, j.Throughput, 0), val(e, e.CPUPerUnit, 2), val(j, j.CPUPerUnit, 2),
				val(e, e.RSSMB, 1), val(j, j.RSSMB, 1), val(e, e.Out, 0), val(j, j.Out, 0)})
		}
	}
	return rows
}

// yardstickHead are the columns of the raw-ks comparison.
var yardstickHead = []string{"scenario", "guarantee", "unit",
	"Eddy/raw-ks throughput", "Eddy/raw-ks CPU per unit (raw-ks µs ÷ Eddy µs)", "Eddy/raw throughput", "Eddy/Java throughput",
	"CPU µs/unit raw-ks", "CPU µs/unit Eddy", "CPU µs/unit Java", "CPU µs/unit raw",
	"allocs/unit raw-ks", "allocs/unit Eddy", "allocs/unit raw"}

// yardstickRows compares Eddy with raw-ks (and, alongside, raw and Java) per
// stateful scenario and guarantee: within-run ratios (median) and median
// CPU and allocations per input unit.
func yardstickRows(c config, rs []result, ratios []ratio) [][]string {
	if !contains(c.systems, sysRawKS) || !contains(c.systems, sysEddy) {
		return nil
	}
	rat := func(num, den cell, m metric) string {
		for _, r := range ratios {
			if r.Num == num && r.Den == den && r.Metric.Name == m.Name {
				return f(r.Median, 2)
			}
		}
		return "—"
	}
	per := func(s, g, sys string, get func(summary) float64, prec int) string {
		if !contains(c.systems, sys) {
			return "—"
		}
		sm := summarizeCell(rs, cell{s, g, sys})
		if sm.OK == 0 {
			return "—"
		}
		return f(get(sm), prec)
	}
	cpu := func(sm summary) float64 { return sm.CPUPerUnit }
	allocs := func(sm summary) float64 { return sm.AllocsPerUnit }
	var rows [][]string
	for _, s := range c.scenarios {
		if !hasRawKS(s) {
			continue
		}
		for _, g := range c.guarantees {
			e := cell{s, g, sysEddy}
			rows = append(rows, []string{s, g, unitName(s),
				rat(e, cell{s, g, sysRawKS}, mThroughput), rat(cell{s, g, sysRawKS}, e, mCPUPerUnit),
				rat(e, cell{s, g, sysRaw}, mThroughput), rat(e, cell{s, g, sysJava}, mThroughput),
				per(s, g, sysRawKS, cpu, 2), per(s, g, sysEddy, cpu, 2), per(s, g, sysJava, cpu, 2), per(s, g, sysRaw, cpu, 2),
				per(s, g, sysRawKS, allocs, 1), per(s, g, sysEddy, allocs, 1), per(s, g, sysRaw, allocs, 1)})
		}
	}
	return rows
}
