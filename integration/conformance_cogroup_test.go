// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"encoding/binary"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

// Conformance of cogrouped aggregations (KIP-150) with Java Kafka Streams
// (java/…/CogroupTopologies.java) on a real broker:
//   - cogroup: three inputs with values of two types (String, Long) read
//     directly, cogrouped into one String aggregate four ways (unwindowed,
//     hopping windows, sessions, sliding windows). Every input is written
//     before either application starts, with interleaved distinct
//     timestamps, null values, out-of-order and late records, so Kafka
//     Streams' output is deterministic and Eddy's must be the same bytes:
//     per key (windowed-key bytes included) the same values and timestamps,
//     in order, on the same partition (TestConformanceTimestampOrder's
//     run, three Eddy runs). A one-partition case pins Java's output
//     (CogroupTopologiesTest).
//   - cogroup-repartition: two inputs read directly and one re-keyed (so
//     repartitioned), cogrouped into Long sums. The repartitioned records
//     reach the aggregation in an order that depends on timing in either
//     system, so each key's updates are compared as a count, a partition
//     and a last record (value bytes and timestamp), and checked against
//     the sums a model of the input predicts. With both record caches at
//     their default size (cogroup-repartition-default-cache) the updates
//     of a key are merged until each commit, differently in each system:
//     each key must end with the same record, after at most as many
//     updates as records.
func TestConformanceCogroup(t *testing.T) {
	needJavaReference(t)
	t.Run("cogroup", func(t *testing.T) { runOrderFamily(t, cogroupFamily()) })
	t.Run("cogroup-repartition", func(t *testing.T) { runCogroupRepartition(t, false) })
	t.Run("cogroup-repartition-default-cache", func(t *testing.T) { runCogroupRepartition(t, true) })
}

// Topic names and parameters of java/…/CogroupTopologies.java.
const (
	cgA, cgB, cgC, cgR                      = "cg-a", "cg-b", "cg-c", "cg-r"
	cgAgg, cgWindowed, cgSession, cgSliding = "cg-agg", "cg-windowed", "cg-session", "cg-sliding"
	cgRSum                                  = "cg-rsum"
	cgWindowSize, cgWindowAdvance           = 10 * time.Second, 5 * time.Second
	cgSessionGap, cgSlidingDiff, cgGrace    = 3 * time.Second, 5 * time.Second, 2 * time.Second
)

// addCogroup is CogroupTopologies.cogroup on topics in+…, writing out+….
func addCogroup(b *stream.Builder, in, out string) {
	a := b.Stream(in+cgA, serde.String(), serde.String()).GroupByKey()
	bs := b.Stream(in+cgB, serde.String(), serde.Int64()).GroupByKey()
	c := b.Stream(in+cgC, serde.String(), serde.String()).GroupByKey()
	addString := func(_ string, v, agg string) string { return agg + v }
	addLong := func(_ string, n int64, agg string) string { return agg + "b" + strconv.FormatInt(n, 10) }
	cg := a.Cogroup(addString).Cogroup(bs, addLong).Cogroup(c, addString)
	empty := func() string { return "" }
	cg.Aggregate(empty, nil).ToStream().To(out+cgAgg, nil, nil)
	cg.WindowedBy(window.Hopping(cgWindowSize, cgWindowAdvance).Grace(cgGrace)).
		Aggregate(empty, nil).ToStream().To(out+cgWindowed, nil, nil)
	cg.SessionWindowedBy(window.Session(cgSessionGap).Grace(cgGrace)).
		Aggregate(empty, func(_ string, l, r string) string { return l + "+" + r }, nil).ToStream().To(out+cgSession, nil, nil)
	cg.SlidingWindowedBy(window.Sliding(cgSlidingDiff).Grace(cgGrace)).
		Aggregate(empty, nil).ToStream().To(out+cgSliding, nil, nil)
}

