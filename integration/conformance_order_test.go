// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/fixture"
	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/window"
)

// Conformance of timestamp-ordered processing: every input is written
// before either application starts, with timestamps interleaved across the
// input topics, and the output of joins and a merge depends on the order in
// which a task interleaves its input partitions. Kafka Streams processes,
// among a task's partitions, the one whose next record has the lowest
// timestamp, and with max.task.idle.ms=0 (its default) waits for records it
// knows to be on the broker; so on prewritten input with distinct
// timestamps its output is deterministic. Eddy's must be the same bytes:
// per key, the same sequence of values and timestamps, on the same output
// partition. Each family below runs in one Java Kafka Streams application
// (java/…/JoinTopologies.java) holding both of its cases, each on its own
// topic prefix:
//   - small: a few records, one partition per topic, whose Java output is
//     known (JoinTopologiesTest pins it on the TopologyTestDriver) and
//     asserted here too;
//   - random: three partitions, a few hundred records per topic, several
//     keys, table updates and tombstones, out-of-order records; the Java
//     output is also checked against a model of Kafka Streams' processing
//     order where the semantics are simple (merge, stream–table,
//     table–table).
//
// Eddy runs three times on the same input, each with a fresh application id
// and state directory, writing to its own output topics; every run must
// equal Java's output.
func TestConformanceTimestampOrder(t *testing.T) {
	needJavaReference(t)
	for _, f := range orderFamilies() {
		t.Run(f.name, func(t *testing.T) { runOrderFamily(t, f) })
	}
}

// Runs without a broker: the inputs have distinct timestamps, and the
// models reproduce the outputs Java Kafka Streams gives for the small cases
// and the Java reference's fixtures.
func TestOrderModelsMatchKafkaStreams(t *testing.T) {
	families := orderFamilies()
	for _, f := range families {
		for _, c := range f.cases {
			if len(c.in) == 0 {
				t.Errorf("%s/%s: no input", f.name, c.name)
			}
			seen := map[int64]string{}
			for _, r := range c.in {
				if !slices.Contains(f.inputs, r.Topic) {
					t.Errorf("%s/%s: input on topic %q, not one of %v", f.name, c.name, r.Topic, f.inputs)
				}
				if seen[r.Time] != "" {
					t.Errorf("%s/%s: timestamp %d twice (%s and %s %q): Kafka Streams' order would be undefined",
						f.name, c.name, r.Time, seen[r.Time], r.Topic, r.Key)
				}
				seen[r.Time] = r.Topic
			}
			if c.known == nil || f.model == nil {
				continue
			}
			got := f.model(processingOrder(c.in, c.parts), c.outParts)
			for _, o := range f.outputs {
				if d, _ := diffRecs("Java Kafka Streams (known)", c.known[o], "the model", got[o], 10); d != "" {
					t.Errorf("%s/%s/%s: the model differs from Kafka Streams' output:\n%s", f.name, c.name, o, d)
				}
			}
		}
	}
	// The Java reference's fixtures of these topologies (FixturesTest: the
	// inputs piped in file order into the TopologyTestDriver; Eddy replays
	// them in TestTopologyCopiesMatchJavaFixtures): the file order is the
	// order Kafka Streams processes them in on a broker, and the models give
	// their outputs.
	for _, name := range []string{"join-stream-table", "join-stream-stream", "join-stream-stream-grace", "join-table-table", "merge"} {
		fx, err := fixture.Load(javaReferenceRoot + "/src/test/resources/fixtures/" + name + ".json")
		if err != nil {
			t.Fatal(err)
		}
		var in []crec
		for _, r := range fx.Inputs {
			if r.Key == nil {
				t.Fatalf("%s fixture: null key", name)
			}
			in = append(in, crec{r.Topic, *r.Key, r.Value, r.Timestamp})
		}
		if order := processingOrder(in, 1)[0]; !slices.Equal(order, in) {
			t.Errorf("%s fixture: the inputs are not in Kafka Streams' processing order, which is\n  %v", name, order)
		}
		i := slices.IndexFunc(families, func(f orderFamily) bool { return f.name == name })
		if i < 0 || families[i].model == nil {
			continue
		}
		f := families[i]
		want := map[string][]orec{}
		for _, r := range fx.Outputs {
			k, err := fixture.Hex(r.KeyHex)
			if err != nil {
				t.Fatal(err)
			}
			v, err := fixture.Hex(r.ValueHex)
			if err != nil {
				t.Fatal(err)
			}
			o := orec{Key: string(k), Time: r.Timestamp}
			if r.ValueHex != nil {
				o.Value = str(string(v))
			}
			want[r.Topic] = append(want[r.Topic], o)
		}
		got := f.model([][]crec{in}, 1)
		for _, o := range f.outputs {
			if d, _ := diffRecs("Java Kafka Streams (fixture)", want[o], "the model", got[o], 10); d != "" {
				t.Errorf("%s fixture, %s: the model differs from Kafka Streams' output:\n%s", name, o, d)
			}
		}
	}
}

