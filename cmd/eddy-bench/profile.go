// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// profiled is one profiled run of Eddy or the raw loop.
type profiled struct {
	Scenario, System string
	Result           result
	CPUFile, MemFile string
	CPU              pprofTable // flat/cum seconds per function
	Heap             pprofTable // in-use bytes per function at the heap peak
	Alloc            pprofTable // bytes allocated per function over the run
	Mem              map[string]float64
	Err              string
}

// profileReport is the -profile pass: the runs and where the files are.
type profileReport struct {
	Dir    string
	Runs   []profiled
	Failed []result // failed attempts that were retried
}

func (p *profileReport) find(scen, sys string) *profiled {
	for i := range p.Runs {
		if p.Runs[i].Scenario == scen && p.Runs[i].System == sys {
			return &p.Runs[i]
		}
	}
	return nil
}

// profilePass runs raw and Eddy once more per profiled scenario,
// at-least-once, with CPU and heap profiling on (results not counted in the
// medians), then reads the profiles with `go tool pprof`.
func profilePass(c config, br *broker, self, logDir string, data map[string]dataset) *profileReport {
	rep := &profileReport{Dir: c.profileDir}
	if err := os.MkdirAll(c.profileDir, 0o755); err != nil {
		fmt.Println("profile:", err)
		return rep
	}
	for _, s := range c.profileScenarios {
		systems := []string{sysRaw}
		if contains(c.systems, sysRawKS) && hasRawKS(s) {
			systems = append(systems, sysRawKS)
		}
		systems = append(systems, sysEddy)
		for _, v := range c.variants {
			systems = append(systems, v.Name)
		}
		for _, sys := range systems {
			var extra, env []string
			for _, v := range c.variants {
				if v.Name == sys {
					extra, env = v.Args, v.Env
				}
			}
			base := filepath.Join(c.profileDir, s+"-alos-"+sys)
			p := profiled{Scenario: s, System: sys, CPUFile: base + ".cpu.pprof", MemFile: base + ".heap.pprof"}
			os.Remove(p.CPUFile)
			os.Remove(p.MemFile)
			os.Remove(p.MemFile + ".allocs")
			for try := 1; try <= 2; try++ { // a profile is one run: retry a failed one once
				p.Result = runOne(c, br, self, logDir, s, "alos", sys, 0, data[s], append([]string{"-cpuprofile", p.CPUFile, "-memprofile", p.MemFile}, extra...), env)
				fmt.Println(p.Result.line())
				if p.Result.Err == "" {
					break
				}
				rep.Failed = append(rep.Failed, p.Result)
			}
			p.Mem = parseMemStats(p.Result.stdout)
			var errs []string
			if p.Result.Err != "" {
				errs = append(errs, p.Result.Err)
			}
			var err error
			if p.CPU, err = pprofTop(p.CPUFile); err != nil {
				errs = append(errs, err.Error())
			}
			if p.Heap, err = pprofTop(p.MemFile, "-sample_index=inuse_space"); err != nil {
				errs = append(errs, err.Error())
			}
			if p.Alloc, err = pprofTop(p.MemFile+".allocs", "-sample_index=alloc_space"); err != nil {
				errs = append(errs, err.Error())
			}
			p.Err = strings.Join(errs, "; ")
			rep.Runs = append(rep.Runs, p)
		}
	}
	return rep
}

// parseMemStats reads the worker's "MEMSTATS k=v ..." line.
func parseMemStats(lines []string) map[string]float64 {
	m := map[string]float64{}
	for _, l := range lines {
		f := strings.Fields(l)
		if len(f) == 0 || f[0] != "MEMSTATS" {
			continue
		}
		for _, kv := range f[1:] {
			k, v, ok := strings.Cut(kv, "=")
			if x, err := strconv.ParseFloat(v, 64); ok && err == nil {
				m[k] = x
			}
		}
	}
	return m
}

// pprofRow is one line of `go tool pprof -top`.
type pprofRow struct {
	Flat, Cum float64 // seconds or bytes
	Name      string
}

type pprofTable struct {
	Total float64
	Rows  []pprofRow
}

// pprofTop runs `go tool pprof -top` on file and parses every row.
func pprofTop(file string, args ...string) (pprofTable, error) {
	if _, err := os.Stat(file); err != nil {
		return pprofTable{}, err
	}
	cmd := exec.Command("go", append(append([]string{"tool", "pprof", "-top", "-nodecount=100000"}, args...), file)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return pprofTable{}, fmt.Errorf("go tool pprof %s: %v: %s", file, err, strings.TrimSpace(errb.String()))
	}
	return parsePprofTop(out.String())
}