// addCogroupRepartition is CogroupTopologies.cogroupRepartition.
func addCogroupRepartition(b *stream.Builder, in, out string) {
	a := b.Stream(in+cgA, serde.String(), serde.String()).GroupByKey()
	bs := b.Stream(in+cgB, serde.String(), serde.Int64()).GroupByKey()
	r := b.Stream(in+cgR, serde.String(), serde.String()).
		Map(func(_, v string) (string, int64) {
			k, n, _ := strings.Cut(v, ":")
			i, _ := strconv.ParseInt(n, 10, 64)
			return k, i
		}).GroupByKey()
	a.Cogroup(func(_ string, v string, agg int64) int64 { return agg + int64(len(v)) }).
		Cogroup(bs, func(_ string, n int64, agg int64) int64 { return agg + 1000*n }).
		Cogroup(r, func(_ string, n int64, agg int64) int64 { return agg + 1_000_000*n }).
		Aggregate(func() int64 { return 0 }, nil).
		ToStream().To(out+cgRSum, nil, nil)
}

// long is a Long value as Java's LongSerializer writes it, as a crec value.
func long(n int64) *string { return str(string(binary.BigEndian.AppendUint64(nil, uint64(n)))) }

// cgOut builds expected output records of the small case; windowed keys
// are written as Kafka Streams' windowed serdes write them and partitioned
// by their base key.
type cgOut struct {
	outParts int32
	m        map[string][]orec
}

func (o cgOut) add(topic, key string, keyBytes []byte, value *string, ts int64) {
	o.m[topic] = append(o.m[topic], orec{Key: string(keyBytes), Value: value, Time: ts, Partition: partition.ForKey([]byte(key), o.outParts)})
}

func (o cgOut) kv(key, value string, ts int64) { o.add(cgAgg, key, []byte(key), str(value), ts) }

func (o cgOut) window(topic, key string, start int64, value string, ts int64) {
	o.add(topic, key, binary.BigEndian.AppendUint64([]byte(key), uint64(start)), str(value), ts)
}

// session adds a session-windowed record: key ‖ 8-byte end ‖ 8-byte start;
// value "" is a tombstone.
func (o cgOut) session(key string, start, end int64, value string, ts int64) {
	k := binary.BigEndian.AppendUint64(binary.BigEndian.AppendUint64([]byte(key), uint64(end)), uint64(start))
	var v *string
	if value != "" {
		v = str(value)
	}
	o.add(cgSession, key, k, v, ts)
}

// cogroupSmallKnown is Java Kafka Streams' output of the small case
// (CogroupTopologiesTest.small; topologytest's
// TestCogroupMatchesKafkaStreamsSmallCase expects it of Eddy too).
func cogroupSmallKnown(outParts int32) map[string][]orec {
	o := cgOut{outParts, map[string][]orec{cgAgg: {}, cgWindowed: {}, cgSession: {}, cgSliding: {}}}
	o.kv("k1", "a1", 1000)
	o.kv("k1", "a1b5", 2000)
	o.kv("k2", "c1", 3000)
	o.kv("k2", "c1a2", 4000)
	o.kv("k2", "c1a2b7", 6000)
	o.kv("k1", "a1b5c2", 7000)
	o.kv("k1", "a1b5c2a3", 20000)
	o.kv("k1", "a1b5c2a3a4", 20000)
	for _, w := range []struct {
		key   string
		start int64
		value string
		ts    int64
	}{
		{"k1", 0, "a1", 1000}, {"k1", 0, "a1b5", 2000}, {"k2", 0, "c1", 3000}, {"k2", 0, "c1a2", 4000},
		{"k1", 0, "a1b5b0", 5000}, {"k1", 5000, "b0", 5000},
		{"k2", 0, "c1a2b7", 6000}, {"k2", 5000, "b7", 6000},
		{"k1", 0, "a1b5b0c2", 7000}, {"k1", 5000, "b0c2", 7000},
		{"k1", 15000, "a3", 20000}, {"k1", 20000, "a3", 20000},
	} {
		o.window(cgWindowed, w.key, w.start, w.value, w.ts)
	}
	for _, s := range []struct {
		key        string
		start, end int64
		value      string
		ts         int64
	}{
		{"k1", 1000, 1000, "a1", 1000},
		{"k1", 1000, 1000, "", 1000}, {"k1", 1000, 2000, "+a1b5", 2000},
		{"k2", 3000, 3000, "c1", 3000},
		{"k2", 3000, 3000, "", 3000}, {"k2", 3000, 4000, "+c1a2", 4000},
		{"k1", 1000, 2000, "", 2000}, {"k1", 1000, 5000, "++a1b5b0", 5000},
		{"k2", 3000, 4000, "", 4000}, {"k2", 3000, 6000, "++c1a2b7", 6000},
		{"k1", 1000, 5000, "", 5000}, {"k1", 1000, 7000, "+++a1b5b0c2", 7000},
		{"k1", 20000, 20000, "a3", 20000},
	} {
		o.session(s.key, s.start, s.end, s.value, s.ts)
	}
	for _, w := range []struct {
		key   string
		start int64
		value string
		ts    int64
	}{
		{"k1", 0, "a1", 1000}, {"k1", 1001, "b5", 2000}, {"k1", 0, "a1b5", 2000},
		{"k2", 0, "c1", 3000}, {"k2", 3001, "a2", 4000}, {"k2", 0, "c1a2", 4000},
		{"k2", 3001, "a2b7", 6000}, {"k2", 4001, "b7", 6000}, {"k2", 1000, "c1a2b7", 6000},
		{"k1", 2001, "c2", 7000}, {"k1", 2000, "b5c2", 7000},
		{"k1", 15000, "a3", 20000},
	} {
		o.window(cgSliding, w.key, w.start, w.value, w.ts)
	}
	return o.m
}

