package main

import (
	"math"
	"slices"
)

// System names.
const (
	sysRaw  = "raw"
	sysEddy = "eddy"
	sysJava = "java"
)

// result is one measured run of one system.
type result struct {
	Scenario, Guarantee, System string
	Run                         int
	StartupS                    float64 // process start → RUNNING
	DrainS                      float64 // RUNNING → lag 0
	Throughput                  float64 // input records / DrainS
	CPUS                        float64 // utime+stime at lag 0
	PeakRSS                     int64   // VmHWM at lag 0, bytes
	OutEnd                      int64   // sum of the output topic's end offsets at lag 0
	Err                         string
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
)

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

// ratioDefs are the ratios for the scenarios and guarantees run.
func ratioDefs(scenarios, guarantees []string, withJava bool) []ratioDef {
	var defs []ratioDef
	for _, s := range scenarios {
		hasJava := withJava && javaTopology(s) != ""
		for _, g := range guarantees {
			t := 0.0
			if s == scenStateless {
				t = 0.9
			}
			defs = append(defs, ratioDef{s + " " + g + ": Eddy/raw throughput", cell{s, g, sysEddy}, cell{s, g, sysRaw}, mThroughput, t})
			if hasJava {
				tw, tm, tsu := 0.0, 0.0, 0.0
				if s == scenWordCount {
					tw, tm, tsu = 2, 5, 10
				}
				defs = append(defs,
					ratioDef{s + " " + g + ": Eddy/Java throughput", cell{s, g, sysEddy}, cell{s, g, sysJava}, mThroughput, tw},
					ratioDef{s + " " + g + ": Java/Eddy peak RSS", cell{s, g, sysJava}, cell{s, g, sysEddy}, mRSS, tm},
					ratioDef{s + " " + g + ": Java/Eddy CPU seconds", cell{s, g, sysJava}, cell{s, g, sysEddy}, mCPU, 0},
					ratioDef{s + " " + g + ": Java/Eddy start-up time", cell{s, g, sysJava}, cell{s, g, sysEddy}, mStartup, tsu},
				)
			}
		}
		if len(guarantees) == 2 {
			systems := []string{sysRaw, sysEddy}
			if hasJava {
				systems = append(systems, sysJava)
			}
			for _, sys := range systems {
				t := 0.0
				if sys == sysEddy {
					t = 0.8
				}
				defs = append(defs, ratioDef{s + ": EOS/ALOS throughput, " + sys, cell{s, "eos", sys}, cell{s, "alos", sys}, mThroughput, t})
			}
		}
	}
	return defs
}
