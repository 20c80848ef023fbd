// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topologytest_test

import (
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

// The foreign-key extractor that also gets the row's key (KIP-1104, Kafka
// Streams 4.x's KTable#join(KTable, BiFunction, …)) behaves like the
// value-only one: every foreign-key scenario, which Kafka Streams 4.4's
// TopologyTestDriver produces too (FkJoinTopologiesTest), gives the same
// records through JoinForeignKeyWithKey and LeftJoinForeignKeyWithKey.
func TestForeignKeyJoinWithKeyScenarios(t *testing.T) {
	ss := serde.String()
	for _, sc := range fkScenarios {
		t.Run(sc.name, func(t *testing.T) {
			b := stream.NewBuilder()
			orders := b.Table("orders", ss, ss, table.As("orders-store"))
			products := b.Table("products", ss, ss, table.As("products-store"))
			var keys []string
			fk := func(k, v string) (string, bool) {
				keys = append(keys, k)
				return fkOf(v)
			}
			var out stream.Table[string, string]
			if sc.left {
				out = orders.LeftJoinForeignKeyWithKey(products, fk, fkLeft)
			} else {
				out = orders.JoinForeignKeyWithKey(products, fk, fkInner)
			}
			out.ToStream().To("out", ss, ss)
			d := driver(t, b)
			ins := map[string]*topologytest.InputTopic[string, string]{
				"L": d.Input("orders", ss, ss), "R": d.Input("products", ss, ss),
			}
			outTopic := d.Output("out", ss, ss)
			for i, st := range sc.steps {
				keys = keys[:0]
				rec := topologytest.Record[string, string]{Key: st.key, Value: st.value, Timestamp: time.UnixMilli(st.ts),
					ValueNull: st.value == "null"}
				require.NoError(t, ins[st.side].PipeRecord(rec))
				rs, err := outTopic.ReadRecords()
				require.NoError(t, err)
				assert.Equal(t, st.want, fkShow(rs), "step %d: %s %d %s %s", i+1, st.side, st.ts, st.key, st.value)
				for _, k := range keys {
					assert.Equal(t, st.key, k, "step %d: the extractor gets the left row's key", i+1)
				}
			}
		})
	}
}

// A foreign key taken from the key: orders keyed "<customer>/<order>" join
// the customer's row although their values do not name it.
func TestForeignKeyJoinWithKeyFromKey(t *testing.T) {
	ss := serde.String()
	customerOf := func(k, _ string) (string, bool) {
		c, _, ok := strings.Cut(k, "/")
		return c, ok && c != ""
	}
	for _, left := range []bool{false, true} {
		b := stream.NewBuilder()
		orders := b.Table("orders", ss, ss, table.As("orders"))
		customers := b.Table("customers", ss, ss, table.As("customers"))
		var out stream.Table[string, string]
		if left {
			out = orders.LeftJoinForeignKeyWithKey(customers, customerOf, func(v, c string, found bool) string {
				if !found {
					c = "?"
				}
				return v + " by " + c
			}, stream.As("order-customer"))
		} else {
			out = orders.JoinForeignKeyWithKey(customers, customerOf, func(v, c string) string { return v + " by " + c },
				stream.As("order-customer"))
		}
		out.ToStream().To("out", ss, ss)
		d := driver(t, b, topologytest.DefaultPartitions(3), topologytest.TopicPartitions("customers", 2), topologytest.AppID("app"))
		o, c := d.Input("orders", ss, ss), d.Input("customers", ss, ss)
		require.NoError(t, c.PipeAt("alice", "Alice", ms(1)))
		require.NoError(t, o.PipeAt("alice/1", "book", ms(2)))
		require.NoError(t, o.PipeAt("alice/2", "pen", ms(3)))
		require.NoError(t, o.PipeAt("bob/3", "ink", ms(4)))
		require.NoError(t, o.PipeAt("nocustomer", "lamp", ms(5))) // no foreign key: dropped (inner), joins nothing (left)
		require.NoError(t, c.PipeAt("alice", "Alice B.", ms(6)))
		require.NoError(t, c.PipeAt("bob", "Bob", ms(7)))
		got, err := topologytest.ReadToMap(d.Output("out", ss, ss))
		require.NoError(t, err)
		want := map[string]string{"alice/1": "book by Alice B.", "alice/2": "pen by Alice B.", "bob/3": "ink by Bob"}
		if left {
			want["nocustomer"] = "lamp by ?"
		}
		assert.Equal(t, want, got, "left %v", left)
		assert.Contains(t, d.ProducedTopics(), "app-order-customer-subscription-registration-topic")
	}
}
