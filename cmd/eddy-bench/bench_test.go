// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"bytes"
	"image/png"
	"math"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/eddy-streams/eddy/internal/pixfont"
)

func TestMedian(t *testing.T) {
	for _, c := range []struct {
		in   []float64
		want float64
	}{
		{[]float64{3, 1, 2}, 2},
		{[]float64{4, 1, 3, 2}, 2.5},
		{[]float64{7}, 7},
	} {
		if got := median(c.in); got != c.want {
			t.Errorf("median(%v) = %v, want %v", c.in, got, c.want)
		}
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median(nil) is not NaN")
	}
	in := []float64{3, 1, 2}
	median(in)
	if in[0] != 3 {
		t.Error("median sorted its input in place")
	}
}

func TestComputeRatiosWithinRun(t *testing.T) {
	rs := []result{
		{Scenario: "wordcount", Guarantee: "alos", System: sysEddy, Run: 1, Throughput: 100},
		{Scenario: "wordcount", Guarantee: "alos", System: sysJava, Run: 1, Throughput: 50},
		{Scenario: "wordcount", Guarantee: "alos", System: sysEddy, Run: 2, Throughput: 300},
		{Scenario: "wordcount", Guarantee: "alos", System: sysJava, Run: 2, Throughput: 100},
		{Scenario: "wordcount", Guarantee: "alos", System: sysEddy, Run: 3, Throughput: 400},
		{Scenario: "wordcount", Guarantee: "alos", System: sysJava, Run: 3, Err: "boom"},
	}
	def := ratioDef{"x", cell{"wordcount", "alos", sysEddy}, cell{"wordcount", "alos", sysJava}, mThroughput, 2.5}
	got := computeRatios([]ratioDef{def}, rs, 3)[0]
	if len(got.PerRun) != 2 || got.PerRun[0] != 2 || got.PerRun[1] != 3 {
		t.Fatalf("per run = %v, want [2 3] (run 3 failed on one side)", got.PerRun)
	}
	if got.Median != 2.5 || got.met() != "met" {
		t.Errorf("median %v %s, want 2.5 met", got.Median, got.met())
	}
	got.Target = 3
	if got.met() != "MISSED" {
		t.Errorf("met() = %s, want MISSED", got.met())
	}
	if (ratio{Median: math.NaN(), ratioDef: ratioDef{Target: 1}}).met() != "n/a" {
		t.Error("NaN median should be n/a")
	}
}

func TestRatioDefsTargets(t *testing.T) {
	c := config{scenarios: allScenarios, guarantees: []string{"alos", "eos"}, systems: allSystems, restoreKeys: 10}
	targets := map[string]float64{}
	for _, d := range ratioDefs(c) {
		targets[d.Label] = d.Target
	}
	for label, want := range map[string]float64{
		"stateless alos: Eddy/raw throughput":                                  0.9,
		"wordcount eos: Eddy/Java throughput":                                  2,
		"wordcount alos: Java/Eddy peak RSS":                                   5,
		"join eos: Java/Eddy start-up time":                                    10,
		"window: EOS/ALOS throughput, eddy":                                    0.8,
		"window: EOS/ALOS throughput, java":                                    0,
		"join alos: Eddy/raw throughput":                                       0,
		"restore: Java/Eddy start → RUNNING time":                              0,
		"wordcount alos: Eddy/raw-ks CPU per input word (raw-ks µs ÷ Eddy µs)": 0.6,
		"wordcount eos: Eddy/raw-ks throughput":                                0,
		"join alos: Eddy/raw-ks CPU per input record (raw-ks µs ÷ Eddy µs)":    0,
		"window: EOS/ALOS throughput, raw-ks":                                  0,
		"wordcount-cached alos: Eddy/Java throughput":                          4,
		"wordcount-cached eos: Eddy/Java throughput":                           4,
		"wordcount-cached eos: Java/Eddy CPU per input word":                   0,
		"wordcount-cached alos: Java/Eddy start-up time":                       0,
		"wordcount-cached: EOS/ALOS throughput, eddy":                          0,
		"wordcount-cached: EOS/ALOS throughput, java":                          0,
	} {
		got, ok := targets[label]
		if !ok || got != want {
			t.Errorf("%s: target %v (defined %v), want %v", label, got, ok, want)
		}
	}
	for label := range targets {
		if strings.HasPrefix(label, "stateless") && strings.Contains(label, "raw-ks") {
			t.Errorf("stateless has no raw-ks contender: %q", label)
		}
		if strings.HasPrefix(label, scenWordCountCached) && strings.Contains(label, "raw") {
			t.Errorf("the record-cache variant has Eddy and Java only: %q", label)
		}
	}
	c.systems = []string{sysRaw, sysEddy}
	for _, d := range ratioDefs(c) {
		if d.Num.System == sysJava || d.Den.System == sysJava {
			t.Errorf("no Java in the run, got %q", d.Label)
		}
	}
}

