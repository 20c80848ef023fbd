// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/partition"
)

// BrokersEnv names the bootstrap servers of the real Kafka cluster.
const brokersEnv = "EDDY_KAFKA_BROKERS"

const howToRun = "scripts/kafka.sh start && " + brokersEnv + "=127.0.0.1:9092 GOTOOLCHAIN=go1.27.3 go test -v -count=1 ./integration"

var (
	brokers   []string // from EDDY_KAFKA_BROKERS; empty: the suite skips
	brokerErr error    // set when the brokers do not answer
)

func TestMain(m *testing.M) {
	for _, b := range strings.Split(os.Getenv(brokersEnv), ",") {
		if b = strings.TrimSpace(b); b != "" {
			brokers = append(brokers, b)
		}
	}
	if len(brokers) == 0 {
		fmt.Fprintf(os.Stderr, "integration: *** REAL-KAFKA SUITE SKIPPED: %s is not set *** run it with: %s\n", brokersEnv, howToRun)
	} else {
		brokerErr = ping(brokers)
		if brokerErr != nil {
			fmt.Fprintf(os.Stderr, "integration: %s=%s does not answer: %v\n", brokersEnv, strings.Join(brokers, ","), brokerErr)
		} else {
			fmt.Fprintf(os.Stderr, "integration: running the real-Kafka suite against %s\n", strings.Join(brokers, ","))
		}
	}
	os.Exit(m.Run())
}

// ping checks that the cluster answers a metadata request.
func ping(addrs []string) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...))
	if err != nil {
		return err
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_, err = kadm.NewClient(cl).BrokerMetadata(ctx)
	return err
}

// kafka is one test's view of the real cluster: clients, and names unique to
// the test and the run.
type kafka struct {
	t      *testing.T
	adm    *kadm.Client
	cl     *kgo.Client // producer (manual partitioning) and admin transport
	prefix string      // prefix of every topic and application id of the test
}

// skipWithoutKafka skips the test, loudly, unless EDDY_KAFKA_BROKERS names
// a cluster, and fails it if the cluster does not answer.
func skipWithoutKafka(t *testing.T) {
	t.Helper()
	if len(brokers) == 0 {
		t.Skipf("*** SKIPPED: real-Kafka test; %s is not set. Run: %s", brokersEnv, howToRun)
	}
	if brokerErr != nil {
		t.Fatalf("%s=%s, but the cluster does not answer: %v", brokersEnv, strings.Join(brokers, ","), brokerErr)
	}
}

