// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
	"github.com/eddy-streams/eddy/window"
)

// The tests below replay Kafka Streams' KStreamSlidingWindowAggregateTest
// (emit on window update): the aggregate is Kafka's MockAggregator
// TOSTRING_ADDER from MockInitializer STRING_INIT, "0" then "+value".

func slidingAgg(w window.SlidingWindows) *stream.Builder {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		SlidingWindowedBy(w).
		Aggregate(func() string { return "0" }, func(_ string, v string, agg string) string { return agg + "+" + v },
			serde.String(), table.As("sliding")).
		ToStream().
		To("out", nil, nil)
	return b
}

type srec struct {
	key        string
	start, end int64
	value      string
	ts         int64
}

func (r srec) String() string {
	return fmt.Sprintf("%s[%d,%d]=%s@%d", r.key, r.start, r.end, r.value, r.ts)
}

func readSliding(t *testing.T, d *topologytest.Driver, diff int64) []srec {
	t.Helper()
	rs, err := d.Output("out", serde.TimeWindowed(serde.String(), time.Duration(max(diff, 1))*time.Millisecond), serde.String()).ReadRecords()
	require.NoError(t, err)
	var out []srec
	for _, r := range rs {
		require.False(t, r.ValueNull)
		out = append(out, srec{r.Key.Key, r.Key.Window.Start().UnixMilli(), r.Key.Window.Start().UnixMilli() + diff, r.Value, r.Timestamp.UnixMilli()})
	}
	return out
}

// byStart groups the output as Kafka's gatherOutput does: window start →
// set of value@timestamp.
func byStart(rs []srec) map[int64][]string {
	out := map[int64][]string{}
	for _, r := range rs {
		v := fmt.Sprintf("%s@%d", r.value, r.ts)
		if !slices.Contains(out[r.start], v) {
			out[r.start] = append(out[r.start], v)
		}
	}
	for _, vs := range out {
		sort.Strings(vs)
	}
	return out
}

func set(vs ...string) []string { sort.Strings(vs); return vs }

// sortedByKeyAndStart sorts stably by key, then window start, as Kafka's
// tests do with the captured records; records of one window keep their
// emission order.
func sortedByKeyAndStart(rs []srec) []string {
	rs = slices.Clone(rs)
	sort.SliceStable(rs, func(i, j int) bool {
		if rs[i].key != rs[j].key {
			return rs[i].key < rs[j].key
		}
		return rs[i].start < rs[j].start
	})
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	return out
}

func pipeAll(t *testing.T, d *topologytest.Driver, recs ...any) {
	t.Helper()
	in := d.Input("in", serde.String(), serde.String())
	for i := 0; i < len(recs); i += 3 {
		require.NoError(t, in.PipeAt(recs[i].(string), recs[i+1].(string), ms(int64(recs[i+2].(int)))))
	}
}

func TestSlidingAggregateSmallInput(t *testing.T) {
	d := driver(t, slidingAgg(window.Sliding(10*time.Millisecond).Grace(5*time.Millisecond)))
	pipeAll(t, d, "A", "1", 10, "A", "2", 10, "A", "3", 14, "A", "4", 15, "A", "5", 20, "A", "6", 22, "A", "7", 30)
	assert.Equal(t, map[int64][]string{
		0:  set("0+1@10", "0+1+2@10"),
		4:  set("0+1+2+3@14"),
		5:  set("0+1+2+3+4@15"),
		10: set("0+1+2+3+4+5@20"),
		11: set("0+3@14", "0+3+4@15", "0+3+4+5@20"),
		12: set("0+3+4+5+6@22"),
		15: set("0+4@15", "0+4+5@20", "0+4+5+6@22"),
		16: set("0+5@20", "0+5+6@22"),
		20: set("0+5+6+7@30"),
		21: set("0+6@22", "0+6+7@30"),
		23: set("0+7@30"),
	}, byStart(readSliding(t, d, 10)))
}