func TestTopologiesBuild(t *testing.T) {
	for _, s := range append(allScenarios, scenRestore) {
		if _, err := topology(s, "p."); err != nil {
			t.Errorf("%s: %v", s, err)
		}
	}
}

// Every scenario's Java topology is registered in the reference app.
func TestJavaTopologiesExist(t *testing.T) {
	src, err := os.ReadFile("../../java/src/main/java/io/eddystreams/reference/Topologies.java")
	if err != nil {
		t.Skip(err)
	}
	for _, s := range append(allScenarios, scenRestore) {
		if j := javaTopology(s); j == "" || !strings.Contains(string(src), `new Spec("`+j+`"`) {
			t.Errorf("%s: Java topology %q not in Topologies.java", s, j)
		}
	}
}

func TestScenarioFunctions(t *testing.T) {
	if got := joined("a b", "row", true); got != "a b|row" {
		t.Errorf("joined = %q", got)
	}
	if got := joined("a b", "", false); got != "a b|" {
		t.Errorf("joined without row = %q", got)
	}
	if got := windowedKey("w1", 10_000); !bytes.Equal(got, []byte{'w', '1', 0, 0, 0, 0, 0, 0, 0x27, 0x10}) {
		t.Errorf("windowedKey = %x", got)
	}
	// Kafka's murmur2 partitioner: Utils.toPositive(Utils.murmur2("a".getBytes())) % 4 etc.,
	// checked against internal/partition's Java-verified Murmur2.
	for _, k := range []string{"c000001", "k00000042", ""} {
		p := keyPartition([]byte(k), 4)
		if p < 0 || p >= 4 {
			t.Errorf("keyPartition(%q) = %d", k, p)
		}
	}
	d := joinData(corpus(50, 20, 42), 7, 4)
	if len(d[joinTable]) != 7 || len(d[joinStream]) != 50 || expectedOutput(scenJoin, d) != 50 {
		t.Fatalf("join data: %d rows, %d records", len(d[joinTable]), len(d[joinStream]))
	}
	rows := map[string]int32{}
	for _, r := range d[joinTable] {
		rows[string(r.key)] = r.partition
		if r.ts >= baseTime {
			t.Errorf("table row %s at %d, not before the stream", r.key, r.ts)
		}
	}
	for _, r := range d[joinStream] {
		if p, ok := rows[string(r.key)]; !ok || p != r.partition {
			t.Errorf("stream key %s: partition %d, table row %d (%v)", r.key, r.partition, p, ok)
		}
	}
	lines := dataset{inputTopic: textLines([][]byte{[]byte("a b"), []byte("c")}, 4)}
	if expectedOutput(scenWindow, lines) != 3 || expectedOutput(scenWordCount, lines) != 3 || expectedOutput(scenStateless, lines) != 0 {
		t.Error("expectedOutput")
	}
	if n := restoreData(10, 4).count(); n != 10 {
		t.Errorf("restore data %d", n)
	}
}

