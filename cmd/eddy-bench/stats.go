// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"math"
	"slices"
)

// System names.
const (
	sysRaw   = "raw"
	sysRawKS = "raw-ks"
	sysEddy  = "eddy"
	sysJava  = "java"
)

// allSystems are the systems, in report order.
var allSystems = []string{sysRaw, sysRawKS, sysEddy, sysJava}

// runsScenario says whether a system has a contender for a scenario:
// raw-ks exists for the stateful scenarios only, and the record-cache
// variant compares the two systems that have a record cache, Eddy and Java.
func runsScenario(sys, scenario string) bool {
	if cachedScenario(scenario) {
		return sys == sysEddy || sys == sysJava
	}
	return sys != sysRawKS || hasRawKS(scenario)
}

// result is one measured run of one system. For the restore measurement
// (Scenario "restore"), StartupS is start → RUNNING of the restoring
// instance, DrainS the restore window, Throughput the restore rate, OutEnd
// the records restored, CPUS and PeakRSS are read at RUNNING.
type result struct {
	Scenario, Guarantee, System string
	Run                         int     // 0: profiling pass
	StartupS                    float64 // process start → RUNNING
	DrainS                      float64 // RUNNING → lag 0
	Throughput                  float64 // input records / DrainS
	CPUS                        float64 // utime+stime at lag 0
	PeakRSS                     int64   // VmHWM at lag 0, bytes
	OutEnd                      int64   // sum of the output topic's end offsets at lag 0
	CPUAtRunningS               float64 // utime+stime at RUNNING
	Units                       int64   // input words (wordcount, window) or records (stateless, join); see workUnits
	Allocs, AllocBytes          float64 // heap allocations RUNNING → lag 0 (Go systems), if HasAllocs
	HasAllocs                   bool
	// restore measurement only
	BuildStartupS, BuildS float64 // build instance: start → RUNNING, RUNNING → lag 0
	Changelog             int64   // records in the store's changelog
	Err                   string

	stdout []string // profiled runs: the child's stdout
}

type cell struct{ Scenario, Guarantee, System string }

func (r result) cell() cell { return cell{r.Scenario, r.Guarantee, r.System} }

// median of xs (NaN when empty).
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

// metric extracts one number from a result.
type metric struct {
	Name string
	Get  func(result) float64
}

var (
	mThroughput = metric{"throughput", func(r result) float64 { return r.Throughput }}
	mRSS        = metric{"peak RSS", func(r result) float64 { return float64(r.PeakRSS) }}
	mStartup    = metric{"start-up time", func(r result) float64 { return r.StartupS }}
	mCPU        = metric{"CPU seconds", func(r result) float64 { return r.CPUS }}
	mCPUPerUnit = metric{"CPU µs per input unit", func(r result) float64 { return r.cpuPerUnit() }}
)

// cpuPerUnit is the CPU µs the system spent per input word (record for
// stateless and join) between RUNNING and lag 0; 0 when unknown.
func (r result) cpuPerUnit() float64 {
	if r.Units <= 0 || r.CPUS <= r.CPUAtRunningS {
		return 0
	}
	return 1e6 * (r.CPUS - r.CPUAtRunningS) / float64(r.Units)
}

// allocsPerUnit is the heap allocations per input word (record) between
// RUNNING and lag 0, NaN when unknown.
func (r result) allocsPerUnit() float64 {
	if !r.HasAllocs || r.Units <= 0 {
		return math.NaN()
	}
	return r.Allocs / float64(r.Units)
}

// ratioDef is num/den of a metric, computed within each run, then the
// median over runs. Target 0 means none.
type ratioDef struct {
	Label    string
	Num, Den cell
	Metric   metric
	Target   float64
}

type ratio struct {
	ratioDef
	PerRun []float64
	Median float64
}

// met says whether the median meets the target ("" without a target).
func (r ratio) met() string {
	switch {
	case r.Target == 0:
		return ""
	case math.IsNaN(r.Median):
		return "n/a"
	case r.Median >= r.Target:
		return "met"
	}
	return "MISSED"
}

// straddles says whether some run met the target the median missed.
func (r ratio) straddles() bool {
	for _, x := range r.PerRun {
		if r.Target > 0 && x >= r.Target {
			return true
		}
	}
	return false
}