func TestSlidingReduceSmallInput(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		SlidingWindowedBy(window.Sliding(10*time.Millisecond).Grace(5*time.Millisecond)).
		Reduce(func(agg, v string) string { return agg + "+" + v }).
		ToStream().
		To("out", nil, nil)
	d := driver(t, b)
	pipeAll(t, d, "A", "1", 10, "A", "2", 14, "A", "3", 15, "A", "4", 22, "A", "5", 26, "A", "6", 30)
	assert.Equal(t, map[int64][]string{
		0:  set("1@10"),
		4:  set("1+2@14"),
		5:  set("1+2+3@15"),
		11: set("2@14", "2+3@15"),
		12: set("2+3+4@22"),
		15: set("3@15", "3+4@22"),
		16: set("4@22", "4+5@26"),
		20: set("4+5+6@30"),
		23: set("5@26", "5+6@30"),
		27: set("6@30"),
	}, byStart(readSliding(t, d, 10)))
}

func TestSlidingAggregateLargeInput(t *testing.T) {
	d := driver(t, slidingAgg(window.Sliding(10*time.Millisecond).Grace(50*time.Millisecond)))
	pipeAll(t, d,
		"A", "1", 10, "A", "2", 20, "A", "3", 22, "A", "4", 15,
		"B", "1", 12, "B", "2", 13, "B", "3", 18, "B", "4", 19, "B", "5", 25, "B", "6", 14,
		"C", "1", 11, "C", "2", 15, "C", "3", 16, "C", "4", 21, "C", "5", 23,
		"D", "4", 11, "D", "2", 12, "D", "3", 29, "D", "5", 16)
	assert.Equal(t, []string{
		"A[0,10]=0+1@10",
		"A[5,15]=0+1+4@15",
		"A[10,20]=0+1+2@20",
		"A[10,20]=0+1+2+4@20",
		"A[11,21]=0+2@20",
		"A[11,21]=0+2+4@20",
		"A[12,22]=0+2+3@22",
		"A[12,22]=0+2+3+4@22",
		"A[16,26]=0+2+3@22",
		"A[21,31]=0+3@22",
		"B[2,12]=0+1@12",
		"B[3,13]=0+1+2@13",
		"B[4,14]=0+1+2+6@14",
		"B[8,18]=0+1+2+3@18",
		"B[8,18]=0+1+2+3+6@18",
		"B[9,19]=0+1+2+3+4@19",
		"B[9,19]=0+1+2+3+4+6@19",
		"B[13,23]=0+2@13",
		"B[13,23]=0+2+3@18",
		"B[13,23]=0+2+3+4@19",
		"B[13,23]=0+2+3+4+6@19",
		"B[14,24]=0+3@18",
		"B[14,24]=0+3+4@19",
		"B[14,24]=0+3+4+6@19",
		"B[15,25]=0+3+4+5@25",
		"B[19,29]=0+4@19",
		"B[19,29]=0+4+5@25",
		"B[20,30]=0+5@25",
		"C[1,11]=0+1@11",
		"C[5,15]=0+1+2@15",
		"C[6,16]=0+1+2+3@16",
		"C[11,21]=0+1+2+3+4@21",
		"C[12,22]=0+2@15",
		"C[12,22]=0+2+3@16",
		"C[12,22]=0+2+3+4@21",
		"C[13,23]=0+2+3+4+5@23",
		"C[16,26]=0+3@16",
		"C[16,26]=0+3+4@21",
		"C[16,26]=0+3+4+5@23",
		"C[17,27]=0+4@21",
		"C[17,27]=0+4+5@23",
		"C[22,32]=0+5@23",
		"D[1,11]=0+4@11",
		"D[2,12]=0+4+2@12",
		"D[6,16]=0+4+2+5@16",
		"D[12,22]=0+2@12",
		"D[12,22]=0+2+5@16",
		"D[13,23]=0+5@16",
		"D[19,29]=0+3@29",
	}, sortedByKeyAndStart(readSliding(t, d, 10)))
	assert.Empty(t, d.Dropped())
}

