// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// poisonCluster is a cluster whose test producer writes to the partition a
// record names (every topic here has one partition, so offsets are known).
func poisonCluster(t *testing.T, topics map[string]int32, configs map[string]map[string]string) *cluster {
	t.Helper()
	c := newCluster(t, topics)
	c.cl.Close()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.RecordPartitioner(kgo.ManualPartitioner()))
	require.NoError(t, err)
	t.Cleanup(cl.Close)
	c.cl, c.adm = cl, kadm.NewClient(cl)
	for topic, cfg := range configs {
		m := map[string]*string{}
		for k, v := range cfg {
			m[k] = kadm.StringPtr(v)
		}
		_, err := c.adm.CreateTopic(context.Background(), 1, 1, m, topic)
		require.NoError(t, err)
	}
	return c
}

// running is an instance started in the background.
type running struct {
	app    *runtime.App
	cancel context.CancelFunc
	done   chan error
}

func runAsync(t *testing.T, topo *stream.Topology, cfg runtime.Config) *running {
	t.Helper()
	app, err := runtime.New(topo, cfg)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{app: app, cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- app.Run(ctx) }()
	t.Cleanup(func() { r.stop(t) })
	return r
}

// stop shuts the instance down and returns Run's error.
func (r *running) stop(t *testing.T) error {
	if r.app == nil {
		return nil
	}
	r.cancel()
	var err error
	select {
	case err = <-r.done:
	case <-time.After(30 * time.Second):
		t.Fatal("instance did not stop")
	}
	require.NoError(t, r.app.Close(context.Background()))
	r.app = nil
	return err
}

// wait returns Run's error once the instance stops by itself.
func (r *running) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err
		return err
	case <-time.After(timeout):
		t.Fatalf("instance still running after %v (state %v)", timeout, r.app.State())
		return nil
	}
}

func (c *cluster) readRecords(t *testing.T, topic string, n int, timeout time.Duration) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(c.addrs...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	require.NoError(t, err)
	defer cl.Close()
	var out []*kgo.Record
	deadline := time.Now().Add(timeout)
	for len(out) < n && time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		out = append(out, fs.Records()...)
	}
	return out
}

func headerMap(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, kv := range r.Headers {
		h[kv.Key] = string(kv.Value)
	}
	return h
}

