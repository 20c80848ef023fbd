// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime_test

import (
	"context"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
)

// rejectNegative fails on a negative amount and passes the others on.
type rejectNegative struct {
	ctx processor.FixedKeyContext[string, int64]
}

func (p *rejectNegative) Init(ctx processor.FixedKeyContext[string, int64]) error {
	p.ctx = ctx
	return nil
}

func (p *rejectNegative) Process(r processor.FixedKeyRecord[string, int64]) error {
	if r.Value < 0 {
		return errors.New("negative amount")
	}
	return p.ctx.Forward(r)
}

func (p *rejectNegative) Close() error { return nil }

// checkedAmounts reads "in" (string → int64) with the source "read-in",
// fails negative amounts in the processor "check" and writes the rest to
// "out" with the sink "write-out".
func checkedAmounts(t *testing.T) *stream.Topology {
	b := stream.NewBuilder()
	b.Stream("in", serde.String(), serde.Int64(), stream.As("read-in")).
		ProcessValues(func() processor.FixedKeyProcessor[string, int64, int64] { return &rejectNegative{} }, stream.As("check")).
		To("out", nil, nil, stream.As("write-out"))
	topo, err := b.Build()
	require.NoError(t, err)
	return topo
}

// bigKey is a string key of 600 bytes that compression does not shrink
// below 300 bytes.
func bigKey() []byte { return []byte(hex.EncodeToString(incompressible(300))) }

// handlerLog records the contexts a handler was called with and answers
// with respond.
type handlerLog struct {
	mu      sync.Mutex
	calls   []runtime.ErrorContext
	respond func(runtime.ErrorContext) runtime.ErrorResponse
}

func (h *handlerLog) handle(ec runtime.ErrorContext) runtime.ErrorResponse {
	h.mu.Lock()
	h.calls = append(h.calls, ec)
	h.mu.Unlock()
	return h.respond(ec)
}

func (h *handlerLog) got() []runtime.ErrorContext {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]runtime.ErrorContext(nil), h.calls...)
}

// assertContext checks the input record of an ErrorContext.
func assertContext(t *testing.T, ec runtime.ErrorContext, kind runtime.ErrorKind, node string, offset int64, key, value []byte, errPart string) {
	t.Helper()
	assert.Equal(t, kind, ec.Kind)
	assert.Equal(t, "0_0", ec.Task)
	assert.Equal(t, node, ec.Node)
	assert.Equal(t, "in", ec.Topic)
	assert.Equal(t, int32(0), ec.Partition)
	assert.Equal(t, offset, ec.Offset)
	assert.Equal(t, key, ec.Key)
	assert.Equal(t, value, ec.Value)
	assert.False(t, ec.Timestamp.IsZero(), "the record's timestamp")
	require.Error(t, ec.Err)
	assert.Contains(t, ec.Err.Error(), errPart)
}