// computeRatios evaluates defs over results of runs 1..runs; a run counts
// only when both sides succeeded.
func computeRatios(defs []ratioDef, rs []result, runs int) []ratio {
	by := map[cell]map[int]result{}
	for _, r := range rs {
		if r.Err != "" {
			continue
		}
		if by[r.cell()] == nil {
			by[r.cell()] = map[int]result{}
		}
		by[r.cell()][r.Run] = r
	}
	var out []ratio
	for _, d := range defs {
		q := ratio{ratioDef: d}
		for i := 1; i <= runs; i++ {
			n, ok1 := by[d.Num][i]
			m, ok2 := by[d.Den][i]
			if !ok1 || !ok2 || d.Metric.Get(m) <= 0 {
				continue
			}
			q.PerRun = append(q.PerRun, d.Metric.Get(n)/d.Metric.Get(m))
		}
		q.Median = median(q.PerRun)
		out = append(out, q)
	}
	return out
}

// ratioDefs are the ratios for the scenarios, guarantees and
// systems run.
func ratioDefs(c config) []ratioDef {
	var defs []ratioDef
	withRaw, withEddy, withJava := contains(c.systems, sysRaw), contains(c.systems, sysEddy), contains(c.systems, sysJava)
	withRawKS := contains(c.systems, sysRawKS)
	if !withEddy {
		return nil
	}
	for _, s := range c.scenarios {
		variant := cachedScenario(s)
		for _, g := range c.guarantees {
			if withRaw && runsScenario(sysRaw, s) {
				t := 0.0
				if s == scenStateless {
					t = 0.9
				}
				defs = append(defs, ratioDef{s + " " + g + ": Eddy/raw throughput", cell{s, g, sysEddy}, cell{s, g, sysRaw}, mThroughput, t})
			}
			if withRawKS && hasRawKS(s) {
				t := 0.0
				if s == scenWordCount {
					t = 0.6 // issue 11, record cache off
				}
				defs = append(defs,
					ratioDef{s + " " + g + ": Eddy/raw-ks throughput", cell{s, g, sysEddy}, cell{s, g, sysRawKS}, mThroughput, 0},
					ratioDef{s + " " + g + ": Eddy/raw-ks CPU per input " + unitName(s) + " (raw-ks µs ÷ Eddy µs)",
						cell{s, g, sysRawKS}, cell{s, g, sysEddy}, mCPUPerUnit, t},
				)
			}
			if withJava {
				tw, tm, ts := 0.0, 0.0, 10.0
				switch s {
				case scenWordCount:
					tw, tm = 2, 5
				case scenWordCountCached:
					// issue 11: both caches at their default size; the
					// start-up is word count's, checked there
					tw, ts = 4, 0
				}
				defs = append(defs,
					ratioDef{s + " " + g + ": Eddy/Java throughput", cell{s, g, sysEddy}, cell{s, g, sysJava}, mThroughput, tw},
					ratioDef{s + " " + g + ": Java/Eddy peak RSS", cell{s, g, sysJava}, cell{s, g, sysEddy}, mRSS, tm},
					ratioDef{s + " " + g + ": Java/Eddy CPU seconds", cell{s, g, sysJava}, cell{s, g, sysEddy}, mCPU, 0},
				)
				if variant {
					defs = append(defs, ratioDef{s + " " + g + ": Java/Eddy CPU per input " + unitName(s), cell{s, g, sysJava}, cell{s, g, sysEddy}, mCPUPerUnit, 0})
				}
				defs = append(defs, ratioDef{s + " " + g + ": Java/Eddy start-up time", cell{s, g, sysJava}, cell{s, g, sysEddy}, mStartup, ts})
			}
		}
		if contains(c.guarantees, "alos") && contains(c.guarantees, "eos") {
			for _, sys := range c.systems {
				if !runsScenario(sys, s) {
					continue
				}
				t := 0.0
				if sys == sysEddy && !variant {
					t = 0.8
				}
				defs = append(defs, ratioDef{s + ": EOS/ALOS throughput, " + sys, cell{s, "eos", sys}, cell{s, "alos", sys}, mThroughput, t})
			}
		}
	}
	if c.restoreKeys > 0 && withJava {
		e, j := cell{scenRestore, "alos", sysEddy}, cell{scenRestore, "alos", sysJava}
		defs = append(defs,
			ratioDef{"restore: Java/Eddy start → RUNNING time", j, e, mStartup, 0},
			ratioDef{"restore: Eddy/Java restore rate", e, j, mThroughput, 0},
			ratioDef{"restore: Java/Eddy peak RSS", j, e, mRSS, 0},
		)
	}
	return defs
}