// numSum sums Int64 values per Int64 key.
func numSum(t *testing.T) *stream.Topology {
	b := stream.NewBuilder()
	b.Stream("nums", serde.Int64(), serde.Int64()).
		GroupByKey().
		Reduce(func(a, v int64) int64 { return a + v }).
		ToStream().
		To("nums-out", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

// orderTotals joins orders with a price table: quantity × price.
func orderTotals(t *testing.T) *stream.Topology {
	b := stream.NewBuilder()
	prices := b.Table("prices", serde.String(), serde.Int64())
	b.Stream("orders", serde.String(), serde.Int64()).
		JoinTable(prices, func(qty, price int64) int64 { return qty * price }).
		To("totals", nil, nil)
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

func rec(topic string, key, value []byte) *kgo.Record {
	return &kgo.Record{Topic: topic, Partition: 0, Key: key, Value: value}
}

// One bad record between two good ones, under each error policy: Fail
// stops with an error naming the record (topic, partition, offset) and the
// problem; Skip counts it and goes on; DeadLetter writes the original bytes
// with the error in headers and goes on. Under Skip and DeadLetter the
// instance keeps running and processes the records that follow. Null keys
// where a key is required are not errors: they are dropped, counted and
// logged under every policy, as in Kafka Streams.
func TestPoisonPills(t *testing.T) {
	k1 := string(i64(1))
	big := incompressible(400)             // does not fit a 300-byte topic
	squeezable := strings.Repeat("k", 400) // fits once compressed
	type poison struct {
		name    string
		topics  map[string]int32
		configs map[string]map[string]string // topics created with configs
		topo    func(*testing.T) *stream.Topology
		out     string
		// setup is produced first and processed before input (table rows).
		setup []*kgo.Record
		// input is good, bad (offset 1 of its topic), good.
		input []*kgo.Record
		want  map[string]int64
		// more is produced once input is processed; want is then wantMore.
		more     []*kgo.Record
		wantMore map[string]int64
		// dropped is the Metrics.Dropped reason of the bad record.
		dropped string
		// always: dropped under every policy, Fail included (not an error).
		always bool
		// errs are parts of the Fail error and of the dead-letter error
		// header.
		errs []string
		// warn is part of the warning logged for the bad record.
		warn       string
		guarantees []runtime.Guarantee
	}
	cases := []poison{
		{
			name:   "undecodable key",
			topics: map[string]int32{"nums": 1, "nums-out": 1}, topo: numSum, out: "nums-out",
			input:    []*kgo.Record{rec("nums", i64(1), i64(5)), rec("nums", []byte("bad"), i64(100)), rec("nums", i64(1), i64(7))},
			want:     map[string]int64{k1: 12},
			more:     []*kgo.Record{rec("nums", i64(1), i64(1))},
			wantMore: map[string]int64{k1: 13},
			dropped:  "deserialization", errs: []string{`topic "nums" partition 0 offset 1`, "deserialize key"},
			warn:       "skipping bad record",
			guarantees: []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce},
		},
		{
			name:   "negative timestamp",
			topics: map[string]int32{"amounts": 1, "sums-out": 1}, topo: sumTopology, out: "sums-out",
			input: []*kgo.Record{rec("amounts", []byte("a"), i64(5)),
				{Topic: "amounts", Key: []byte("a"), Value: i64(100), Timestamp: time.UnixMilli(-1)},
				rec("amounts", []byte("a"), i64(7))},
			want:     map[string]int64{"a": 12},
			more:     []*kgo.Record{rec("amounts", []byte("a"), i64(1))},
			wantMore: map[string]int64{"a": 13},
			dropped:  "invalid-timestamp", errs: []string{`topic "amounts" partition 0 offset 1`, "invalid (negative) record timestamp -1"},
			warn:       "skipping bad record",
			guarantees: []runtime.Guarantee{runtime.AtLeastOnce},
		},
		{
			name:   "null key into an aggregation",
			topics: map[string]int32{"amounts": 1, "sums-out": 1}, topo: sumTopology, out: "sums-out",
			input:    []*kgo.Record{rec("amounts", []byte("a"), i64(5)), rec("amounts", nil, i64(100)), rec("amounts", []byte("a"), i64(7))},
			want:     map[string]int64{"a": 12},
			more:     []*kgo.Record{rec("amounts", nil, i64(1)), rec("amounts", []byte("a"), i64(1))},
			wantMore: map[string]int64{"a": 13},
			dropped:  "null-key", always: true,
			warn:       "skipping record with a null key",
			guarantees: []runtime.Guarantee{runtime.AtLeastOnce},
		},
		{
			name:   "null key into a stream-table join",
			topics: map[string]int32{"orders": 1, "prices": 1, "totals": 1}, topo: orderTotals, out: "totals",
			setup:    []*kgo.Record{rec("prices", []byte("a"), i64(10))},
			input:    []*kgo.Record{rec("orders", []byte("a"), i64(2)), rec("orders", nil, i64(3)), rec("orders", []byte("a"), i64(4))},
			want:     map[string]int64{"a": 40},
			more:     []*kgo.Record{rec("orders", []byte("a"), i64(1))},
			wantMore: map[string]int64{"a": 10},
			dropped:  "null-key", always: true,
			warn:       "skipping record with a null key",
			guarantees: []runtime.Guarantee{runtime.AtLeastOnce},
		},
		{
			// The output topic accepts 300-byte messages (compressed, as
			// brokers check): a 400-byte random key does not fit, 400
			// bytes of one letter do. The store and its changelog (default
			// limit) take both; the output record is what fails.
			name:    "oversize output record",
			topics:  map[string]int32{"amounts": 1},
			configs: map[string]map[string]string{"sums-out": {"max.message.bytes": "300"}},
			topo:    sumTopology, out: "sums-out",
			input:    []*kgo.Record{rec("amounts", []byte("a"), i64(5)), rec("amounts", big, i64(100)), rec("amounts", []byte("a"), i64(7))},
			want:     map[string]int64{"a": 12},
			more:     []*kgo.Record{rec("amounts", []byte(squeezable), i64(2)), rec("amounts", []byte("a"), i64(1))},
			wantMore: map[string]int64{"a": 13, squeezable: 2},
			dropped:  "processing", errs: []string{`topic "amounts" partition 0 offset 1`, `larger than topic "sums-out" accepts (300 bytes`},
			warn:       "skipping bad record",
			guarantees: []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce},
		},
	}
	policies := []runtime.ErrorPolicy{runtime.Fail, runtime.Skip, runtime.DeadLetter}
	policyName := map[runtime.ErrorPolicy]string{runtime.Fail: "fail", runtime.Skip: "skip", runtime.DeadLetter: "dead-letter"}
	for _, pc := range cases {
		for _, g := range pc.guarantees {
			for _, policy := range policies {
				t.Run(pc.name+"/"+policyName[policy]+"/"+g.String(), func(t *testing.T) {
					c := poisonCluster(t, pc.topics, pc.configs)
					logs := &logRecorder{t: t}
					cfg := runtime.Config{AppID: "poison", Brokers: c.addrs, StateDir: t.TempDir(), CacheMaxBytes: runtime.NoCache, OnError: policy, Guarantee: g,
						CommitInterval: 20 * time.Millisecond, Logger: logs.logger()}
					r := runAsync(t, pc.topo(t), cfg)
					if len(pc.setup) > 0 {
						c.produceRaw(t, pc.setup...)
						require.Eventually(t, func() bool {
							var n int64
							for _, v := range r.app.Metrics().Processed {
								n += v
							}
							return n >= int64(len(pc.setup))
						}, 20*time.Second, 10*time.Millisecond, "setup records processed")
					}
					c.produceRaw(t, pc.input...)

					if policy == runtime.Fail && !pc.always {
						err := r.wait(t, 20*time.Second)
						require.Error(t, err)
						for _, part := range pc.errs {
							assert.Contains(t, err.Error(), part)
						}
						// It says how to skip or dead-letter such records.
						assert.Contains(t, err.Error(), "(error policy Fail, the default: set Config.OnError to runtime.Skip")
						assert.Contains(t, err.Error(), `or to runtime.DeadLetter to copy them to a dead-letter topic, Config.DeadLetterTopic, default "poison-dlq", and go on)`)
						assert.Equal(t, 1, strings.Count(err.Error(), "error policy Fail"), "the hint is given once")
						assert.Equal(t, runtime.Error, r.app.State())
						return
					}

					got, _ := c.readCounts(t, pc.out, pc.want, 20*time.Second)
					assert.Equal(t, pc.want, got)
					c.produceRaw(t, pc.more...)
					got, _ = c.readCounts(t, pc.out, pc.wantMore, 20*time.Second)
					assert.Equal(t, pc.wantMore, got, "records after the bad one are processed")
					assert.Equal(t, runtime.Running, r.app.State())
					dropped := r.app.Metrics().Dropped[pc.dropped]
					if pc.always {
						assert.Positive(t, dropped, "dropped records are counted")
					} else {
						assert.Equal(t, int64(1), dropped)
					}
					warn := pc.warn
					if policy == runtime.DeadLetter && !pc.always {
						// Logged as dead-lettered, with the topic it went to,
						// and not as skipped.
						warn = "dead-lettered bad record"
						assert.NotEmpty(t, logs.find("level=WARN", warn, "dead_letter_topic=poison-dlq", "topic="+pc.input[1].Topic, "offset=1"))
						assert.Empty(t, logs.find(pc.warn), "a dead-lettered record is not logged as skipped")
					}
					assert.NotEmpty(t, logs.find("level=WARN", warn, "topic="+pc.input[1].Topic, "offset=1"), "the drop is logged with the record's position")
					require.NoError(t, r.stop(t))

					if policy != runtime.DeadLetter || pc.always {
						return
					}
					dlq := c.readRecords(t, "poison-dlq", 1, 10*time.Second)
					require.Len(t, dlq, 1)
					bad := pc.input[1]
					assert.Equal(t, bad.Key, dlq[0].Key, "original key")
					assert.Equal(t, bad.Value, dlq[0].Value, "original value")
					h := headerMap(dlq[0])
					assert.Equal(t, bad.Topic, h[runtime.HeaderErrorTopic])
					assert.Equal(t, "0", h[runtime.HeaderErrorPartition])
					assert.Equal(t, "1", h[runtime.HeaderErrorOffset])
					for _, part := range pc.errs[1:] {
						assert.Contains(t, h[runtime.HeaderErrorMessage], part)
					}
					dl, err := runtime.ParseDeadLetter(dlq[0].Headers)
					require.NoError(t, err)
					kind := runtime.Deserialization
					if pc.dropped == "processing" {
						kind = runtime.Production // the only one: an oversize output record
					}
					assert.Equal(t, runtime.DeadLetterHeaders{Message: h[runtime.HeaderErrorMessage], Topic: bad.Topic, Partition: 0, Offset: 1,
						Task: h[runtime.HeaderErrorTask], Node: h[runtime.HeaderErrorNode], Kind: kind}, dl)
				})
			}
		}
	}
}

// A dead letter too big for the dead-letter topic is cut to fit (the
// headers say what was cut and where the original is) rather than failing
// the instance, which would crash-loop on the same record.
func TestPoisonDeadLetterTooLarge(t *testing.T) {
	c := poisonCluster(t, map[string]int32{"amounts": 1, "sums-out": 1},
		map[string]map[string]string{"poison-dlq": {"max.message.bytes": "600", "cleanup.policy": "delete"}})
	logs := &logRecorder{t: t}
	cfg := runtime.Config{AppID: "poison", Brokers: c.addrs, StateDir: t.TempDir(), CacheMaxBytes: runtime.NoCache, OnError: runtime.DeadLetter,
		CommitInterval: 20 * time.Millisecond, Logger: logs.logger()}
	r := runAsync(t, sumTopology(t), cfg)
	huge := incompressible(2000) // not an 8-byte Int64
	c.produceRaw(t, rec("amounts", []byte("a"), i64(5)),
		&kgo.Record{Topic: "amounts", Partition: 0, Key: []byte("a"), Value: huge, Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("t1")}}},
		rec("amounts", []byte("a"), i64(7)))
	want := map[string]int64{"a": 12}
	got, _ := c.readCounts(t, "sums-out", want, 20*time.Second)
	assert.Equal(t, want, got)
	assert.Equal(t, runtime.Running, r.app.State())
	require.NoError(t, r.stop(t))

	dlq := c.readRecords(t, "poison-dlq", 1, 10*time.Second)
	require.Len(t, dlq, 1)
	d := dlq[0]
	h := headerMap(d)
	assert.Equal(t, "a", string(d.Key))
	assert.Less(t, len(d.Value), len(huge))
	assert.True(t, bytes.HasPrefix(huge, d.Value), "the value is cut, not altered")
	assert.Contains(t, h[runtime.HeaderErrorTruncated], "value")
	assert.Equal(t, "1", h[runtime.HeaderErrorOffset], "the original's position")
	assert.Contains(t, h[runtime.HeaderErrorMessage], "deserialize value")
	assert.Equal(t, "t1", h["trace"])
	assert.NotEmpty(t, logs.find("level=WARN", "dead-letter record truncated"))

	dl, err := runtime.ParseDeadLetter(d.Headers)
	require.NoError(t, err)
	assert.Equal(t, "amounts", dl.Topic)
	assert.Equal(t, int32(0), dl.Partition)
	assert.Equal(t, int64(1), dl.Offset, "the original's position")
	assert.Equal(t, "0_0", dl.Task)
	assert.Contains(t, dl.Message, "deserialize value")
	assert.Contains(t, dl.Truncated, "value")
}

