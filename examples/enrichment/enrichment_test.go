// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"fmt"
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

type rev struct {
	region string
	start  string
	cents  int64
	ts     string
}

func readRevenue(t *testing.T, d *topologytest.Driver) []rev {
	t.Helper()
	rs, err := d.Output(RevenueTopic, serde.TimeWindowed(serde.String(), Windows.Size()), serde.Int64()).ReadRecords()
	require.NoError(t, err)
	out := []rev{}
	for _, r := range rs {
		out = append(out, rev{r.Key.Key, r.Key.Window.Start().UTC().Format("15:04:05"), r.Value, r.Timestamp.UTC().Format("15:04:05")})
	}
	return out
}

func at(m, s int) time.Time {
	return time.UnixMilli(base).Add(time.Duration(m)*time.Minute + time.Duration(s)*time.Second)
}

// Orders are enriched with the customer row current when they arrive, and
// revenue per region comes out once per 5-minute window, exactly when
// stream time reaches window end + 30 s grace.
func TestEnrichmentRevenuePerRegion(t *testing.T) {
	d := newDriver(t) // one partition: every region shares the revenue task's stream time
	customers := d.Input(CustomersTopic, serde.String(), serde.String())
	orders := d.Input(OrdersTopic, serde.String(), serde.String())
	order := func(id, cust string, amount int64, ts time.Time) {
		t.Helper()
		v := fmt.Sprintf(`{"orderId":%q,"customerId":%q,"amount":%d}`, id, cust, amount)
		require.NoError(t, orders.PipeAt(cust, v, ts))
	}
	require.NoError(t, customers.PipeAt("c1", `{"name":"Ann","region":"EU"}`, at(0, 0)))
	require.NoError(t, customers.PipeAt("c2", `{"name":"Bo & Co","region":"US"}`, at(0, 0)))
	order("o1", "c1", 1250, at(0, 30))
	order("o2", "c2", 800, at(1, 0))
	order("o3", "c9", 100, at(2, 0)) // no such customer: dropped by the join
	require.NoError(t, customers.PipeAt("c1", `{"name":"Ann","region":"US"}`, at(3, 0)))
	order("o4", "c1", 200, at(4, 59)) // Ann moved: US
	order("o5", "c2", 150, at(5, 29)) // stream time 5:29: [12:00,12:05) still open
	assert.Empty(t, readRevenue(t, d))
	order("o6", "c1", 999, at(4, 0)) // in grace: US@12:00
	order("o7", "c2", 1, at(5, 30))  // 5:30 = 12:05 + grace: closes [12:00,12:05)
	assert.Equal(t, []rev{{"EU", "12:00:00", 1250, "12:00:30"}, {"US", "12:00:00", 1999, "12:04:59"}}, readRevenue(t, d))
	order("o8", "c2", 5, at(4, 30)) // late: dropped by the window aggregation
	require.NoError(t, customers.PipeTombstone("c2"))
	order("o9", "c2", 7, at(11, 0)) // customer deleted: dropped, does not advance revenue time
	assert.Empty(t, readRevenue(t, d))
	order("o10", "c1", 3, at(10, 30))
	assert.Equal(t, []rev{{"US", "12:05:00", 151, "12:05:30"}}, readRevenue(t, d))
	assert.Equal(t, map[string]int64{record.DropLate: 1}, d.Dropped())

	rs, err := d.Output(EnrichedTopic, serde.String(), serde.String()).ReadValues()
	require.NoError(t, err)
	assert.Equal(t, []string{
		`{"orderId":"o1","customerId":"c1","amount":1250,"customerName":"Ann","region":"EU"}`,
		`{"orderId":"o2","customerId":"c2","amount":800,"customerName":"Bo \u0026 Co","region":"US"}`,
		`{"orderId":"o4","customerId":"c1","amount":200,"customerName":"Ann","region":"US"}`,
		`{"orderId":"o5","customerId":"c2","amount":150,"customerName":"Bo \u0026 Co","region":"US"}`,
		`{"orderId":"o6","customerId":"c1","amount":999,"customerName":"Ann","region":"US"}`,
		`{"orderId":"o7","customerId":"c2","amount":1,"customerName":"Bo \u0026 Co","region":"US"}`,
		`{"orderId":"o8","customerId":"c2","amount":5,"customerName":"Bo \u0026 Co","region":"US"}`,
		`{"orderId":"o10","customerId":"c1","amount":3,"customerName":"Ann","region":"US"}`,
	}, rs)
}

// Orders are validated as strictly as the Java reference does.
func TestParseOrder(t *testing.T) {
	valid := map[string]Order{
		`{"orderId":"o","customerId":"c","amount":-0}`:                  {"o", "c", 0},
		`{"amount":9223372036854775807,"customerId":"c","orderId":"o"}`: {"o", "c", 9223372036854775807},
		` {"orderId":"o","customerId":"c","amount":1,"extra":[1,{}]} `:  {"o", "c", 1},
		`{"orderId":"x","orderId":"o","customerId":"c","amount":2}`:     {"o", "c", 2},
	}
	for in, want := range valid {
		assert.Equal(t, []Order{want}, parseOrder("k", in), in)
	}
	for _, in := range []string{
		``, `null`, `[]`, `"x"`, `{}`, `not json`,
		`{"orderId":"o","customerId":"c","amount":1250.0}`,
		`{"orderId":"o","customerId":"c","amount":1e3}`,
		`{"orderId":"o","customerId":"c","amount":"1250"}`,
		`{"orderId":"o","customerId":"c","amount":null}`,
		`{"orderId":"o","customerId":"c","amount":9223372036854775808}`,
		`{"orderId":1,"customerId":"c","amount":1}`,
		`{"OrderId":"o","customerId":"c","amount":1}`,
		`{"orderId":"o","customerId":"c","amount":1} {}`,
	} {
		assert.Empty(t, parseOrder("k", in), in)
	}
}

func TestMainOnEmbeddedBroker(t *testing.T) {
	require.NoError(t, run(demo.Flags{Partitions: 2, StateDir: t.TempDir()}))
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