// ---- topologies ----------------------------------------------------------

// Topic names of java/…/JoinTopologies.java.
const (
	stStream, stTable, stJoin, stLeftJoin = "st-stream", "st-table", "st-join", "st-leftjoin"
	ssLeft, ssRight                       = "ss-left", "ss-right"
	ssJoin, ssLeftJoin, ssOuterJoin       = "ss-join", "ss-leftjoin", "ss-outerjoin"
	ttLeft, ttRight                       = "tt-left", "tt-right"
	ttJoin, ttLeftJoin, ttOuterJoin       = "tt-join", "tt-leftjoin", "tt-outerjoin"
	mergeA, mergeB, mergeOut              = "merge-a", "merge-b", "merge-out"
	ssWindow                              = 5 * time.Second
	ssGrace                               = 2 * time.Second // of join-stream-stream-grace
	javaEmitIntervalProp                  = "__emit.interval.ms.kstreams.outer.join.spurious.results.fix__"
	orderRandomBase                       = int64(1_700_000_000_000)
	orderEddyRuns                         = 3
	orderJavaRunningTimeout               = 3 * time.Minute
	orderFinishTimeout                    = outputTimeout
	orderStableFor                        = time.Second
	orderMaxKeysInDiff                    = 6
	orderMaxRecsInDiff                    = 10
	orderMaxValueInDiff                   = 40 // runes of a value shown, but in full where the difference is
	orderNullValue                        = "<null>"
	orderMinRandomKeys                    = 6 // per output of a random case, a sanity check
)

// joined is the joiner of JoinTopologies: Java's left + "|" + right, where
// an absent side prints as "null".
func joined(l, r string) string { return l + "|" + r }

func orNull(v string, ok bool) string {
	if !ok {
		return "null"
	}
	return v
}

func addStreamTableJoins(b *stream.Builder, in, out string) {
	s := b.Stream(in+stStream, serde.String(), serde.String())
	t := b.Table(in+stTable, serde.String(), serde.String())
	s.JoinTable(t, joined).To(out+stJoin, serde.String(), serde.String())
	s.LeftJoinTable(t, func(v, row string, found bool) string { return joined(v, orNull(row, found)) }).
		To(out+stLeftJoin, serde.String(), serde.String())
}

func addStreamStreamJoins(grace time.Duration) func(*stream.Builder, string, string) {
	return func(b *stream.Builder, in, out string) {
		w := window.JoinWindow(ssWindow).Grace(grace)
		l := b.Stream(in+ssLeft, serde.String(), serde.String())
		r := b.Stream(in+ssRight, serde.String(), serde.String())
		l.Join(r, joined, w).To(out+ssJoin, serde.String(), serde.String())
		l.LeftJoin(r, func(v, o string, ok bool) string { return joined(v, orNull(o, ok)) }, w).
			To(out+ssLeftJoin, serde.String(), serde.String())
		l.OuterJoin(r, func(v string, vok bool, o string, ook bool) string { return joined(orNull(v, vok), orNull(o, ook)) }, w).
			To(out+ssOuterJoin, serde.String(), serde.String())
	}
}

func addTableTableJoins(b *stream.Builder, in, out string) {
	l := b.Table(in+ttLeft, serde.String(), serde.String())
	r := b.Table(in+ttRight, serde.String(), serde.String())
	l.Join(r, joined).ToStream().To(out+ttJoin, serde.String(), serde.String())
	l.LeftJoin(r, func(v, o string, ok bool) string { return joined(v, orNull(o, ok)) }).
		ToStream().To(out+ttLeftJoin, serde.String(), serde.String())
	l.OuterJoin(r, func(v string, vok bool, o string, ook bool) string { return joined(orNull(v, vok), orNull(o, ook)) }).
		ToStream().To(out+ttOuterJoin, serde.String(), serde.String())
}

func addMerge(b *stream.Builder, in, out string) {
	b.Stream(in+mergeA, serde.String(), serde.String()).
		Merge(b.Stream(in+mergeB, serde.String(), serde.String())).
		To(out+mergeOut, serde.String(), serde.String())
}

// orderTopology is one of the topologies above alone, on prefix.
func orderTopology(add func(*stream.Builder, string, string)) func(testing.TB, string) *stream.Topology {
	return func(t testing.TB, prefix string) *stream.Topology {
		t.Helper()
		b := stream.NewBuilder()
		add(b, prefix, prefix)
		topo, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		return topo
	}
}

// ---- cases -----------------------------------------------------------------

// crec is an input record: its exact timestamp (0 is 0), on the partition
// Java's producer picks for its key.
type crec struct {
	Topic string // unprefixed
	Key   string
	Value *string // nil: null (a tombstone)
	Time  int64
}

// orec is an output record as compared: key, value, timestamp, partition.
type orec struct {
	Key       string
	Value     *string // nil: null
	Time      int64
	Partition int32
}

func str(s string) *string { return &s }