// A user DeserializationHandler gets the undecodable record with its
// position and the source's name; Continue with a dead letter writes it
// (to a topic it creates) and goes on; Fail stops the application with a
// RecordError of that kind, without the hint about Config.OnError (the
// handler chose).
func TestDeserializationHandler(t *testing.T) {
	input := []*kgo.Record{rec("in", []byte("a"), i64(5)),
		{Topic: "in", Key: []byte("b"), Value: []byte("oops"), Headers: []kgo.RecordHeader{{Key: "trace", Value: []byte("t1")}}},
		rec("in", []byte("a"), i64(7))}
	t.Run("continue with a dead letter", func(t *testing.T) {
		c := poisonCluster(t, map[string]int32{"in": 1, "out": 1}, nil)
		logs := &logRecorder{t: t}
		h := &handlerLog{respond: func(ec runtime.ErrorContext) runtime.ErrorResponse {
			dl := ec.DeadLetter("bad-amounts")
			dl.Headers = append(dl.Headers, record.Header{Key: "handled-by", Value: []byte("test")})
			return runtime.ErrorResponse{Continue: true, DeadLetters: []runtime.DeadLetterRecord{dl}}
		}}
		r := runAsync(t, checkedAmounts(t), runtime.Config{AppID: "handlers", Brokers: c.addrs, StateDir: t.TempDir(),
			DeserializationHandler: h.handle, CommitInterval: 20 * time.Millisecond, Logger: logs.logger()})
		c.produceRaw(t, input...)
		got, _ := c.readCounts(t, "out", map[string]int64{"a": 7}, 20*time.Second)
		assert.Equal(t, map[string]int64{"a": 7}, got)
		calls := h.got()
		require.Len(t, calls, 1)
		ec := calls[0]
		assertContext(t, ec, runtime.Deserialization, "read-in", 1, []byte("b"), []byte("oops"), "deserialize value")
		assert.Equal(t, []record.Header{{Key: "trace", Value: []byte("t1")}}, ec.Headers)
		assert.Nil(t, ec.Output)
		assert.Equal(t, int64(1), r.app.Metrics().Dropped["deserialization"])
		assert.NotEmpty(t, logs.find("level=WARN", "dead-lettered bad record", "dead_letter_topic=bad-amounts", "node=read-in", "offset=1"))
		assert.Equal(t, runtime.Running, r.app.State())
		require.NoError(t, r.stop(t))

		dlq := c.readRecords(t, "bad-amounts", 1, 10*time.Second)
		require.Len(t, dlq, 1)
		assert.Equal(t, []byte("b"), dlq[0].Key)
		assert.Equal(t, []byte("oops"), dlq[0].Value)
		assert.Equal(t, "test", headerMap(dlq[0])["handled-by"])
		assert.Equal(t, "t1", headerMap(dlq[0])["trace"], "the original headers come first")
		d, err := runtime.ParseDeadLetter(dlq[0].Headers[:len(dlq[0].Headers)-1])
		require.NoError(t, err)
		assert.Equal(t, runtime.DeadLetterHeaders{Message: ec.Err.Error(), Topic: "in", Partition: 0, Offset: 1, Task: "0_0", Node: "read-in", Kind: runtime.Deserialization}, d)
	})
	t.Run("fail", func(t *testing.T) {
		c := poisonCluster(t, map[string]int32{"in": 1, "out": 1}, nil)
		h := &handlerLog{respond: runtime.FailHandler}
		r := runAsync(t, checkedAmounts(t), runtime.Config{AppID: "handlers", Brokers: c.addrs, StateDir: t.TempDir(),
			DeserializationHandler: h.handle, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)})
		c.produceRaw(t, input...)
		err := r.wait(t, 20*time.Second)
		var re *runtime.RecordError
		require.ErrorAs(t, err, &re)
		assert.Equal(t, runtime.Deserialization, re.Kind)
		assert.Equal(t, int64(1), re.Offset)
		assert.Equal(t, "read-in", re.Node)
		assert.NotContains(t, err.Error(), "error policy Fail", "a handler failed the record, not the default policy")
		require.Len(t, h.got(), 1)
	})
}

// A ProcessingHandler takes precedence over OnError for processing errors
// only: here it handles the processor's error (and names the processor),
// while the undecodable record goes to the DeadLetter policy's topic.
func TestProcessingHandlerWithPolicy(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			c := poisonCluster(t, map[string]int32{"in": 1, "out": 1}, nil)
			h := &handlerLog{respond: runtime.SkipHandler}
			r := runAsync(t, checkedAmounts(t), runtime.Config{AppID: "handlers", Brokers: c.addrs, StateDir: t.TempDir(), Guarantee: g,
				OnError: runtime.DeadLetter, ProcessingHandler: h.handle, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)})
			c.produceRaw(t, rec("in", []byte("a"), i64(5)), rec("in", []byte("b"), i64(-1)), rec("in", []byte("c"), []byte("oops")),
				rec("in", []byte("a"), i64(7)))
			got, _ := c.readCounts(t, "out", map[string]int64{"a": 7}, 20*time.Second)
			assert.Equal(t, map[string]int64{"a": 7}, got)
			calls := h.got()
			require.Len(t, calls, 1, "the processing error only")
			assertContext(t, calls[0], runtime.Processing, "check", 1, []byte("b"), i64(-1), "negative amount")
			assert.Equal(t, int64(1), r.app.Metrics().Dropped["processing"])
			assert.Equal(t, int64(1), r.app.Metrics().Dropped["deserialization"])
			require.NoError(t, r.stop(t))

			dlq := c.readRecords(t, "handlers-dlq", 1, 10*time.Second)
			require.Len(t, dlq, 1)
			d, err := runtime.ParseDeadLetter(dlq[0].Headers)
			require.NoError(t, err)
			assert.Equal(t, int64(2), d.Offset, "the undecodable record, by the policy")
			assert.Equal(t, "read-in", d.Node)
		})
	}
}

