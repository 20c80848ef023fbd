// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
)

// Conformance of the exception handlers and dead-letter records (KIP-1033,
// KIP-1034) with Java Kafka Streams (java/…/HandlerTopologies.java): eh-in
// (String keys, Long values, 3 partitions) is mapped to a String and
// written to eh-out, and records fail in four ways:
//   - a value that is not 8 bytes cannot be deserialized: the
//     deserialization handler (Java: LogAndContinueExceptionHandler);
//   - the mapping fails (Java throws, Eddy's function panics) for
//     v ≡ 3 (mod 7): the processing handler (Java:
//     LogAndContinueProcessingExceptionHandler);
//   - for v ≡ 4 (mod 13) the sink's serializer refuses the mapped value:
//     the production handler's serialization error;
//   - for v ≡ 5 (mod 11) the mapped value is larger than eh-out's
//     max.message.bytes: the broker rejects it (Java; Eddy finds it
//     before sending), the production handler.
//
// Every handler continues and writes a dead letter to a topic of 2
// partitions (Java: errors.dead.letter.queue.topic.name, and a production
// handler that resumes with the dead letter the built-in handlers build;
// Eddy: DeadLetterHandler). The input is written, with a header on every
// record, before either application starts. eh-out has as many partitions
// as eh-in, so each of its partitions is written by one task and its
// order is deterministic: it must be the same bytes in the same order as
// Java's (key, value, timestamp, headers, per partition). The dead letters
// must correspond one to one, by the input record they name (topic,
// partition, offset): the same key and value bytes (the input record's),
// timestamp, original headers and dead-letter partition, and Eddy's kind
// of error the one Java's exception class stands for. Java's are also
// checked against a model of the input, so a wrong expectation shows as
// such. The exception is the dead letters of records the broker rejected,
// which Java attributes to the wrong input records (ehRejectedClass):
// those are compared by number with Java's, and Eddy's with the model.
// Eddy runs twice, exactly-once and at-least-once; Java at-least-once
// (see the properties below, and handlerInput, for what Java 4.4 needs to
// handle broker rejections deterministically).
func TestConformanceHandlers(t *testing.T) {
	needJavaReference(t)
	k := needKafka(t)
	const (
		parts, dlqParts = 3, 2
		eddyRuns        = 2
	)
	p := k.name("eh.")
	in := handlerInput(240, parts)
	input := p + ehIn
	k.createTopicsForever(parts, input)
	outputs := make([][]string, eddyRuns+1) // [run] → eh-out, eh-dlq; run 0 is Java
	for run := range outputs {
		out, dlq := orderOutPrefix(p, run)+ehOut, orderOutPrefix(p, run)+ehDLQ
		outputs[run] = []string{out, dlq}
		k.createTopicsWith(parts, map[string]*string{"retention.ms": str("-1"), "max.message.bytes": str(strconv.Itoa(ehOutMaxBytes))}, out)
		k.createTopicsForever(dlqParts, dlq)
	}
	k.produceHandlerInput(input, parts, in)
	want := handlerModel(input, in, parts, dlqParts)

	javaApp := k.name("eh-java")
	java := startJava(t, "handlers", javaApp, []string{p},
		"processing.guarantee=at_least_once",
		// Without these, a record the broker rejects makes Java's
		// idempotent producer fail the batches after it with
		// OUT_OF_ORDER_SEQUENCE_NUMBER, and Kafka Streams 4.4 calls the
		// production handler several times for the rejected record (seen
		// here: one record dead-lettered four times) and loses the dead
		// letters of others.
		"producer.enable.idempotence=false", "producer.max.in.flight.requests.per.connection=1",
		"deserialization.exception.handler=org.apache.kafka.streams.errors.LogAndContinueExceptionHandler",
		"processing.exception.handler=org.apache.kafka.streams.errors.LogAndContinueProcessingExceptionHandler",
		"production.exception.handler=io.eddystreams.reference.HandlerTopologies$ContinueProductionHandler",
		"errors.dead.letter.queue.topic.name="+outputs[0][1])

	got := make([]handlerOutput, eddyRuns+1)
	for run := 1; run <= eddyRuns; run++ {
		b := stream.NewBuilder()
		addHandlers(b, p, orderOutPrefix(p, run))
		topo, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		guarantee := runtime.ExactlyOnce
		if run == 2 {
			guarantee = runtime.AtLeastOnce
		}
		appID := k.name(fmt.Sprintf("eh-eddy%d", run))
		dl := runtime.DeadLetterHandler("")
		inst := k.start(fmt.Sprintf("eh-eddy%d", run), topo, runtime.Config{AppID: appID, Guarantee: guarantee,
			CommitInterval: 100 * time.Millisecond, DeadLetterTopic: outputs[run][1],
			DeserializationHandler: dl, ProcessingHandler: dl, ProductionHandler: dl})
		inst.waitRunning(outputTimeout)
		alive := func() error {
			select {
			case <-inst.done:
				return fmt.Errorf("Eddy stopped (state %v): %v", inst.app.State(), inst.err)
			default:
				return nil
			}
		}
		if err := k.waitFinished(appID, []string{input}, outputs[run], orderFinishTimeout, alive); err != nil {
			t.Errorf("Eddy run %d (%v) did not finish the prewritten input: %v", run, guarantee, err)
		}
		if err := inst.stop(); err != nil {
			t.Errorf("Eddy run %d stopped with an error: %v", run, err)
		}
		got[run] = k.readHandlerOutput(t, outputs[run], false)
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
	if err := k.waitFinished(javaApp, []string{input}, outputs[0], orderFinishTimeout, javaAlive); err != nil {
		t.Errorf("Java Kafka Streams did not finish the prewritten input: %v", err)
	}
	java.stop(t)
	got[0] = k.readHandlerOutput(t, outputs[0], true)

	// Java's dead letters of records the broker rejected name the wrong
	// input record (see below): they are compared by number only.
	rejected := func(origin string) bool { return want.dead[origin].class == ehRejectedClass }
	wantRejected := 0
	for _, d := range want.dead {
		if d.class == ehRejectedClass {
			wantRejected++
		}
	}
	javaSync := got[0].without(nil)
	if d := diffHandlerOutput("the model of Kafka Streams", want.without(rejected), "Java Kafka Streams", javaSync, false); d != "" {
		t.Errorf("Java Kafka Streams' output is not the model's — the test's expectations are wrong:\n%s", d)
	}
	if n := len(got[0].rejected); n != wantRejected {
		t.Errorf("Java Kafka Streams wrote %d dead letters for records the broker rejected; the input has %d", n, wantRejected)
	}
	// Java's SerializationException is a deserialization or a
	// serialization error: where its exception class is the model's, the
	// model's kind is the kind of Java's dead letter.
	for origin, d := range javaSync.dead {
		if w, ok := want.dead[origin]; ok && w.class == d.class {
			d.kind = w.kind
			javaSync.dead[origin] = d
		}
	}
	for run := 1; run <= eddyRuns; run++ {
		who := fmt.Sprintf("Eddy run %d", run)
		if d := diffHandlerOutput("Java Kafka Streams", javaSync, who, got[run].without(rejected), true); d != "" {
			t.Errorf("%s differs from Java Kafka Streams:\n%s", who, d)
			continue
		}
		if d := diffHandlerOutput("the model of Kafka Streams", want, who, got[run], true); d != "" {
			t.Errorf("%s's dead letters of records the broker rejected are not the model's:\n%s", who, d)
			continue
		}
		kinds := map[string]int{}
		for _, d := range got[run].dead {
			kinds[d.kind]++
		}
		t.Logf("%s: output identical to Java Kafka Streams' (%d records); %d dead letters (%v): %d one to one with Java's, "+
			"%d of broker-rejected records as the model (Java wrote %d, naming other records)",
			who, len(got[run].out), len(got[run].dead), kinds, len(javaSync.dead), wantRejected, len(got[0].rejected))
	}
}

// Topic names and parameters of java/…/HandlerTopologies.java.
const (
	ehIn, ehOut, ehDLQ = "eh-in", "eh-out", "eh-dlq"
	ehBigValueBytes    = 100_000 // HandlerTopologies.BIG_VALUE_BYTES
	ehOutMaxBytes      = 50_000  // eh-out's max.message.bytes
	ehHeader           = "seq"   // the header every input record carries
)

// ehRejectedClass is the exception of a record the broker rejects.
//
// Kafka Streams 4.4 describes the input record of such a record with the
// task's record context when the producer reports the error, not when the
// record was sent: its dead letter names, and holds the key and value of,
// a record the task processed later (seen here: five dead letters naming
// one record, none naming the records that produced the rejected ones).
// Eddy processes the input again to hand the production handler the input
// record that produced the rejected one (see ErrorHandler), so its dead
// letters name the right records; they are compared with the model, and
// with Java's by number.
const ehRejectedClass = "org.apache.kafka.common.errors.RecordTooLargeException"

// Java's exception classes, and the kind of error each is in Eddy.
var ehKindOfClass = map[string]string{
	"org.apache.kafka.common.errors.SerializationException": "", // deserialization or serialization: by origin, see handlerModel
	"java.lang.IllegalStateException":                       runtime.Processing.String(),
	ehRejectedClass:                                         runtime.Production.String(),
}

// ehValue is HandlerTopologies.value: the mapping, and the error it fails
// with ("" if none).
func ehValue(v int64) string {
	switch {
	case v%7 == 3:
		panic(fmt.Sprintf("value %d is 3 modulo 7", v))
	case v%13 == 4:
		return "unserializable-" + strconv.FormatInt(v, 10)
	case v%11 == 5:
		return "big-" + strconv.FormatInt(v, 10) + "-" + ehNoise(v, ehBigValueBytes)
	}
	return "v" + strconv.FormatInt(v, 10)
}

// ehNoise is HandlerTopologies.noise: n pseudo-random characters
// (xorshift64 seeded from v, 6 bits a character), so that the big values
// do not compress below eh-out's limit whatever the producer's codec
// (Eddy's producer compresses, Java's does not by default).
func ehNoise(v int64, n int) string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	b := make([]byte, n)
	x := uint64(v)*0x9E3779B97F4A7C15 + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = alphabet[x>>58]
	}
	return string(b)
}

