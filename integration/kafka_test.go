// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
)

// Bounds on waiting for output; generous for a loaded 2-core CI machine.
const (
	outputTimeout = 90 * time.Second
	readTimeout   = 60 * time.Second
)

// corpus generates text lines and keeps the word counts they add up to.
type corpus struct {
	mu   sync.Mutex
	rng  *rand.Rand
	want map[string]int64
}

func newCorpus(seed uint64) *corpus {
	return &corpus{rng: rand.New(rand.NewPCG(seed, 7)), want: map[string]int64{}}
}

var separators = []string{" ", "  ", "\t", " \n ", "\r\n", "\f", "\v"}

// lines returns n lines of 1–6 words from a vocabulary of vocab words, in
// mixed case and separated by assorted ASCII whitespace.
func (c *corpus) lines(n, vocab int) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make([]string, n)
	for i := range out {
		var b strings.Builder
		for j := range 1 + c.rng.IntN(6) {
			if j > 0 || c.rng.IntN(5) == 0 {
				b.WriteString(separators[c.rng.IntN(len(separators))])
			}
			w := fmt.Sprintf("w%d", c.rng.IntN(vocab))
			if c.rng.IntN(3) == 0 {
				w = strings.ToUpper(w)
			}
			b.WriteString(w)
		}
		out[i] = b.String()
		for _, w := range words(out[i]) {
			c.want[w]++
		}
	}
	return out
}

func (c *corpus) counts() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int64, len(c.want))
	for k, v := range c.want {
		out[k] = v
	}
	return out
}

// wordCountSetup creates the word count topics; topo builds the topology
// (one per instance).
func wordCountSetup(k *kafka, partitions int32) (topo func() *stream.Topology, in, out string) {
	in, out = k.name(textLines), k.name(wordCountsOutput)
	k.createTopic(in, partitions)
	k.createTopic(out, partitions)
	return func() *stream.Topology { return wordCountTopology(k.t, k.prefix) }, in, out
}

// Word count under both guarantees: exact counts, read read_committed, and
// every update exactly once.
func TestWordCount(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			k := needKafka(t)
			topo, in, out := wordCountSetup(k, 4)
			c := newCorpus(1)
			k.produceLines(in, c.lines(500, 80)...)
			app := k.start("i1", topo(), runtime.Config{AppID: k.name("app"), Guarantee: g,
				CommitInterval: 100 * time.Millisecond, Workers: 2, RepartitionPurgeInterval: 200 * time.Millisecond})
			app.waitRunning(outputTimeout)
			tl := k.tail(out)
			k.waitCounts(tl, c.counts(), outputTimeout)

			// More input while it runs.
			k.produceLines(in, c.lines(500, 80)...)
			k.waitCounts(tl, c.counts(), outputTimeout)
			if m := app.app.Metrics(); m.Commits == 0 {
				t.Errorf("no commits: %+v", m)
			}
			// The repartition topic keeps records until purged, and the
			// worker purges what it committed.
			repart := k.name("app") + "-" + wordCountsStore + "-repartition"
			if _, cfg := k.topicInfo(repart, "retention.ms", "segment.bytes"); cfg["retention.ms"] != "-1" || cfg["segment.bytes"] != "52428800" {
				t.Errorf("repartition topic %s configs %v, want retention.ms=-1, segment.bytes=52428800", repart, cfg)
			}
			k.waitPurged(repart, outputTimeout)
			app.mustStop()

			rs := k.readAll(out, readTimeout)
			checkCounts(t, "final read_committed counts", c.counts(), latest(t, rs))
			checkEveryUpdateOnce(t, rs, c.counts())
			checkPlacement(t, rs, k.partitions(out))
		})
	}
}

