// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// parseBenchLine reads the word-count benchmark's result lines and nothing
// else.
func TestParseBenchLine(t *testing.T) {
	m := parseBenchLine("BenchmarkWordCount/memory   \t  262046\t      4571 ns/op\t   218766 lines/s\t   1750129 words/s\t       501.2 cpu-ns/word\t     384 B/op\t      18 allocs/op")
	assert.Equal(t, map[string]float64{"ns/op": 4571, "lines/s": 218766, "words/s": 1750129, "cpu-ns/word": 501.2, "B/op": 384, "allocs/op": 18}, m)
	for _, line := range []string{
		"goos: linux",
		"PASS",
		"ok  \tgithub.com/eddy-streams/eddy/topologytest\t12.1s",
		"BenchmarkOther/memory  10  5 ns/op  3 words/s",
		"BenchmarkWordCount/memory  10  5 ns/op",           // no words/s
		"BenchmarkWordCount/memory  10  x ns/op 3 words/s", // not a number
	} {
		assert.Nil(t, parseBenchLine(line), line)
	}
}

// The report's driver section states the medians and whether the target is
// met, or why nothing was measured.
func TestDriverMarkdown(t *testing.T) {
	r := driverResult{Pkg: "./topologytest", Runs: 3, WordsPerSec: 2.2e6, CPUNsPerWord: 455, AllocsPerLine: 18, BPL: 384, PerRun: []float64{2.1e6, 2.2e6, 2.3e6}}
	md := r.markdown()
	assert.Contains(t, md, "| 3 | 2.20 M | 2.10 2.20 2.30 | 455 | 18 | 384 | ≥ 2 M words/s | met |")
	r.WordsPerSec = 1.5e6
	assert.Equal(t, "MISSED", r.met())
	failed := driverResult{Pkg: "./topologytest", Err: "go test -bench: exit status 1"}
	assert.True(t, strings.Contains(failed.markdown(), "Not measured: go test -bench: exit status 1"))
	assert.Equal(t, "n/a", failed.met())
}