type orderFamily struct {
	name      string   // subtest name
	inputs    []string // unprefixed
	outputs   []string // unprefixed
	javaProps []string // --prop key=value for the Java application
	cases     []orderCase
	// model computes the outputs from the input of each task in the order
	// Kafka Streams processes it (processingOrder); nil where the semantics
	// are too involved to model here.
	model func(tasks [][]crec, outParts int32) map[string][]orec
}

type orderCase struct {
	name            string // small or random: its topics are <test prefix><name>.<topic>
	java            string // the Java reference's topology
	add             func(b *stream.Builder, in, out string)
	parts, outParts int32
	in              []crec // in production order
	// known is Java Kafka Streams' output (pinned by JoinTopologiesTest);
	// nil if only a model (or nothing) predicts it.
	known map[string][]orec
}

// at builds the expected outputs of a small case: "key=value@ts" (value
// <null> for a tombstone), per output topic.
func at(outParts int32, outs map[string][]string) map[string][]orec {
	m := map[string][]orec{}
	for topic, recs := range outs {
		m[topic] = []orec{}
		for _, s := range recs {
			kv, ts, _ := strings.Cut(s, "@")
			k, v, _ := strings.Cut(kv, "=")
			var n int64
			if _, err := fmt.Sscan(ts, &n); err != nil {
				panic(s)
			}
			r := orec{Key: k, Time: n, Partition: partition.ForKey([]byte(k), outParts)}
			if v != orderNullValue {
				r.Value = str(v)
			}
			m[topic] = append(m[topic], r)
		}
	}
	return m
}

func orderFamilies() []orderFamily {
	ssOuts := []string{ssJoin, ssLeftJoin, ssOuterJoin}
	return []orderFamily{
		{
			name: "join-stream-table", inputs: []string{stStream, stTable}, outputs: []string{stJoin, stLeftJoin},
			model: streamTableModel,
			cases: []orderCase{{
				name: "small", java: "join-stream-table", add: addStreamTableJoins, parts: 1, outParts: 2,
				in: []crec{
					{stStream, "c1", str("10"), 1000},
					{stTable, "c1", str("eu"), 2000},
					{stStream, "c1", str("20"), 3000},
				},
				known: at(2, map[string][]string{
					stJoin:     {"c1=20|eu@3000"},
					stLeftJoin: {"c1=10|null@1000", "c1=20|eu@3000"},
				}),
			}, {
				name: "random", java: "join-stream-table", add: addStreamTableJoins, parts: 3, outParts: 4,
				in: randomStreamTable(31),
			}},
		},
		{
			name: "join-stream-stream", inputs: []string{ssLeft, ssRight}, outputs: ssOuts,
			javaProps: []string{javaEmitIntervalProp + "=0"},
			cases: []orderCase{{
				name: "small", java: "join-stream-stream", add: addStreamStreamJoins(0), parts: 1, outParts: 2,
				in: []crec{
					{ssLeft, "k1", str("L1"), 0},
					{ssLeft, "kz", str("LZ"), 30001},
					{ssRight, "k1", str("R1"), 1000},
					{ssRight, "kz", str("RZ"), 30000},
				},
				known: at(2, map[string][]string{
					ssJoin:      {"k1=L1|R1@1000", "kz=LZ|RZ@30001"},
					ssLeftJoin:  {"k1=L1|R1@1000", "kz=LZ|RZ@30001"},
					ssOuterJoin: {"k1=L1|R1@1000", "kz=LZ|RZ@30001"},
				}),
			}, {
				name: "random", java: "join-stream-stream-grace", add: addStreamStreamJoins(ssGrace), parts: 3, outParts: 4,
				in: randomStreamStream(32),
			}},
		},
		{
			name: "join-table-table", inputs: []string{ttLeft, ttRight}, outputs: []string{ttJoin, ttLeftJoin, ttOuterJoin},
			model: tableTableModel,
			cases: []orderCase{{
				name: "small", java: "join-table-table", add: addTableTableJoins, parts: 1, outParts: 2,
				in: []crec{
					{ttLeft, "k1", str("l1"), 1000},
					{ttRight, "k1", str("r1"), 2000},
					{ttLeft, "k1", str("l2"), 3000},
					{ttRight, "k1", nil, 4000},
					{ttLeft, "k1", nil, 5000},
					{ttRight, "k2", str("r9"), 6000},
				},
				known: at(2, map[string][]string{
					ttJoin:      {"k1=l1|r1@2000", "k1=l2|r1@3000", "k1=<null>@4000"},
					ttLeftJoin:  {"k1=l1|null@1000", "k1=l1|r1@2000", "k1=l2|r1@3000", "k1=l2|null@4000", "k1=<null>@5000"},
					ttOuterJoin: {"k1=l1|null@1000", "k1=l1|r1@2000", "k1=l2|r1@3000", "k1=l2|null@4000", "k1=<null>@5000", "k2=null|r9@6000"},
				}),
			}, {
				name: "random", java: "join-table-table", add: addTableTableJoins, parts: 3, outParts: 4,
				in: randomTableTable(33),
			}},
		},
		{
			name: "merge", inputs: []string{mergeA, mergeB}, outputs: []string{mergeOut},
			model: mergeModel,
			cases: []orderCase{{
				name: "small", java: "merge", add: addMerge, parts: 1, outParts: 2,
				in: []crec{
					{mergeA, "k1", str("a1"), 1000},
					{mergeA, "k1", str("a2"), 3000},
					{mergeB, "k1", str("b1"), 2000},
					{mergeB, "k1", str("b2"), 4000},
				},
				known: at(2, map[string][]string{mergeOut: {"k1=a1@1000", "k1=b1@2000", "k1=a2@3000", "k1=b2@4000"}}),
			}, {
				name: "random", java: "merge", add: addMerge, parts: 3, outParts: 4,
				in: randomMerge(34),
			}},
		},
	}
}

