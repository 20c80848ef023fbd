// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"log/slog"
	"time"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// Topic and store names; the first four are shared with the Java Kafka
// Streams reference implementation (java/), whose enrichment topology ends
// at EnrichedTopic.
const (
	OrdersTopic    = "orders"
	CustomersTopic = "customers"
	CustomersStore = "customers"
	EnrichedTopic  = "enriched-orders"
	RevenueTopic   = "revenue-per-region"
	RevenueStore   = "revenue-per-region"
	// FinalRevenue names the suppression; its buffer is the store
	// FinalRevenue-store (changelog <app>-revenue-final-store-changelog).
	FinalRevenue = "revenue-final"
)

// Windows are 5-minute tumbling windows accepting orders up to 30 s late.
var Windows = window.Tumbling(5 * time.Minute).Grace(30 * time.Second)

// Order is a validated order; Amount is in cents.
type Order struct {
	OrderID    string
	CustomerID string
	Amount     int64
}

// Enriched is an order joined with its customer. Its JSON form has the
// fields in this order, as the Java reference writes them.
type Enriched struct {
	OrderID      string `json:"orderId"`
	CustomerID   string `json:"customerId"`
	Amount       int64  `json:"amount"`
	CustomerName string `json:"customerName"`
	Region       string `json:"region"`
}

// object parses text as a single JSON object (no trailing data), or
// returns nil. Field names are matched exactly.
func object(text string) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		return nil
	}
	return m
}

// str returns the JSON string field name of o.
func str(o map[string]json.RawMessage, name string) (string, bool) {
	raw, ok := o[name]
	if !ok || len(raw) == 0 || raw[0] != '"' {
		return "", false
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return "", false
	}
	return s, true
}

// parseOrder accepts a JSON object with string "orderId" and "customerId"
// and an integer "amount" that fits 64 bits (1250.0, 1e3 and "1250" are
// rejected), as the Java reference does. Invalid orders are skipped.
func parseOrder(key, value string) []Order {
	if o := object(value); o != nil {
		id, ok1 := str(o, "orderId")
		cust, ok2 := str(o, "customerId")
		var amount int64
		raw, ok3 := o["amount"]
		// Unmarshal leaves amount alone for null: reject it explicitly.
		if ok1 && ok2 && ok3 && len(raw) > 0 && raw[0] != 'n' && json.Unmarshal(raw, &amount) == nil {
			return []Order{{OrderID: id, CustomerID: cust, Amount: amount}}
		}
	}
	slog.Warn("skipping invalid order: value is not a JSON object with string \"orderId\", string \"customerId\" and integer \"amount\"", "key", key)
	return nil
}

// enrich joins an order with its customer's JSON row; it returns nil (the
// record is then dropped) when the row lacks a string name or region.
func enrich(o Order, customer string) *Enriched {
	c := object(customer)
	name, ok1 := str(c, "name")
	region, ok2 := str(c, "region")
	if !ok1 || !ok2 {
		slog.Warn("skipping order: customer is not a JSON object with string \"name\" and \"region\"", "order", o.OrderID, "customer", o.CustomerID)
		return nil
	}
	return &Enriched{OrderID: o.OrderID, CustomerID: o.CustomerID, Amount: o.Amount, CustomerName: name, Region: region}
}

// Encode writes e as the Java reference does: Go's encoding/json with
// HTML escaping (<, > and & as \u003c, \u003e, \u0026), which serde.JSON
// leaves out.
func (e *Enriched) Encode() string {
	b, _ := json.Marshal(e) // strings and an int64 always encode
	return string(b)
}

// Topology joins orders (keyed by customer id) with the customers table,
// writes the enriched orders to EnrichedTopic and the final revenue per
// region and 5-minute window to RevenueTopic: one record per region and
// window, once the window has closed.
func Topology() (*stream.Topology, error) {
	b := stream.NewBuilder()
	customers := b.Table(CustomersTopic, serde.String(), serde.String(), table.As(CustomersStore))
	enriched := b.Stream(OrdersTopic, serde.String(), serde.String()).
		FlatMapValuesWithKey(parseOrder).
		JoinTable(customers, enrich).
		Filter(func(_ string, e *Enriched) bool { return e != nil }).
		WithValueSerde(serde.JSON[*Enriched]())
	enriched.MapValues((*Enriched).Encode).
		To(EnrichedTopic, serde.String(), serde.String())
	enriched.GroupBy(func(_ string, e *Enriched) string { return e.Region }, serde.String()).
		WindowedBy(Windows).
		Aggregate(func() int64 { return 0 }, func(_ string, e *Enriched, sum int64) int64 { return sum + e.Amount },
			serde.Int64(), table.As(RevenueStore)).
		SuppressUntilWindowCloses(stream.As(FinalRevenue)).
		ToStream().
		To(RevenueTopic, serde.TimeWindowed(serde.String(), Windows.Size()), serde.Int64())
	return b.Build()
}
