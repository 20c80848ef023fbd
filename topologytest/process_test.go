// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
)

// ticker forwards every input record and, on each punctuation, a "tick"
// record carrying the number of records since the previous one, the
// punctuation time as its timestamp, and what the context reported.
type ticker struct {
	ctx      processor.Context[string, string]
	typ      processor.PunctuationType
	interval time.Duration
	cancelAt int // cancel after this many punctuations (0 = never)
	n, fired int
	meta     []string
	cancel   func()
}

func (p *ticker) Init(ctx processor.Context[string, string]) error {
	p.ctx = ctx
	p.cancel = ctx.Schedule(p.interval, p.typ, p.punctuate)
	return nil
}

func (p *ticker) punctuate(ts time.Time) error {
	p.fired++
	_, hasMeta := p.ctx.RecordMetadata()
	v := fmt.Sprintf("n=%d stream=%d wall=%d meta=%v", p.n, p.ctx.StreamTime().UnixMilli(), p.ctx.WallClockTime().UnixMilli(), hasMeta)
	p.n = 0
	if p.cancelAt > 0 && p.fired == p.cancelAt {
		p.cancel()
	}
	return p.ctx.Forward(processor.Record[string, string]{Key: "tick", Value: v, Timestamp: ts})
}

func (p *ticker) Process(r processor.Record[string, string]) error {
	p.n++
	md, ok := p.ctx.RecordMetadata()
	if !ok {
		return errors.New("no record metadata in Process")
	}
	p.meta = append(p.meta, fmt.Sprintf("%s/%d/%d", md.Topic, md.Partition, md.Offset))
	return p.ctx.Forward(r)
}

func (p *ticker) Close() error { return nil }

type prec struct {
	key, value string
	ts         int64
}

func readProcessed(t *testing.T, d *topologytest.Driver, topic string) []prec {
	t.Helper()
	rs, err := d.Output(topic, serde.String(), serde.String()).ReadRecords()
	require.NoError(t, err)
	var out []prec
	for _, r := range rs {
		out = append(out, prec{r.Key, r.Value, r.Timestamp.UnixMilli()})
	}
	return out
}

// Stream-time punctuation: the first call comes as soon as stream time is
// known (aligned to 0), later ones at epoch-aligned multiples of the
// interval, once per advance (missed intervals skipped); an out-of-order
// record does not move stream time. Punctuators see no record metadata.
func TestProcessStreamTimePunctuation(t *testing.T) {
	var procs []*ticker
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		Process(func() processor.Processor[string, string, string, string] {
			p := &ticker{typ: processor.StreamTime, interval: 10 * time.Second}
			procs = append(procs, p)
			return p
		}).
		To("out", nil, nil)
	d := driver(t, b)
	in := d.Input("in", serde.String(), serde.String())
	for _, ts := range []int64{0, 5_000, 25_000, 12_000, 29_999, 30_000} {
		require.NoError(t, in.PipeAt("k", fmt.Sprint(ts), ms(ts)))
	}
	assert.Equal(t, []prec{
		{"k", "0", 0}, {"tick", "n=1 stream=0 wall=0 meta=false", 0},
		{"k", "5000", 5_000},
		{"k", "25000", 25_000}, {"tick", "n=2 stream=25000 wall=0 meta=false", 25_000},
		{"k", "12000", 12_000},
		{"k", "29999", 29_999},
		{"k", "30000", 30_000}, {"tick", "n=3 stream=30000 wall=0 meta=false", 30_000},
	}, readProcessed(t, d, "out"))
	require.Len(t, procs, 1)
	assert.Equal(t, []string{"in/0/0", "in/0/1", "in/0/2", "in/0/3", "in/0/4", "in/0/5"}, procs[0].meta)
}