// timeline generates input with distinct timestamps: record i at about
// base + i*step, a few of them out of order.
type timeline struct {
	rng  *rand.Rand
	used map[int64]bool
	recs []crec
}

func newTimeline(seed uint64) *timeline {
	return &timeline{rng: rand.New(rand.NewPCG(seed, 17)), used: map[int64]bool{}}
}

// add appends a record at ts, or the first free millisecond before it.
func (tl *timeline) add(topic, key string, value *string, ts int64) {
	for tl.used[ts] {
		ts--
	}
	tl.used[ts] = true
	tl.recs = append(tl.recs, crec{topic, key, value, ts})
}

// randomStreamTable: 450 records, a third of them table updates (15%
// tombstones), 16 keys; 6% of the records 15–85 ms out of order.
func randomStreamTable(seed uint64) []crec {
	tl := newTimeline(seed)
	for i := range 450 {
		ts := orderRandomBase + int64(i)*10
		if tl.rng.IntN(100) < 6 {
			ts -= int64(10*(1+tl.rng.IntN(8)) + 5)
		}
		key := fmt.Sprintf("c%02d", tl.rng.IntN(16))
		if tl.rng.IntN(3) == 0 {
			var v *string
			if tl.rng.IntN(100) >= 15 {
				v = str(fmt.Sprintf("t%03d", i))
			}
			tl.add(stTable, key, v, ts)
		} else {
			tl.add(stStream, key, str(fmt.Sprintf("o%03d", i)), ts)
		}
	}
	return tl.recs
}

// randomStreamStream: 500 records, left or right, 12 keys, 300 ms apart
// with a 20 s gap every 100 (windows close in the middle of the input);
// 12% of the records 0.1–2.5 s out of order (within the 2 s grace or the
// window), 3% 6–15 s (late: past their window's close, or expired).
func randomStreamStream(seed uint64) []crec {
	tl := newTimeline(seed)
	ts0 := orderRandomBase
	for i := range 500 {
		if i > 0 && i%100 == 0 {
			ts0 += 20_000
		}
		ts := ts0 + int64(i)*300
		switch p := tl.rng.IntN(100); {
		case p < 12:
			ts -= 100 + tl.rng.Int64N(2400)
		case p < 15:
			ts -= 6000 + tl.rng.Int64N(9000)
		}
		key := fmt.Sprintf("k%02d", tl.rng.IntN(12))
		if tl.rng.IntN(2) == 0 {
			tl.add(ssLeft, key, str(fmt.Sprintf("L%03d", i)), ts)
		} else {
			tl.add(ssRight, key, str(fmt.Sprintf("R%03d", i)), ts)
		}
	}
	return tl.recs
}

// randomTableTable: 400 updates of either table, 12 keys, 20% tombstones
// (some of absent rows); 5% 15–55 ms out of order.
func randomTableTable(seed uint64) []crec {
	tl := newTimeline(seed)
	for i := range 400 {
		ts := orderRandomBase + int64(i)*10
		if tl.rng.IntN(100) < 5 {
			ts -= int64(10*(1+tl.rng.IntN(5)) + 5)
		}
		key := fmt.Sprintf("t%02d", tl.rng.IntN(12))
		topic, v := ttLeft, fmt.Sprintf("l%03d", i)
		if tl.rng.IntN(2) == 0 {
			topic, v = ttRight, fmt.Sprintf("r%03d", i)
		}
		if tl.rng.IntN(100) < 20 {
			tl.add(topic, key, nil, ts)
		} else {
			tl.add(topic, key, str(v), ts)
		}
	}
	return tl.recs
}

// randomMerge: 500 records on either topic, 20 keys; 10% 15–105 ms out of
// order.
func randomMerge(seed uint64) []crec {
	tl := newTimeline(seed)
	for i := range 500 {
		ts := orderRandomBase + int64(i)*10
		if tl.rng.IntN(100) < 10 {
			ts -= int64(10*(1+tl.rng.IntN(10)) + 5)
		}
		key := fmt.Sprintf("m%02d", tl.rng.IntN(20))
		if tl.rng.IntN(2) == 0 {
			tl.add(mergeA, key, str(fmt.Sprintf("a%03d", i)), ts)
		} else {
			tl.add(mergeB, key, str(fmt.Sprintf("b%03d", i)), ts)
		}
	}
	return tl.recs
}