// refusingString is HandlerTopologies.Refusing: a String serde that will not
// serialize values starting with "unserializable-".
type refusingString struct{}

func (refusingString) Serialize(topic string, v string) ([]byte, error) {
	if strings.HasPrefix(v, "unserializable-") {
		return nil, fmt.Errorf("refusing to serialize %s", v)
	}
	return []byte(v), nil
}

func (refusingString) Deserialize(topic string, data []byte) (string, error) {
	return string(data), nil
}

// addHandlers is HandlerTopologies.handlers on topics in+eh-in → out+eh-out.
func addHandlers(b *stream.Builder, in, out string) {
	b.Stream(in+ehIn, serde.String(), serde.Int64()).
		MapValues(ehValue).
		To(out+ehOut, serde.String(), refusingString{})
}

// handlerInput: n records, 24 keys, distinct timestamps, value i (a Long)
// for record i except every 17th, whose value is 3 bytes (corrupt).
//
// The first record of each of the parts partitions is corrupt too: Java
// Kafka Streams 4.4 sends the dead letter of a record the broker rejects
// from the producer's network thread, in the send callback; if the
// producer has no metadata for the dead-letter topic yet, KafkaProducer.send
// waits there for metadata only that thread can fetch, and the stream
// thread's flush waits for it: the application hangs for max.block.ms
// (60 s) and more (seen here: nothing committed in 90 s). A dead letter
// sent by the stream thread first (a deserialization error) loads the
// metadata.
func handlerInput(n int, parts int32) []crec {
	var rs []crec
	first := map[int32]string{}
	for j := 0; len(first) < int(parts); j++ {
		k := fmt.Sprintf("k%02d", j)
		if p := partition.ForKey([]byte(k), parts); first[p] == "" {
			first[p] = k
		}
	}
	for i := range n {
		v := long(int64(i))
		key := fmt.Sprintf("k%02d", i*7%24)
		if i < int(parts) {
			key = first[int32(i)]
		}
		if i%17 == 9 || i < int(parts) {
			v = str("bad")
		}
		rs = append(rs, crec{Topic: ehIn, Key: key, Value: v, Time: orderRandomBase + int64(i)*10})
	}
	return rs
}

