// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// globalEnrichmentTopology is enrichmentTopology with the customers as a
// global table, looked up by the order's customerId field.
func globalEnrichmentTopology(t testing.TB, prefix string) *stream.Topology {
	t.Helper()
	b := stream.NewBuilder()
	rows := b.GlobalTable(prefix+customers, serde.String(), serde.String(), table.As(customers))
	b.Stream(prefix+orders, serde.String(), serde.String()).
		FlatMapValues(parseOrder).
		JoinGlobalTable(rows, func(_ string, o order) string { return *o.CustomerID }, enrich).
		Filter(func(_, v string) bool { return v != "" }).
		To(prefix+enrichedOrders, serde.String(), serde.String())
	topo, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// Stream–global table join on real Kafka, with a customers topic that is
// not co-partitioned with the orders: the first rows are produced before
// the start (bootstrap before processing), the updates and deletions while
// running (the global consumer); then a restart on the same state
// directory reads nothing again. Exact results in order per key.
func TestStreamGlobalTableJoin(t *testing.T) {
	k := needKafka(t)
	k.createTopic(k.name(orders), 3)
	k.createTopic(k.name(customers), 2)
	out := k.name(enrichedOrders)
	k.createTopic(out, 4)
	e := newEnrichmentInput(11)
	rowsSoFar := int64(0)
	initial := e.phases[0]
	if !initial.table {
		t.Fatal("the enrichment input starts with table rows")
	}
	k.produce(k.name(initial.topic), initial.recs...)
	rowsSoFar += int64(len(initial.recs))

	cfg := runtime.Config{AppID: k.name("app"), Guarantee: runtime.ExactlyOnce, CommitInterval: 100 * time.Millisecond,
		Workers: 2, StateDir: t.TempDir(), InstanceID: "i1"}
	app := k.start("i1", globalEnrichmentTopology(t, k.prefix), cfg)
	app.waitRunning(outputTimeout)
	if got := app.app.Metrics().GlobalRestored; got != rowsSoFar {
		t.Errorf("bootstrap read %d records of the global table's topic, want %d", got, rowsSoFar)
	}
	tl := k.tail(out)
	for i, p := range e.phases[1:] {
		k.produce(k.name(p.topic), p.recs...)
		if p.table {
			rowsSoFar += int64(len(p.recs))
			app.waitFor(outputTimeout, "global table updates applied", func() bool {
				return app.app.Metrics().GlobalApplied[customers] >= rowsSoFar
			})
		}
		if p.want != nil && !tl.until(outputTimeout, func(rs []*kgo.Record) bool { return equalCounts(p.want, countPerKey(t, rs)) }) {
			t.Fatalf("phase %d: join results per key not reached within %v:\n%s", i+2, outputTimeout,
				diffCounts(p.want, countPerKey(t, tl.recs)))
		}
	}
	app.mustStop()

	// Restart on the same state directory: the global store is current.
	app = k.start("i1-restarted", globalEnrichmentTopology(t, k.prefix), cfg)
	app.waitRunning(outputTimeout)
	if got := app.app.Metrics().GlobalRestored; got != 0 {
		t.Errorf("restart with a current global store read %d records again, want 0", got)
	}
	app.mustStop()

	rs := k.readAll(out, readTimeout)
	got := map[string][]string{}
	for _, r := range rs {
		got[string(r.Key)] = append(got[string(r.Key)], string(r.Value))
	}
	for id, want := range e.results {
		if !slices.Equal(got[id], want) {
			t.Errorf("customer %s: got %d results %q…, want %d %q…", id, len(got[id]), first(got[id]), len(want), first(want))
		}
	}
	for id := range got {
		if _, ok := e.results[id]; !ok {
			t.Errorf("customer %s: %d unexpected results, e.g. %q", id, len(got[id]), got[id][0])
		}
	}
	checkPlacement(t, rs, 4)
}