func TestRestoreWindow(t *testing.T) {
	java := []string{
		"STATE REBALANCING 1000",
		"RESTORE_START restore-store app-restore-store-changelog 0 0 250 1100",
		"RESTORE_START restore-store app-restore-store-changelog 1 0 250 1105",
		"RESTORE_END restore-store app-restore-store-changelog 1 250 1900",
		"RESTORE_END restore-store app-restore-store-changelog 0 250 2100",
		"STATE RUNNING 2150",
	}
	w, n, err := restoreWindow(sysJava, java)
	if err != nil || w != time.Second || n != 500 {
		t.Errorf("java: %v %d %v, want 1s 500", w, n, err)
	}
	eddy := []string{"STATE REBALANCING 1", "RESTORED 0_1 300 400 5000", "RESTORED 0_0 200 600 5600", "STATE RUNNING 5601"}
	w, n, err = restoreWindow(sysEddy, eddy)
	if err != nil || w != time.Second || n != 500 {
		t.Errorf("eddy: %v %d %v, want 1s 500", w, n, err)
	}
	if _, _, err := restoreWindow(sysEddy, []string{"STATE RUNNING 5"}); err == nil {
		t.Error("no restore lines: want an error")
	}
}

func TestParsePprofTop(t *testing.T) {
	out := `File: eddy-bench
Type: cpu
Duration: 2.5s, Total samples = 1.50s (60.00%)
Showing nodes accounting for 1.50s, 100% of 1.50s total
      flat  flat%   sum%        cum   cum%
     0.50s 33.33% 33.33%      0.60s 40.00%  runtime.scanobject
     300ms 20.00% 53.33%      1.20s 80.00%  github.com/twmb/franz-go/pkg/kgo.(*Client).PollRecords
     0.20s 13.33% 66.67%      0.20s 13.33%  github.com/eddy-streams/eddy/runtime.(*collector).Send
         0     0% 66.67%      0.90s 60.00%  runtime.gcBgMarkWorker
`
	tb, err := parsePprofTop(out)
	if err != nil {
		t.Fatal(err)
	}
	if tb.Total != 1.5 || len(tb.Rows) != 4 || tb.Rows[1].Flat != 0.3 || tb.Rows[1].Cum != 1.2 {
		t.Fatalf("%+v", tb)
	}
	if tb.cum("runtime.gcBgMarkWorker") != 0.9 {
		t.Error("cum")
	}
	bk := tb.buckets(cpuBucket)
	if bk["GC"] != 0.5 || bk["franz-go client"] != 0.3 || bk["Eddy runtime (worker, collector)"] != 0.2 {
		t.Errorf("buckets %v", bk)
	}
	heap := "Showing nodes accounting for 12.50MB, 100% of 12.50MB total\n      flat  flat%   sum%        cum   cum%\n   12MB 96% 96%   12MB 96%  github.com/twmb/franz-go/pkg/kgo.(*Client).Produce\n  512kB  4% 100%  512kB 4%  main.main\n"
	if tb, err = parsePprofTop(heap); err != nil || tb.Total != 12.5*(1<<20) || tb.Rows[1].Flat != 512*1024 {
		t.Errorf("heap: %+v %v", tb, err)
	}
	if _, err := parsePprofTop("garbage"); err == nil {
		t.Error("garbage: want an error")
	}
}

func TestParseMemStats(t *testing.T) {
	m := parseMemStats([]string{"STATE RUNNING 1", "MEMSTATS peak_heap_inuse=100 gc_cpu_fraction=0.0500"})
	if m["peak_heap_inuse"] != 100 || m["gc_cpu_fraction"] != 0.05 {
		t.Errorf("%v", m)
	}
}

func TestParseStat(t *testing.T) {
	// Real layout; the command name contains a space and a parenthesis.
	line := "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 1000 0 0 0 1234 567 0 0 20 0 30 0 100 0 0"
	u, s, err := parseStat(line)
	if err != nil || u != 1234 || s != 567 {
		t.Fatalf("parseStat = %d %d %v, want 1234 567", u, s, err)
	}
	if _, _, err := parseStat("garbage"); err == nil {
		t.Error("want an error for garbage")
	}
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\tjava\nVmPeak:\t 5000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\nThreads:\t30\n"
	n, err := parseStatusKB(status, "VmHWM")
	if err != nil || n != 123456*1024 {
		t.Fatalf("VmHWM = %d %v", n, err)
	}
	if n, err := parseStatusKB(status, "Threads"); err != nil || n != 30 {
		t.Errorf("Threads = %d %v", n, err)
	}
	if _, err := parseStatusKB(status, "VmSwap"); err == nil {
		t.Error("missing key: want an error")
	}
	if n, _ := parseStatusKB("MemTotal:       16384 kB\n", "MemTotal"); n != 16384*1024 {
		t.Errorf("MemTotal = %d", n)
	}
}