func cogroupFamily() orderFamily {
	return orderFamily{
		name: "cogroup", inputs: []string{cgA, cgB, cgC}, outputs: []string{cgAgg, cgWindowed, cgSession, cgSliding},
		cases: []orderCase{{
			name: "small", java: "cogroup", add: addCogroup, parts: 1, outParts: 2,
			in: []crec{
				{cgA, "k1", str("a1"), 1000},
				{cgB, "k1", long(5), 2000},
				{cgC, "k2", str("c1"), 3000},
				{cgA, "k2", str("a2"), 4000},
				{cgB, "k1", nil, 5000},
				{cgB, "k2", long(7), 6000},
				{cgC, "k1", str("c2"), 7000},
				{cgA, "k1", str("a3"), 20000},
				{cgA, "k1", str("a4"), 9000},
			},
			known: cogroupSmallKnown(2),
		}, {
			name: "random", java: "cogroup", add: addCogroup, parts: 3, outParts: 4,
			in: randomCogroup(41),
		}},
	}
}

// randomCogroup: 600 records on the three inputs, 12 keys, 300 ms apart
// with a 20 s gap every 150 (windows and sessions close in the middle of
// the input); 5% null values on cg-a and cg-b; 12% of the records
// 0.1–2.5 s out of order (within the 2 s grace or not), 3% 6–15 s (late).
func randomCogroup(seed uint64) []crec {
	tl := newTimeline(seed)
	ts0 := orderRandomBase
	for i := range 600 {
		if i > 0 && i%150 == 0 {
			ts0 += 20_000
		}
		ts := ts0 + int64(i)*300
		switch p := tl.rng.IntN(100); {
		case p < 12:
			ts -= 100 + tl.rng.Int64N(2400)
		case p < 15:
			ts -= 6000 + tl.rng.Int64N(9000)
		}
		key := fmt.Sprintf("g%02d", tl.rng.IntN(12))
		null := tl.rng.IntN(100) < 5
		switch tl.rng.IntN(3) {
		case 0:
			v := str(fmt.Sprintf("a%03d", i))
			if null {
				v = nil
			}
			tl.add(cgA, key, v, ts)
		case 1:
			v := long(int64(i))
			if null {
				v = nil
			}
			tl.add(cgB, key, v, ts)
		default:
			tl.add(cgC, key, str(fmt.Sprintf("c%03d", i)), ts)
		}
	}
	return tl.recs
}

