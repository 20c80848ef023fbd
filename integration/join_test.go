// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/runtime"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// The Java reference's enrichment topology (java/README.md, "Input
// policies"): orders keyed by customer id, joined with the customers table;
// the result is Go encoding/json bytes of the fields in order.
const (
	orders         = "orders"
	customers      = "customers"
	enrichedOrders = "enriched-orders"
)

type order struct {
	OrderID    *string `json:"orderId"`
	CustomerID *string `json:"customerId"`
	Amount     *int64  `json:"amount"`
}

type customer struct {
	Name   *string `json:"name"`
	Region *string `json:"region"`
}

type enrichedOrder struct {
	OrderID      string `json:"orderId"`
	CustomerID   string `json:"customerId"`
	Amount       int64  `json:"amount"`
	CustomerName string `json:"customerName"`
	Region       string `json:"region"`
}

// parseOrder keeps orders with a string orderId and customerId and an
// integer amount (json rejects 1.5, 1e3 and "5" for an int64, as the Java
// reference does).
func parseOrder(v string) []order {
	var o order
	if json.Unmarshal([]byte(v), &o) != nil || o.OrderID == nil || o.CustomerID == nil || o.Amount == nil {
		return nil
	}
	return []order{o}
}

// enrich is the joiner; "" (filtered out) when the customer row is invalid.
func enrich(o order, row string) string {
	var c customer
	if json.Unmarshal([]byte(row), &c) != nil || c.Name == nil || c.Region == nil {
		return ""
	}
	b, err := json.Marshal(enrichedOrder{*o.OrderID, *o.CustomerID, *o.Amount, *c.Name, *c.Region})
	if err != nil {
		return ""
	}
	return string(b)
}

func enrichmentTopology(t testing.TB, prefix string) *stream.Topology {
	t.Helper()
	b := stream.NewBuilder()
	rows := b.Table(prefix+customers, serde.String(), serde.String(), table.As(customers))
	b.Stream(prefix+orders, serde.String(), serde.String()).
		FlatMapValues(parseOrder).
		JoinTable(rows, enrich).
		Filter(func(_, v string) bool { return v != "" }).
		To(prefix+enrichedOrders, serde.String(), serde.String())
	topo, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return topo
}

// countPerKey maps each key to its number of records.
func countPerKey(_ *testing.T, rs []*kgo.Record) map[string]int64 {
	out := map[string]int64{}
	for _, r := range rs {
		out[string(r.Key)]++
	}
	return out
}

// enrichmentInput alternates table rows (each phase consumed before the
// next) and orders, so every join result is determined by the input alone.
type enrichmentInput struct {
	phases  []enrichmentPhase
	results map[string][]string // key → the enriched orders, in order
}

type enrichmentPhase struct {
	topic string
	recs  []rec
	table bool             // table rows (a global table is waited for until applied)
	want  map[string]int64 // records per key, after an orders phase
}