// After a Fail stop, a restart (here with the bad record skipped) counts
// the good records before the bad one: exactly once under exactly-once (the
// failed cycle committed neither their offsets nor their state), at least
// once under at-least-once.
func TestPoisonRestartAfterFail(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			c := poisonCluster(t, map[string]int32{"amounts": 1, "sums-out": 1}, nil)
			cfg := runtime.Config{AppID: "poison", Brokers: c.addrs, StateDir: t.TempDir(), CacheMaxBytes: runtime.NoCache, Guarantee: g, InstanceID: "i1",
				CommitInterval: 20 * time.Millisecond, Logger: quiet(t)}
			c.produceRaw(t, rec("amounts", []byte("a"), i64(5)), rec("amounts", []byte("b"), i64(1)))
			r := runAsync(t, sumTopology(t), cfg)
			want := map[string]int64{"a": 5, "b": 1}
			got, _ := c.readCounts(t, "sums-out", want, 20*time.Second)
			require.Equal(t, want, got)
			// At-least-once output is visible before the commit: wait for
			// it, so that the runs below start after the first records.
			require.Eventually(t, func() bool {
				offs, err := c.adm.FetchOffsets(context.Background(), "poison")
				o, ok := offs.Lookup("amounts", 0)
				return err == nil && ok && o.At == 2
			}, 20*time.Second, 10*time.Millisecond, "the first two records are committed")
			// Good records in the same cycle as the bad one.
			c.produceRaw(t, rec("amounts", []byte("a"), i64(2)), rec("amounts", []byte("b"), i64(3)),
				rec("amounts", []byte("a"), []byte("oops")), rec("amounts", []byte("a"), i64(7)))
			err := r.wait(t, 20*time.Second)
			require.Error(t, err)
			assert.Contains(t, err.Error(), `topic "amounts" partition 0 offset 4`)
			require.Error(t, r.stop(t))

			// Fail again: the same record stops it again, at the same place.
			r = runAsync(t, sumTopology(t), cfg)
			err = r.wait(t, 20*time.Second)
			require.Error(t, err)
			assert.Contains(t, err.Error(), `topic "amounts" partition 0 offset 4`)
			require.Error(t, r.stop(t))

			cfg.OnError = runtime.Skip
			r = runAsync(t, sumTopology(t), cfg)
			want = map[string]int64{"a": 14, "b": 4}
			if g == runtime.ExactlyOnce {
				got, _ = c.readCounts(t, "sums-out", want, 20*time.Second)
				assert.Equal(t, want, got)
			} else {
				// At-least-once: a failed run's changelog writes can reach
				// the changelog (the producer sends in the background) and
				// are restored, while its input offsets were not committed,
				// so the good records of the failed cycle (a+2, b+3) count
				// once per run that wrote them: the last run, and each
				// failed run whose writes got out. None is lost. Each try
				// reads the whole topic with a new client: give it time.
				ok := func(a, b int64) bool {
					return (a == 14 || a == 16 || a == 18) && (b == 4 || b == 7 || b == 10)
				}
				require.Eventually(t, func() bool {
					got, _ = c.readCounts(t, "sums-out", want, 2*time.Second)
					return ok(got["a"], got["b"])
				}, 40*time.Second, 10*time.Millisecond, "sums %v", got)
			}
			require.NoError(t, r.stop(t))
			if g == runtime.ExactlyOnce {
				// Every committed update of "a", in order: nothing counted twice.
				var seq []int64
				for _, rr := range c.readRecords(t, "sums-out", 5, 5*time.Second) {
					if string(rr.Key) == "a" {
						v, err := serde.Int64().Deserialize("", rr.Value)
						require.NoError(t, err)
						seq = append(seq, v)
					}
				}
				assert.Equal(t, []int64{5, 7, 14}, seq)
			}
		})
	}
}