// A record larger than its topic accepts, found by the sink before
// sending, goes to the ProductionHandler with the sink's name and the
// output topic.
func TestProductionHandlerBeforeSending(t *testing.T) {
	c := poisonCluster(t, map[string]int32{"in": 1}, map[string]map[string]string{"out": {"max.message.bytes": "300"}})
	h := &handlerLog{respond: runtime.DeadLetterHandler("")}
	r := runAsync(t, checkedAmounts(t), runtime.Config{AppID: "handlers", Brokers: c.addrs, StateDir: t.TempDir(),
		ProductionHandler: h.handle, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)})
	big := bigKey()
	c.produceRaw(t, rec("in", []byte("a"), i64(5)), rec("in", big, i64(1)), rec("in", []byte("a"), i64(7)))
	got, _ := c.readCounts(t, "out", map[string]int64{"a": 7}, 20*time.Second)
	assert.Equal(t, map[string]int64{"a": 7}, got)
	calls := h.got()
	require.Len(t, calls, 1)
	assertContext(t, calls[0], runtime.Production, "write-out", 1, big, i64(1), `larger than topic "out" accepts (300 bytes`)
	require.NotNil(t, calls[0].Output)
	assert.Equal(t, runtime.OutputRecord{Topic: "out", Partition: -1}, *calls[0].Output)
	assert.Equal(t, int64(1), r.app.Metrics().Dropped["processing"])
	require.NoError(t, r.stop(t))
	// DeadLetterHandler("") writes to Config.DeadLetterTopic's default.
	dlq := c.readRecords(t, "handlers-dlq", 1, 10*time.Second)
	require.Len(t, dlq, 1)
	assert.Equal(t, big, dlq[0].Key)
	assert.Equal(t, "write-out", headerMap(dlq[0])[runtime.HeaderErrorNode])
}

// A record the broker rejects, after the sink let it through (here the
// output topic's max.message.bytes was lowered while the application ran,
// after the sink had read it), reaches the ProductionHandler too, with the
// input record that produced it: the cycle is processed again, and the
// rejected record handed to the handler instead of being sent. Records
// the broker failed together with it (franz-go fails a partition's
// buffered records together) are not lost.
func TestProductionHandlerBrokerRejects(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			c := poisonCluster(t, map[string]int32{"in": 1, "out": 1}, nil)
			logs := &logRecorder{t: t}
			h := &handlerLog{respond: runtime.SkipHandler}
			r := runAsync(t, checkedAmounts(t), runtime.Config{AppID: "handlers", Brokers: c.addrs, StateDir: t.TempDir(), Guarantee: g,
				ProductionHandler: h.handle, CommitInterval: 20 * time.Millisecond, Logger: logs.logger(),
				// Output records linger, so that the rejected one shares
				// its batch with others.
				ClientOptions: []kgo.Opt{kgo.ProducerLinger(50 * time.Millisecond)}})
			c.produceRaw(t, rec("in", []byte("a"), i64(5)))
			got, _ := c.readCounts(t, "out", map[string]int64{"a": 5}, 20*time.Second)
			require.Equal(t, map[string]int64{"a": 5}, got)

			rs, err := c.adm.AlterTopicConfigs(context.Background(), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "max.message.bytes",
				Value: kadm.StringPtr("300")}}, "out")
			require.NoError(t, err)
			for _, res := range rs {
				require.NoError(t, res.Err)
			}
			big := bigKey()
			c.produceRaw(t, rec("in", []byte("b"), i64(1)), rec("in", big, i64(2)), rec("in", []byte("c"), i64(3)),
				rec("in", []byte("a"), i64(7)))
			want := map[string]int64{"a": 7, "b": 1, "c": 3}
			got, _ = c.readCounts(t, "out", want, 20*time.Second)
			assert.Equal(t, want, got, "the records rejected with the big one are not lost")
			require.Eventually(t, func() bool { return len(h.got()) > 0 }, 10*time.Second, 10*time.Millisecond)

			calls := h.got()
			require.Len(t, calls, 1, "the rejected record only, once")
			ec := calls[0]
			assertContext(t, ec, runtime.Production, "write-out", 2, big, i64(2), "MESSAGE_TOO_LARGE")
			assert.ErrorIs(t, ec.Err, kerr.MessageTooLarge)
			assert.Contains(t, ec.Err.Error(), `output record to topic "out" partition 0`)
			require.NotNil(t, ec.Output)
			assert.Equal(t, "out", ec.Output.Topic)
			assert.Equal(t, int32(0), ec.Output.Partition)
			assert.Equal(t, big, ec.Output.Key)
			assert.Equal(t, i64(2), ec.Output.Value)
			assert.NotEmpty(t, logs.find("level=WARN", "skipping bad record", "node=write-out", "offset=2", "output_topic=out", "output_partition=0"))
			assert.Equal(t, int64(1), r.app.Metrics().Dropped["processing"])
			assert.Equal(t, runtime.Running, r.app.State())

			// And on with the next records.
			c.produceRaw(t, rec("in", []byte("a"), i64(8)))
			want["a"] = 8
			got, _ = c.readCounts(t, "out", want, 20*time.Second)
			assert.Equal(t, want, got)
			require.NoError(t, r.stop(t))
			if g == runtime.ExactlyOnce {
				// Every committed record once: the aborted cycle's are
				// not read.
				var keys []string
				for _, rr := range c.readRecords(t, "out", 5, 5*time.Second) {
					keys = append(keys, string(rr.Key))
				}
				assert.Equal(t, []string{"a", "b", "c", "a", "a"}, keys)
			}
		})
	}
}