func TestSlidingEarlyRecordsSmallInput(t *testing.T) {
	d := driver(t, slidingAgg(window.Sliding(50*time.Millisecond)))
	pipeAll(t, d, "A", "1", 0, "A", "2", 5, "A", "3", 6, "A", "4", 3, "A", "5", 13, "A", "6", 10, "A", "7", 70)
	assert.Equal(t, map[int64][]string{
		0:  set("0+1@0", "0+1+2@5", "0+1+2+3@6", "0+1+2+3+4@6", "0+1+2+3+4+5@13", "0+1+2+3+4+5+6@13"),
		1:  set("0+2@5", "0+2+3@6", "0+2+3+4@6", "0+2+3+4+5@13", "0+2+3+4+5+6@13"),
		4:  set("0+2+3@6", "0+2+3+5@13", "0+2+3+5+6@13"),
		6:  set("0+3@6", "0+3+5@13", "0+3+5+6@13"),
		7:  set("0+5@13", "0+5+6@13"),
		11: set("0+5@13"),
		20: set("0+7@70"),
	}, byStart(readSliding(t, d, 50)))
}

func TestSlidingEarlyRecordsRepeatedInput(t *testing.T) {
	d := driver(t, slidingAgg(window.Sliding(5*time.Millisecond)))
	pipeAll(t, d, "A", "1", 0, "A", "2", 2, "A", "3", 4, "A", "4", 0, "A", "5", 2, "A", "6", 2, "A", "7", 0, "A", "8", 7)
	assert.Equal(t, map[int64][]string{
		0: set("0+1@0", "0+1+2@2", "0+1+2+3+4+5@4", "0+1+2+3+4+5+6@4", "0+1+2+3@4", "0+1+2+3+4@4", "0+1+2+3+4+5+6+7@4"),
		1: set("0+2+3+5+6@4", "0+2@2", "0+2+3@4", "0+2+3+5@4"),
		2: set("0+2+3+5+6+8@7"),
		3: set("0+3@4", "0+3+8@7"),
		5: set("0+8@7"),
	}, byStart(readSliding(t, d, 5)))
}

func TestSlidingEarlyRecordsLargeInput(t *testing.T) {
	d := driver(t, slidingAgg(window.Sliding(10*time.Millisecond).Grace(50*time.Millisecond)))
	pipeAll(t, d, "E", "1", 0, "E", "3", 5, "E", "4", 6, "E", "2", 3, "E", "6", 13, "E", "5", 10, "E", "7", 4, "E", "8", 2, "E", "9", 15)
	assert.Equal(t, []string{
		"E[0,10]=0+1@0",
		"E[0,10]=0+1+3@5",
		"E[0,10]=0+1+3+4@6",
		"E[0,10]=0+1+3+4+2@6",
		"E[0,10]=0+1+3+4+2+5@10",
		"E[0,10]=0+1+3+4+2+5+7@10",
		"E[0,10]=0+1+3+4+2+5+7+8@10",
		"E[1,11]=0+3@5",
		"E[1,11]=0+3+4@6",
		"E[1,11]=0+3+4+2@6",
		"E[1,11]=0+3+4+2+5@10",
		"E[1,11]=0+3+4+2+5+7@10",
		"E[1,11]=0+3+4+2+5+7+8@10",
		"E[3,13]=0+3+4+2+6@13",
		"E[3,13]=0+3+4+2+6+5@13",
		"E[3,13]=0+3+4+2+6+5+7@13",
		"E[4,14]=0+3+4@6",
		"E[4,14]=0+3+4+6@13",
		"E[4,14]=0+3+4+6+5@13",
		"E[4,14]=0+3+4+6+5+7@13",
		"E[5,15]=0+3+4+6+5@13",
		"E[5,15]=0+3+4+6+5+9@15",
		"E[6,16]=0+4@6",
		"E[6,16]=0+4+6@13",
		"E[6,16]=0+4+6+5@13",
		"E[6,16]=0+4+6+5+9@15",
		"E[7,17]=0+6@13",
		"E[7,17]=0+6+5@13",
		"E[7,17]=0+6+5+9@15",
		"E[11,21]=0+6@13",
		"E[11,21]=0+6+9@15",
		"E[14,24]=0+9@15",
	}, sortedByKeyAndStart(readSliding(t, d, 10)))
}