// needKafka is skipWithoutKafka, then clients and names for the test.
func needKafka(t *testing.T) *kafka {
	t.Helper()
	skipWithoutKafka(t)
	// MetadataMinAge: kadm answers ListTopics from metadata cached for up
	// to this long, so waitTopic would see a new topic's leaders up to 5 s
	// (the default) late.
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(0), kgo.MetadataMinAge(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	k := &kafka{t: t, adm: kadm.NewClient(cl), cl: cl, prefix: uniquePrefix(t)}
	t.Logf("topics and application ids of this test start with %q", k.prefix)
	t.Cleanup(func() {
		if t.Failed() || os.Getenv("EDDY_KEEP_TOPICS") != "" {
			t.Logf("keeping the topics starting with %q for inspection", k.prefix)
		} else {
			k.deleteTopics()
		}
		cl.Close()
	})
	return k
}

var nonName = regexp.MustCompile(`[^a-z0-9]+`)

// uniquePrefix is "it-<test name>-<random>-".
func uniquePrefix(t *testing.T) string {
	name := strings.Trim(nonName.ReplaceAllString(strings.ToLower(strings.TrimPrefix(t.Name(), "Test")), "-"), "-")
	if len(name) > 40 {
		name = name[:40]
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	return "it-" + name + "-" + hex.EncodeToString(b[:]) + "-"
}

// name returns a topic or application id unique to the test.
func (k *kafka) name(base string) string { return k.prefix + base }

func ctxFor(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// createTopic creates a topic and waits until every partition has a leader.
func (k *kafka) createTopic(topic string, partitions int32) {
	k.t.Helper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	resp, err := k.adm.CreateTopic(ctx, partitions, -1, nil, topic)
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		k.t.Fatalf("create topic %s: %v %s", topic, err, resp.ErrMessage)
	}
	k.waitTopic(ctx, topic, partitions)
}

// waitTopic waits until the topic has the partitions, each with a leader.
func (k *kafka) waitTopic(ctx context.Context, topic string, partitions int32) {
	k.t.Helper()
	var last string
	for {
		d, err := k.adm.ListTopics(ctx, topic)
		if err == nil {
			td := d[topic]
			ready := td.Err == nil && int32(len(td.Partitions)) == partitions
			for _, p := range td.Partitions {
				ready = ready && p.Err == nil && p.Leader >= 0
			}
			if ready {
				return
			}
			last = fmt.Sprintf("%d partitions, err %v", len(td.Partitions), td.Err)
		} else {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			k.t.Fatalf("topic %s not ready: %s", topic, last)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// topicInfo returns the partition count and the given config values of a topic.
func (k *kafka) topicInfo(topic string, configs ...string) (int, map[string]string) {
	k.t.Helper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	d, err := k.adm.ListTopics(ctx, topic)
	if err != nil || d[topic].Err != nil {
		k.t.Fatalf("topic %s: %v %v", topic, err, d[topic].Err)
	}
	rcs, err := k.adm.DescribeTopicConfigs(ctx, topic)
	if err != nil {
		k.t.Fatalf("describe configs of %s: %v", topic, err)
	}
	rc, err := rcs.On(topic, nil)
	if err != nil {
		k.t.Fatalf("describe configs of %s: %v", topic, err)
	}
	out := map[string]string{}
	for _, c := range rc.Configs {
		for _, want := range configs {
			if c.Key == want {
				out[c.Key] = c.MaybeValue()
			}
		}
	}
	return len(d[topic].Partitions), out
}

// deleteTopics deletes every topic of the test (user and internal ones).
func (k *kafka) deleteTopics() {
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	all, err := k.adm.ListTopics(ctx)
	if err != nil {
		k.t.Logf("list topics for clean-up: %v", err)
		return
	}
	var mine []string
	for _, name := range all.Names() {
		if strings.HasPrefix(name, k.prefix) {
			mine = append(mine, name)
		}
	}
	if len(mine) == 0 {
		return
	}
	if _, err := k.adm.DeleteTopics(ctx, mine...); err != nil {
		k.t.Logf("delete topics %v: %v", mine, err)
	}
}

// rec is an input record. Partition < 0 picks the partition as Java's
// producer does: murmur2 of the key, round-robin for null keys.
type rec struct {
	Key, Value []byte
	Time       int64 // epoch ms; 0 = now
	Partition  int32
}

// produce writes the records synchronously, in order.
func (k *kafka) produce(topic string, rs ...rec) {
	k.t.Helper()
	if err := k.tryProduce(topic, rs...); err != nil {
		k.t.Fatal(err)
	}
}

// tryProduce is produce for goroutines other than the test's.
func (k *kafka) tryProduce(topic string, rs ...rec) error {
	ctx, cancel := ctxFor(60 * time.Second)
	defer cancel()
	d, err := k.adm.ListTopics(ctx, topic)
	if err != nil || d[topic].Err != nil || len(d[topic].Partitions) == 0 {
		return fmt.Errorf("produce to %s: topic metadata: %v %v", topic, err, d[topic].Err)
	}
	n := int32(len(d[topic].Partitions))
	krs := make([]*kgo.Record, len(rs))
	now := time.Now()
	for i, r := range rs {
		kr := &kgo.Record{Topic: topic, Key: r.Key, Value: r.Value, Partition: r.Partition, Timestamp: now}
		if r.Time != 0 {
			kr.Timestamp = time.UnixMilli(r.Time)
		}
		if kr.Partition < 0 {
			if r.Key == nil {
				kr.Partition = int32(i) % n
			} else {
				kr.Partition = partition.ForKey(r.Key, n)
			}
		}
		krs[i] = kr
	}
	if err := k.cl.ProduceSync(ctx, krs...).FirstErr(); err != nil {
		return fmt.Errorf("produce to %s: %w", topic, err)
	}
	return nil
}

// produceLines writes text lines keyed k<i>, partitioned by key.
func (k *kafka) produceLines(topic string, lines ...string) {
	k.t.Helper()
	k.produce(topic, lineRecs(lines)...)
}

func lineRecs(lines []string) []rec {
	rs := make([]rec, len(lines))
	for i, l := range lines {
		rs[i] = rec{Key: fmt.Appendf(nil, "k%d", i), Value: []byte(l), Partition: -1}
	}
	return rs
}

func (k *kafka) partitions(topic string) int32 {
	k.t.Helper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	d, err := k.adm.ListTopics(ctx, topic)
	if err != nil || d[topic].Err != nil || len(d[topic].Partitions) == 0 {
		k.t.Fatalf("topic %s: %v %v", topic, err, d[topic].Err)
	}
	return int32(len(d[topic].Partitions))
}

// tail follows a topic read_committed from its start.
type tail struct {
	k     *kafka
	topic string
	cl    *kgo.Client
	recs  []*kgo.Record
}

func (k *kafka) tail(topic string) *tail {
	k.t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumeTopics(topic),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		k.t.Fatal(err)
	}
	k.t.Cleanup(cl.Close)
	return &tail{k: k, topic: topic, cl: cl}
}

// until polls until done(records so far) or the timeout; it reports done.
func (tl *tail) until(timeout time.Duration, done func([]*kgo.Record) bool) bool {
	deadline := time.Now().Add(timeout)
	for !done(tl.recs) {
		if time.Now().After(deadline) {
			return false
		}
		ctx, cancel := ctxFor(min(500*time.Millisecond, time.Until(deadline)+time.Millisecond))
		fs := tl.cl.PollFetches(ctx)
		cancel()
		fs.EachError(func(t string, p int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) && !errors.Is(err, context.Canceled) {
				tl.k.t.Logf("consume %s[%d]: %v", t, p, err)
			}
		})
		fs.EachRecord(func(r *kgo.Record) { tl.recs = append(tl.recs, r) })
	}
	return true
}

// readAll reads a topic read_committed from the start to its end offsets as
// of the call: the whole committed output of applications that have stopped.
// A transaction left open blocks the read; it fails after the timeout.
func (k *kafka) readAll(topic string, timeout time.Duration) []*kgo.Record {
	k.t.Helper()
	ctx, cancel := ctxFor(timeout)
	defer cancel()
	ends, err := k.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		k.t.Fatalf("end offsets of %s: %v", topic, err)
	}
	starts, err := k.adm.ListStartOffsets(ctx, topic)
	if err != nil {
		k.t.Fatalf("start offsets of %s: %v", topic, err)
	}
	from := map[int32]kgo.Offset{}
	next := map[int32]int64{}
	end := map[int32]int64{}
	ends.Each(func(o kadm.ListedOffset) {
		st, _ := starts.Lookup(topic, o.Partition)
		if o.Offset > st.Offset {
			from[o.Partition] = kgo.NewOffset().At(st.Offset)
			next[o.Partition], end[o.Partition] = st.Offset, o.Offset
		}
	})
	if len(from) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...),
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{topic: from}),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()), kgo.KeepControlRecords(), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		k.t.Fatal(err)
	}
	defer cl.Close()
	var out []*kgo.Record
	remaining := len(from)
	for remaining > 0 {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			k.t.Fatalf("read %s to its end: stuck at %v of end offsets %v (an open transaction?)", topic, next, end)
		}
		fs.EachError(func(t string, p int32, err error) { k.t.Logf("consume %s[%d]: %v", t, p, err) })
		fs.EachRecord(func(r *kgo.Record) {
			if !r.Attrs.IsControl() {
				out = append(out, r)
			}
			if next[r.Partition] < end[r.Partition] && r.Offset+1 >= end[r.Partition] {
				remaining--
			}
			next[r.Partition] = r.Offset + 1
		})
	}
	return out
}

// waitConsumed waits until the consumer group has committed every
// partition of topic up to its end offset.
func (k *kafka) waitConsumed(group, topic string, timeout time.Duration) {
	k.t.Helper()
	ctx, cancel := ctxFor(timeout)
	defer cancel()
	var last string
	for {
		ends, err := k.adm.ListEndOffsets(ctx, topic)
		if err == nil {
			var offs kadm.OffsetResponses
			if offs, err = k.adm.FetchOffsets(ctx, group); err == nil {
				behind := 0
				ends.Each(func(e kadm.ListedOffset) {
					if o, ok := offs.Lookup(topic, e.Partition); e.Offset > 0 && (!ok || o.Err != nil || o.At < e.Offset) {
						behind++
					}
				})
				if behind == 0 {
					return
				}
				last = fmt.Sprintf("%d partitions not committed to their end", behind)
			}
		}
		if err != nil {
			last = err.Error()
		}
		select {
		case <-ctx.Done():
			k.t.Fatalf("group %s did not consume %s within %v: %s", group, topic, timeout, last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}