// A Fail response to a record the broker rejected stops the application
// with an error naming the output record and the input record.
func TestProductionHandlerBrokerRejectsFail(t *testing.T) {
	c := poisonCluster(t, map[string]int32{"in": 1, "out": 1}, nil)
	r := runAsync(t, checkedAmounts(t), runtime.Config{AppID: "handlers", Brokers: c.addrs, StateDir: t.TempDir(),
		ProductionHandler: runtime.FailHandler, CommitInterval: 20 * time.Millisecond, Logger: quiet(t)})
	c.produceRaw(t, rec("in", []byte("a"), i64(5)))
	got, _ := c.readCounts(t, "out", map[string]int64{"a": 5}, 20*time.Second)
	require.Equal(t, map[string]int64{"a": 5}, got)
	_, err := c.adm.AlterTopicConfigs(context.Background(), []kadm.AlterConfig{{Op: kadm.SetConfig, Name: "max.message.bytes",
		Value: kadm.StringPtr("300")}}, "out")
	require.NoError(t, err)
	c.produceRaw(t, rec("in", bigKey(), i64(2)))
	err = r.wait(t, 20*time.Second)
	var re *runtime.RecordError
	require.ErrorAs(t, err, &re)
	assert.Equal(t, runtime.Production, re.Kind)
	assert.Equal(t, "write-out", re.Node, "named, though the task does not know it")
	assert.Equal(t, int64(1), re.Offset)
	assert.Equal(t, "in", re.Topic)
	assert.ErrorIs(t, err, kerr.MessageTooLarge)
	assert.Contains(t, err.Error(), `output record to topic "out" partition 0`)
}

