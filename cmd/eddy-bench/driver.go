// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	goruntime "runtime"
	"strconv"
	"strings"
)

// The test driver's speed (topologytest's BenchmarkWordCount, one core):
// the harness runs the Go benchmark so that BENCHMARKS.md reports it next
// to the broker runs. Words per second is the figure the topologytest issue
// sets a target for; CPU per word is the one a busy machine disturbs least.

// driverTarget is the target for the driver's word count, in words
// per second on one core.
const driverTarget = 2e6

// driverResult is the medians of the benchmark's runs.
type driverResult struct {
	Pkg                                           string
	Runs                                          int
	WordsPerSec, CPUNsPerWord, AllocsPerLine, BPL float64
	PerRun                                        []float64 // words/s of each run
	Err                                           string
}

// runDriverBench runs BenchmarkWordCount of pkg count times with -cpu 1
// (from the module root, where the harness runs) and returns its medians.
func runDriverBench(pkg string, count int) driverResult {
	r := driverResult{Pkg: pkg}
	cmd := exec.Command("go", "test", "-run", "^$", "-bench", "^BenchmarkWordCount$", "-benchtime", "1s",
		"-count", strconv.Itoa(count), "-cpu", "1", pkg)
	cmd.Env = os.Environ()
	if os.Getenv("GOTOOLCHAIN") == "" {
		// The module needs the Go release the harness was built with
		// (go.mod's go line); a machine pinned to an older local
		// toolchain would refuse to build it.
		cmd.Env = append(cmd.Env, "GOTOOLCHAIN="+goruntime.Version())
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		r.Err = fmt.Sprintf("go test -bench in %s: %v: %s", pkg, err, lastLines(out, 5))
		return r
	}
	var words, cpu, allocs, bytesPer []float64
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		m := parseBenchLine(sc.Text())
		if m == nil {
			continue
		}
		words, cpu = append(words, m["words/s"]), append(cpu, m["cpu-ns/word"])
		allocs, bytesPer = append(allocs, m["allocs/op"]), append(bytesPer, m["B/op"])
	}
	if len(words) == 0 {
		r.Err = fmt.Sprintf("no BenchmarkWordCount result in the output of go test -bench %s: %s", pkg, lastLines(out, 5))
		return r
	}
	r.Runs, r.PerRun = len(words), words
	r.WordsPerSec, r.CPUNsPerWord, r.AllocsPerLine, r.BPL = median(words), median(cpu), median(allocs), median(bytesPer)
	return r
}

// parseBenchLine returns the metrics of a benchmark result line of
// BenchmarkWordCount ("BenchmarkWordCount/memory  N  123 ns/op  4.5 words/s
// …"), keyed by unit, or nil for another line.
func parseBenchLine(line string) map[string]float64 {
	fs := strings.Fields(line)
	if len(fs) < 4 || !strings.HasPrefix(fs[0], "BenchmarkWordCount") {
		return nil
	}
	m := map[string]float64{}
	for i := 2; i+1 < len(fs); i += 2 {
		v, err := strconv.ParseFloat(fs[i], 64)
		if err != nil {
			return nil
		}
		m[fs[i+1]] = v
	}
	if _, ok := m["words/s"]; !ok {
		return nil
	}
	return m
}

// lastLines returns the last n lines of out, for an error message.
func lastLines(out []byte, n int) string {
	ls := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(ls[max(0, len(ls)-n):], " / ")
}

// met says whether the driver reached the target.
func (r driverResult) met() string {
	if r.Err != "" {
		return "n/a"
	}
	if r.WordsPerSec >= driverTarget {
		return "met"
	}
	return "MISSED"
}

// summaryLine is the driver's line in the report's summary.
func (r driverResult) summaryLine() string {
	return fmt.Sprintf("test driver word count (topologytest, one core): %.2f M words/s (target ≥ %.0f M)", r.WordsPerSec/1e6, driverTarget/1e6)
}

// markdown is the report's section on the driver.
func (r driverResult) markdown() string {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("\n## Test driver (topologytest)\n\n")
	p("`go test -run '^$' -bench '^BenchmarkWordCount$' -benchtime 1s -count N -cpu 1 %s`: the word count of the "+
		"README (lines → words, repartitioned by word, counted in a logged in-memory store, counts to an output topic) "+
		"piped through the test driver, one input line of 8 words per op, on one core. *CPU ns/word* is the process's "+
		"CPU time per word (garbage collection included). Medians of the runs.\n\n", r.Pkg)
	if r.Err != "" {
		p("Not measured: %s\n", r.Err)
		return b.String()
	}
	p("| runs | words/s | per run (M words/s) | CPU ns/word | allocs per line | bytes per line | target | |\n|---|---|---|---|---|---|---|---|\n")
	var per []string
	for _, w := range r.PerRun {
		per = append(per, fmt.Sprintf("%.2f", w/1e6))
	}
	p("| %d | %.2f M | %s | %.0f | %.0f | %.0f | ≥ %.0f M words/s | %s |\n", r.Runs, r.WordsPerSec/1e6, strings.Join(per, " "),
		r.CPUNsPerWord, r.AllocsPerLine, r.BPL, driverTarget/1e6, r.met())
	return b.String()
}