func TestParseStateLine(t *testing.T) {
	if ms, ok := parseStateLine("STATE RUNNING 1700000000123", "RUNNING"); !ok || ms != 1700000000123 {
		t.Errorf("got %d %v", ms, ok)
	}
	for _, l := range []string{"STATE REBALANCING 1", "STATE RUNNING x", "RUNNING 1", ""} {
		if _, ok := parseStateLine(l, "RUNNING"); ok {
			t.Errorf("%q parsed as RUNNING", l)
		}
	}
}

func TestCPUModel(t *testing.T) {
	info := "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU @ 2.20GHz\n"
	if got := cpuModel(info); got != "Intel(R) Xeon(R) CPU @ 2.20GHz" {
		t.Errorf("cpuModel = %q", got)
	}
}

func TestRenderPNG(t *testing.T) {
	p := panel{Title: "throughput", Series: allSystems, Groups: []barGroup{
		{Label: "wordcount alos", Values: []float64{1000, 700, 500, 250}},
		{Label: "stateless eos", Values: []float64{2000, math.NaN(), 1900, math.NaN()}},
	}}
	var buf bytes.Buffer
	if err := renderPNG(&buf, []panel{p, p}); err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	if b.Dx() != 900 || b.Dy() < 600 {
		t.Fatalf("size %v", b)
	}
	// Some pixel carries each system's colour.
	for _, sys := range p.Series {
		want := sysColors[sys]
		found := false
		for y := b.Min.Y; y < b.Max.Y && !found; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				r, g, bl, _ := img.At(x, y).RGBA()
				if uint8(r>>8) == want.R && uint8(g>>8) == want.G && uint8(bl>>8) == want.B {
					found = true
					break
				}
			}
		}
		if !found {
			t.Errorf("no %s bar in the chart", sys)
		}
	}
}

func TestAxisLabelAndNiceCeil(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 0.5: "0.5", 42: "42", 1500: "1.5K", 120000: "120K", 2e6: "2M"} {
		if got := axisLabel(v); got != want {
			t.Errorf("axisLabel(%v) = %q, want %q", v, got, want)
		}
	}
	for v, want := range map[float64]float64{0.7: 1, 130: 200, 240: 250, 4100: 5000, 9000: 10000} {
		if got := niceCeil(v); math.Abs(got-want) > 1e-9 {
			t.Errorf("niceCeil(%v) = %v, want %v", v, got, want)
		}
	}
}

func TestFontCoversLabels(t *testing.T) {
	for _, s := range []string{"wordcount alos", "stateless eos", "raw raw-ks eddy java", "median peak RSS (MB, lower is better)", "0123456789.KM/%:-"} {
		for _, r := range strings.ToUpper(s) {
			if !pixfont.Has(r) {
				t.Errorf("no glyph for %q in %q", r, s)
			}
		}
	}
}

func TestCorpusDeterministic(t *testing.T) {
	a, b := corpus(100, 50, 42), corpus(100, 50, 42)
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			t.Fatalf("line %d differs", i)
		}
		if n := len(words(string(a[i]))); n < 1 || n > 6 {
			t.Fatalf("line %q has %d words", a[i], n)
		}
	}
}

func TestRotate(t *testing.T) {
	got := strings.Join(rotate([]string{"a", "b", "c"}, 4), ",")
	if got != "b,c,a" {
		t.Errorf("rotate = %s", got)
	}
}

func TestParseVariants(t *testing.T) {
	vs := parseVariants("-fetch-max-partition-bytes 262144; -fetch-max-bytes 1 GOGC=50 ;;")
	if len(vs) != 2 {
		t.Fatalf("%+v", vs)
	}
	if vs[0].Name != "eddy-t1" || strings.Join(vs[0].Args, " ") != "-fetch-max-partition-bytes 262144" || len(vs[0].Env) != 0 {
		t.Errorf("%+v", vs[0])
	}
	if vs[1].Name != "eddy-t2" || strings.Join(vs[1].Args, " ") != "-fetch-max-bytes 1" || strings.Join(vs[1].Env, " ") != "GOGC=50" ||
		vs[1].Label != "-fetch-max-bytes 1 GOGC=50" {
		t.Errorf("%+v", vs[1])
	}
	if len(parseVariants("")) != 0 {
		t.Error("empty")
	}
	if cpuBucket("cmpbody") != "memmove, compare, string copies" || cpuBucket("gcWriteBarrier2") != "GC" {
		t.Error("asm buckets")
	}
}