// A restarted instance continues from its local state: nothing restored,
// nothing counted twice. A fresh state directory restores from the changelog.
func TestRestartWithLocalState(t *testing.T) {
	for _, g := range []runtime.Guarantee{runtime.AtLeastOnce, runtime.ExactlyOnce} {
		t.Run(g.String(), func(t *testing.T) {
			k := needKafka(t)
			topo, in, out := wordCountSetup(k, 3)
			c := newCorpus(2)
			cfg := runtime.Config{AppID: k.name("app"), Guarantee: g, CommitInterval: 100 * time.Millisecond,
				StateDir: t.TempDir(), InstanceID: "i1"}
			tl := k.tail(out)

			k.produceLines(in, c.lines(300, 50)...)
			app := k.start("first", topo(), cfg)
			k.waitCounts(tl, c.counts(), outputTimeout)
			if r := app.app.Metrics().Restored; r != 0 {
				t.Errorf("first run on an empty changelog restored %d records", r)
			}
			app.mustStop()

			k.produceLines(in, c.lines(300, 50)...) // while it is down
			app = k.start("restarted", topo(), cfg)
			app.waitRunning(outputTimeout)
			k.waitCounts(tl, c.counts(), outputTimeout)
			if r := app.app.Metrics().Restored; r != 0 {
				t.Errorf("restart on current local state restored %d changelog records, want 0", r)
			}
			app.mustStop()

			// Control: an empty state directory has to restore.
			cfg.StateDir = t.TempDir()
			k.produceLines(in, c.lines(100, 50)...)
			app = k.start("fresh-dir", topo(), cfg)
			k.waitCounts(tl, c.counts(), outputTimeout)
			if r := app.app.Metrics().Restored; r == 0 {
				t.Errorf("empty state directory: nothing restored from the changelog")
			}
			app.mustStop()

			rs := k.readAll(out, readTimeout)
			checkCounts(t, "final read_committed counts", c.counts(), latest(t, rs))
			if g == runtime.ExactlyOnce {
				checkEveryUpdateOnce(t, rs, c.counts())
			}
		})
	}
}

// One instance, then three, then one again while input keeps arriving,
// exactly-once: the read_committed output counts every word exactly once.
func TestScaleOutAndInExactlyOnce(t *testing.T) {
	k := needKafka(t)
	topo, in, out := wordCountSetup(k, 6)
	c := newCorpus(3)
	cfg := runtime.Config{AppID: k.name("app"), Guarantee: runtime.ExactlyOnce, CommitInterval: 100 * time.Millisecond}

	// Input arrives throughout: 40 lines every 50 ms until stopped.
	stopInput := make(chan struct{})
	inputDone := make(chan struct{})
	go func() {
		defer close(inputDone)
		for {
			select {
			case <-stopInput:
				return
			case <-time.After(50 * time.Millisecond):
			}
			if err := k.tryProduce(in, lineRecs(c.lines(40, 100))...); err != nil {
				t.Errorf("input producer: %v", err)
				return
			}
		}
	}()
	defer func() {
		select {
		case <-stopInput:
		default:
			close(stopInput)
		}
		<-inputDone
	}()

	tl := k.tail(out)
	i1 := k.start("i1", topo(), cfg)
	i1.waitRunning(outputTimeout)
	tl.until(outputTimeout, func(rs []*kgo.Record) bool { return len(rs) > 0 })
	i2 := k.start("i2", topo(), cfg)
	i3 := k.start("i3", topo(), cfg)
	for _, in := range []*instance{i1, i2, i3} {
		in.waitFor(outputTimeout, "tasks of its own", func() bool { return in.tasks() > 0 && in.app.State() == runtime.Running })
	}
	t.Logf("scaled out: tasks per instance %d/%d/%d", i1.tasks(), i2.tasks(), i3.tasks())
	time.Sleep(time.Second) // process some input spread over three
	i2.mustStop()
	i3.waitFor(outputTimeout, "RUNNING after i2 left", func() bool { return i3.app.State() == runtime.Running })
	time.Sleep(500 * time.Millisecond)
	i1.mustStop()
	i3.waitFor(outputTimeout, "every task", func() bool { return i3.tasks() == 12 && i3.app.State() == runtime.Running })
	time.Sleep(500 * time.Millisecond)
	close(stopInput)
	<-inputDone

	want := c.counts()
	k.waitCounts(tl, want, outputTimeout)
	i3.mustStop()
	rs := k.readAll(out, readTimeout)
	checkCounts(t, "final read_committed counts", want, latest(t, rs))
	checkEveryUpdateOnce(t, rs, want)
	var total int64
	for _, n := range want {
		total += n
	}
	t.Logf("%d words counted in %d committed updates", total, len(rs))
}