// Wall-clock punctuation: first at schedule time + interval, then every
// interval; a long jump fires once; a cancelled punctuation stops. Each
// task punctuates on its own.
func TestProcessWallClockPunctuation(t *testing.T) {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		Process(func() processor.Processor[string, string, string, string] {
			return &ticker{typ: processor.WallClock, interval: time.Second, cancelAt: 3}
		}).
		To("out", nil, nil)
	d := driver(t, b, topologytest.WallClock(time.UnixMilli(100_000)), topologytest.DefaultPartitions(2))
	require.NoError(t, d.AdvanceWallClock(999*time.Millisecond))
	assert.Empty(t, readProcessed(t, d, "out"))
	require.NoError(t, d.Input("in", serde.String(), serde.String()).PipeAt("k", "v", ms(5)))
	require.NoError(t, d.AdvanceWallClock(time.Millisecond)) // 101_000
	tick := func(n int, wall int64, stream int64) prec {
		return prec{"tick", fmt.Sprintf("n=%d stream=%d wall=%d meta=false", n, stream, wall), wall}
	}
	// One task saw "k" at 5 ms; the other has no stream time yet.
	unknown, kp := time.Time{}.UnixMilli(), int64(5) // StreamTime is the zero time.Time before the first record
	got := readProcessed(t, d, "out")
	require.Len(t, got, 3)
	assert.Equal(t, prec{"k", "v", 5}, got[0])
	assert.ElementsMatch(t, []prec{tick(1, 101_000, kp), tick(0, 101_000, unknown)}, got[1:])

	require.NoError(t, d.AdvanceWallClock(5500*time.Millisecond)) // 106_500: one call per task, not five
	assert.ElementsMatch(t, []prec{tick(0, 106_500, kp), tick(0, 106_500, unknown)}, readProcessed(t, d, "out"))
	require.NoError(t, d.AdvanceWallClock(500*time.Millisecond)) // 107_000: the next aligned point
	assert.ElementsMatch(t, []prec{tick(0, 107_000, kp), tick(0, 107_000, unknown)}, readProcessed(t, d, "out"))
	require.NoError(t, d.AdvanceWallClock(10*time.Second)) // cancelled after the third call
	assert.Empty(t, readProcessed(t, d, "out"))
}

// router sends even numbers to the child "evens", odd ones to "odds" and
// zero to every child.
type router struct {
	ctx processor.Context[string, int64]
}

func (p *router) Init(ctx processor.Context[string, int64]) error { p.ctx = ctx; return nil }
func (p *router) Close() error                                    { return nil }
func (p *router) Process(r processor.Record[string, string]) error {
	var n int64
	if _, err := fmt.Sscan(r.Value, &n); err != nil {
		return err
	}
	out := processor.Record[string, int64]{Key: strings.ToUpper(r.Key), Value: n, Timestamp: r.Timestamp, Headers: r.Headers}
	switch {
	case n == 0:
		return p.ctx.Forward(out)
	case n < 0:
		return p.ctx.ForwardTo("nowhere", out)
	case n%2 == 0:
		return p.ctx.ForwardTo("evens", out)
	default:
		return p.ctx.ForwardTo("odds", out)
	}
}

// ForwardTo reaches only the named child; children are the operators on
// the returned stream, named with stream.As. Process may change key and
// value types, and headers ride along.
func TestProcessForwardToNamedChildren(t *testing.T) {
	b := stream.NewBuilder()
	out := b.Stream("in", serde.String(), serde.String()).
		Process(func() processor.Processor[string, string, string, int64] { return &router{} }, stream.As("router"))
	out.Peek(func(string, int64) {}, stream.As("evens")).To("evens", nil, nil)
	out.Peek(func(string, int64) {}, stream.As("odds")).To("odds", nil, nil)
	d := driver(t, b)
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: "a", Value: "2", Timestamp: ms(1),
		Headers: []record.Header{{Key: "h", Value: []byte("x")}}}))
	require.NoError(t, in.PipeAt("b", "3", ms(2)))
	require.NoError(t, in.PipeAt("c", "0", ms(3)))
	evens, err := d.Output("evens", serde.String(), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, evens, 2)
	assert.Equal(t, "A", evens[0].Key)
	assert.Equal(t, int64(2), evens[0].Value)
	assert.Equal(t, []record.Header{{Key: "h", Value: []byte("x")}}, evens[0].Headers)
	assert.Equal(t, "C", evens[1].Key)
	odds, err := d.Output("odds", serde.String(), serde.Int64()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, int64]{{Key: "B", Value: 3}, {Key: "C", Value: 0}}, odds)

	err = in.PipeAt("d", "-1", ms(4))
	require.Error(t, err)
	assert.Contains(t, err.Error(), `no child named "nowhere"`)
	assert.Contains(t, err.Error(), "[evens odds]")
}