func TestStraddles(t *testing.T) {
	r := ratio{ratioDef: ratioDef{Target: 0.8}, PerRun: []float64{0.7, 0.9, 0.75}, Median: 0.75}
	if r.met() != "MISSED" || !r.straddles() {
		t.Error("0.9 meets 0.8")
	}
	r.PerRun = []float64{0.7, 0.75}
	if r.straddles() {
		t.Error("no run meets 0.8")
	}
}

func TestPerUnitAndYardstick(t *testing.T) {
	d := dataset{inputTopic: textLines([][]byte{[]byte("a b"), []byte("c")}, 4)}
	if workUnits(scenWordCount, d) != 3 || workUnits(scenStateless, d) != 2 || unitName(scenJoin) != "record" {
		t.Error("workUnits")
	}
	r := result{CPUAtRunningS: 0.5, CPUS: 2.5, Units: 1_000_000}
	if got := r.cpuPerUnit(); math.Abs(got-2) > 1e-9 {
		t.Errorf("cpuPerUnit = %v, want 2 µs", got)
	}
	if !math.IsNaN(r.allocsPerUnit()) {
		t.Error("allocs unknown: want NaN")
	}
	r.Allocs, r.HasAllocs = 5_000_000, true
	if r.allocsPerUnit() != 5 {
		t.Errorf("allocsPerUnit = %v", r.allocsPerUnit())
	}
	if runsScenario(sysRawKS, scenStateless) || !runsScenario(sysRawKS, scenJoin) || !runsScenario(sysRaw, scenStateless) {
		t.Error("runsScenario")
	}
	c := config{scenarios: allScenarios, guarantees: []string{"alos"}, systems: allSystems}
	var rs []result
	for run := 1; run <= 3; run++ {
		rs = append(rs,
			result{Scenario: scenWordCount, Guarantee: "alos", System: sysEddy, Run: run, Throughput: 100, CPUS: 5, Units: 1e6, Allocs: 2e7, HasAllocs: true},
			result{Scenario: scenWordCount, Guarantee: "alos", System: sysRawKS, Run: run, Throughput: 250, CPUS: 2, Units: 1e6},
			result{Scenario: scenWordCount, Guarantee: "alos", System: sysRaw, Run: run, Throughput: 500, CPUS: 1, Units: 1e6},
		)
	}
	rows := yardstickRows(c, rs, computeRatios(ratioDefs(c), rs, 3))
	if len(rows) != 3 { // wordcount, window, join; not stateless
		t.Fatalf("rows %v", rows)
	}
	got := strings.Join(rows[0], "|")
	if want := "wordcount|alos|word|0.40|0.40|0.20|—|2.00|5.00|—|1.00|—|20.0|—"; got != want {
		t.Errorf("row\n got %s\nwant %s", got, want)
	}
	if len(rows[0]) != len(yardstickHead) {
		t.Errorf("%d columns, head has %d", len(rows[0]), len(yardstickHead))
	}
}

