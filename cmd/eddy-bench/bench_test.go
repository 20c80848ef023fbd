package main

import (
	"bytes"
	"image/png"
	"math"
	"strings"
	"testing"
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

func TestRatioDefsSkipJavaForStateless(t *testing.T) {
	for _, d := range ratioDefs([]string{scenStateless}, []string{"alos", "eos"}, true) {
		if d.Num.System == sysJava || d.Den.System == sysJava {
			t.Errorf("stateless has no Java topology, got %q", d.Label)
		}
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
	p := panel{Title: "throughput", Series: []string{sysRaw, sysEddy, sysJava}, Groups: []barGroup{
		{Label: "wordcount alos", Values: []float64{1000, 500, 250}},
		{Label: "stateless eos", Values: []float64{2000, 1900, math.NaN()}},
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
	for _, s := range []string{"wordcount alos", "stateless eos", "raw eddy java", "median peak RSS (MB, lower is better)", "0123456789.KM/%:-"} {
		for _, r := range strings.ToUpper(s) {
			if _, ok := glyphs[r]; !ok {
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
