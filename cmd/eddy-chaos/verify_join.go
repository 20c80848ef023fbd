// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// joinResult is one record the join topology must emit.
type joinResult struct {
	Key   string
	Value string
	Time  int64 // Unix ms
}

func (r joinResult) String() string {
	return fmt.Sprintf("%q (key %q, time %s)", r.Value, r.Key, time.UnixMilli(r.Time).UTC().Format("15:04:05.000"))
}

// joinVerifier checks the join mode's output topic against the exact set
// of expected results: under exactly-once each exactly once and nothing
// else; under at-least-once none missing and nothing else, duplicates
// allowed (counted). Feed it the output records (Add), then call Report.
type joinVerifier struct {
	eos       bool
	want      map[string]joinResult // by value: values are unique
	seen      map[string]int64      // copies read, by value
	partition map[string]int32      // where each key was seen first
	outputs   int64
	unexpect  int64
	problems  []string
	nProblems int
}

// newJoinVerifier returns a verifier for the expected results, whose
// values must be distinct.
func newJoinVerifier(want []joinResult, eos bool) (*joinVerifier, error) {
	v := &joinVerifier{eos: eos, want: make(map[string]joinResult, len(want)),
		seen: map[string]int64{}, partition: map[string]int32{}}
	for _, r := range want {
		if _, dup := v.want[r.Value]; dup {
			return nil, fmt.Errorf("expected result value %q occurs twice", r.Value)
		}
		v.want[r.Value] = r
	}
	return v, nil
}

func (v *joinVerifier) problem(format string, args ...any) {
	v.nProblems++
	if len(v.problems) < maxProblems {
		v.problems = append(v.problems, fmt.Sprintf(format, args...))
	}
}

// Add takes an output record (read_committed, in offset order per
// partition); value nil is a tombstone. origin describes where the record
// came from, for problem reports.
func (v *joinVerifier) Add(partition int32, offset int64, origin, key string, value []byte, ts int64) {
	v.outputs++
	where := fmt.Sprintf("output partition %d offset %d", partition, offset)
	if origin != "" {
		where += " (" + origin + ")"
	}
	if p, ok := v.partition[key]; !ok {
		v.partition[key] = partition
	} else if p != partition {
		v.problem("%s: key %q seen before in partition %d", where, key, p)
	}
	if value == nil {
		v.unexpect++
		v.problem("%s: unexpected tombstone for key %q", where, key)
		return
	}
	got := joinResult{Key: key, Value: string(value), Time: ts}
	want, ok := v.want[got.Value]
	switch {
	case !ok:
		v.unexpect++
		v.problem("%s: unexpected result %s: no such join result is due", where, got)
		return
	case want.Key != key || want.Time != ts:
		v.unexpect++
		v.problem("%s: unexpected result %s: want %s", where, got, want)
		return
	}
	v.seen[got.Value]++
	if v.eos && v.seen[got.Value] == 2 {
		v.problem("%s: result %s emitted again (exactly-once emits each result once)", where, got)
	}
}

// joinReport is the outcome of a join verification.
type joinReport struct {
	Expected   int64 // results the input calls for
	Exact      int64 // expected results read exactly once
	Missing    int64 // expected results not read
	Duplicated int64 // expected results read more than once
	Extra      int64 // copies beyond the first of duplicated results
	Unexpected int64 // output records that are not an expected result
	Outputs    int64 // output records read
	// Violations counts broken rules (any missing or unexpected result,
	// and under exactly-once any duplicate); Problems describes the first.
	Violations int
	Problems   []string
}

// OK reports whether the run upheld its guarantee.
func (r joinReport) OK() bool { return r.Violations == 0 }

// Report compares what was read with the expected results.
func (v *joinVerifier) Report() joinReport {
	r := joinReport{Expected: int64(len(v.want)), Outputs: v.outputs, Unexpected: v.unexpect}
	var missing, dups []joinResult
	for value, want := range v.want {
		switch n := v.seen[value]; {
		case n == 0:
			r.Missing++
			missing = append(missing, want)
		case n == 1:
			r.Exact++
		default:
			r.Duplicated++
			r.Extra += n - 1
			dups = append(dups, want)
		}
	}
	if r.Missing > 0 {
		v.problem("%d of %d expected join results missing, e.g. %s", r.Missing, r.Expected, sampleResults(missing))
	}
	var allowed []string
	if r.Duplicated > 0 {
		msg := fmt.Sprintf("%d join results emitted more than once (%d extra copies), e.g. %s", r.Duplicated, r.Extra, sampleResults(dups))
		if v.eos {
			v.problem("%s", msg)
		} else {
			allowed = append(allowed, "(at-least-once, allowed) "+msg)
		}
	}
	if r.Unexpected > 0 {
		v.problem("%d output records are no expected join result", r.Unexpected)
	}
	r.Violations = v.nProblems
	r.Problems = append(slices.Clone(v.problems), allowed...)
	return r
}

// sampleResults describes up to 4 results, in a stable order.
func sampleResults(rs []joinResult) string {
	slices.SortFunc(rs, func(a, b joinResult) int { return strings.Compare(a.Value, b.Value) })
	var parts []string
	for i, r := range rs {
		if i == 4 {
			parts = append(parts, fmt.Sprintf("… (%d more)", len(rs)-i))
			break
		}
		parts = append(parts, r.String())
	}
	return strings.Join(parts, ", ")
}