// The record-cache variant runs word count's topology, topics and input
// with both caches at their default size: Eddy's worker gets -record-cache
// (Config.CacheMaxBytes 0), Java --cache-bytes 10485760; every other run
// has them off.
func TestWordCountCachedVariant(t *testing.T) {
	c := config{jar: "ref.jar", brokers: "b:1", commit: 100 * time.Millisecond}
	l := launch{scen: scenWordCountCached, guar: "alos", id: "app", prefix: "app.", stateDir: "/s"}
	args := func(sys, scen string) string {
		l.sys, l.scen = sys, scen
		_, a, _ := c.command("self", l)
		return strings.Join(a, " ")
	}
	for _, x := range []struct{ sys, scen, has, hasNot string }{
		{sysEddy, scenWordCountCached, "-scenario wordcount -guarantee", ""},
		{sysEddy, scenWordCountCached, "-record-cache", ""},
		{sysEddy, scenWordCount, "-scenario wordcount", "-record-cache"},
		{sysJava, scenWordCountCached, "-jar ref.jar wordcount --bootstrap", ""},
		{sysJava, scenWordCountCached, "--cache-bytes 10485760", "--cache-bytes 0"},
		{sysJava, scenWordCount, "--cache-bytes 0", "10485760"},
		{sysRawKS, scenWindow, "raw-ks -brokers b:1 -scenario window", "-record-cache"},
	} {
		got := args(x.sys, x.scen)
		if !strings.Contains(got, x.has) || (x.hasNot != "" && strings.Contains(got, x.hasNot)) {
			t.Errorf("%s %s: %q, want %q and not %q", x.sys, x.scen, got, x.has, x.hasNot)
		}
	}
	l.sys, l.scen = sysEddy, scenWordCountCached
	_, a, _ := c.command("self", l)
	if f := parseWorkerFlags("worker", a[1:]); !f.recordCache || f.scenario != scenWordCount {
		t.Errorf("worker flags %+v", f)
	}
	if specOf(scenWordCountCached).java != "wordcount" || specOf(scenWordCountCached).repartition != wordStore {
		t.Error("the variant has word count's topics")
	}
	for _, sys := range allSystems {
		if runsScenario(sys, scenWordCountCached) != (sys == sysEddy || sys == sysJava) {
			t.Errorf("runsScenario(%s, cached)", sys)
		}
	}
	// At least one update per distinct word: "a b", "A c", "b" → a, b, c.
	d := dataset{inputTopic: textLines([][]byte{[]byte("a b"), []byte("A c"), []byte("b")}, 4)}
	if n := expectedOutput(scenWordCountCached, d); n != 3 {
		t.Errorf("expectedOutput(cached) = %d, want 3", n)
	}
	if workUnits(scenWordCountCached, d) != 5 || unitName(scenWordCountCached) != "word" {
		t.Error("the variant counts CPU per input word")
	}
	ds := datasets(config{records: 10, vocab: 5, partitions: 4, scenarios: []string{scenWordCount, scenWordCountCached}})
	if len(ds[scenWordCountCached][inputTopic]) != 10 {
		t.Error("the variant has word count's input")
	}
}

func TestCacheRows(t *testing.T) {
	c := config{scenarios: []string{scenWordCount, scenWordCountCached}, guarantees: []string{"alos"}, systems: allSystems, runs: 2}
	var rs []result
	for run := 1; run <= 2; run++ {
		rs = append(rs,
			result{Scenario: scenWordCountCached, Guarantee: "alos", System: sysEddy, Run: run, Throughput: 400, CPUS: 2, Units: 1e6, PeakRSS: 100 << 20, OutEnd: 5000},
			result{Scenario: scenWordCountCached, Guarantee: "alos", System: sysJava, Run: run, Throughput: 100, CPUS: 8, Units: 1e6, PeakRSS: 500 << 20, OutEnd: 9000},
			result{Scenario: scenWordCount, Guarantee: "alos", System: sysEddy, Run: run, Throughput: 200, CPUS: 4, Units: 1e6},
			result{Scenario: scenWordCount, Guarantee: "alos", System: sysJava, Run: run, Throughput: 100, CPUS: 16, Units: 1e6},
		)
	}
	rows := cacheRows(c, rs, computeRatios(ratioDefs(c), rs, 2))
	if len(rows) != 2 {
		t.Fatalf("rows %v", rows)
	}
	want := []string{
		"wordcount-cached|alos|4.00|4.00|5.00|400|100|2.00|8.00|100.0|500.0|5000|9000",
		"wordcount|alos|2.00|4.00|—|200|100|4.00|16.00|0.0|0.0|0|0",
	}
	for i, row := range rows {
		if len(row) != len(cacheHead) {
			t.Errorf("%d columns, head has %d", len(row), len(cacheHead))
		}
		if got := strings.Join(row, "|"); got != want[i] {
			t.Errorf("row %d\n got %s\nwant %s", i, got, want[i])
		}
	}
	c.systems = []string{sysEddy, sysRaw}
	if cacheRows(c, rs, nil) != nil {
		t.Error("no Java: no rows")
	}
}