// The ready-made handlers reproduce the policies: FailHandler fails,
// SkipHandler continues, DeadLetterHandler continues with the record's
// dead letter, whose headers ParseDeadLetter reads back.
func TestReadyMadeHandlers(t *testing.T) {
	ec := runtime.ErrorContext{Kind: runtime.Processing, Task: "0_3", Node: "check", Topic: "in", Partition: 3, Offset: 42,
		Key: []byte("k"), Value: []byte("v"), Timestamp: time.UnixMilli(1000), Headers: []record.Header{{Key: "trace", Value: []byte("t1")}},
		Err: errors.New("boom")}
	assert.Equal(t, runtime.ErrorResponse{}, runtime.FailHandler(ec))
	assert.Equal(t, runtime.ErrorResponse{Continue: true}, runtime.SkipHandler(ec))
	resp := runtime.DeadLetterHandler("dlq")(ec)
	require.True(t, resp.Continue)
	require.Len(t, resp.DeadLetters, 1)
	dl := resp.DeadLetters[0]
	assert.Equal(t, "dlq", dl.Topic)
	assert.Equal(t, []byte("k"), dl.Key)
	assert.Equal(t, []byte("v"), dl.Value)
	assert.Equal(t, time.UnixMilli(1000), dl.Timestamp)
	assert.Equal(t, record.Header{Key: "trace", Value: []byte("t1")}, dl.Headers[0], "the record's headers first")
	var hs []kgo.RecordHeader
	for _, h := range dl.Headers {
		hs = append(hs, kgo.RecordHeader{Key: h.Key, Value: h.Value})
	}
	d, err := runtime.ParseDeadLetter(hs)
	require.NoError(t, err)
	assert.Equal(t, runtime.DeadLetterHeaders{Message: "boom", Topic: "in", Partition: 3, Offset: 42, Task: "0_3", Node: "check", Kind: runtime.Processing}, d)
	// Copies: changing the dead letter leaves the context alone.
	dl.Key[0] = 'x'
	assert.Equal(t, []byte("k"), ec.Key)

	for k, name := range map[runtime.ErrorKind]string{runtime.Deserialization: "Deserialization", runtime.Processing: "Processing",
		runtime.Production: "Production", 0: "ErrorKind(0)"} {
		assert.Equal(t, name, k.String())
	}
}

// Validate rejects a policy that applies to nothing, and accepts a
// dead-letter topic for handlers.
func TestConfigValidateHandlers(t *testing.T) {
	valid := func() runtime.Config { return runtime.Config{AppID: "wc", Brokers: []string{"k:9092"}} }
	all := func(c *runtime.Config) {
		c.DeserializationHandler, c.ProcessingHandler, c.ProductionHandler = runtime.SkipHandler, runtime.FailHandler, runtime.DeadLetterHandler("x")
	}

	c := valid()
	all(&c)
	c.OnError = runtime.Skip
	err := c.Validate()
	var ce *runtime.ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "OnError", ce.Field)
	assert.Contains(t, err.Error(), "Config.OnError = Skip: set, but DeserializationHandler, ProcessingHandler and ProductionHandler are all set")

	c = valid()
	all(&c)
	assert.NoError(t, c.Validate(), "OnError Fail, the default, with all handlers")

	c = valid()
	c.ProcessingHandler, c.DeadLetterTopic = runtime.DeadLetterHandler(""), "bad-records"
	assert.NoError(t, c.Validate(), "a handler may write to DeadLetterTopic")

	c = valid()
	c.DeadLetterTopic = "bad-records"
	err = c.Validate()
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "DeadLetterTopic", ce.Field)
	assert.True(t, strings.Contains(err.Error(), "no error handler is set") && strings.Contains(err.Error(), "runtime.DeadLetterHandler takes its topic"), err.Error())
}

// Records that fit their topic one by one but not batched together (the
// topic's max.message.bytes is below the producer's batch size) are all
// failed by the broker; none is at fault, so they are sent again one by
// one and arrive, and the handler is not called.
func TestProductionRejectedBatchSentAgain(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			c := poisonCluster(t, map[string]int32{"in": 1}, map[string]map[string]string{"out": {"max.message.bytes": "300"}})
			logs := &logRecorder{t: t}
			h := &handlerLog{respond: runtime.FailHandler}
			r := runAsync(t, checkedAmounts(t), runtime.Config{AppID: "handlers", Brokers: c.addrs, StateDir: t.TempDir(), Guarantee: g,
				ProductionHandler: h.handle, CommitInterval: 20 * time.Millisecond, Logger: logs.logger(),
				ClientOptions: []kgo.Opt{kgo.ProducerLinger(100 * time.Millisecond)}})
			want := map[string]int64{}
			var input []*kgo.Record
			for i := range 6 {
				k := hex.EncodeToString(incompressible(40 + i)) // 80 bytes compression does not shrink
				want[k] = int64(i)
				input = append(input, rec("in", []byte(k), i64(int64(i))))
			}
			c.produceRaw(t, input...)
			got, _ := c.readCounts(t, "out", want, 20*time.Second)
			assert.Equal(t, want, got)
			assert.Empty(t, h.got())
			assert.NotEmpty(t, logs.find("level=WARN", "rejected together were sent again one by one, and accepted"))
			assert.Equal(t, runtime.Running, r.app.State())
		})
	}
}