// Records for topics that do not exist: a missing input or output topic is
// a deployment error reported at start-up, naming the topic.
func TestPoisonUnknownTopics(t *testing.T) {
	for _, tc := range []struct {
		name   string
		topics map[string]int32
		want   string
	}{
		{"missing input topic", map[string]int32{"sums-out": 1}, `source topic "amounts" does not exist`},
		{"missing output topic", map[string]int32{"amounts": 1}, `output topic "sums-out" (sink `},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := poisonCluster(t, tc.topics, nil)
			app, err := runtime.New(sumTopology(t), runtime.Config{AppID: "poison", Brokers: c.addrs, StateDir: t.TempDir(), CacheMaxBytes: runtime.NoCache, Logger: quiet(t)})
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err = app.Run(ctx)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "does not exist")
			assert.Contains(t, err.Error(), `before starting application "poison", e.g. with runtime.CreateTopics`, "it says what to do")
			assert.False(t, errors.Is(err, context.DeadlineExceeded), "reported at start-up, not after a timeout")
			assert.Equal(t, runtime.Error, app.State())
			require.NoError(t, app.Close(context.Background()))
		})
	}
}

// incompressible returns n pseudo-random bytes.
func incompressible(n int) []byte {
	rng := rand.New(rand.NewPCG(uint64(n), 7))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rng.Uint32())
	}
	return b
}

