// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/eddy-streams/eddy/examples/internal/demo"
	"github.com/eddy-streams/eddy/record"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/topologytest"
)

func newDriver(t *testing.T, opts ...topologytest.Option) *topologytest.Driver {
	t.Helper()
	topo, err := Topology()
	require.NoError(t, err)
	d, err := topologytest.New(topo, opts...)
	require.NoError(t, err)
	t.Cleanup(func() { d.Close() })
	return d
}

func pipe(t *testing.T, d *topologytest.Driver, rows []row, at int64) {
	t.Helper()
	for i, r := range rows {
		in := d.Input(r.topic, serde.String(), serde.String())
		ts := time.UnixMilli(base + (at+int64(i))*1000)
		if r.value == nil {
			require.NoError(t, in.PipeRecord(topologytest.Record[string, string]{Key: r.key, ValueNull: true, Timestamp: ts}))
		} else {
			require.NoError(t, in.PipeAt(r.key, *r.value, ts))
		}
	}
}

// The sample, on 3 partitions: the revenue per region after the initial
// rows, then after a customer moves (all their orders move), an order is
// cancelled and another changes customer.
func TestOrdersSample(t *testing.T) {
	d := newDriver(t, topologytest.DefaultPartitions(3))
	revenue := d.Output(RevenueTopic, serde.String(), serde.Int64())
	enriched := d.Output(EnrichedTopic, serde.String(), serde.JSON[*Enriched]())

	pipe(t, d, initial, 0)
	topologytest.AssertTable(t, revenue, wantInitial)
	topologytest.AssertTable(t, enriched, map[string]*Enriched{
		"o1": {CustomerID: "c1", Amount: 1250, CustomerName: "Ann", Region: "EU"},
		"o2": {CustomerID: "c2", Amount: 800, CustomerName: "Bo", Region: "US"},
		"o3": {CustomerID: "c1", Amount: 200, CustomerName: "Ann", Region: "EU"},
		"o4": {CustomerID: "c3", Amount: 999, CustomerName: "Chen", Region: "APAC"},
	})

	pipe(t, d, updates, int64(len(initial)))
	// EU goes 1450 → 200 → 0 as Ann's two orders move; APAC loses o4.
	topologytest.AssertTable(t, revenue, want)
	// o2 is deleted; Ann's orders and o4 are re-joined.
	rs, err := enriched.ReadRecords()
	require.NoError(t, err)
	got := map[string]string{}
	for _, r := range rs {
		if r.ValueNull {
			got[r.Key] = "deleted"
		} else {
			got[r.Key] = r.Value.CustomerName + "/" + r.Value.Region
		}
	}
	assert.Equal(t, map[string]string{"o1": "Ann/US", "o3": "Ann/US", "o2": "deleted", "o4": "Bo/US"}, got)

	s, err := d.KeyValueStore(RevenueStore, serde.String(), serde.Int64())
	require.NoError(t, err)
	all, err := s.All()
	require.NoError(t, err)
	assert.Equal(t, []record.KeyValue[string, int64]{record.KV("APAC", int64(0)), record.KV("EU", int64(0)), record.KV("US", int64(2449))}, all)
}

// An order for an unknown customer joins once the customer appears; an
// invalid order update deletes the order's result; deleting a customer
// deletes its orders' results.
func TestOrdersFollowCustomers(t *testing.T) {
	d := newDriver(t)
	revenue := d.Output(RevenueTopic, serde.String(), serde.Int64())
	orders := d.Input(OrdersTopic, serde.String(), serde.String())
	customers := d.Input(CustomersTopic, serde.String(), serde.String())

	require.NoError(t, orders.PipeAt("o1", `{"customerId":"c1","amount":10}`, time.UnixMilli(1)))
	require.NoError(t, orders.PipeAt("o2", `{"customerId":"c1","amount":5}`, time.UnixMilli(2)))
	none, err := revenue.ReadKeyValues()
	require.NoError(t, err)
	assert.Empty(t, none, "no customer yet: no join result")
	require.NoError(t, customers.PipeAt("c1", `{"name":"Ann","region":"EU"}`, time.UnixMilli(3)))
	topologytest.AssertTable(t, revenue, map[string]int64{"EU": 15})

	require.NoError(t, orders.PipeAt("o2", `{"customerId":"c1","amount":"five"}`, time.UnixMilli(4)))
	topologytest.AssertKeyValues(t, revenue, record.KV("EU", int64(10)))

	require.NoError(t, customers.PipeAt("c1", `{"name":"Ann"}`, time.UnixMilli(5))) // invalid: deleted
	topologytest.AssertKeyValues(t, revenue, record.KV("EU", int64(0)))
}

func TestMainOnEmbeddedBroker(t *testing.T) {
	require.NoError(t, run(demo.Flags{Partitions: 2, StateDir: t.TempDir(), Progress: io.Discard}))
}

// With -brokers, twice on one broker: the second run finds the first's
// topics, input and output, and still checks exactly its own records.
func TestMainTwiceOnOneBroker(t *testing.T) {
	c, err := kfake.NewCluster(kfake.NumBrokers(1))
	require.NoError(t, err)
	defer c.Close()
	f := demo.Flags{Brokers: strings.Join(c.ListenAddrs(), ","), Partitions: 2, Progress: io.Discard}
	for range 2 {
		f.StateDir = t.TempDir()
		require.NoError(t, run(f))
	}
}
