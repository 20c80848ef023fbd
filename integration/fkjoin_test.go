// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
)

// Conformance of the foreign-key table–table joins (KIP-213) with Java
// Kafka Streams (java/…/FkJoinTopologies.java): orders (3 partitions) refer
// to products (2 partitions) by foreign key; every input is written before
// either application starts, with interleaved, distinct timestamps, order
// changes of foreign key, orders without one, orders referring to products
// that never exist, and deletions on both sides.
//
// A foreign-key join sends subscriptions and responses through internal
// topics, so the interleaving of these with the input, and with it the
// intermediate results, depends on timing in Kafka Streams as in Eddy.
// What does not is the final table: per key, the last record written must
// be the same bytes on the same partition (a key whose last record is a
// tombstone counts as absent), with the same timestamp except where the
// final result is a left-join row alone after its product was deleted
// (whether the deletion or the subscription reaches the product's task
// first decides between their timestamps).
func TestConformanceForeignKeyJoin(t *testing.T) {
	needJavaReference(t)
	runFKConformance(t, fkConformance{java: "fk-join", add: addFKJoins, in: randomFKJoinInput(41), orderParts: 3, productParts: 2,
		model: fkFinalModel})
}

// fkConformance is one run of a foreign-key join topology in Java Kafka
// Streams and Eddy on the same prewritten input: java names the Java
// topology, add builds Eddy's; model is the final table of each output.
type fkConformance struct {
	java                     string
	add                      func(b *stream.Builder, in, out string)
	in                       []crec
	orderParts, productParts int32
	model                    func(in []crec, parts map[string]int32, outParts int32) map[string]map[string]orec
	// racyTimes, if set, accepts final rows whose timestamps differ where
	// it returns true (see racyFKTimes).
	racyTimes func(a, b orec) bool
}