// A state update too large for its changelog cannot be skipped (the store
// and the changelog would disagree): under Skip the instance stops with an
// error naming the changelog topic, once, rather than retrying the cycle
// for ever. (The output record, as large, is skipped first.)
func TestPoisonOversizeState(t *testing.T) {
	concat := func(t *testing.T) *stream.Topology {
		b := stream.NewBuilder()
		b.Stream("texts", serde.String(), serde.String()).
			GroupByKey().
			Reduce(func(a, v string) string { return a + v }, table.As("texts")).
			ToStream().
			To("texts-out", nil, nil)
		topo, err := b.Build()
		require.NoError(t, err)
		return topo
	}
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			c := poisonCluster(t, map[string]int32{"texts": 1, "texts-out": 1}, nil)
			r := runAsync(t, concat(t), runtime.Config{AppID: "poison", Brokers: c.addrs, StateDir: t.TempDir(), CacheMaxBytes: runtime.NoCache, OnError: runtime.Skip,
				Guarantee: g, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)})
			part := bytes.Repeat([]byte("x"), 400<<10)
			for range 3 {
				c.produceRaw(t, rec("texts", []byte("k"), part))
			}
			err := r.wait(t, 30*time.Second)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "poison-texts-changelog")
			assert.Contains(t, err.Error(), "MESSAGE_TOO_LARGE")
			assert.Equal(t, runtime.Error, r.app.State())
		})
	}
}
