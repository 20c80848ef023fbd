// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/csv"
	"image/color"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSoakOptions(t *testing.T) {
	o, err := parseOptions([]string{"-soak", "-brokers", "k:9092"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, 30*time.Minute, o.duration)
	assert.Equal(t, 300, o.rate)
	assert.Equal(t, int64(540000), o.records)
	assert.Equal(t, []string{"exactly_once"}, o.guarantees)
	assert.Equal(t, 5*time.Minute, o.restartEvery)
	assert.Equal(t, 5*time.Second, o.sampleEvery)

	o, err = parseOptions([]string{"-soak", "-duration", "2m", "-rate", "100", "-guarantee", "both"}, io.Discard)
	require.NoError(t, err)
	assert.Equal(t, int64(12000), o.records)
	assert.Equal(t, []string{"exactly_once", "at_least_once"}, o.guarantees)

	for _, bad := range [][]string{{"-soak", "-topology", "join"}, {"-soak", "-scale"}, {"-soak", "-restart-every", "0s"},
		{"-soak", "-sample-every", "-1s"}, {"-soak", "-soak-png", ""}} {
		_, err := parseOptions(bad, io.Discard)
		assert.Error(t, err, "%v", bad)
	}
}

func TestRSSOfProcess(t *testing.T) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	mb := rssMB(os.Getpid())
	assert.Greater(t, mb, 1.0, "this test binary's RSS in MB")
	assert.Less(t, mb, 100000.0)
	assert.True(t, math.IsNaN(rssMB(0)))
	assert.True(t, math.IsNaN(rssMB(1<<30)), "no such process")
}

// The recorder writes every sample to the CSV as it comes, and the plot
// shows each series, the restarts and the axes.
func TestSoakRecorderAndPlot(t *testing.T) {
	dir := t.TempDir()
	csvPath, pngPath := filepath.Join(dir, "soak.csv"), filepath.Join(dir, "soak.png")
	rec, err := newSoakRecorder(csvPath, []string{"slot0", "slot1"})
	require.NoError(t, err)
	for i := range 120 {
		s := soakSample{at: time.Duration(i) * 5 * time.Second, rssMB: []float64{50 + float64(i)/10, 60},
			inputLag: int64(i % 7), repLag: int64(100 + i), produced: int64(i * 1500), committed: int64(i * 1490)}
		if i >= 40 && i < 42 {
			s.rssMB[1] = nan // restarting
			s.repLag = -1    // unknown
		}
		require.NoError(t, rec.add(s))
		if i == 40 {
			require.NoError(t, rec.add(soakSample{at: s.at, inputLag: -1, repLag: -1, produced: -1, committed: -1,
				event: "restart slot1 (round 1): graceful stop in 300ms"}))
		}
	}
	require.NoError(t, rec.close())

	f, err := os.Open(csvPath)
	require.NoError(t, err)
	rows, err := csv.NewReader(f).ReadAll()
	f.Close()
	require.NoError(t, err)
	require.Len(t, rows, 1+120+1)
	assert.Equal(t, []string{"elapsed_s", "rss_mb_slot0", "rss_mb_slot1", "input_lag", "repartition_lag", "produced",
		"committed_input", "event"}, rows[0])
	assert.Equal(t, []string{"10.0", "50.2", "60.0", "2", "102", "3000", "2980", ""}, rows[3])
	assert.Equal(t, []string{"200.0", "54.0", "", "5", "", "60000", "59600", ""}, rows[41])
	assert.Equal(t, []string{"200.0", "", "", "", "", "", "", "restart slot1 (round 1): graceful stop in 300ms"}, rows[42])

	back, err := loadSoakCSV(csvPath)
	require.NoError(t, err)
	assert.Equal(t, rec.slots, back.slots)
	require.Len(t, back.samples, 120)
	require.Len(t, back.events, 1)
	assert.Equal(t, rec.events[0].event, back.events[0].event)
	assert.Equal(t, 200*time.Second, back.events[0].at)
	assert.Equal(t, rec.samples[3].rssMB, back.samples[3].rssMB)
	assert.True(t, math.IsNaN(back.samples[40].rssMB[1]))
	assert.Equal(t, int64(-1), back.samples[40].repLag)
	assert.Equal(t, rec.samples[119].committed, back.samples[119].committed)

	require.NoError(t, writeSoakPNG(pngPath, back, "test soak"))
	f, err = os.Open(pngPath)
	require.NoError(t, err)
	defer f.Close()
	img, err := png.Decode(f)
	require.NoError(t, err)
	assert.Equal(t, 1200, img.Bounds().Dx())
	count := map[color.RGBA]int{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, a := img.At(x, y).RGBA()
			count[color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(bl >> 8), uint8(a >> 8)}]++
		}
	}
	for name, c := range map[string]color.RGBA{"slot0": plotColors[0], "slot1": plotColors[1], "input lag": plotColors[3],
		"repartition lag": plotColors[4], "restart line": plotRestart, "text and axes": plotBlack} {
		assert.Greater(t, count[c], 200, "%s pixels", name)
	}
}

func TestAxisLabels(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 12.5: "12.5", 50: "50", 2500: "2.5K", 3000: "3K", 1.5e6: "1.5M", 0.25: "0.25"} {
		assert.Equal(t, want, axisLabel(v), "%v", v)
	}
	for v, want := range map[float64]float64{0: 1, 0.7: 1, 38: 50, 120: 200, 2.01: 2.5, 4.9: 5} {
		assert.Equal(t, want, niceCeil(v), "%v", v)
	}
}