// ---- models of Kafka Streams ---------------------------------------------

// processingOrder is the order in which Kafka Streams processes prewritten
// input: task by task (partition p of every input topic), and within a
// task always the partition whose next record has the lowest timestamp
// (PartitionGroup.nextRecord), each partition in offset order.
func processingOrder(in []crec, parts int32) [][]crec {
	var tasks [][]crec
	for p := range parts {
		var queues [][]crec
		var topics []string
		byTopic := map[string][]crec{}
		for _, r := range in {
			if partition.ForKey([]byte(r.Key), parts) != p {
				continue
			}
			if _, ok := byTopic[r.Topic]; !ok {
				topics = append(topics, r.Topic)
			}
			byTopic[r.Topic] = append(byTopic[r.Topic], r)
		}
		for _, tp := range topics {
			queues = append(queues, byTopic[tp])
		}
		var order []crec
		for {
			best := -1
			for q := range queues {
				if len(queues[q]) > 0 && (best < 0 || queues[q][0].Time < queues[best][0].Time) {
					best = q
				}
			}
			if best < 0 {
				break
			}
			order = append(order, queues[best][0])
			queues[best] = queues[best][1:]
		}
		tasks = append(tasks, order)
	}
	return tasks
}

type modelOut struct {
	outParts int32
	m        map[string][]orec
}

func (o *modelOut) emit(topic, key string, value *string, ts int64) {
	o.m[topic] = append(o.m[topic], orec{Key: key, Value: value, Time: ts, Partition: partition.ForKey([]byte(key), o.outParts)})
}

func mergeModel(tasks [][]crec, outParts int32) map[string][]orec {
	o := &modelOut{outParts, map[string][]orec{mergeOut: {}}}
	for _, task := range tasks {
		for _, r := range task {
			o.emit(mergeOut, r.Key, r.Value, r.Time)
		}
	}
	return o.m
}

// streamTableModel: a stream record joins the table row of its key as of
// its turn; results keep the stream record's timestamp.
func streamTableModel(tasks [][]crec, outParts int32) map[string][]orec {
	o := &modelOut{outParts, map[string][]orec{stJoin: {}, stLeftJoin: {}}}
	for _, task := range tasks {
		rows := map[string]string{}
		for _, r := range task {
			switch {
			case r.Topic == stTable && r.Value == nil:
				delete(rows, r.Key)
			case r.Topic == stTable:
				rows[r.Key] = *r.Value
			case r.Value != nil:
				row, ok := rows[r.Key]
				if ok {
					o.emit(stJoin, r.Key, str(joined(*r.Value, row)), r.Time)
				}
				o.emit(stLeftJoin, r.Key, str(joined(*r.Value, orNull(row, ok))), r.Time)
			}
		}
	}
	return o.m
}

type tableRow struct {
	v  string
	ts int64
}

// tableTableModel follows KTableKTable{Inner,Left,Right,Outer}Join with the
// record cache off: an update of either side (its store updated first)
// looks up the other side's row; results carry the larger of the two rows'
// timestamps. The left and outer joins make the tables send old values, so
// deleting an absent row yields nothing where the other row is absent too.
func tableTableModel(tasks [][]crec, outParts int32) map[string][]orec {
	o := &modelOut{outParts, map[string][]orec{ttJoin: {}, ttLeftJoin: {}, ttOuterJoin: {}}}
	val := func(v *string) string {
		if v == nil {
			return "null"
		}
		return *v
	}
	for _, task := range tasks {
		left, right := map[string]tableRow{}, map[string]tableRow{}
		for _, r := range task {
			this, other := left, right
			if r.Topic == ttRight {
				this, other = right, left
			}
			_, hadOld := this[r.Key]
			if r.Value == nil {
				delete(this, r.Key)
			} else {
				this[r.Key] = tableRow{*r.Value, r.Time}
			}
			orow, ok := other[r.Key]
			pair := func(mine string) string { // left|right
				if r.Topic == ttRight {
					return joined(orow.v, mine)
				}
				return joined(mine, orow.v)
			}
			if ok {
				ts := max(r.Time, orow.ts)
				var inner *string
				if r.Value != nil {
					inner = str(pair(*r.Value))
				}
				o.emit(ttJoin, r.Key, inner, ts)
				if r.Topic == ttLeft {
					o.emit(ttLeftJoin, r.Key, inner, ts)
				} else {
					o.emit(ttLeftJoin, r.Key, str(pair(val(r.Value))), ts)
				}
				o.emit(ttOuterJoin, r.Key, str(pair(val(r.Value))), ts)
				continue
			}
			if r.Value == nil && !hadOld {
				continue
			}
			var alone *string // the row without a partner, or a tombstone
			if r.Value != nil {
				if r.Topic == ttLeft {
					alone = str(joined(*r.Value, "null"))
				} else {
					alone = str(joined("null", *r.Value))
				}
			}
			if r.Topic == ttLeft {
				o.emit(ttLeftJoin, r.Key, alone, r.Time)
			}
			o.emit(ttOuterJoin, r.Key, alone, r.Time)
		}
	}
	return o.m
}

