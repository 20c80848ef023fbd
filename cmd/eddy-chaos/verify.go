// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
	"slices"
	"strings"
)

// maxProblems bounds how many problem descriptions a report keeps.
const maxProblems = 20

// verifier checks the output topic of the chaos topology against the input
// the producer wrote: ids 0..records-1, grouped into keys groups. Feed it
// the output records of each partition in offset order (Add), optionally
// the store's changelog (AddChangelog), then call Report.
type verifier struct {
	keys    int
	records int64
	eos     bool

	groups    map[string]*groupState
	changelog map[string]Tally
	outputs   int64
	problems  []string
	nProblems int
}

// groupState is what the verifier knows about one group key.
type groupState struct {
	partition int32
	last      Tally
	lastAt    string // offset and origin of the last output
	outputs   int64
	backwards int64 // outputs whose count did not grow (at-least-once replays)
}

func newVerifier(keys int, records int64, eos bool) *verifier {
	return &verifier{keys: keys, records: records, eos: eos, groups: map[string]*groupState{}}
}

func (v *verifier) problem(format string, args ...any) {
	v.nProblems++
	if len(v.problems) < maxProblems {
		v.problems = append(v.problems, fmt.Sprintf(format, args...))
	}
}

// Add takes the next output record of a partition (read_committed, in
// offset order). Under exactly-once every record must be the previous
// tally of its key with exactly one new input applied. origin describes
// where the record came from (time, producer), for problem reports.
func (v *verifier) Add(partition int32, offset int64, origin, key string, value []byte) {
	v.outputs++
	where := fmt.Sprintf("output partition %d offset %d key %q", partition, offset, key)
	if origin != "" {
		where += " (" + origin + ")"
	}
	g, ok := groupOf(key)
	if !ok || g >= v.keys {
		v.problem("%s: unknown key", where)
		return
	}
	if value == nil {
		v.problem("%s: tombstone", where)
		return
	}
	t, err := tallySerde{}.Deserialize("", value)
	if err != nil {
		v.problem("%s: %v", where, err)
		return
	}
	st := v.groups[key]
	if st == nil {
		st = &groupState{partition: partition}
		v.groups[key] = st
	} else if st.partition != partition {
		v.problem("%s: key seen before in partition %d", where, st.partition)
	}
	if t.Count != t.Bits()+int64(len(t.Dups)) {
		v.problem("%s: count %d but %d inputs and %d duplicates applied", where, t.Count, t.Bits(), len(t.Dups))
	}
	if t.Last < 0 || t.Last >= v.records || int(t.Last%int64(v.keys)) != g {
		v.problem("%s: last input %d does not belong to the key", where, t.Last)
	}
	if t.Count <= st.last.Count {
		st.backwards++
	}
	if v.eos {
		n := len(v.problems)
		v.checkStep(where, st.last, t)
		if len(v.problems) > n && st.lastAt != "" {
			v.problems[len(v.problems)-1] += "; previous output of the key at " + st.lastAt
		}
	}
	st.last = t
	st.lastAt = fmt.Sprintf("offset %d", offset)
	if origin != "" {
		st.lastAt += " (" + origin + ")"
	}
	st.outputs++
}

// checkStep checks, under exactly-once, that next is prev with exactly one
// input (next.Last) applied for the first time.
func (v *verifier) checkStep(where string, prev, next Tally) {
	idx := next.Last / int64(v.keys)
	switch {
	case next.Count != prev.Count+1:
		v.problem("%s: count went from %d to %d (exactly-once emits +1 per input)", where, prev.Count, next.Count)
	case len(next.Dups) > 0:
		v.problem("%s: input %d applied twice", where, int64(next.Dups[len(next.Dups)-1])*int64(v.keys)+next.Last%int64(v.keys))
	case prev.Has(idx):
		v.problem("%s: input %d applied again", where, next.Last)
	default:
		want := prev.Add(next.Last, v.keys)
		if !slicesEqualTrimmed(want.Seen, next.Seen) {
			v.problem("%s: inputs applied other than %d since the previous output (count %d)", where, next.Last, prev.Count)
		}
	}
}

// slicesEqualTrimmed compares bitmaps ignoring trailing zero bytes.
func slicesEqualTrimmed(a, b []byte) bool {
	trim := func(s []byte) []byte {
		for len(s) > 0 && s[len(s)-1] == 0 {
			s = s[:len(s)-1]
		}
		return s
	}
	return slices.Equal(trim(a), trim(b))
}

