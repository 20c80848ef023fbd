// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest

import (
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eddy-streams/eddy/record"
)

// AssertKeyValues reads every unread record of o and checks that their keys
// and values are want, in order. On a difference it fails t with a diff per
// key (the values each key got, against those it should have got) and
// returns false.
func AssertKeyValues[K comparable, V any](t testing.TB, o *OutputTopic[K, V], want ...record.KeyValue[K, V]) bool {
	t.Helper()
	got, err := o.ReadKeyValues()
	if err != nil {
		t.Errorf("topologytest: read output topic %q: %v", o.topic, err)
		return false
	}
	if diff := DiffKeyValues(want, got); diff != "" {
		t.Errorf("topologytest: output topic %q: %s", o.topic, diff)
		return false
	}
	return true
}

// AssertTable reads every unread record of o into the latest value per key
// (as ReadToMap does: a tombstone removes its key) and checks that the
// result is want. On a difference it fails t with one line per key that
// differs and returns false.
func AssertTable[K comparable, V any](t testing.TB, o *OutputTopic[K, V], want map[K]V) bool {
	t.Helper()
	got, err := ReadToMap(o)
	if err != nil {
		t.Errorf("topologytest: read output topic %q: %v", o.topic, err)
		return false
	}
	if diff := DiffTable(want, got); diff != "" {
		t.Errorf("topologytest: output topic %q: %s", o.topic, diff)
		return false
	}
	return true
}

// AssertGolden reads every unread record of o and compares their rendering
// (FormatRecords) with the file testdata/<name>. When the test binary has a
// boolean -update flag set (declare one with
// flag.Bool("update", false, "rewrite golden files")), it writes the file
// instead. On a difference it fails t with a line diff and returns false.
func AssertGolden[K, V any](t testing.TB, o *OutputTopic[K, V], name string) bool {
	t.Helper()
	rs, err := o.ReadRecords()
	if err != nil {
		t.Errorf("topologytest: read output topic %q: %v", o.topic, err)
		return false
	}
	got := FormatRecords(rs)
	path := filepath.Join("testdata", name)
	if updating() {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Errorf("topologytest: golden file %s: %v", path, err)
			return false
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Errorf("topologytest: golden file %s: %v", path, err)
			return false
		}
		return true
	}
	want, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		t.Errorf("topologytest: golden file %s does not exist: run the test with -update to write it", path)
		return false
	}
	if err != nil {
		t.Errorf("topologytest: golden file %s: %v", path, err)
		return false
	}
	if string(want) != got {
		t.Errorf("topologytest: output topic %q differs from golden file %s (-want +got; -update rewrites it):\n%s", o.topic, path, lineDiff(string(want), got))
		return false
	}
	return true
}

// updating reports whether the test binary's -update flag is set.
func updating() bool {
	f := flag.Lookup("update")
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	on, _ := g.Get().(bool)
	return on
}

// DiffKeyValues returns "" if got equals want, in order, and otherwise a
// readable description of the difference: per key (in order of first
// appearance), the sequence of values wanted and got, or, if every key got
// its values but keys interleave differently, both sequences.
func DiffKeyValues[K comparable, V any](want, got []record.KeyValue[K, V]) string {
	if len(want) == len(got) && (len(want) == 0 || reflect.DeepEqual(want, got)) {
		return "" // nil and empty are the same nothing
	}
	var keys []K
	wantBy, gotBy := map[K][]V{}, map[K][]V{}
	for _, kv := range want {
		if _, ok := wantBy[kv.Key]; !ok {
			keys = append(keys, kv.Key)
		}
		wantBy[kv.Key] = append(wantBy[kv.Key], kv.Value)
	}
	for _, kv := range got {
		if _, ok := wantBy[kv.Key]; !ok {
			if _, ok := gotBy[kv.Key]; !ok {
				keys = append(keys, kv.Key)
			}
		}
		gotBy[kv.Key] = append(gotBy[kv.Key], kv.Value)
	}
	var b strings.Builder
	differ := 0
	for _, k := range keys {
		w, g := wantBy[k], gotBy[k]
		if reflect.DeepEqual(w, g) {
			continue
		}
		differ++
		fmt.Fprintf(&b, "\n  key %s: want %s, got %s", show(k), showValues(w), showValues(g))
	}
	if differ == 0 {
		fmt.Fprintf(&b, "every key got the values it should, but keys interleave differently:\n  want %s\n  got  %s", showPairs(want), showPairs(got))
		return b.String()
	}
	return fmt.Sprintf("%d of %d keys differ (want %d records, got %d):%s", differ, len(keys), len(want), len(got), b.String())
}