func TestSlidingNoGracePeriodSmallInput(t *testing.T) {
	d := driver(t, slidingAgg(window.Sliding(50*time.Millisecond)))
	pipeAll(t, d, "A", "1", 100, "A", "2", 105, "A", "3", 106, "A", "4", 103, "A", "5", 113, "A", "6", 110)
	assert.Equal(t, map[int64][]string{
		50:  set("0+1@100"),
		55:  set("0+1+2@105"),
		56:  set("0+1+2+3@106", "0+1+2+3+4@106"),
		63:  set("0+1+2+3+4+5@113", "0+1+2+3+4+5+6@113"),
		101: set("0+2@105", "0+2+3@106", "0+2+3+4@106", "0+2+3+4+5@113", "0+2+3+4+5+6@113"),
		104: set("0+2+3@106", "0+2+3+5@113", "0+2+3+5+6@113"),
		106: set("0+3@106", "0+3+5@113", "0+3+5+6@113"),
		107: set("0+5@113", "0+5+6@113"),
		111: set("0+5@113"),
	}, byStart(readSliding(t, d, 50)))
	// Skipped as closed: A@103's left window [53,103] and its update of
	// [55,105] (stream time 106), A@110's left window [60,110] (113).
	assert.Equal(t, map[string]int64{record.DropLate: 3}, d.Dropped())
}

// A record is dropped once ts + diff < stream time - grace; a record that
// is not, but whose left window has closed, still updates the later windows
// it belongs to. Every skipped window counts as a dropped record.
func TestSlidingGraceDropsExpiredWindows(t *testing.T) {
	d := driver(t, slidingAgg(window.Sliding(10*time.Millisecond).Grace(90*time.Millisecond)))
	pipeAll(t, d, "k", "100", 200, "k", "0", 100, "k", "1", 101, "k", "2", 102, "k", "3", 103, "k", "4", 104,
		"k", "5", 105, "k", "6", 15, "k", "101", 300, "k", "102", 400)
	assert.Equal(t, map[string]int64{record.DropLate: 7}, d.Dropped())
	assert.Equal(t, []string{"k[190,200]=0+100@200", "k[290,300]=0+101@300", "k[390,400]=0+102@400"},
		sortedByKeyAndStart(readSliding(t, d, 10)))
}

// Kafka's testAggregateRandomInput: whatever the arrival order (within
// grace), the last update of every window is the same, one window per
// distinct set of records.
func TestSlidingRandomOrderGivesSameWindows(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		SlidingWindowedBy(window.Sliding(10*time.Millisecond).Grace(100*time.Millisecond)).
		Aggregate(func() string { return "" }, func(_ string, v string, agg string) string {
			s := []byte(agg + v)
			slices.Sort(s)
			return string(s)
		}, serde.String(), table.As("sliding")).
		ToStream().
		To("out", nil, nil)
	type in struct {
		v  string
		ts int
	}
	input := []in{{"A", 10}, {"B", 15}, {"C", 16}, {"D", 18}, {"E", 30}, {"F", 40}, {"G", 55}, {"H", 56}, {"I", 58}, {"J", 58},
		{"K", 62}, {"L", 63}, {"M", 63}, {"N", 63}, {"O", 76}, {"P", 77}, {"Q", 80}, {"R", 2}, {"S", 3}, {"T", 5}, {"U", 8}}
	want := map[int64]string{
		0: "ARSTU@10", 3: "ASTU@10", 4: "ATU@10", 5: "ABTU@15", 6: "ABCU@16", 8: "ABCDU@18", 9: "ABCD@18",
		11: "BCD@18", 16: "CD@18", 17: "D@18", 20: "E@30", 30: "EF@40", 31: "F@40", 45: "G@55", 46: "GH@56",
		48: "GHIJ@58", 52: "GHIJK@62", 53: "GHIJKLMN@63", 56: "HIJKLMN@63", 57: "IJKLMN@63", 59: "KLMN@63",
		63: "LMN@63", 66: "O@76", 67: "OP@77", 70: "OPQ@80", 77: "PQ@80", 78: "Q@80", 171: "V@181",
	}
	for seed := range uint64(20) {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			d := driver(t, b)
			rng := rand.New(rand.NewPCG(seed, 5))
			shuffled := slices.Clone(input)
			rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
			for _, r := range shuffled {
				pipeAll(t, d, "A", r.v, r.ts)
			}
			pipeAll(t, d, "A", "V", 181)
			got := map[int64]string{}
			for _, r := range readSliding(t, d, 10) {
				got[r.start] = fmt.Sprintf("%s@%d", r.value, r.ts)
			}
			assert.Equal(t, want, got, "input order %v", shuffled)
		})
	}
}