// dedup forwards the first record of each key and remembers the keys in
// the store "seen"; a stream-time punctuation evicts keys older than 10 s.
type dedup struct {
	store stream.KeyValueStore[string, int64]
	ctx   processor.Context[string, string]
	seen  state.KeyValueView[string, int64]
}

func (p *dedup) Init(ctx processor.Context[string, string]) (err error) {
	p.ctx = ctx
	p.seen, err = p.store.Open(ctx)
	if err != nil {
		return err
	}
	ctx.Schedule(10*time.Second, processor.StreamTime, func(at time.Time) error {
		now := at.UnixMilli()
		var old []string
		for kv, err := range p.seen.All() {
			if err != nil {
				return err
			}
			if kv.Value <= now-10_000 {
				old = append(old, kv.Key)
			}
		}
		for _, k := range old {
			if err := p.seen.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
	return nil
}

func (p *dedup) Process(r processor.Record[string, string]) error {
	if _, ok, err := p.seen.Get(r.Key); err != nil || ok {
		return err
	}
	if err := p.seen.Put(r.Key, r.Timestamp.UnixMilli()); err != nil {
		return err
	}
	return p.ctx.Forward(r)
}

func (p *dedup) Close() error { return nil }

func dedupTopology(spec stream.KeyValueStoreSpec) *stream.Builder {
	b := stream.NewBuilder()
	seen := stream.NewKeyValueStore(spec, serde.String(), serde.Int64())
	b.Stream("in", serde.String(), serde.String()).
		Process(func() processor.Processor[string, string, string, string] { return &dedup{store: seen} },
			seen, stream.As("dedup")).
		To("out", nil, nil)
	return b
}

// A user store connected by its handle: the processor reads and writes it through
// a typed view, writes go to the changelog (plain values, record timestamp),
// the driver reads it typed, and punctuators may use it too.
func TestProcessUserStore(t *testing.T) {
	d := driver(t, dedupTopology(stream.KeyValueStoreSpec{Name: "seen"}), topologytest.DefaultPartitions(3))
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("a", "1", ms(1_000)))
	require.NoError(t, in.PipeAt("b", "2", ms(2_000)))
	require.NoError(t, in.PipeAt("a", "3", ms(3_000)))
	assert.Equal(t, []prec{{"a", "1", 1_000}, {"b", "2", 2_000}}, readProcessed(t, d, "out"))

	seen, err := d.KeyValueStore("seen", serde.String(), serde.Int64())
	require.NoError(t, err)
	all, err := seen.All()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, int64]{{Key: "a", Value: 1_000}, {Key: "b", Value: 2_000}}, all)
	_, ts, ok, err := seen.GetWithTimestamp("b")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int64(2_000), ts.UnixMilli())

	cl, err := d.Output("test-app-seen-changelog", serde.String(), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	require.Len(t, cl, 2)
	assert.Equal(t, "a", cl[0].Key)
	assert.Equal(t, int64(1_000), cl[0].Value)
	assert.Equal(t, int64(1_000), cl[0].Timestamp.UnixMilli())

	// Stream-time punctuations run after the record: at stream time 20s the
	// record a is still a duplicate, then the punctuation evicts a (seen at
	// 1s), logging a tombstone stamped with the punctuation time; a is new
	// again afterwards.
	require.NoError(t, in.PipeAt("a", "4", ms(20_000)))
	assert.Empty(t, readProcessed(t, d, "out"))
	cl, err = d.Output("test-app-seen-changelog", serde.String(), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	require.NotEmpty(t, cl)
	assert.Equal(t, "a", cl[0].Key)
	assert.True(t, cl[0].ValueNull)
	assert.Equal(t, int64(20_000), cl[0].Timestamp.UnixMilli())
	require.NoError(t, in.PipeAt("a", "5", ms(21_000)))
	assert.Equal(t, []prec{{"a", "5", 21_000}}, readProcessed(t, d, "out"))
	v, ok, err := seen.Get("a")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int64(21_000), v)
}