// ---- the run ---------------------------------------------------------------

func runOrderFamily(t *testing.T, f orderFamily) {
	k := needKafka(t)
	start := time.Now()
	prefixes := make([]string, len(f.cases))
	var inputs []string
	outputs := make([][]string, orderEddyRuns+1) // [run] → output topics; run 0 is Java
	for i, c := range f.cases {
		p := k.name(c.name + ".")
		prefixes[i] = p
		var ins, outs []string
		for _, in := range f.inputs {
			ins = append(ins, p+in)
		}
		for run := range outputs {
			for _, o := range f.outputs {
				outs = append(outs, orderOutPrefix(p, run)+o)
			}
			outputs[run] = append(outputs[run], outs[len(outs)-len(f.outputs):]...)
		}
		inputs = append(inputs, ins...)
		k.createTopicsForever(c.parts, ins...)
		k.createTopicsForever(c.outParts, outs...)
		k.produceExact(p, c.parts, c.in)
	}
	t.Logf("inputs written (%d topics) after %v; both applications start now", len(inputs), time.Since(start).Round(time.Millisecond))

	// Java first: its JVM starts while Eddy runs.
	var javaTopologies []string
	for _, c := range f.cases {
		javaTopologies = append(javaTopologies, c.java)
	}
	props := append([]string{"max.task.idle.ms=0"}, f.javaProps...)
	javaApp := k.name("java")
	java := startJava(t, strings.Join(javaTopologies, ","), javaApp, prefixes, props...)

	// got[run][case][output] — run 0 is Java.
	got := make([][]map[string][]orec, orderEddyRuns+1)
	for run := 1; run <= orderEddyRuns; run++ {
		b := stream.NewBuilder()
		for i, c := range f.cases {
			c.add(b, prefixes[i], orderOutPrefix(prefixes[i], run))
		}
		topo, err := b.Build()
		if err != nil {
			t.Fatalf("Eddy topology: %v", err)
		}
		appID := k.name(fmt.Sprintf("eddy%d", run))
		runStart := time.Now()
		in := k.start(fmt.Sprintf("eddy%d", run), topo, runtime.Config{AppID: appID, Guarantee: runtime.ExactlyOnce,
			CommitInterval: 100 * time.Millisecond})
		in.waitRunning(outputTimeout)
		alive := func() error {
			select {
			case <-in.done:
				return fmt.Errorf("Eddy stopped (state %v): %v", in.app.State(), in.err)
			default:
				return nil
			}
		}
		if err := k.waitFinished(appID, inputs, outputs[run], orderFinishTimeout, alive); err != nil {
			t.Errorf("Eddy run %d did not finish the prewritten input: %v", run, err)
		}
		if err := in.stop(); err != nil {
			t.Errorf("Eddy run %d stopped with an error: %v", run, err)
		}
		got[run] = k.readOrderOutputs(f, prefixes, run)
		t.Logf("Eddy run %d done in %v", run, time.Since(runStart).Round(time.Millisecond))
	}

	java.waitRunning(t, orderJavaRunningTimeout)
	javaAlive := func() error {
		select {
		case <-java.exited:
			return fmt.Errorf("Java Kafka Streams exited (%v); states %v", java.waitErr, java.stateLines())
		default:
			return nil
		}
	}
	if err := k.waitFinished(javaApp, inputs, outputs[0], orderFinishTimeout, javaAlive); err != nil {
		t.Errorf("Java Kafka Streams did not finish the prewritten input: %v", err)
	}
	java.stop(t)
	got[0] = k.readOrderOutputs(f, prefixes, 0)
	t.Logf("Java Kafka Streams done after %v", time.Since(start).Round(time.Millisecond))

	for i, c := range f.cases {
		jv := got[0][i]
		var want map[string][]orec
		wantWho := ""
		switch {
		case c.known != nil:
			want, wantWho = c.known, "the known Kafka Streams output"
		case f.model != nil:
			want, wantWho = f.model(processingOrder(c.in, c.parts), c.outParts), "the model of Kafka Streams"
		}
		for _, o := range f.outputs {
			where := c.name + "/" + o
			if len(jv[o]) == 0 {
				t.Errorf("%s: Java Kafka Streams wrote nothing", where)
			}
			if want != nil {
				if d, _ := diffRecs(wantWho, want[o], "Java Kafka Streams", jv[o], orderMaxKeysInDiff); d != "" {
					t.Errorf("%s: Java Kafka Streams' output is not %s — the test's expectations are wrong:\n%s", where, wantWho, d)
				}
			}
			keys := map[string]bool{}
			for _, r := range jv[o] {
				keys[r.Key] = true
			}
			if c.name != "small" && len(keys) < orderMinRandomKeys {
				t.Errorf("%s: Java Kafka Streams wrote only %d keys", where, len(keys))
			}
			same := 0
		runs:
			for run := 1; run <= orderEddyRuns; run++ {
				ev := got[run][i][o]
				who := fmt.Sprintf("Eddy run %d", run)
				d, n := diffRecs("Java Kafka Streams", jv[o], who, ev, orderMaxKeysInDiff)
				if d == "" {
					same++
					continue
				}
				for prev := 1; prev < run; prev++ { // do not repeat a diff
					if d, _ := diffRecs("", got[prev][i][o], "", ev, 0); d == "" {
						t.Errorf("%s: %s wrote what Eddy run %d did", where, who, prev)
						continue runs
					}
				}
				t.Errorf("%s: %s differs from Java Kafka Streams in %d of %d keys (Java %d records, Eddy %d):\n%s",
					where, who, n, len(keys), len(jv[o]), len(ev), d)
				if run > 1 {
					if d, n := diffRecs("Eddy run 1", got[1][i][o], who, ev, 3); d != "" {
						t.Errorf("%s: Eddy is not deterministic: run %d differs from run 1 in %d keys:\n%s", where, run, n, d)
					}
				}
			}
			if same == orderEddyRuns {
				t.Logf("%s: all %d Eddy runs identical to Java Kafka Streams: %d records, %d keys", where, same, len(jv[o]), len(keys))
			}
		}
	}
}