// A second instance with the same InstanceID (so the same transactional
// ids) fences the first: the zombie stops with an error and the committed
// output stays exact.
func TestZombieFencing(t *testing.T) {
	k := needKafka(t)
	topo, in, out := wordCountSetup(k, 2)
	c := newCorpus(4)
	cfg := runtime.Config{AppID: k.name("app"), Guarantee: runtime.ExactlyOnce, CommitInterval: 100 * time.Millisecond,
		InstanceID: "same"}
	tl := k.tail(out)

	k.produceLines(in, c.lines(200, 30)...)
	zombie := k.start("zombie", topo(), cfg)
	k.waitCounts(tl, c.counts(), outputTimeout)

	successor := k.start("successor", topo(), cfg)
	successor.waitRunning(outputTimeout)
	// Input on every partition until the zombie has tried to write and
	// been fenced.
	deadline := time.Now().Add(outputTimeout)
	for stopped := false; !stopped; {
		k.produceLines(in, c.lines(50, 30)...)
		select {
		case <-zombie.done:
			stopped = true
		case <-time.After(500 * time.Millisecond):
			if time.Now().After(deadline) {
				t.Fatalf("the zombie did not stop within %v of its successor's start (state %v)", outputTimeout, zombie.app.State())
			}
		}
	}
	zerr := zombie.stop()
	t.Logf("zombie stopped with: %v", zerr)
	if zerr == nil {
		t.Errorf("the zombie stopped without an error")
	} else if !errors.Is(zerr, kerr.ProducerFenced) && !errors.Is(zerr, kerr.InvalidProducerEpoch) &&
		!errors.Is(zerr, kerr.InvalidTxnState) && !errors.Is(zerr, kerr.TransactionalIDAuthorizationFailed) {
		t.Logf("note: the zombie's error is not one of Kafka's fencing errors: %v", zerr)
	}
	if s := zombie.app.State(); s != runtime.Error {
		t.Errorf("zombie state %v, want ERROR", s)
	}

	k.produceLines(in, c.lines(100, 30)...)
	k.waitCounts(tl, c.counts(), outputTimeout)
	successor.mustStop()
	rs := k.readAll(out, readTimeout)
	checkCounts(t, "final read_committed counts", c.counts(), latest(t, rs))
	checkEveryUpdateOnce(t, rs, c.counts())
}

// Re-keying, an explicit repartition topic with its own partition count, an
// aggregate with a changelog, and Java-compatible placement of the output.
func TestRepartitionedAggregation(t *testing.T) {
	k := needKafka(t)
	in, out := k.name("purchases"), k.name("spend-per-customer")
	k.createTopic(in, 4)
	k.createTopic(out, 3)
	app := k.start("i1", spendTopology(t, in, out, 2), runtime.Config{AppID: k.name("app"),
		Guarantee: runtime.ExactlyOnce, Workers: 2})

	rng := rand.New(rand.NewPCG(5, 5))
	want := map[string]int64{}
	updates := 0
	var rs []rec
	for i := range 1000 {
		customer := fmt.Sprintf("customer-%d", rng.IntN(37))
		amount := int64(1 + rng.IntN(1000))
		want[customer] += amount
		updates++
		rs = append(rs, rec{Key: fmt.Appendf(nil, "order-%d", i), Value: fmt.Appendf(nil, "%s:%d", customer, amount), Partition: -1})
	}
	k.produce(in, rs[:500]...)
	app.waitRunning(outputTimeout)
	tl := k.tail(out)
	k.produce(in, rs[500:]...)
	k.waitCounts(tl, want, outputTimeout)
	app.mustStop()

	got := k.readAll(out, readTimeout)
	checkCounts(t, "final read_committed sums", want, latest(t, got))
	if len(got) != updates {
		t.Errorf("%d committed updates, want exactly %d (one per purchase)", len(got), updates)
	}
	checkPlacement(t, got, 3)

	appID := k.name("app")
	if n, cfg := k.topicInfo(appID+"-by-customer-repartition", "cleanup.policy"); n != 2 || cfg["cleanup.policy"] != "delete" {
		t.Errorf("repartition topic: %d partitions, %v; want 2, cleanup.policy=delete", n, cfg)
	}
	if n, cfg := k.topicInfo(appID+"-spend-changelog", "cleanup.policy"); n != 2 || cfg["cleanup.policy"] != "compact" {
		t.Errorf("changelog topic: %d partitions, %v; want 2, cleanup.policy=compact", n, cfg)
	}
}