// DiffTable returns "" if got equals want and otherwise one line per key
// that is missing, extra or has another value, sorted by key.
func DiffTable[K comparable, V any](want, got map[K]V) string {
	type line struct{ key, text string }
	var lines []line
	for k, w := range want {
		g, ok := got[k]
		switch {
		case !ok:
			lines = append(lines, line{show(k), fmt.Sprintf("want %s, got no value", show(w))})
		case !reflect.DeepEqual(w, g):
			lines = append(lines, line{show(k), fmt.Sprintf("want %s, got %s", show(w), show(g))})
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			lines = append(lines, line{show(k), fmt.Sprintf("want no value, got %s", show(g))})
		}
	}
	if len(lines) == 0 {
		return ""
	}
	slices.SortFunc(lines, func(a, b line) int { return strings.Compare(a.key, b.key) })
	var b strings.Builder
	keys := len(want)
	for k := range got {
		if _, ok := want[k]; !ok {
			keys++
		}
	}
	fmt.Fprintf(&b, "%d of %d keys differ:", len(lines), keys)
	for _, l := range lines {
		fmt.Fprintf(&b, "\n  key %s: %s", l.key, l.text)
	}
	return b.String()
}

// FormatTable renders m one key per line, "key = value", sorted by the
// key's rendering: a stable text for golden files and CheckOrder.
func FormatTable[K comparable, V any](m map[K]V) string {
	lines := make([]string, 0, len(m))
	for k, v := range m {
		lines = append(lines, show(k)+" = "+show(v))
	}
	slices.Sort(lines)
	if len(lines) == 0 {
		return ""
	}
	return strings.Join(lines, "\n") + "\n"
}

// FormatRecords renders records one per line, in order: timestamp (UTC),
// partition, key and value ("<null>" for a null key or value).
func FormatRecords[K, V any](rs []Record[K, V]) string {
	var b strings.Builder
	for _, r := range rs {
		k, v := show(r.Key), show(r.Value)
		if r.KeyNull {
			k = "<null>"
		}
		if r.ValueNull {
			v = "<null>"
		}
		fmt.Fprintf(&b, "%s p%d %s -> %s\n", r.Timestamp.UTC().Format(time.RFC3339Nano), r.Partition, k, v)
	}
	return b.String()
}

// show renders a key or value: strings and bytes quoted, so that spaces
// and empty values are visible.
func show(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case []byte:
		return fmt.Sprintf("%q", x)
	case fmt.Stringer:
		return x.String()
	}
	return fmt.Sprintf("%+v", v)
}

func showValues[V any](vs []V) string {
	if len(vs) == 0 {
		return "nothing"
	}
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = show(v)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func showPairs[K, V any](kvs []record.KeyValue[K, V]) string {
	parts := make([]string, len(kvs))
	for i, kv := range kvs {
		parts[i] = show(kv.Key) + ":" + show(kv.Value)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

// lineDiff returns the lines of want and got as a diff: "-" for a line
// only want has, "+" for one only got has, in order (a longest common
// subsequence of lines is kept unmarked and left out).
func lineDiff(want, got string) string {
	a, b := strings.Split(strings.TrimSuffix(want, "\n"), "\n"), strings.Split(strings.TrimSuffix(got, "\n"), "\n")
	if len(a)*len(b) > 4_000_000 {
		return fmt.Sprintf("want %d lines, got %d (too long to diff)", len(a), len(b))
	}
	// lcs[i][j]: length of the longest common subsequence of a[i:], b[j:].
	lcs := make([][]int32, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int32, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	var out strings.Builder
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case i < len(a) && j < len(b) && a[i] == b[j]:
			i, j = i+1, j+1
		case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
			fmt.Fprintf(&out, "- %s\n", a[i])
			i++
		default:
			fmt.Fprintf(&out, "+ %s\n", b[j])
			j++
		}
	}
	return out.String()
}

// OrderError reports that a scenario's output depends on the order in
// which records arrive: under Shuffle(Seed) it differs from pipe order.
type OrderError struct {
	Seed int64  // the first seed whose output differs
	Want string // the output in pipe order
	Got  string // the output under Shuffle(Seed)
}

// Error names the seed and shows the difference (-pipe order +shuffled).
func (e *OrderError) Error() string {
	return fmt.Sprintf("topologytest: output under Shuffle(%d) differs from pipe order (-pipe order +Shuffle(%d)):\n%s", e.Seed, e.Seed, lineDiff(e.Want, e.Got))
}

// CheckOrder shows whether a topology depends on the order in which records
// arrive. It runs scenario once with PipeOrder, then with Shuffle(seed) for
// seed 1 to seeds, and returns an *OrderError for the first seed whose
// output differs from the pipe-order output, or nil if none does.
//
// scenario must pass mode to New, pipe its input, call Run, and return the
// output to compare, rendered as text (e.g. with FormatTable of ReadToMap):
// a final table is the usual choice, since the order of updates across
// keys is never fixed in production. An error from scenario is returned,
// naming the mode it ran under.
func CheckOrder(seeds int, scenario func(mode Option) (string, error)) error {
	want, err := scenario(PipeOrder())
	if err != nil {
		return fmt.Errorf("topologytest: scenario in pipe order: %w", err)
	}
	for seed := int64(1); seed <= int64(seeds); seed++ {
		got, err := scenario(Shuffle(seed))
		if err != nil {
			return fmt.Errorf("topologytest: scenario under Shuffle(%d): %w", seed, err)
		}
		if got != want {
			return &OrderError{Seed: seed, Want: want, Got: got}
		}
	}
	return nil
}
