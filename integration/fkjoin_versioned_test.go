// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package integration

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// Conformance of foreign-key joins over versioned tables (KIP-914) with
// Java Kafka Streams (java/…/FkJoinTopologies.java, fk-join-versioned and
// fk-join-versioned-left): the joins of TestConformanceForeignKeyJoin with
// both tables, or only the orders, read into versioned stores with a
// 300 ms history retention, on 1 and 3 partitions. Kafka Streams reads
// them through the stores' value getters (their latest rows), and updates
// older than their key's latest version trigger nothing; Eddy must do the
// same, without a store of its own for either table. The input has
// updates out of order within the history (history only) and beyond it
// (dropped), tombstones on both sides, changes of foreign key and orders
// without one; every record is written before either application starts.
// As in TestConformanceForeignKeyJoin, the final table is compared (same
// bytes and partition per key, the same timestamp unless racyFKTimes),
// against a model of the versioned tables' latest rows too.
func TestConformanceForeignKeyJoinVersioned(t *testing.T) {
	needJavaReference(t)
	for _, tc := range []struct {
		java string
		add  func(b *stream.Builder, in, out string)
		// which tables are versioned
		orders, products bool
	}{
		{"fk-join-versioned", addFKJoinsVersioned, true, true},
		{"fk-join-versioned-left", addFKJoinsVersionedLeft, true, false},
	} {
		for _, parts := range []int32{1, 3} {
			t.Run(fmt.Sprintf("%s/partitions=%d", tc.java, parts), func(t *testing.T) {
				versioned := map[string]bool{fkOrders: tc.orders, fkProducts: tc.products}
				in := randomFKVersionedInput(43)
				runFKConformance(t, fkConformance{java: tc.java, add: tc.add, in: in, orderParts: parts,
					productParts: parts, model: func(in []crec, parts map[string]int32, outParts int32) map[string]map[string]orec {
						return fkVersionedModel(in, parts, versioned, outParts)
					}, racyTimes: racyFKTimes(in)})
			})
		}
	}
}

// fkvHistory is FkJoinTopologies.HISTORY_MS.
const fkvHistory = 300 * time.Millisecond

// addFKJoinsVersioned is FkJoinTopologies.fkJoinVersioned.
func addFKJoinsVersioned(b *stream.Builder, in, out string) {
	ss := serde.String()
	addFKJoinsOf(b.Table(in+fkOrders, ss, ss, table.As("fkv-orders"), table.Versioned(fkvHistory)),
		b.Table(in+fkProducts, ss, ss, table.As("fkv-products"), table.Versioned(fkvHistory)), out)
}

// addFKJoinsVersionedLeft is FkJoinTopologies.fkJoinVersionedLeft.
func addFKJoinsVersionedLeft(b *stream.Builder, in, out string) {
	ss := serde.String()
	addFKJoinsOf(b.Table(in+fkOrders, ss, ss, table.As("fkv-orders"), table.Versioned(fkvHistory)),
		b.Table(in+fkProducts, ss, ss), out)
}

func addFKJoinsOf(orders, products stream.Table[string, string], out string) {
	ss := serde.String()
	orders.JoinForeignKey(products, fkOf, func(o, p string) string { return o + "+" + p }).
		ToStream().To(out+fkJoin, ss, ss)
	orders.LeftJoinForeignKey(products, fkOf, func(o, p string, ok bool) string { return o + "+" + orNull(p, ok) }).
		ToStream().To(out+fkLeftJoin, ss, ss)
}

// randomFKVersionedInput is randomFKJoinInput with more records out of
// order: 15% 20–195 ms (within the history), 4% 500–900 ms (beyond it,
// dropped by a versioned table).
func randomFKVersionedInput(seed uint64) []crec {
	return fkInput(seed, func(rng *rand.Rand, ts int64) int64 {
		switch p := rng.IntN(100); {
		case p < 15:
			ts -= 20 + rng.Int64N(176)
		case p < 19:
			ts -= 500 + rng.Int64N(401)
		}
		return ts
	})
}

// fkVersionedModel is fkFinalModel where the tables named in versioned are
// versioned: a versioned table's row is its key's latest version (the
// largest timestamp, the later record of equal ones); a record older than
// the history retention behind the largest timestamp its partition's store
// has seen is dropped.
func fkVersionedModel(in []crec, parts map[string]int32, versioned map[string]bool, outParts int32) map[string]map[string]orec {
	type version struct {
		value *string
		ts    int64
	}
	latest := map[string]map[string]version{fkOrders: {}, fkProducts: {}}
	seen := map[string]map[int32]int64{fkOrders: {}, fkProducts: {}}
	for _, r := range in {
		rows := latest[r.Topic]
		if !versioned[r.Topic] {
			rows[r.Key] = version{r.Value, r.Time}
			continue
		}
		p := partition.ForKey([]byte(r.Key), parts[r.Topic])
		st, ok := seen[r.Topic][p]
		if ok && r.Time < st-fkvHistory.Milliseconds() {
			continue // older than the history: dropped
		}
		if !ok || r.Time > st {
			seen[r.Topic][p] = r.Time
		}
		if cur, ok := rows[r.Key]; ok && r.Time < cur.ts {
			continue // history only
		}
		rows[r.Key] = version{r.Value, r.Time}
	}
	final := func(topic string) map[string]string {
		m := map[string]string{}
		for k, v := range latest[topic] {
			if v.value != nil {
				m[k] = *v.value
			}
		}
		return m
	}
	return fkJoinModel(final(fkOrders), final(fkProducts), outParts)
}

// racyFKTimes accepts a final row whose timestamp differs between two runs
// if each is the timestamp of its order's or its product's input record:
// with a product written after an order but older than it (out of order,
// or in a table that is not versioned), whether the order's subscription
// or the product reaches the product's task first decides between the
// subscription's answer (the larger of the two timestamps) and the
// product's (its own), in Kafka Streams as in Eddy.
func racyFKTimes(in []crec) func(a, b orec) bool {
	times := map[string][]int64{} // input value → its timestamps
	for _, r := range in {
		if r.Value != nil {
			times[*r.Value] = append(times[*r.Value], r.Time)
		}
	}
	return func(a, b orec) bool {
		order, product, ok := strings.Cut(*a.Value, "+")
		if !ok || *a.Value != *b.Value {
			return false
		}
		valid := append(slices.Clone(times[order]), times[product]...)
		return slices.Contains(valid, a.Time) && slices.Contains(valid, b.Time)
	}
}