// checkPlacement checks that every record sits on the partition Java's
// producer picks for its key: murmur2(key) mod partitions.
func checkPlacement(t *testing.T, rs []*kgo.Record, partitions int32) {
	t.Helper()
	bad := 0
	for _, r := range rs {
		if want := partition.ForKey(r.Key, partitions); r.Partition != want {
			if bad++; bad <= 10 {
				t.Errorf("key %q on partition %d, murmur2 places it on %d", r.Key, r.Partition, want)
			}
		}
	}
}

// Tumbling windows with grace on event time from the payload: the pageviews
// example on real Kafka, with out-of-order, late and invalid input.
func TestWindowedAggregation(t *testing.T) {
	k := needKafka(t)
	in, out := k.name(pageViews), k.name(pageViewCounts)
	k.createTopic(in, 3)
	k.createTopic(out, 3)
	pv := newPageViewInput(6, 3)
	app := k.start("i1", pageViewsTopology(t, k.prefix), runtime.Config{AppID: k.name("app"),
		Guarantee: runtime.ExactlyOnce, OnError: runtime.Skip})
	app.waitRunning(outputTimeout)
	tl := k.tail(out)
	for i, phase := range pv.phases {
		k.produce(in, phase...)
		if !tl.until(outputTimeout, func(rs []*kgo.Record) bool { return equalCounts(windowedLatest(t, rs), pv.want[i]) }) {
			t.Fatalf("phase %d: windowed counts not reached within %v:\n%s", i+1, outputTimeout,
				diffCounts(pv.want[i], windowedLatest(t, tl.recs)))
		}
	}
	m := app.app.Metrics()
	late := m.Dropped[record.DropLate] + m.Dropped[record.DropExpired]
	if late != int64(pv.late) || m.Dropped[record.DropDeserialization] != 2 || m.Dropped[record.DropTimestamp] != 2 {
		t.Errorf("dropped %v; want %d late or expired, 2 %s, 2 %s", m.Dropped, pv.late, record.DropDeserialization, record.DropTimestamp)
	}
	app.mustStop()
	rs := k.readAll(out, readTimeout)
	final := pv.want[len(pv.want)-1]
	checkCounts(t, "final windowed counts", final, windowedLatest(t, rs))
	checkEveryUpdateOnce(t, rs, final)
	// Windowed keys are placed by their base key, as Kafka Streams does.
	for _, r := range rs {
		key, _, err := serde.SplitTimeWindowedKey(r.Key)
		if err != nil {
			t.Fatal(err)
		}
		if want := partition.ForKey(key, 3); r.Partition != want {
			t.Errorf("windowed key %q on partition %d, murmur2 of the page places it on %d", r.Key, r.Partition, want)
		}
	}
}

func equalCounts(a, b map[string]int64) bool { return diffCounts(a, b) == "" }

// windowedLatest maps "page@start" to the latest count.
func windowedLatest(t *testing.T, rs []*kgo.Record) map[string]int64 {
	out := map[string]int64{}
	for _, r := range rs {
		key, start, err := serde.SplitTimeWindowedKey(r.Key)
		if err != nil {
			t.Fatalf("windowed key %x: %v", r.Key, err)
		}
		out[fmt.Sprintf("%s@%d", key, start)] = int64Of(t, r)
	}
	return out
}

// pageViewInput is input for the pageviews topology in phases whose
// results do not depend on how the input partitions interleave: within a
// phase no record can be late, and the late records of the last phase are
// late whatever the order.
type pageViewInput struct {
	base   int64              // window-aligned event time origin
	phases [][]rec            // produced one after the other
	want   []map[string]int64 // "page@windowStart" → count after each phase
	late   int                // records dropped as late
}