// parsePprofTop parses -top output: a "... of X total" header, then rows of
// flat flat% sum% cum cum% name.
func parsePprofTop(s string) (pprofTable, error) {
	var t pprofTable
	inRows := false
	for line := range strings.SplitSeq(s, "\n") {
		f := strings.Fields(line)
		if i := strings.Index(line, " of "); i >= 0 && strings.HasSuffix(strings.TrimSpace(line), "total") && strings.Contains(line, "accounting for") {
			tot := strings.Fields(line[i+4:])
			if len(tot) > 0 {
				v, err := parseUnit(strings.TrimSuffix(tot[0], ","))
				if err == nil {
					t.Total = v
				}
			}
			continue
		}
		if len(f) >= 5 && f[0] == "flat" && f[1] == "flat%" {
			inRows = true
			continue
		}
		if !inRows || len(f) < 6 {
			continue
		}
		flat, err1 := parseUnit(f[0])
		cum, err2 := parseUnit(f[3])
		if err1 != nil || err2 != nil {
			continue
		}
		t.Rows = append(t.Rows, pprofRow{Flat: flat, Cum: cum, Name: strings.Join(f[5:], " ")})
	}
	if !inRows {
		return t, fmt.Errorf("no pprof rows in %q", firstLine(s))
	}
	if t.Total == 0 {
		for _, r := range t.Rows {
			t.Total += r.Flat
		}
	}
	return t, nil
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// parseUnit parses pprof's values: 1.20s, 10ms, 3us, 5ns, 1.5MB, 512kB, 12B,
// 2GB, 0.
func parseUnit(s string) (float64, error) {
	if s == "0" {
		return 0, nil
	}
	if d, err := time.ParseDuration(s); err == nil {
		return d.Seconds(), nil
	}
	for _, u := range []struct {
		suf string
		mul float64
	}{{"TB", 1 << 40}, {"GB", 1 << 30}, {"MB", 1 << 20}, {"kB", 1 << 10}, {"B", 1}} {
		if strings.HasSuffix(s, u.suf) {
			v, err := strconv.ParseFloat(strings.TrimSuffix(s, u.suf), 64)
			return v * u.mul, err
		}
	}
	return strconv.ParseFloat(s, 64)
}

// cum returns the cumulative value of the first row whose name is fn or
// starts with fn (0 when absent).
func (t pprofTable) cum(fn string) float64 {
	for _, r := range t.Rows {
		if r.Name == fn || strings.HasPrefix(r.Name, fn) {
			return r.Cum
		}
	}
	return 0
}

// buckets sums flat values per bucket (see bucketOf).
func (t pprofTable) buckets(of func(string) string) map[string]float64 {
	m := map[string]float64{}
	for _, r := range t.Rows {
		m[of(r.Name)] += r.Flat
	}
	return m
}

// cpuBucket puts a function in a coarse bucket by its name.
func cpuBucket(fn string) string {
	has := func(ps ...string) bool {
		for _, p := range ps {
			if strings.HasPrefix(fn, p) {
				return true
			}
		}
		return false
	}
	rt := strings.TrimPrefix(fn, "runtime.")
	isRT := rt != fn
	switch {
	case has("github.com/twmb/franz-go/"):
		return "franz-go client"
	case has("github.com/eddy-streams/eddy/runtime"):
		return "Eddy runtime (worker, collector)"
	case has("github.com/eddy-streams/eddy/internal/", "github.com/eddy-streams/eddy/stream", "github.com/eddy-streams/eddy/table", "github.com/eddy-streams/eddy/window"):
		return "Eddy engine and operators"
	case has("github.com/eddy-streams/eddy/serde"):
		return "Eddy serdes"
	case has("github.com/eddy-streams/eddy/state", "github.com/cockroachdb/"):
		return "state stores (Pebble)"
	case has("github.com/eddy-streams/eddy/"):
		return "Eddy other"
	case has("github.com/klauspost/", "github.com/pierrec/", "github.com/golang/snappy", "github.com/DataDog/", "compress/", "hash/crc32"):
		return "compression, CRC"
	case has("main."):
		return "scenario code, the loops (main)"
	case has("strings.", "unicode", "bytes.", "strconv.", "fmt.", "encoding/binary"):
		return "strings, unicode, fmt"
	case has("internal/runtime/maps.", "runtime.mapaccess", "runtime.mapassign", "runtime.memhash", "runtime.aeshash", "runtime.strhash", "runtime.mapdelete", "runtime.mapiter", "maps."):
		return "maps, hashing"
	case has("syscall.", "internal/runtime/syscall", "internal/poll.", "net.", "os.", "runtime.futex", "runtime.epoll", "runtime.netpoll", "runtime.usleep", "runtime.nanotime", "runtime.write", "runtime.read", "runtime.madvise", "runtime.mmap", "runtime.munmap", "runtime.osyield", "runtime.walltime", "runtime.tgkill", "runtime.sigprocmask", "runtime.rtsigprocmask", "runtime.sysMmap", "runtime.sysUnused"):
		return "syscalls, network, futex"
	case strings.HasPrefix(fn, "gcWriteBarrier"), isRT && (strings.HasPrefix(rt, "gc") || strings.Contains(rt, "scan") || strings.Contains(rt, "mark") || strings.Contains(rt, "Mark") ||
		strings.Contains(rt, "sweep") || strings.Contains(rt, "greyobject") || strings.Contains(rt, "findObject") || strings.Contains(rt, "wbBuf") ||
		strings.Contains(rt, "Barrier") || strings.Contains(rt, "spanOf") || strings.Contains(rt, "typePointers") || strings.Contains(rt, "gcWork") ||
		strings.Contains(rt, "pageIndexOf") || strings.Contains(rt, "heapBitsSmallForAddr") || strings.Contains(rt, "(*gcBits)")):
		return "GC"
	case isRT && (strings.Contains(rt, "malloc") || strings.Contains(rt, "mcache") || strings.Contains(rt, "mcentral") || strings.Contains(rt, "mheap") ||
		strings.Contains(rt, "nextFree") || strings.Contains(rt, "newobject") || strings.Contains(rt, "makeslice") || strings.Contains(rt, "growslice") ||
		strings.Contains(rt, "heapSetType") || strings.Contains(rt, "memclr") || strings.Contains(rt, "(*mspan)") || strings.Contains(rt, "makemap") ||
		strings.Contains(rt, "rawstring") || strings.Contains(rt, "rawbyteslice") || strings.Contains(rt, "fixalloc") || strings.Contains(rt, "deductAssistCredit")):
		return "allocation"
	case fn == "runtime.memmove" || strings.HasPrefix(rt, "concatstring") || strings.HasPrefix(rt, "slicebytetostring") || strings.HasPrefix(rt, "stringtoslicebyte") ||
		fn == "cmpbody" || fn == "memeqbody" || fn == "indexbytebody" || fn == "countbody":
		return "memmove, compare, string copies"
	case has("sync.", "internal/sync.", "runtime.lock", "runtime.unlock", "runtime.semacquire", "runtime.semrelease", "runtime.procyield", "runtime.cansemacquire", "runtime.lock2", "runtime.unlock2"):
		return "locks"
	case isRT || has("internal/runtime/", "time.", "context."):
		return "Go scheduler, timers, other runtime"
	}
	return "other"
}

// heapBucket puts an allocation site in a coarse bucket.
func heapBucket(fn string) string {
	switch {
	case strings.HasPrefix(fn, "github.com/twmb/franz-go/pkg/kgo.(*Client).Produce"), strings.HasPrefix(fn, "github.com/twmb/franz-go/pkg/kgo.(*recBuf)"),
		strings.HasPrefix(fn, "github.com/twmb/franz-go/pkg/kgo.(*produceRequest)"), strings.Contains(fn, "kgo.(*sink)"):
		return "franz-go produce buffers"
	case strings.HasPrefix(fn, "github.com/twmb/franz-go/"):
		return "franz-go fetch buffers, records, other"
	case strings.HasPrefix(fn, "github.com/klauspost/"), strings.HasPrefix(fn, "github.com/pierrec/"):
		return "compression buffers"
	case strings.HasPrefix(fn, "github.com/cockroachdb/"), strings.HasPrefix(fn, "github.com/eddy-streams/eddy/state"):
		return "Pebble (Go heap part)"
	case strings.HasPrefix(fn, "github.com/eddy-streams/eddy/runtime"):
		return "Eddy runtime (records handed to franz-go, …)"
	case strings.HasPrefix(fn, "github.com/eddy-streams/eddy/"):
		return "Eddy engine, operators, serdes"
	case strings.HasPrefix(fn, "main."):
		return "scenario code, the loops (main)"
	}
	return "other (Go runtime, stdlib)"
}

// sortedBuckets returns bucket names by descending value.
func sortedBuckets(ms ...map[string]float64) []string {
	sum := map[string]float64{}
	for _, m := range ms {
		for k, v := range m {
			sum[k] += v
		}
	}
	var ks []string
	for k := range sum {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b string) int {
		switch {
		case sum[a] > sum[b]:
			return -1
		case sum[a] < sum[b]:
			return 1
		}
		return strings.Compare(a, b)
	})
	return ks
}

// topRows returns the n rows with the largest flat (byCum false) or
// cumulative (byCum true) value.
func (t pprofTable) topRows(n int, byCum bool, keep func(string) bool) []pprofRow {
	rows := slices.Clone(t.Rows)
	if byCum {
		slices.SortStableFunc(rows, func(a, b pprofRow) int {
			switch {
			case a.Cum > b.Cum:
				return -1
			case a.Cum < b.Cum:
				return 1
			}
			return 0
		})
	}
	var out []pprofRow
	for _, r := range rows {
		if keep != nil && !keep(r.Name) {
			continue
		}
		out = append(out, r)
		if len(out) == n {
			break
		}
	}
	return out
}