// Runs without a broker: the cogroup cases have distinct timestamps, and
// Eddy's topologytest, fed the small case in Kafka Streams' processing
// order, gives the output Java Kafka Streams gives (so the expected bytes
// above are right).
func TestCogroupConformanceCases(t *testing.T) {
	f := cogroupFamily()
	for _, c := range f.cases {
		seen := map[int64]bool{}
		for _, r := range c.in {
			if seen[r.Time] {
				t.Errorf("%s: timestamp %d twice", c.name, r.Time)
			}
			seen[r.Time] = true
		}
	}
	c := f.cases[0]
	b := stream.NewBuilder()
	c.add(b, "", "")
	topo, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	d, err := topologytest.New(topo, topologytest.DefaultPartitions(c.parts))
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, task := range processingOrder(c.in, c.parts) {
		for _, r := range task {
			var v []byte
			if r.Value != nil {
				v = []byte(*r.Value)
			}
			if err := d.PipeRaw(r.Topic, []byte(r.Key), v, time.UnixMilli(r.Time)); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, o := range f.outputs {
		var got []orec
		for _, r := range d.ReadRaw(o) {
			g := orec{Key: string(r.Key), Time: r.Timestamp.UnixMilli(), Partition: partitionOfOutput(r.Key, o, c.outParts)}
			if r.Value != nil {
				g.Value = str(string(r.Value))
			}
			got = append(got, g)
		}
		if d, _ := diffRecs("Java Kafka Streams (known)", c.known[o], "Eddy (topologytest)", got, 10); d != "" {
			t.Errorf("%s:\n%s", o, d)
		}
	}
}

// partitionOfOutput is the partition Kafka Streams writes an output record
// of the small case to (out of parts): windowed keys go by their base key.
func partitionOfOutput(key []byte, topic string, parts int32) int32 {
	switch topic {
	case cgWindowed, cgSliding:
		key = key[:len(key)-8]
	case cgSession:
		key = key[:len(key)-16]
	}
	return partition.ForKey(key, parts)
}

// ---- cogroup-repartition ---------------------------------------------------

// randomCogroupRepartition: 500 records, 10 keys; cg-r carries
// "<key>:<n>" under unrelated keys; 10% out of order; a few null values on
// cg-a and cg-b (dropped).
func randomCogroupRepartition(seed uint64) []crec {
	tl := newTimeline(seed)
	for i := range 500 {
		ts := orderRandomBase + int64(i)*10
		if tl.rng.IntN(100) < 10 {
			ts -= int64(10*(1+tl.rng.IntN(10)) + 5)
		}
		key := fmt.Sprintf("u%02d", tl.rng.IntN(10))
		null := tl.rng.IntN(100) < 4
		switch tl.rng.IntN(3) {
		case 0:
			v := str(strings.Repeat("x", 1+tl.rng.IntN(9)))
			if null {
				v = nil
			}
			tl.add(cgA, key, v, ts)
		case 1:
			v := long(int64(1 + tl.rng.IntN(99)))
			if null {
				v = nil
			}
			tl.add(cgB, key, v, ts)
		default:
			tl.add(cgR, fmt.Sprintf("event-%d", i), str(fmt.Sprintf("%s:%d", key, 1+tl.rng.IntN(99))), ts)
		}
	}
	return tl.recs
}

// cgSum is what a key's output must end with: its number of updates, the
// last sum and the largest timestamp that contributed.
type cgSum struct {
	n, sum, ts int64
}

func cogroupRepartitionModel(in []crec) map[string]cgSum {
	m := map[string]cgSum{}
	for _, r := range in {
		if r.Value == nil {
			continue
		}
		key, add := r.Key, int64(0)
		switch r.Topic {
		case cgA:
			add = int64(len(*r.Value))
		case cgB:
			add = 1000 * int64(binary.BigEndian.Uint64([]byte(*r.Value)))
		case cgR:
			k, n, _ := strings.Cut(*r.Value, ":")
			i, _ := strconv.ParseInt(n, 10, 64)
			key, add = k, 1_000_000*i
		}
		s := m[key]
		m[key] = cgSum{s.n + 1, s.sum + add, max(s.ts, r.Time)}
	}
	return m
}

func runCogroupRepartition(t *testing.T, cache bool) {
	k := needKafka(t)
	start := time.Now()
	const parts, outParts = 3, 4
	in := randomCogroupRepartition(42)
	want := cogroupRepartitionModel(in)
	p := k.name("cogroup-repartition.")
	inputs := []string{p + cgA, p + cgB, p + cgR}
	javaOut, eddyOut := p+cgRSum, orderOutPrefix(p, 1)+cgRSum
	k.createTopicsForever(parts, inputs...)
	k.createTopicsForever(outParts, javaOut, eddyOut)
	k.produceExact(p, parts, in)

	javaApp := k.name("java")
	props := []string{"max.task.idle.ms=0"}
	cfg := runtime.Config{Guarantee: runtime.ExactlyOnce, CommitInterval: 100 * time.Millisecond}
	if cache {
		props = append(props, fmt.Sprintf("statestore.cache.max.bytes=%d", defaultCacheBytes))
		cfg.CacheMaxBytes = defaultCacheBytes
	}
	java := startJava(t, "cogroup-repartition", javaApp, []string{p}, props...)

	b := stream.NewBuilder()
	addCogroupRepartition(b, p, orderOutPrefix(p, 1))
	topo, err := b.Build()
	if err != nil {
		t.Fatalf("Eddy topology: %v", err)
	}
	appID := k.name("eddy")
	cfg.AppID = appID
	eddy := k.start("eddy", topo, cfg)
	eddy.waitRunning(outputTimeout)
	if err := k.waitFinished(appID, inputs, []string{eddyOut}, orderFinishTimeout, func() error {
		select {
		case <-eddy.done:
			return fmt.Errorf("Eddy stopped (state %v): %v", eddy.app.State(), eddy.err)
		default:
			return nil
		}
	}); err != nil {
		t.Errorf("Eddy did not finish the prewritten input: %v", err)
	}
	eddy.mustStop()

	java.waitRunning(t, orderJavaRunningTimeout)
	if err := k.waitFinished(javaApp, inputs, []string{javaOut}, orderFinishTimeout, func() error {
		select {
		case <-java.exited:
			return fmt.Errorf("Java Kafka Streams exited (%v)", java.waitErr)
		default:
			return nil
		}
	}); err != nil {
		t.Errorf("Java Kafka Streams did not finish the prewritten input: %v", err)
	}
	java.stop(t)
	t.Logf("both done after %v", time.Since(start).Round(time.Millisecond))

	summarize := func(rs []orec) (map[string]cgSum, map[string][]int32) {
		sums, partitions := map[string]cgSum{}, map[string][]int32{}
		for _, r := range rs {
			s := sums[r.Key]
			s.n++
			if r.Value != nil && len(*r.Value) == 8 {
				s.sum = int64(binary.BigEndian.Uint64([]byte(*r.Value)))
			} else {
				s.sum = -1 // not a Long
			}
			s.ts = r.Time
			sums[r.Key] = s
			if !slices.Contains(partitions[r.Key], r.Partition) {
				partitions[r.Key] = append(partitions[r.Key], r.Partition)
			}
		}
		return sums, partitions
	}
	jrecs, erecs := orecs(k.readAll(javaOut, readTimeout)), orecs(k.readAll(eddyOut, readTimeout))
	jsums, jparts := summarize(jrecs)
	esums, eparts := summarize(erecs)
	if cache {
		// Updates merged in the cache: compare the counts apart.
		for key, w := range want {
			if j, e := jsums[key], esums[key]; j.n > w.n || e.n > w.n {
				t.Errorf("key %q: %d records, but Java Kafka Streams wrote %d updates and Eddy %d", key, w.n, j.n, e.n)
			}
			if s, ok := jsums[key]; ok {
				s.n = w.n
				jsums[key] = s
			}
			if s, ok := esums[key]; ok {
				s.n = w.n
				esums[key] = s
			}
		}
		t.Logf("default caches: Eddy %d records, Java Kafka Streams %d, for %d input records", len(erecs), len(jrecs), len(in))
	}
	for _, key := range slices.Sorted(maps.Keys(want)) {
		w := want[key]
		wp := []int32{partition.ForKey([]byte(key), outParts)}
		if j := jsums[key]; j != w || !slices.Equal(jparts[key], wp) {
			t.Errorf("key %q: Java Kafka Streams wrote %d updates ending with %d@%d on partitions %v; the model predicts %d ending with %d@%d on %v — the test's expectations are wrong",
				key, j.n, j.sum, j.ts, jparts[key], w.n, w.sum, w.ts, wp)
		}
		if e := esums[key]; e != w || !slices.Equal(eparts[key], wp) {
			t.Errorf("key %q: Eddy wrote %d updates ending with %d@%d on partitions %v; Java Kafka Streams and the model %d ending with %d@%d on %v",
				key, e.n, e.sum, e.ts, eparts[key], w.n, w.sum, w.ts, wp)
		}
	}
	for key := range esums {
		if _, ok := want[key]; !ok {
			t.Errorf("Eddy wrote key %q, which no input has", key)
		}
	}
	if !t.Failed() {
		records := 0
		for _, w := range want {
			records += int(w.n)
		}
		if cache {
			t.Logf("identical last records and partitions: %d keys", len(want))
		} else {
			t.Logf("identical final sums, update counts and partitions: %d keys, %d records each", len(want), records)
		}
	}
}