func TestProcessUserStoreWithoutLogging(t *testing.T) {
	d := driver(t, dedupTopology(stream.KeyValueStoreSpec{Name: "seen", DisableLogging: true}))
	require.NoError(t, d.Input("in", serde.String(), serde.String()).PipeAt("a", "1", ms(1)))
	assert.NotContains(t, d.ProducedTopics(), "test-app-seen-changelog")
	seen, err := d.KeyValueStore("seen", serde.String(), serde.Int64())
	require.NoError(t, err)
	v, ok, err := seen.Get("a")
	require.NoError(t, err)
	assert.True(t, ok)
	assert.Equal(t, int64(1), v)
}

func TestProcessStoreValidation(t *testing.T) {
	seen := stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "seen"}, serde.String(), serde.Int64())
	sup := func() processor.Processor[string, string, string, string] { return &dedup{store: seen} }

	// A zero handle.
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).Process(sup, stream.KeyValueStore[string, int64]{})
	_, err := b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `zero store handle`)

	b = stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		Process(sup, stream.NewKeyValueStore(stream.KeyValueStoreSpec{}, serde.String(), serde.Int64()))
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), "empty store name")

	// A value type without a built-in serde needs one.
	b = stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).
		Process(sup, stream.NewKeyValueStore[string, struct{}](stream.KeyValueStoreSpec{Name: "x"}, nil, nil))
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `store "x"`)
	assert.Contains(t, err.Error(), "value serde")

	// Two different handles with one name: the store is declared twice.
	b = stream.NewBuilder()
	in := b.Stream("in", serde.String(), serde.String())
	in.Process(sup, seen)
	in.Process(sup, stream.NewKeyValueStore(stream.KeyValueStoreSpec{Name: "seen"}, serde.String(), serde.Int64()))
	_, err = b.Build()
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"seen"`)

	// A store not connected to the processor cannot be opened.
	b = stream.NewBuilder()
	b.Stream("in", serde.String(), serde.String()).Process(sup).To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	_, err = topologytest.New(topo)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `store "seen" is not connected`)

	// The supplier must return a new instance per task.
	shared := &ticker{typ: processor.WallClock, interval: time.Second}
	b = dedupTopology(stream.KeyValueStoreSpec{Name: "seen"})
	b.Stream("in2", serde.String(), serde.String()).
		Process(func() processor.Processor[string, string, string, string] { return shared })
	topo, err = b.Build()
	require.NoError(t, err)
	_, err = topologytest.New(topo, topologytest.DefaultPartitions(2))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "same instance")
}

// A processor can read a DSL table's store through Table.Store; it then runs in the
// table's sub-topology.
func TestProcessReadsDSLStore(t *testing.T) {
	b := stream.NewBuilder()
	prices := b.Table("prices", serde.String(), serde.Int64(), table.As("prices-store"))
	b.Stream("orders", serde.String(), serde.String()).
		ProcessValues(func() processor.FixedKeyProcessor[string, string, int64] { return &priceLookup{table: prices.Store()} },
			prices.Store()).
		To("out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	assert.Equal(t, 1, topo.Subtopologies(), "the processor joins the table's sub-topology")
	assert.Contains(t, topo.Describe(), "(stores: [prices-store])")
	d, err := topologytest.New(topo, topologytest.DefaultPartitions(2))
	require.NoError(t, err)
	defer d.Close()
	require.NoError(t, d.Input("prices", serde.String(), serde.Int64()).PipeAt("apple", 3, ms(1)))
	require.NoError(t, d.Input("orders", serde.String(), serde.String()).PipeAt("apple", "x", ms(2)))
	require.NoError(t, d.Input("orders", serde.String(), serde.String()).PipeAt("pear", "x", ms(3)))
	got, err := d.Output("out", serde.String(), serde.Int64()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, int64]{{Key: "apple", Value: 3}, {Key: "pear", Value: -1}}, got)
}

type priceLookup struct {
	table  stream.KeyValueStore[string, int64]
	ctx    processor.FixedKeyContext[string, int64]
	prices state.KeyValueView[string, int64]
}

func (p *priceLookup) Init(ctx processor.FixedKeyContext[string, int64]) (err error) {
	p.ctx = ctx
	p.prices, err = p.table.Open(ctx)
	return err
}

func (p *priceLookup) Process(r processor.FixedKeyRecord[string, string]) error {
	v, ok, err := p.prices.Get(r.Key())
	if err != nil {
		return err
	}
	if !ok {
		v = -1
	}
	return p.ctx.Forward(r.WithValue(v))
}

func (p *priceLookup) Close() error { return nil }

// upper is a fixed-key processor: it can only replace values.
type upper struct {
	ctx    processor.FixedKeyContext[string, string]
	closed *int
}

func (p *upper) Init(ctx processor.FixedKeyContext[string, string]) error { p.ctx = ctx; return nil }
func (p *upper) Process(r processor.FixedKeyRecord[string, string]) error {
	if r.Value == "" {
		return p.ctx.Forward(processor.FixedKeyRecord[string, string]{}.WithValue("forged"))
	}
	if r.Value == "fail" {
		return errors.New("boom")
	}
	if r.Value == "commit" {
		p.ctx.RequestCommit()
	}
	return p.ctx.Forward(r.WithValue(strings.ToUpper(r.Value)))
}
func (p *upper) Close() error { *p.closed++; return nil }

// ProcessValues keeps the key and so the partitioning: a later GroupByKey
// does not repartition, unlike after Process.
func TestProcessValuesKeepsPartitioning(t *testing.T) {
	closed := 0
	build := func(fixed bool) *stream.Builder {
		b := stream.NewBuilder()
		s := b.Stream("in", serde.String(), serde.String())
		if fixed {
			s = s.ProcessValues(func() processor.FixedKeyProcessor[string, string, string] { return &upper{closed: &closed} })
		} else {
			s = s.Process(func() processor.Processor[string, string, string, string] {
				return &ticker{typ: processor.StreamTime, interval: time.Hour}
			})
		}
		s.GroupByKey().Count().ToStream().To("out", nil, serde.Int64())
		return b
	}
	d := driver(t, build(true), topologytest.DefaultPartitions(2))
	in := d.Input("in", serde.String(), serde.String())
	require.NoError(t, in.PipeAt("k", "a", ms(1)))
	require.NoError(t, in.PipeAt("k", "b", ms(2)))
	for _, topic := range d.ProducedTopics() {
		assert.NotContains(t, topic, "repartition")
	}
	got, err := d.Output("out", serde.String(), serde.Int64()).ReadKeyValues()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, int64]{{Key: "k", Value: 1}, {Key: "k", Value: 2}}, got)

	// A record not derived from an input record cannot be forwarded: the
	// key cannot change.
	err = in.PipeAt("k", "", ms(3))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "derived from an input record")

	// Errors name the processor node.
	err = in.PipeAt("k", "fail", ms(4))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "KSTREAM-PROCESSVALUES-")
	assert.Contains(t, err.Error(), "boom")

	require.NoError(t, d.Close())
	assert.Equal(t, 2, closed, "one instance per task, each closed")

	d = driver(t, build(false), topologytest.DefaultPartitions(2))
	require.NoError(t, d.Input("in", serde.String(), serde.String()).PipeAt("k", "a", ms(1)))
	var repart bool
	for _, topic := range d.ProducedTopics() {
		repart = repart || strings.HasSuffix(topic, "-repartition")
	}
	assert.True(t, repart, "Process may change the key: GroupByKey repartitions")
}
