// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"
	"unicode"

	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// Scenario names. Every topology exists three times: here for Eddy, in
// raw.go as a hand-written franz-go loop (and for the stateful ones in
// rawks.go, doing Kafka Streams' work by hand), and in java/ (Topologies.java,
// BenchTopologies.java) for Kafka Streams, with the same topic, store and
// repartition-topic names (user topics get a per-run prefix).
const (
	scenStateless = "stateless"
	scenWordCount = "wordcount"
	scenWindow    = "window"
	scenJoin      = "join"
	// scenWordCountCached is word count with both systems' record caches
	// at their default size (Eddy's Config.CacheMaxBytes default, Kafka
	// Streams' statestore.cache.max.bytes default, 10 MiB each), Eddy and
	// Java only: the other scenarios turn the caches off so that every
	// system writes every update.
	scenWordCountCached = "wordcount-cached"
	// scenRestore is not a throughput scenario: the restore measurement
	// (a source table with one changelog record per key).
	scenRestore = "restore"
)

// allScenarios are the throughput scenarios, in report order.
var allScenarios = []string{scenStateless, scenWordCount, scenWordCountCached, scenWindow, scenJoin}

// baseScenario is the scenario whose topology, topics and input a scenario
// uses: itself, or for a variant the scenario it varies.
func baseScenario(scenario string) string {
	if scenario == scenWordCountCached {
		return scenWordCount
	}
	return scenario
}

// cachedScenario says whether a scenario runs Eddy and Kafka Streams with
// their record caches at the default size (otherwise both have none).
func cachedScenario(scenario string) bool { return scenario == scenWordCountCached }

// javaDefaultCacheBytes is Kafka Streams' statestore.cache.max.bytes
// default, passed explicitly to the Java reference in the cached variant.
const javaDefaultCacheBytes = 10 << 20

// Topic and store names.
const (
	inputTopic   = "text-lines"
	statelessOut = "text-upper"
	outputTopic  = "word-counts-output"
	wordStore    = "word-counts" // store and repartition topic
	windowOut    = "window-counts-output"
	windowStore  = "window-counts" // store and repartition topic
	joinStream   = "join-stream"
	joinTable    = "join-table" // topic and store
	joinOut      = "join-output"
	restoreTopic = "restore-keys"
	restoreStore = "restore-store"
)

// windows of the window scenario: 10 s tumbling windows; the grace period
// (1 h) is longer than any benchmark input spans (one record per ms), so no
// record is dropped as late whatever order a system fetches partitions in.
var windows = window.Tumbling(10 * time.Second).Grace(time.Hour)

// scenarioSpec is what the harness needs to know about a scenario.
type scenarioSpec struct {
	inputs      []string // input topics (unprefixed); the drain check covers all
	output      string   // output topic (unprefixed), "" for none
	repartition string   // "" or the name of the repartition topic <app>-<name>-repartition (Eddy and Kafka Streams)
	java        string   // Java reference topology (java/target/eddy-reference.jar)
}

func specOf(scenario string) scenarioSpec {
	switch baseScenario(scenario) {
	case scenStateless:
		return scenarioSpec{[]string{inputTopic}, statelessOut, "", "bench-stateless"}
	case scenWordCount:
		return scenarioSpec{[]string{inputTopic}, outputTopic, wordStore, "wordcount"}
	case scenWindow:
		return scenarioSpec{[]string{inputTopic}, windowOut, windowStore, "bench-window"}
	case scenJoin:
		// the table first: the harness preloads it before the stream
		return scenarioSpec{[]string{joinTable, joinStream}, joinOut, "", "bench-join"}
	case scenRestore:
		return scenarioSpec{[]string{restoreTopic}, "", "", "bench-restore"}
	}
	return scenarioSpec{}
}

// javaTopology names the Java reference topology of a scenario.
func javaTopology(scenario string) string { return specOf(scenario).java }

func outTopic(scenario string) string { return specOf(scenario).output }

