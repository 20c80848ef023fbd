// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/topologytest"
)

// Foreign-key joins of versioned tables (KIP-914) read them through their
// versioned stores, their latest rows, as Kafka Streams' value getters do:
// no store of their own is added, and updates that are not their key's
// latest version (out of order) trigger nothing, on either side. The
// expected records are Kafka Streams 4.4's (FkJoinTopologiesTest replays
// fkVersionedScenariosFile).
func TestForeignKeyJoinVersionedTables(t *testing.T) {
	for _, left := range []bool{false, true} {
		for _, mapped := range []bool{false, true} {
			t.Run(fmt.Sprintf("left=%v/mapped=%v", left, mapped), func(t *testing.T) {
				b := stream.NewBuilder()
				ss := serde.String()
				orders := b.Table("orders", ss, ss, table.As("orders-store"), table.Versioned(time.Minute))
				products := b.Table("products", ss, ss, table.As("products-store"), table.Versioned(time.Minute))
				if mapped {
					// Derived tables, not materialized, read through the
					// versioned stores too.
					products = products.MapValues(strings.ToUpper)
					orders = orders.Filter(func(_, v string) bool { return !strings.HasPrefix(v, "drop") })
				}
				var out stream.Table[string, string]
				if left {
					out = orders.LeftJoinForeignKey(products, fkOf, fkLeft, stream.As("enrich"))
				} else {
					out = orders.JoinForeignKey(products, fkOf, fkInner, stream.As("enrich"))
				}
				out.ToStream().To("out", ss, ss)
				topo, err := b.Build()
				require.NoError(t, err)
				desc := topo.Describe()
				assert.ElementsMatch(t, []string{"orders-store", "products-store", "enrich-subscription-store", "enrich-result-store"},
					topo.StoreNames(), desc)
				assert.NotContains(t, desc, "MATERIALIZE")
				for _, s := range []string{
					"Processor: enrich-subscription-join-foreign (stores: [products-store])",
					"Processor: enrich-subscription-response-resolver (stores: [orders-store, enrich-result-store])",
				} {
					assert.Contains(t, desc, s)
				}
				for _, opts := range [][]topologytest.Option{nil,
					{topologytest.DefaultPartitions(3), topologytest.TopicPartitions("products", 2)}} {
					d := driver(t, b, opts...)
					ins := map[string]*topologytest.InputTopic[string, string]{
						"L": d.Input("orders", ss, ss),
						"R": d.Input("products", ss, ss),
					}
					outTopic := d.Output("out", ss, ss)
					for i, st := range fkVersionedSteps(left, mapped) {
						rec := topologytest.Record[string, string]{Key: st.key, Value: st.value, Timestamp: time.UnixMilli(st.ts),
							ValueNull: st.value == "null"}
						require.NoError(t, ins[st.side].PipeRecord(rec))
						rs, err := outTopic.ReadRecords()
						require.NoError(t, err)
						assert.Equal(t, st.want, fkShow(rs), "step %d: %s %d %s %s", i+1, st.side, st.ts, st.key, st.value)
					}
				}
			})
		}
	}
}

// fkVersionedSteps is TestForeignKeyJoinVersionedTables' input and the
// records expected after each step, products mapped to upper case or not.
func fkVersionedSteps(left, mapped bool) []fkStep {
	p := func(s string) string {
		if mapped {
			return strings.ToUpper(s)
		}
		return s
	}
	// Deleting the product: the left join keeps the order alone.
	deleted := "o1 null@50"
	if left {
		deleted = "o1 p2:b+null@50"
	}
	return []fkStep{
		fkR(10, "p1", "apple"),
		fkL(20, "o1", "p1:a", "o1 p1:a+"+p("apple")+"@20"),
		fkR(5, "p1", "old"),   // out of order: history only
		fkL(15, "o1", "p2:x"), // out of order: no change of foreign key
		fkR(30, "p1", "banana", "o1 p1:a+"+p("banana")+"@30"),
		fkR(35, "p2", "pear"), // o1 never subscribed to p2
		fkL(40, "o1", "p2:b", "o1 p2:b+"+p("pear")+"@40"),
		fkL(25, "o1", "null"), // an out-of-order tombstone
		fkR(32, "p2", "null"), // an out-of-order tombstone
		fkR(50, "p2", "null", deleted),
		fkL(60, "o1", "null", "o1 null@60"),
	}
}

// fkVersionedScenariosFile holds fkVersionedSteps (products not mapped) for
// the Java reference's FkJoinTopologiesTest, which replays them on
// FkJoinTopologies.fkJoinVersioned; the format is fkScenariosFile's.
const fkVersionedScenariosFile = "../java/src/test/resources/fk-join-versioned-scenarios.txt"

func TestForeignKeyJoinVersionedScenariosFile(t *testing.T) {
	var b strings.Builder
	for _, left := range []bool{false, true} {
		kind := "inner"
		if left {
			kind = "left"
		}
		fmt.Fprintf(&b, "scenario versioned %s\n", kind)
		for _, st := range fkVersionedSteps(left, false) {
			fmt.Fprintf(&b, "step %s %d %s %s\n", st.side, st.ts, st.key, st.value)
			for _, w := range st.want {
				fmt.Fprintf(&b, "want %s\n", w)
			}
		}
		b.WriteString("end\n")
	}
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		require.NoError(t, os.WriteFile(fkVersionedScenariosFile, []byte(b.String()), 0o644))
	}
	want, err := os.ReadFile(fkVersionedScenariosFile)
	require.NoError(t, err, "run go test ./topologytest -run ScenariosFile -update to write it")
	assert.Equal(t, string(want), b.String(), "%s is out of date: go test ./topologytest -run ScenariosFile -update", fkVersionedScenariosFile)
}