// Sliding aggregations drop records with a null key or a null value, and
// count them; the window store keeps the aggregate per window start.
func TestSlidingNullRulesAndStore(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		GroupByKey().
		SlidingWindowedBy(window.Sliding(10*time.Millisecond)).
		Count(table.As("counts")).
		ToStream().
		To("out", nil, nil)
	d := driver(t, b)
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("k", "v", ms(100)))
	require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{KeyNull: true, Value: "v", Timestamp: ms(101)}))
	require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "k", ValueNull: true, Timestamp: ms(102)}))
	require.NoError(t, in.PipeAt("k", "v", ms(105)))
	rs, err := d.Output("out", serde.TimeWindowed(serde.String(), 10*time.Millisecond), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	var got []string
	for _, r := range rs {
		got = append(got, fmt.Sprintf("%s@[%d,%d)=%d@%d", r.Key.Key, r.Key.Window.Start().UnixMilli(), r.Key.Window.End().UnixMilli(), r.Value, r.Timestamp.UnixMilli()))
	}
	assert.Equal(t, []string{"k@[90,100)=1@100", "k@[101,111)=1@105", "k@[95,105)=2@105"}, got)
	assert.Equal(t, map[string]int64{record.DropNullKey: 1, record.DropNullValue: 1}, d.Dropped())
	ws, err := d.WindowStore("counts", serde.String(), serde.Int64())
	require.NoError(t, err)
	all, err := ws.All()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[window.Windowed[string], int64]{
		{Key: window.Of("k", time.UnixMilli(90), time.UnixMilli(100)), Value: 1},
		{Key: window.Of("k", time.UnixMilli(95), time.UnixMilli(105)), Value: 2},
		{Key: window.Of("k", time.UnixMilli(101), time.UnixMilli(111)), Value: 1},
	}, all)
}

// A zero time difference groups records with equal timestamps.
func TestSlidingZeroTimeDifference(t *testing.T) {
	d := driver(t, slidingAgg(window.Sliding(0)))
	pipeAll(t, d, "k", "a", 5, "k", "b", 5, "k", "c", 6)
	var got []string
	for _, r := range readSliding(t, d, 0) {
		got = append(got, r.String())
	}
	assert.Equal(t, []string{"k[5,5]=0+a@5", "k[5,5]=0+a+b@5", "k[6,6]=0+c@6"}, got)
}

// Retention defaults to 2 × time difference + grace; a shorter explicit
// retention and invalid specs are Build errors naming the operator.
func TestSlidingBuildErrors(t *testing.T) {
	build := func(w window.SlidingWindows, opts ...table.Option) error {
		b := stream.NewBuilder()
		b.Stream("in", serde.String(), serde.String()).GroupByKey().SlidingWindowedBy(w).Count(opts...)
		_, err := b.Build()
		return err
	}
	require.NoError(t, build(window.Sliding(time.Minute).Grace(time.Minute), table.WithRetention(3*time.Minute)))
	require.NoError(t, build(window.Sliding(0)))
	for name, c := range map[string]struct {
		err  error
		want string
	}{
		"negative difference": {build(window.Sliding(-time.Second)), "time difference must not be negative"},
		"negative grace":      {build(window.Sliding(time.Second).Grace(-time.Second)), "grace must not be negative"},
		"zero spec":           {build(window.SlidingWindows{}), "sliding window specification is empty"},
		"short retention":     {build(window.Sliding(time.Minute).Grace(time.Minute), table.WithRetention(2*time.Minute)), "shorter than 2 × time difference + grace"},
	} {
		require.Error(t, c.err, name)
		assert.Contains(t, c.err.Error(), c.want, name)
		assert.True(t, strings.Contains(c.err.Error(), "KSTREAM-SLIDING-WINDOWED-AGGREGATE-"), name)
	}
}