// AddChangelog takes a record of the store's changelog topic; the last
// one per key must equal the last output of the key.
func (v *verifier) AddChangelog(key string, value []byte) {
	if v.changelog == nil {
		v.changelog = map[string]Tally{}
	}
	if value == nil {
		delete(v.changelog, key)
		return
	}
	t, err := tallySerde{}.Deserialize("", value)
	if err != nil {
		v.problem("changelog key %q: %v", key, err)
		return
	}
	v.changelog[key] = t
}

// report is the outcome of a verification.
type report struct {
	Records    int64 // inputs written
	Verified   int64 // inputs counted exactly once in the final state
	Lost       int64 // inputs missing from the final state
	Duplicates int64 // extra applications of inputs in the final state
	Outputs    int64 // output records read
	// ExtraOutputs is the number of output records beyond one per input
	// (each re-emission after a replay).
	ExtraOutputs int64
	// Backwards counts outputs whose count did not exceed the previous
	// output of the key (replays after a crash under at-least-once).
	Backwards int64
	// Violations counts broken rules (any under exactly-once, or anything
	// but duplicates under at-least-once); Problems describes the first.
	Violations int
	Problems   []string
}

// OK reports whether the run upheld its guarantee: nothing lost, nothing
// malformed, and under exactly-once nothing duplicated.
func (r report) OK() bool { return r.Violations == 0 && r.Lost == 0 }

// Report checks the final state of every key against the expected input.
func (v *verifier) Report() report {
	r := report{Records: v.records, Outputs: v.outputs}
	var lostIDs, dupIDs []int64
	for g := range v.keys {
		key := groupKey(int64(g), v.keys)
		want := expectedInGroup(g, v.keys, v.records)
		st := v.groups[key]
		if st == nil {
			if want > 0 {
				v.problem("key %q: no output at all (%d inputs lost)", key, want)
				r.Lost += want
				for i := range want {
					lostIDs = append(lostIDs, i*int64(v.keys)+int64(g))
				}
			}
			continue
		}
		r.Backwards += st.backwards
		t := st.last
		dups := map[uint32]bool{}
		for _, d := range t.Dups {
			if !dups[d] {
				dups[d] = true
				dupIDs = append(dupIDs, int64(d)*int64(v.keys)+int64(g))
			}
			if int64(d) >= want || !t.Has(int64(d)) {
				v.problem("key %q: duplicate of input index %d, which was never counted once", key, d)
			}
		}
		r.Duplicates += int64(len(t.Dups))
		present := int64(0)
		for i := range want {
			switch {
			case !t.Has(i):
				r.Lost++
				lostIDs = append(lostIDs, i*int64(v.keys)+int64(g))
			case !dups[uint32(i)]:
				r.Verified++
				present++
			default:
				present++
			}
		}
		if t.Bits() != present {
			v.problem("key %q: final state holds %d inputs that were never written", key, t.Bits()-present)
		}
		if v.changelog != nil {
			if c, ok := v.changelog[key]; !ok {
				v.problem("key %q: missing from the changelog", key)
			} else if !c.Equal(t) {
				v.problem("key %q: changelog holds count %d (last input %d), the output's last value count %d (last input %d)",
					key, c.Count, c.Last, t.Count, t.Last)
			}
		}
	}
	if r.Lost > 0 {
		v.problem("%d inputs lost, e.g. ids %s", r.Lost, sample(lostIDs))
	}
	if r.Duplicates > 0 {
		msg := fmt.Sprintf("%d duplicate applications of %d inputs, e.g. ids %s", r.Duplicates, len(dupIDs), sample(dupIDs))
		if v.eos {
			v.problem("%s", msg)
		} else {
			r.Problems = append(r.Problems, "(at-least-once, allowed) "+msg)
		}
	}
	r.ExtraOutputs = max(0, v.outputs-v.records)
	if v.eos && v.outputs != v.records {
		v.problem("%d output records for %d inputs (exactly-once emits one per input)", v.outputs, v.records)
	}
	r.Violations = v.nProblems
	r.Problems = append(v.problems, r.Problems...)
	return r
}

func sample(ids []int64) string {
	slices.Sort(ids)
	var b strings.Builder
	for i, id := range ids {
		if i == 8 {
			fmt.Fprintf(&b, " … (%d more)", len(ids)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprint(&b, id)
	}
	return b.String()
}