// orderOutPrefix is the prefix of a case's output topics: the case's own
// for Java (run 0), <case prefix>eddy<run>. for Eddy's runs.
func orderOutPrefix(casePrefix string, run int) string {
	if run == 0 {
		return casePrefix
	}
	return fmt.Sprintf("%seddy%d.", casePrefix, run)
}

// readOrderOutputs reads every output topic of a run in every case:
// [case][output].
func (k *kafka) readOrderOutputs(f orderFamily, prefixes []string, run int) []map[string][]orec {
	k.t.Helper()
	out := make([]map[string][]orec, len(f.cases))
	for i := range f.cases {
		out[i] = map[string][]orec{}
		for _, o := range f.outputs {
			out[i][o] = orecs(k.readAll(orderOutPrefix(prefixes[i], run)+o, readTimeout))
		}
	}
	return out
}

func orecs(rs []*kgo.Record) []orec {
	out := make([]orec, 0, len(rs))
	for _, r := range rs {
		o := orec{Key: string(r.Key), Time: r.Timestamp.UnixMilli(), Partition: r.Partition}
		if r.Value != nil {
			o.Value = str(string(r.Value))
		}
		out = append(out, o)
	}
	return out
}

// ---- comparison ------------------------------------------------------------

func (r orec) String() string {
	v := orderNullValue
	if r.Value != nil {
		v = fmt.Sprintf("%q", *r.Value)
	}
	return fmt.Sprintf("%s@%d/p%d", v, r.Time, r.Partition)
}

func (r orec) equal(o orec) bool {
	return r.Key == o.Key && r.Time == o.Time && r.Partition == o.Partition &&
		(r.Value == nil) == (o.Value == nil) && (r.Value == nil || *r.Value == *o.Value)
}