// produceHandlerInput writes the input to topic, each record on its key's
// partition, with its exact timestamp and the header seq=<index>.
func (k *kafka) produceHandlerInput(topic string, parts int32, rs []crec) {
	k.t.Helper()
	krs := make([]*kgo.Record, len(rs))
	for i, r := range rs {
		krs[i] = &kgo.Record{Topic: topic, Key: []byte(r.Key), Value: []byte(*r.Value), Timestamp: time.UnixMilli(r.Time),
			Partition: partition.ForKey([]byte(r.Key), parts), Headers: []kgo.RecordHeader{{Key: ehHeader, Value: []byte(strconv.Itoa(i))}}}
	}
	ctx, cancel := ctxFor(60 * time.Second)
	defer cancel()
	if err := k.cl.ProduceSync(ctx, krs...).FirstErr(); err != nil {
		k.t.Fatalf("produce the input: %v", err)
	}
}

// createTopicsWith creates topics with the given configs and waits until
// they have leaders.
func (k *kafka) createTopicsWith(partitions int32, configs map[string]*string, topics ...string) {
	k.t.Helper()
	ctx, cancel := ctxFor(60 * time.Second)
	defer cancel()
	resps, err := k.adm.CreateTopics(ctx, partitions, -1, configs, topics...)
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

// ehRecord is an output record as compared: everything but the offset.
type ehRecord struct {
	Partition  int32
	Key, Value string
	Time       int64
	Headers    string // "k=v,…"
}

// ehDeadLetter is a dead letter as compared, with the input record it
// names (origin).
type ehDeadLetter struct {
	origin     string // topic/partition/offset
	partition  int32  // of the dead-letter topic
	key, value []byte
	time       int64
	headers    string // the input record's, "k=v,…"
	kind       string // Eddy's ErrorKind; for Java, the kind its exception class stands for
	class      string // Java's exception class; "" for Eddy
	message    string
}

type handlerOutput struct {
	out  []ehRecord              // in partition order, then offset order
	dead map[string]ehDeadLetter // by origin
	dups []string                // origins dead-lettered more than once
	bad  []string                // dead letters that cannot be read
	// rejected are Java's dead letters of records the broker rejected
	// (ehRejectedClass), not in dead.
	rejected []ehDeadLetter
}

// without returns o without the dead letters of the origins drop reports
// (nil: none) and without Java's rejected ones.
func (o handlerOutput) without(drop func(origin string) bool) handlerOutput {
	c := o
	c.rejected = nil
	c.dead = map[string]ehDeadLetter{}
	for origin, d := range o.dead {
		if drop == nil || !drop(origin) {
			c.dead[origin] = d
		}
	}
	return c
}

func headerString(hs []kgo.RecordHeader) string {
	var parts []string
	for _, h := range hs {
		parts = append(parts, h.Key+"="+string(h.Value))
	}
	return strings.Join(parts, ",")
}

// readHandlerOutput reads eh-out and the dead letters of a run (topics:
// out, dlq), those of Java Kafka Streams (__streams.errors.* headers) or
// of Eddy (eddy.error.* headers, read by runtime.ParseDeadLetter).
func (k *kafka) readHandlerOutput(t *testing.T, topics []string, java bool) handlerOutput {
	var o handlerOutput
	recs := k.readAll(topics[0], readTimeout)
	slices.SortStableFunc(recs, func(a, b *kgo.Record) int { return int(a.Partition - b.Partition) })
	for _, r := range recs {
		o.out = append(o.out, ehRecord{Partition: r.Partition, Key: string(r.Key), Value: string(r.Value),
			Time: r.Timestamp.UnixMilli(), Headers: headerString(r.Headers)})
	}
	o.dead = map[string]ehDeadLetter{}
	for _, r := range k.readAll(topics[1], readTimeout) {
		d := ehDeadLetter{partition: r.Partition, key: r.Key, value: r.Value, time: r.Timestamp.UnixMilli()}
		if java {
			var own []kgo.RecordHeader
			h := map[string]string{}
			for _, x := range r.Headers {
				if name, ok := strings.CutPrefix(x.Key, "__streams.errors."); ok {
					h[name] = string(x.Value)
				} else {
					own = append(own, x)
				}
			}
			d.headers = headerString(own)
			d.origin = h["topic"] + "/" + h["partition"] + "/" + h["offset"]
			d.class, d.message = h["exception"], h["message"]
			d.kind = ehKindOfClass[d.class]
			if d.class == ehRejectedClass {
				o.rejected = append(o.rejected, d)
				continue
			}
		} else {
			dh, err := runtime.ParseDeadLetter(r.Headers)
			if err != nil {
				o.bad = append(o.bad, fmt.Sprintf("partition %d offset %d: %v", r.Partition, r.Offset, err))
				continue
			}
			i := slices.IndexFunc(r.Headers, func(h kgo.RecordHeader) bool { return h.Key == runtime.HeaderErrorMessage })
			d.headers = headerString(r.Headers[:i])
			d.origin = fmt.Sprintf("%s/%d/%d", dh.Topic, dh.Partition, dh.Offset)
			d.kind, d.message = dh.Kind.String(), dh.Message
		}
		if _, ok := o.dead[d.origin]; ok {
			o.dups = append(o.dups, d.origin)
		}
		o.dead[d.origin] = d
	}
	return o
}

// handlerModel is what Kafka Streams writes for the input: the mapped
// values of the records that do not fail, in input order per partition
// (eh-out has as many partitions as eh-in), and a dead letter for each
// that does, on the partition of its key (Java's producer hashes the key)
// with the input record's bytes, timestamp and headers. The model's
// dead-letter kinds are Eddy's names; its classes are Java's.
func handlerModel(topic string, in []crec, parts, dlqParts int32) handlerOutput {
	o := handlerOutput{dead: map[string]ehDeadLetter{}}
	offsets := map[int32]int64{}
	byPartition := map[int32][]ehRecord{}
	for i, r := range in {
		p := partition.ForKey([]byte(r.Key), parts)
		off := offsets[p]
		offsets[p]++
		hs := ehHeader + "=" + strconv.Itoa(i)
		d := ehDeadLetter{origin: fmt.Sprintf("%s/%d/%d", topic, p, off), partition: partition.ForKey([]byte(r.Key), dlqParts),
			key: []byte(r.Key), value: []byte(*r.Value), time: r.Time, headers: hs}
		if len(*r.Value) != 8 {
			d.kind, d.class = runtime.Deserialization.String(), "org.apache.kafka.common.errors.SerializationException"
			o.dead[d.origin] = d
			continue
		}
		v := int64(binary.BigEndian.Uint64([]byte(*r.Value)))
		switch {
		case v%7 == 3:
			d.kind, d.class = runtime.Processing.String(), "java.lang.IllegalStateException"
		case v%13 == 4:
			d.kind, d.class = runtime.Production.String(), "org.apache.kafka.common.errors.SerializationException"
		case v%11 == 5:
			d.kind, d.class = runtime.Production.String(), ehRejectedClass
		default:
			byPartition[p] = append(byPartition[p], ehRecord{Partition: p, Key: r.Key, Value: ehValue(v), Time: r.Time, Headers: hs})
			continue
		}
		o.dead[d.origin] = d
	}
	for _, p := range slices.Sorted(maps.Keys(byPartition)) {
		o.out = append(o.out, byPartition[p]...)
	}
	return o
}

// diffHandlerOutput describes how b differs from a ("" if it does not):
// the output record by record; the dead letters by origin. The exception
// classes are compared only if both have them (Eddy's have none); the
// kinds if kinds is set (Java's are known only once compared with the
// model).
func diffHandlerOutput(aWho string, a handlerOutput, bWho string, b handlerOutput, kinds bool) string {
	var sb strings.Builder
	short := func(s string) string {
		if len(s) > 60 {
			return fmt.Sprintf("%s…(%d bytes)", s[:40], len(s))
		}
		return s
	}
	for i := range max(len(a.out), len(b.out)) {
		if i < len(a.out) && i < len(b.out) && a.out[i] == b.out[i] {
			continue
		}
		fmt.Fprintf(&sb, "  %s: first output difference at record %d:\n", aWho, i)
		for _, side := range []struct {
			who string
			out []ehRecord
		}{{aWho, a.out}, {bWho, b.out}} {
			if i < len(side.out) {
				r := side.out[i]
				fmt.Fprintf(&sb, "    %s: partition %d key %q value %q @%d headers %q\n", side.who, r.Partition, r.Key, short(r.Value), r.Time, r.Headers)
			} else {
				fmt.Fprintf(&sb, "    %s: (ends after %d records)\n", side.who, len(side.out))
			}
		}
		break
	}
	if len(a.out) != len(b.out) {
		fmt.Fprintf(&sb, "  output: %s %d records, %s %d\n", aWho, len(a.out), bWho, len(b.out))
	}
	for _, side := range []struct {
		who string
		o   handlerOutput
	}{{aWho, a}, {bWho, b}} {
		if len(side.o.dups) > 0 {
			fmt.Fprintf(&sb, "  %s dead-lettered some records more than once: %v\n", side.who, side.o.dups)
		}
		if len(side.o.bad) > 0 {
			fmt.Fprintf(&sb, "  %s wrote dead letters that cannot be read: %v\n", side.who, side.o.bad)
		}
	}
	n := 0
	for _, origin := range slices.Sorted(maps.Keys(a.dead)) {
		x, ok := b.dead[origin]
		w := a.dead[origin]
		var diffs []string
		switch {
		case !ok:
			diffs = append(diffs, fmt.Sprintf("missing (%s has kind %s %s, %q)", aWho, w.kind, w.class, short(w.message)))
		default:
			if !bytes.Equal(w.key, x.key) || !bytes.Equal(w.value, x.value) {
				diffs = append(diffs, fmt.Sprintf("key/value %q/%x, not %q/%x", x.key, x.value, w.key, w.value))
			}
			if w.time != x.time {
				diffs = append(diffs, fmt.Sprintf("timestamp %d, not %d", x.time, w.time))
			}
			if w.headers != x.headers {
				diffs = append(diffs, fmt.Sprintf("headers %q, not %q", x.headers, w.headers))
			}
			if w.partition != x.partition {
				diffs = append(diffs, fmt.Sprintf("dead-letter partition %d, not %d", x.partition, w.partition))
			}
			if w.class != "" && x.class != "" && w.class != x.class {
				diffs = append(diffs, fmt.Sprintf("exception %s, not %s", x.class, w.class))
			}
			if kinds && w.kind != x.kind {
				diffs = append(diffs, fmt.Sprintf("kind %s (%q), not %s (%s %q)", x.kind, short(x.message), w.kind, w.class, short(w.message)))
			}
		}
		if len(diffs) > 0 {
			if n++; n <= 10 {
				fmt.Fprintf(&sb, "  dead letter of %s: %s's %s\n", origin, bWho, strings.Join(diffs, "; "))
			}
		}
	}
	for _, origin := range slices.Sorted(maps.Keys(b.dead)) {
		if _, ok := a.dead[origin]; !ok {
			if n++; n <= 10 {
				fmt.Fprintf(&sb, "  dead letter of %s: %s wrote one, %s none (kind %s, %q)\n", origin, bWho, aWho, b.dead[origin].kind, short(b.dead[origin].message))
			}
		}
	}
	if n > 10 {
		fmt.Fprintf(&sb, "  … %d dead letters differ in all\n", n)
	}
	if len(a.dead) != len(b.dead) {
		fmt.Fprintf(&sb, "  dead letters: %s %d, %s %d\n", aWho, len(a.dead), bWho, len(b.dead))
	}
	return sb.String()
}