func newEnrichmentInput(seed uint64) *enrichmentInput {
	rng := rand.New(rand.NewPCG(seed, 13))
	e := &enrichmentInput{results: map[string][]string{}}
	rows := map[string]string{} // the table as of now
	base := time.Now().Add(-time.Hour).UnixMilli()
	ts := base
	keyed := func(key string, value []byte) rec {
		ts += 10
		return rec{Key: []byte(key), Value: value, Time: ts, Partition: -1}
	}
	addRows := func(kv map[string]*string) {
		var rs []rec
		for _, id := range slices.Sorted(maps.Keys(kv)) {
			if v := kv[id]; v == nil {
				delete(rows, id)
				rs = append(rs, keyed(id, nil)) // tombstone
			} else {
				rows[id] = *v
				rs = append(rs, keyed(id, []byte(*v)))
			}
		}
		e.phases = append(e.phases, enrichmentPhase{topic: customers, recs: rs, table: true})
	}
	addOrders := func(n int, start int) {
		var rs []rec
		for i := range n {
			id := fmt.Sprintf("c%d", rng.IntN(32))
			v := fmt.Sprintf(`{"orderId":"o-%d","customerId":%q,"amount":%d}`, start+i, id, rng.Int64N(100_000))
			switch i % 41 { // invalid orders: skipped by both
			case 5:
				v = fmt.Sprintf(`{"orderId":"o-%d","customerId":%q,"amount":12.5}`, start+i, id)
			case 11:
				v = fmt.Sprintf(`{"orderId":"o-%d","customerId":%q,"amount":"7"}`, start+i, id)
			case 17:
				v = fmt.Sprintf(`{"customerId":%q,"amount":1}`, id)
			case 23:
				v = `not json`
			case 29:
				v = fmt.Sprintf(`{"orderId":"o-%d","customerId":%q,"amount":1e3}`, start+i, id)
			case 31:
				v = fmt.Sprintf(`{"orderId":"o-%d","customerId":%q,"amount":99999999999999999999}`, start+i, id)
			}
			rs = append(rs, keyed(id, []byte(v)))
			if parsed := parseOrder(v); len(parsed) == 1 {
				if row, ok := rows[id]; ok {
					if out := enrich(parsed[0], row); out != "" {
						e.results[id] = append(e.results[id], out)
					}
				}
			}
		}
		want := map[string]int64{}
		for k, v := range e.results {
			want[k] = int64(len(v))
		}
		e.phases = append(e.phases, enrichmentPhase{topic: orders, recs: rs, want: want})
	}
	str := func(s string) *string { return &s }
	// c0–c23 valid (names that need escaping, non-ASCII, U+2028), c24–c27
	// invalid rows, c28–c31 no row.
	names := []string{`Ann <ann@example.com>`, `Bob & "Bobby"`, "Zoë Ørsted", "日本 太郎", "line\u2028sep", `back\slash`}
	p1 := map[string]*string{}
	for i := range 24 {
		p1[fmt.Sprintf("c%d", i)] = str(fmt.Sprintf(`{"name":%q,"region":"r%d"}`, names[i%len(names)]+fmt.Sprint(i), i%5))
	}
	p1["c24"] = str(`not json`)
	p1["c25"] = str(`{"name":"no region"}`)
	p1["c26"] = str(`{"name":7,"region":"r1"}`)
	p1["c27"] = str(`{"name":"x","region":"r1"} trailing`)
	addRows(p1)
	addOrders(300, 0)
	// Updates: renames, deletions, an invalid row made valid, a new row.
	addRows(map[string]*string{
		"c0": str(`{"name":"Ann Renamed","region":"r9"}`), "c1": str(`{"region":"r1","name":"Bob Reordered"}`),
		"c5": nil, "c6": nil, "c25": str(`{"name":"now valid","region":"r2"}`), "c28": str(`{"name":"new","region":"r3"}`),
	})
	addOrders(200, 300)
	return e
}

// Stream–table join on real Kafka: rows, then orders, then row updates and
// deletions, then more orders, all written before the application starts
// (the timestamps increase phase by phase, so each task's timestamp order
// puts every row before the orders that follow it); exact results in order
// per key.
func TestStreamTableJoin(t *testing.T) {
	k := needKafka(t)
	for _, topic := range []string{orders, customers} {
		k.createTopic(k.name(topic), 3)
	}
	out := k.name(enrichedOrders)
	k.createTopic(out, 4)
	appID := k.name("app")
	e := newEnrichmentInput(9)
	var want map[string]int64
	for _, p := range e.phases {
		k.produce(k.name(p.topic), p.recs...)
		if p.want != nil {
			want = p.want
		}
	}
	tl := k.tail(out)
	app := k.start("i1", enrichmentTopology(t, k.prefix), runtime.Config{AppID: appID,
		Guarantee: runtime.AtLeastOnce, CommitInterval: 100 * time.Millisecond, Workers: 2})
	app.waitRunning(outputTimeout)
	if !tl.until(outputTimeout, func(rs []*kgo.Record) bool { return equalCounts(want, countPerKey(t, rs)) }) {
		t.Fatalf("join results per key not reached within %v:\n%s", outputTimeout, diffCounts(want, countPerKey(t, tl.recs)))
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

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}