// diffRecs compares two outputs key by key — per key, the sequence of
// value@timestamp/partition in offset order — and describes up to maxKeys
// differing keys around their first difference (marked >); it returns ""
// and 0 if they match, else the description and the number of keys that
// differ.
func diffRecs(aWho string, a []orec, bWho string, b []orec, maxKeys int) (string, int) {
	group := func(rs []orec) map[string][]orec {
		m := map[string][]orec{}
		for _, r := range rs {
			m[r.Key] = append(m[r.Key], r)
		}
		return m
	}
	ga, gb := group(a), group(b)
	keys := slices.Sorted(maps.Keys(ga))
	for k := range gb {
		if _, ok := ga[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, cmp.Compare)
	var sb strings.Builder
	differ := 0
	width := max(len(aWho), len(bWho))
	for _, key := range keys {
		sa, sbb := ga[key], gb[key]
		first := 0
		for first < len(sa) && first < len(sbb) && sa[first].equal(sbb[first]) {
			first++
		}
		if first == len(sa) && first == len(sbb) {
			continue
		}
		if differ++; differ > maxKeys {
			continue
		}
		fmt.Fprintf(&sb, "  key %q (%s: %d records, %s: %d), first difference at #%d:\n", key, aWho, len(sa), bWho, len(sbb), first+1)
		from := max(0, first-2)
		for _, side := range []struct {
			who  string
			recs []orec
		}{{aWho, sa}, {bWho, sbb}} {
			fmt.Fprintf(&sb, "    %-*s:", width, side.who)
			if from > 0 {
				sb.WriteString(" …")
			}
			to := min(len(side.recs), from+orderMaxRecsInDiff)
			for j := from; j < to; j++ {
				mark := ""
				if j == first {
					mark = ">"
				}
				r := side.recs[j]
				if j != first && r.Value != nil && len([]rune(*r.Value)) > orderMaxValueInDiff {
					r.Value = str(string([]rune(*r.Value)[:orderMaxValueInDiff]) + "…")
				}
				fmt.Fprintf(&sb, " %s#%d %s", mark, j+1, r)
			}
			if to < len(side.recs) {
				fmt.Fprintf(&sb, " … (%d more)", len(side.recs)-to)
			}
			if len(side.recs) == 0 {
				sb.WriteString(" (none)")
			} else if first >= len(side.recs) {
				sb.WriteString(" >(ends)")
			}
			sb.WriteString("\n")
		}
	}
	if differ > maxKeys && maxKeys > 0 {
		fmt.Fprintf(&sb, "  … and %d more keys differ\n", differ-maxKeys)
	}
	if differ > 0 && sb.Len() == 0 {
		fmt.Fprintf(&sb, "  %d keys differ\n", differ)
	}
	return sb.String(), differ
}

// ---- broker helpers --------------------------------------------------------

// createTopicsForever creates topics with infinite retention (the inputs'
// timestamps may be decades old) and waits until they have leaders.
func (k *kafka) createTopicsForever(partitions int32, topics ...string) {
	k.t.Helper()
	if len(topics) == 0 {
		return
	}
	ctx, cancel := ctxFor(60 * time.Second)
	defer cancel()
	resps, err := k.adm.CreateTopics(ctx, partitions, -1, map[string]*string{"retention.ms": str("-1")}, topics...)
	if err != nil {
		k.t.Fatalf("create topics %v: %v", topics, err)
	}
	for _, r := range resps.Sorted() {
		if r.Err != nil && !errors.Is(r.Err, kerr.TopicAlreadyExists) {
			k.t.Fatalf("create topic %s: %v %s", r.Topic, r.Err, r.ErrMessage)
		}
	}
	for _, tp := range topics {
		k.waitTopic(ctx, tp, partitions)
	}
}

// produceExact writes a case's input, each record to prefix+topic on the
// partition of its key (murmur2, as Java's producer), with its exact
// timestamp, in order.
func (k *kafka) produceExact(prefix string, partitions int32, rs []crec) {
	k.t.Helper()
	krs := make([]*kgo.Record, len(rs))
	for i, r := range rs {
		kr := &kgo.Record{Topic: prefix + r.Topic, Key: []byte(r.Key), Timestamp: time.UnixMilli(r.Time),
			Partition: partition.ForKey([]byte(r.Key), partitions)}
		if r.Value != nil {
			kr.Value = []byte(*r.Value)
		}
		krs[i] = kr
	}
	ctx, cancel := ctxFor(60 * time.Second)
	defer cancel()
	if err := k.cl.ProduceSync(ctx, krs...).FirstErr(); err != nil {
		k.t.Fatalf("produce the input of %s: %v", prefix, err)
	}
}

// waitFinished waits until the group has committed every partition of the
// inputs to its end offset and the outputs' end offsets have not moved for
// orderStableFor, or alive reports that the application died.
func (k *kafka) waitFinished(group string, inputs, outputs []string, timeout time.Duration, alive func() error) error {
	ctx, cancel := ctxFor(timeout)
	defer cancel()
	var last string
	var stableSince time.Time
	var outEnds map[string]int64
	for {
		if err := alive(); err != nil {
			return err
		}
		behind, err := k.behind(ctx, group, inputs)
		switch {
		case err != nil:
			last, stableSince = err.Error(), time.Time{}
		case len(behind) > 0:
			if len(behind) > 6 {
				behind = append(behind[:6], fmt.Sprintf("… %d partitions in all", len(behind)))
			}
			last, stableSince = "committed offsets behind the end: "+strings.Join(behind, ", "), time.Time{}
		default:
			ends, err := k.adm.ListEndOffsets(ctx, outputs...)
			if err != nil {
				last, stableSince = err.Error(), time.Time{}
				break
			}
			now := map[string]int64{}
			ends.Each(func(o kadm.ListedOffset) { now[fmt.Sprintf("%s[%d]", o.Topic, o.Partition)] = o.Offset })
			if stableSince.IsZero() || !maps.Equal(now, outEnds) {
				stableSince, outEnds = time.Now(), now
				last = "every input consumed, output still growing"
			} else if time.Since(stableSince) >= orderStableFor {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("not finished within %v: %s", timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// behind lists the input partitions whose committed offset (in group) is
// short of their end offset.
func (k *kafka) behind(ctx context.Context, group string, topics []string) ([]string, error) {
	ends, err := k.adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return nil, err
	}
	offs, err := k.adm.FetchOffsets(ctx, group)
	if err != nil {
		return nil, err
	}
	var behind []string
	ends.Each(func(e kadm.ListedOffset) {
		o, ok := offs.Lookup(e.Topic, e.Partition)
		switch {
		case e.Offset == 0:
		case !ok || o.Err != nil:
			behind = append(behind, fmt.Sprintf("%s[%d] none of %d", e.Topic, e.Partition, e.Offset))
		case o.At < e.Offset:
			behind = append(behind, fmt.Sprintf("%s[%d] %d of %d", e.Topic, e.Partition, o.At, e.Offset))
		}
	})
	slices.Sort(behind)
	return behind, nil
}