func newPageViewInput(seed uint64, partitions int32) *pageViewInput {
	rng := rand.New(rand.NewPCG(seed, 11))
	now := time.Now().UnixMilli()
	pv := &pageViewInput{base: (now - time.Hour.Milliseconds()) / pageViewWindowMs * pageViewWindowMs}
	counts := map[string]int64{}
	const pages = 8
	view := func(page int, offset int64, counted bool) rec {
		ts := pv.base + offset
		user := fmt.Sprintf("user-%d", rng.IntN(50))
		if counted {
			start := ts / pageViewWindowMs * pageViewWindowMs
			counts[fmt.Sprintf("/p%d@%d", page, start)]++
		}
		return rec{Key: []byte(user), Value: fmt.Appendf(nil, `{"page":"/p%d","user":%q,"ts":%d}`, page, user, ts),
			Time: ts, Partition: rng.Int32N(partitions)}
	}
	snapshot := func() {
		m := make(map[string]int64, len(counts))
		for k, v := range counts {
			m[k] = v
		}
		pv.want = append(pv.want, m)
	}
	// Phase 1: event times in [0, 70 s): the first window closes at
	// 60 s + 10 s grace, so nothing is late in any order.
	var p1 []rec
	for range 200 {
		p1 = append(p1, view(rng.IntN(pages), rng.Int64N(70_000), true))
	}
	pv.phases = append(pv.phases, p1)
	snapshot()
	// Phase 2: [130 s, 190 s), every page at least once, so each task's
	// stream time passes 130 s; nothing closes before 190 s.
	var p2 []rec
	for p := range pages {
		p2 = append(p2, view(p, 130_000+rng.Int64N(60_000), true))
	}
	for range 200 {
		p2 = append(p2, view(rng.IntN(pages), 130_000+rng.Int64N(60_000), true))
	}
	rng.Shuffle(len(p2), func(i, j int) { p2[i], p2[j] = p2[j], p2[i] })
	pv.phases = append(pv.phases, p2)
	snapshot()
	// Phase 3: late views (windows ending by 120 s, closed at 130 s),
	// on-time ones including some past their window's end but within grace,
	// and invalid ones (2 undecodable, 2 without a timestamp).
	var p3 []rec
	for range 40 {
		p3 = append(p3, view(rng.IntN(pages), rng.Int64N(120_000), false))
		pv.late++
	}
	for range 40 {
		p3 = append(p3, view(rng.IntN(pages), 170_000+rng.Int64N(19_000), true))
	}
	for _, v := range []string{`not json`, `{"page":"/p1","user":"x","ts":1.5}`, `{"page":"/p1","user":"x"}`, `{"user":"x","ts":5}`} {
		p3 = append(p3, rec{Key: []byte("bad"), Value: []byte(v), Partition: rng.Int32N(partitions)})
	}
	rng.Shuffle(len(p3), func(i, j int) { p3[i], p3[j] = p3[j], p3[i] })
	pv.phases = append(pv.phases, p3)
	snapshot()
	return pv
}

// waitPurged waits until every partition of topic with records starts past
// its first record (the application purged what it committed), failing the
// test at timeout.
func (k *kafka) waitPurged(topic string, timeout time.Duration) {
	k.t.Helper()
	deadline := time.Now().Add(timeout)
	last := ""
	for time.Now().Before(deadline) {
		ctx, cancel := ctxFor(10 * time.Second)
		starts, err1 := k.adm.ListStartOffsets(ctx, topic)
		ends, err2 := k.adm.ListEndOffsets(ctx, topic)
		cancel()
		if err := errors.Join(err1, err2); err != nil {
			last = err.Error()
		} else {
			last = ""
			for p, e := range ends[topic] {
				if s := starts[topic][p].Offset; e.Offset > 0 && s == 0 {
					last += fmt.Sprintf(" partition %d: start 0, end %d;", p, e.Offset)
				}
			}
			if last == "" && len(ends[topic]) > 0 {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	k.t.Fatalf("repartition topic %s not purged in %v:%s", topic, timeout, last)
}