func runFKConformance(t *testing.T, c fkConformance) {
	k := needKafka(t)
	const (
		outParts = 4
		eddyRuns = 2
	)
	orderParts, productParts := c.orderParts, c.productParts
	prefix := k.name("fk.")
	in := c.in
	k.createTopicsForever(orderParts, prefix+fkOrders)
	k.createTopicsForever(productParts, prefix+fkProducts)
	outputs := make([][]string, eddyRuns+1) // [run] → output topics; run 0 is Java
	for run := range outputs {
		for _, o := range []string{fkJoin, fkLeftJoin} {
			outputs[run] = append(outputs[run], orderOutPrefix(prefix, run)+o)
		}
		k.createTopicsForever(outParts, outputs[run]...)
	}
	k.produceFKInput(prefix, map[string]int32{fkOrders: orderParts, fkProducts: productParts}, in)
	inputs := []string{prefix + fkOrders, prefix + fkProducts}

	javaApp := k.name("fk-java")
	java := startJava(t, c.java, javaApp, []string{prefix}, "max.task.idle.ms=0")

	got := make([]map[string][]orec, eddyRuns+1)
	for run := 1; run <= eddyRuns; run++ {
		b := stream.NewBuilder()
		c.add(b, prefix, orderOutPrefix(prefix, run))
		topo, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		appID := k.name(fmt.Sprintf("fk-eddy%d", run))
		inst := k.start(fmt.Sprintf("fk-eddy%d", run), topo, runtime.Config{AppID: appID, Guarantee: runtime.ExactlyOnce,
			CommitInterval: 100 * time.Millisecond})
		inst.waitRunning(outputTimeout)
		alive := func() error {
			select {
			case <-inst.done:
				return fmt.Errorf("Eddy stopped (state %v): %v", inst.app.State(), inst.err)
			default:
				return nil
			}
		}
		if err := k.waitFKFinished(appID, inputs, outputs[run], orderFinishTimeout, alive); err != nil {
			t.Errorf("Eddy run %d did not finish the prewritten input: %v", run, err)
		}
		if err := inst.stop(); err != nil {
			t.Errorf("Eddy run %d stopped with an error: %v", run, err)
		}
		got[run] = k.readFKOutputs(prefix, run)
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
	if err := k.waitFKFinished(javaApp, inputs, outputs[0], orderFinishTimeout, javaAlive); err != nil {
		t.Errorf("Java Kafka Streams did not finish the prewritten input: %v", err)
	}
	java.stop(t)
	got[0] = k.readFKOutputs(prefix, 0)

	model := c.model(in, map[string]int32{fkOrders: orderParts, fkProducts: productParts}, outParts)
	for _, o := range []string{fkJoin, fkLeftJoin} {
		javaFinal := finalTable(got[0][o])
		if d := diffFinal("the model of Kafka Streams", model[o], "Java Kafka Streams", javaFinal, false, nil); d != "" {
			t.Errorf("%s: Java Kafka Streams' final table is not the model's — the test's expectations are wrong:\n%s", o, d)
		}
		if len(javaFinal) < 10 {
			t.Errorf("%s: Java Kafka Streams' final table has only %d rows", o, len(javaFinal))
		}
		for run := 1; run <= eddyRuns; run++ {
			eddyFinal := finalTable(got[run][o])
			if d := diffFinal("Java Kafka Streams", javaFinal, fmt.Sprintf("Eddy run %d", run), eddyFinal, true, c.racyTimes); d != "" {
				t.Errorf("%s: Eddy run %d's final table differs from Java Kafka Streams':\n%s", o, run, d)
				continue
			}
			same := 0
			for key, rs := range byKeyRecs(got[0][o]) {
				if slices.EqualFunc(rs, byKeyRecs(got[run][o])[key], orec.equal) {
					same++
				}
			}
			t.Logf("%s: Eddy run %d's final table equals Java Kafka Streams' (%d rows; Java wrote %d records, Eddy %d; "+
				"the whole sequence is the same for %d of %d keys)", o, run, len(javaFinal), len(got[0][o]), len(got[run][o]),
				same, len(byKeyRecs(got[0][o])))
		}
	}
}

// Topic names of java/…/FkJoinTopologies.java.
const (
	fkOrders, fkProducts = "fk-orders", "fk-products"
	fkJoin, fkLeftJoin   = "fk-join", "fk-leftjoin"
)

// fkOf is FkJoinTopologies.foreignKey: the text before the first ':',
// none if there is none or it is empty.
func fkOf(v string) (string, bool) {
	fk, _, ok := strings.Cut(v, ":")
	return fk, ok && fk != ""
}

func addFKJoins(b *stream.Builder, in, out string) {
	ss := serde.String()
	addFKJoinsOf(b.Table(in+fkOrders, ss, ss), b.Table(in+fkProducts, ss, ss), out)
}

// randomFKJoinInput: 700 records, a third of them product updates (10
// products, 12% tombstones), the others order updates (30 orders, 8%
// tombstones, 8% without a foreign key, the others referring to one of 12
// products, two of which never exist); every order value is unique, so
// that no two subscriptions of one order carry the same hash. 5% of the
// records are 15–55 ms out of order.
func randomFKJoinInput(seed uint64) []crec {
	return fkInput(seed, func(rng *rand.Rand, ts int64) int64 {
		if rng.IntN(100) < 5 {
			ts -= int64(10*(1+rng.IntN(5)) + 5)
		}
		return ts
	})
}

// fkInput generates the foreign-key join input described at
// randomFKJoinInput; skew moves the i-th record's timestamp (base + 10 ms
// per record) out of order.
func fkInput(seed uint64, skew func(rng *rand.Rand, ts int64) int64) []crec {
	tl := newTimeline(seed)
	for i := range 700 {
		ts := skew(tl.rng, orderRandomBase+int64(i)*10)
		if tl.rng.IntN(3) == 0 {
			key := fmt.Sprintf("p%02d", tl.rng.IntN(10))
			var v *string
			if tl.rng.IntN(100) >= 12 {
				v = str(fmt.Sprintf("name%03d", i))
			}
			tl.add(fkProducts, key, v, ts)
			continue
		}
		key := fmt.Sprintf("o%02d", tl.rng.IntN(30))
		var v *string
		switch p := tl.rng.IntN(100); {
		case p < 8:
		case p < 16:
			v = str(fmt.Sprintf("nofk%03d", i))
		default:
			v = str(fmt.Sprintf("p%02d:v%03d", tl.rng.IntN(12), i))
		}
		tl.add(fkOrders, key, v, ts)
	}
	return tl.recs
}

// waitFKFinished is waitFinished that also waits for application app to
// consume its subscription and response topics (Kafka Streams':
// <app>-…-SUBSCRIPTION-REGISTRATION-…-topic, Eddy's:
// <app>-KTABLE-FK-JOIN-SUBSCRIPTION-…-topic): the responses, two internal
// topics away from the input, come last. These topics are written in
// transactions: a partition ending in a commit marker is consumed once the
// committed offset is that of the marker (Eddy commits the offset after
// the last record it processed, Kafka Streams its consumer's position past
// the marker).
func (k *kafka) waitFKFinished(app string, inputs, outputs []string, timeout time.Duration, alive func() error) error {
	k.t.Helper()
	ctx, cancel := ctxFor(30 * time.Second)
	defer cancel()
	all, err := k.adm.ListTopics(ctx)
	if err != nil {
		k.t.Fatalf("list topics: %v", err)
	}
	var internal []string
	for _, topic := range all.Names() {
		if strings.HasPrefix(topic, app+"-") && strings.HasSuffix(topic, "-topic") && strings.Contains(topic, "SUBSCRIPTION") {
			internal = append(internal, topic)
		}
	}
	if len(internal) != 4 {
		k.t.Fatalf("application %s: found %d subscription and response topics, want 4 (two joins): %v", app, len(internal), internal)
	}
	deadline := time.Now().Add(timeout)
	consumed := func() error {
		if err := alive(); err != nil {
			return err
		}
		ends, err := k.adm.ListEndOffsets(ctx, internal...)
		if err != nil {
			return err
		}
		offs, err := k.adm.FetchOffsets(ctx, app)
		if err != nil {
			return err
		}
		var behind []string
		ends.Each(func(e kadm.ListedOffset) {
			if o, ok := offs.Lookup(e.Topic, e.Partition); e.Offset > 0 && (!ok || o.Err != nil || o.At < e.Offset-1) {
				behind = append(behind, fmt.Sprintf("%s[%d] %d of %d", e.Topic, e.Partition, o.At, e.Offset))
			}
		})
		if len(behind) > 0 {
			return fmt.Errorf("internal topics not consumed: %s", strings.Join(behind, ", "))
		}
		return nil
	}
	for {
		if err := k.waitFinished(app, inputs, outputs, time.Until(deadline), alive); err != nil {
			return err
		}
		err := consumed()
		if err == nil {
			// once more: the last responses may have changed the output
			return k.waitFinished(app, inputs, outputs, time.Until(deadline), alive)
		}
		if time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// produceFKInput writes the input, each record on its key's partition of
// its topic (partitions per unprefixed topic), with its exact timestamp.
func (k *kafka) produceFKInput(prefix string, parts map[string]int32, rs []crec) {
	k.t.Helper()
	krs := make([]*kgo.Record, len(rs))
	for i, r := range rs {
		kr := &kgo.Record{Topic: prefix + r.Topic, Key: []byte(r.Key), Timestamp: time.UnixMilli(r.Time),
			Partition: partition.ForKey([]byte(r.Key), parts[r.Topic])}
		if r.Value != nil {
			kr.Value = []byte(*r.Value)
		}
		krs[i] = kr
	}
	ctx, cancel := ctxFor(60 * time.Second)
	defer cancel()
	if err := k.cl.ProduceSync(ctx, krs...).FirstErr(); err != nil {
		k.t.Fatalf("produce the input: %v", err)
	}
}

func (k *kafka) readFKOutputs(prefix string, run int) map[string][]orec {
	k.t.Helper()
	out := map[string][]orec{}
	for _, o := range []string{fkJoin, fkLeftJoin} {
		out[o] = orecs(k.readAll(orderOutPrefix(prefix, run)+o, readTimeout))
	}
	return out
}

func byKeyRecs(rs []orec) map[string][]orec {
	m := map[string][]orec{}
	for _, r := range rs {
		m[r.Key] = append(m[r.Key], r)
	}
	return m
}

// finalTable is the last record of every key whose last record is not a
// tombstone.
func finalTable(rs []orec) map[string]orec {
	m := map[string]orec{}
	for _, r := range rs {
		if r.Value == nil {
			delete(m, r.Key)
			continue
		}
		m[r.Key] = r
	}
	return m
}

// diffFinal compares two final tables: values and partitions, and with
// times also the timestamps of rows that are not a left-join row alone
// (value ending in "+null") and those racy accepts.
func diffFinal(aWho string, a map[string]orec, bWho string, b map[string]orec, times bool, racy func(a, b orec) bool) string {
	keys := slices.Sorted(maps.Keys(a))
	for key := range b {
		if _, ok := a[key]; !ok {
			keys = append(keys, key)
		}
	}
	slices.Sort(keys)
	var sb strings.Builder
	for _, key := range keys {
		ra, okA := a[key]
		rb, okB := b[key]
		switch {
		case !okA:
			fmt.Fprintf(&sb, "  key %q: %s has no row, %s %s\n", key, aWho, bWho, rb)
		case !okB:
			fmt.Fprintf(&sb, "  key %q: %s %s, %s has no row\n", key, aWho, ra, bWho)
		case *ra.Value != *rb.Value || ra.Partition != rb.Partition ||
			times && ra.Time != rb.Time && !strings.HasSuffix(*ra.Value, "+null") && (racy == nil || !racy(ra, rb)):
			fmt.Fprintf(&sb, "  key %q: %s %s, %s %s\n", key, aWho, ra, bWho, rb)
		}
	}
	return sb.String()
}

// fkFinalModel is the final table of each join: each order's last value
// joined with its product's last value (none if the product's last record
// is a tombstone or it never existed); no timestamps.
func fkFinalModel(in []crec, _ map[string]int32, outParts int32) map[string]map[string]orec {
	orders, products := map[string]string{}, map[string]string{}
	for _, r := range in {
		m := orders
		if r.Topic == fkProducts {
			m = products
		}
		if r.Value == nil {
			delete(m, r.Key)
		} else {
			m[r.Key] = *r.Value
		}
	}
	return fkJoinModel(orders, products, outParts)
}

// fkJoinModel is the final table of each join of the final orders and
// products.
func fkJoinModel(orders, products map[string]string, outParts int32) map[string]map[string]orec {
	out := map[string]map[string]orec{fkJoin: {}, fkLeftJoin: {}}
	for key, o := range orders {
		p, found := "", false
		if fk, ok := fkOf(o); ok {
			p, found = products[fk]
		}
		part := partition.ForKey([]byte(key), outParts)
		if found {
			out[fkJoin][key] = orec{Key: key, Value: str(o + "+" + p), Partition: part}
		}
		out[fkLeftJoin][key] = orec{Key: key, Value: str(o + "+" + orNull(p, found)), Partition: part}
	}
	return out
}