// words is examples/wordcount.Words (a main package, so repeated here as
// integration/ does): Java's toLowerCase(Locale.ROOT).split("\\s+").
func words(line string) []string {
	return strings.FieldsFunc(lowerRoot(line), func(r rune) bool {
		switch r {
		case ' ', '\t', '\n', '\v', '\f', '\r':
			return true
		}
		return false
	})
}

func lowerRoot(s string) string {
	rs := []rune(s)
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range rs {
		switch {
		case r == 'İ':
			b.WriteString("i\u0307")
		case r == 'Σ' && i > 0 && unicode.IsLetter(rs[i-1]) && (i+1 == len(rs) || !unicode.IsLetter(rs[i+1])):
			b.WriteRune('ς')
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// keepLine and upper are the stateless scenario: drop short lines, upper-case
// the rest (the input is ASCII, where Go's and Java's upper-casing agree).
func keepLine(line string) bool { return len(line) >= 12 }
func upper(line string) string  { return strings.ToUpper(line) }

// joined is the join scenario's result: a left join, the row empty when the
// key has none (BenchTopologies.joined).
func joined(line, row string, found bool) string {
	if !found {
		return line + "|"
	}
	return line + "|" + row
}

// windowedKey is Kafka Streams' time-windowed key: key ‖ 8-byte big-endian
// window start.
func windowedKey(key string, start int64) []byte {
	b := make([]byte, len(key)+8)
	copy(b, key)
	binary.BigEndian.PutUint64(b[len(key):], uint64(start))
	return b
}

// topology builds the Eddy topology of a scenario with prefixed user topics.
func topology(scenario, prefix string) (*stream.Topology, error) {
	b := stream.NewBuilder()
	switch baseScenario(scenario) {
	case scenStateless:
		b.Stream(prefix+inputTopic, serde.String(), serde.String()).
			Filter(func(_, v string) bool { return keepLine(v) }).
			MapValues(upper).
			To(prefix+statelessOut, serde.String(), serde.String())
	case scenWordCount:
		b.Stream(prefix+inputTopic, serde.String(), serde.String()).
			FlatMapValues(words).
			GroupBy(func(_, word string) string { return word }, serde.String()).
			Count(table.As(wordStore)).
			ToStream().
			To(prefix+outputTopic, serde.String(), serde.Int64())
	case scenWindow:
		b.Stream(prefix+inputTopic, serde.String(), serde.String()).
			FlatMapValues(words).
			GroupBy(func(_, word string) string { return word }, serde.String(), stream.As(windowStore)).
			WindowedBy(windows).
			Count(table.As(windowStore)).
			ToStream().
			To(prefix+windowOut, serde.TimeWindowed(serde.String(), windows.Size()), serde.Int64())
	case scenJoin:
		rows := b.Table(prefix+joinTable, serde.String(), serde.String(), table.As(joinTable))
		b.Stream(prefix+joinStream, serde.String(), serde.String()).
			LeftJoinTable(rows, joined).
			To(prefix+joinOut, serde.String(), serde.String())
	case scenRestore:
		b.Table(prefix+restoreTopic, serde.String(), serde.String(), table.As(restoreStore))
	default:
		return nil, fmt.Errorf("unknown scenario %q", scenario)
	}
	return b.Build()
}

// corpus returns n deterministic text lines of 1–6 words from a vocabulary
// of vocab words, in mixed case; the same seed gives the same bytes.
func corpus(n, vocab int, seed uint64) [][]byte {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([][]byte, n)
	for i := range out {
		var b strings.Builder
		for j := range 1 + rng.IntN(6) {
			if j > 0 {
				b.WriteByte(' ')
			}
			w := fmt.Sprintf("w%d", rng.IntN(vocab))
			if rng.IntN(3) == 0 {
				w = strings.ToUpper(w)
			}
			b.WriteString(w)
		}
		out[i] = []byte(b.String())
	}
	return out
}

// baseTime is the timestamp of input record 0; record i gets baseTime+i ms.
const baseTime = int64(1_700_000_000_000)

// inRecord is one pre-loaded input record.
type inRecord struct {
	key, value []byte
	partition  int32
	ts         int64
}

// dataset is a scenario's input, per unprefixed topic, in production order
// of the topics given by scenarioSpec.inputs.
type dataset map[string][]inRecord

func (d dataset) count() int {
	n := 0
	for _, rs := range d {
		n += len(rs)
	}
	return n
}

// keyPartition is Kafka's default partitioner for keyed records
// (toPositive(murmur2(key)) % n), so keyed inputs are co-partitioned as a
// Java producer would write them.
func keyPartition(key []byte, n int32) int32 {
	return (partition.Murmur2(key) & 0x7fffffff) % n
}

// textLines puts lines on partitions round-robin (line i on i % p) without
// keys.
func textLines(lines [][]byte, p int32) []inRecord {
	out := make([]inRecord, len(lines))
	for i, l := range lines {
		out[i] = inRecord{value: l, partition: int32(i) % p, ts: baseTime + int64(i)}
	}
	return out
}

// joinData is the join scenario's input: a table of keys rows "c<k>" and
// len(lines) stream records keyed by a random row key (seed 43), both
// partitioned by key. Table rows have timestamps before every stream record.
func joinData(lines [][]byte, keys int, p int32) dataset {
	keyOf := func(k int) []byte { return fmt.Appendf(nil, "c%06d", k) }
	rows := make([]inRecord, keys)
	for k := range rows {
		key := keyOf(k)
		rows[k] = inRecord{key: key, value: fmt.Appendf(nil, "customer %06d region %d", k, k%7),
			partition: keyPartition(key, p), ts: baseTime - int64(keys) + int64(k)}
	}
	rng := rand.New(rand.NewPCG(43, 7))
	st := make([]inRecord, len(lines))
	for i, l := range lines {
		key := keyOf(rng.IntN(keys))
		st[i] = inRecord{key: key, value: l, partition: keyPartition(key, p), ts: baseTime + int64(i)}
	}
	return dataset{joinTable: rows, joinStream: st}
}

// restoreData is n records with distinct keys "k<i>": a store with n keys
// and a changelog of n records once a system has materialized it.
func restoreData(n int, p int32) dataset {
	rs := make([]inRecord, n)
	for i := range rs {
		key := fmt.Appendf(nil, "k%08d", i)
		rs[i] = inRecord{key: key, value: fmt.Appendf(nil, "value-%08d", i), partition: keyPartition(key, p), ts: baseTime + int64(i)}
	}
	return dataset{restoreTopic: rs}
}

// expectedOutput is the number of output records a scenario must produce
// without a record cache: one per kept line (stateless), one count update
// per word (wordcount, window: no record is late), one per stream record
// (join: a left join). With the record caches (wordcount-cached) it is the
// least a system can write: one update per distinct word.
func expectedOutput(scenario string, d dataset) int64 {
	var n int64
	switch scenario {
	case scenWordCountCached:
		distinct := map[string]bool{}
		for _, r := range d[inputTopic] {
			for _, w := range words(string(r.value)) {
				distinct[w] = true
			}
		}
		n = int64(len(distinct))
	case scenStateless:
		for _, r := range d[inputTopic] {
			if keepLine(string(r.value)) {
				n++
			}
		}
	case scenWordCount, scenWindow:
		for _, r := range d[inputTopic] {
			n += int64(len(words(string(r.value))))
		}
	case scenJoin:
		n = int64(len(d[joinStream]))
	}
	return n
}

// workUnits is what CPU and allocations are reported per: input words for
// wordcount and window (each word is one record through the repartition
// topic, the store and the output), input records for stateless (lines)
// and join (table rows and stream records).
func workUnits(scenario string, d dataset) int64 {
	switch scenario = baseScenario(scenario); scenario {
	case scenWordCount, scenWindow:
		return expectedOutput(scenario, d)
	}
	return int64(d.count())
}

// unitName names the unit of workUnits.
func unitName(scenario string) string {
	switch baseScenario(scenario) {
	case scenWordCount, scenWindow:
		return "word"
	}
	return "record"
}
