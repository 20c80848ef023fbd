// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"encoding/json"
	"log/slog"

	"github.com/eddy-streams/eddy/processor"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
)

// Topic and store names.
const (
	OrdersTopic    = "orders"
	CustomersTopic = "customers"
	EnrichedTopic  = "orders-with-customer"
	RevenueTopic   = "revenue-by-region"
	RevenueStore   = "revenue-by-region"
	OrdersStore    = "orders"
	CustomersStore = "customers"
	// CustomerJoin names the foreign-key join: its subscription and
	// response topics, stores and processors.
	CustomerJoin = "order-customer"
)

// Order is an order row: the customer it belongs to and its amount in
// cents.
type Order struct {
	CustomerID string `json:"customerId"`
	Amount     int64  `json:"amount"`
}

// Customer is a customer row.
type Customer struct {
	Name   string `json:"name"`
	Region string `json:"region"`
}

// Enriched is an order joined with its customer's current row.
type Enriched struct {
	CustomerID   string `json:"customerId"`
	Amount       int64  `json:"amount"`
	CustomerName string `json:"customerName"`
	Region       string `json:"region"`
}

// rows parses a table's JSON rows into T (a ValueTransformer): a row
// that is not a valid T is logged with its topic, partition and offset and
// treated as deleted, so an invalid update removes the row from the
// results rather than leaving a stale one.
type rows[T any] struct {
	what  string
	valid func(*T) bool
	ctx   processor.ValueTransformerContext
}

func (p *rows[T]) Init(ctx processor.ValueTransformerContext) error { p.ctx = ctx; return nil }

func (p *rows[T]) Transform(key, value string, found bool) (*T, bool, error) {
	if !found {
		return nil, false, nil
	}
	var v T
	if err := json.Unmarshal([]byte(value), &v); err != nil || !p.valid(&v) {
		md, _ := p.ctx.RecordMetadata()
		slog.Warn("invalid "+p.what+": treated as deleted", "key", key, "topic", md.Topic, "partition", md.Partition, "offset", md.Offset)
		return nil, false, nil
	}
	return &v, true, nil
}

func (p *rows[T]) Close() error { return nil }

// parsed reads topic as a table of JSON rows (kept as text in the store
// <name>-raw), parsed once per update into the store name.
func parsed[T any](b *stream.Builder, topic, name, what string, valid func(*T) bool) stream.Table[string, *T] {
	return b.Table(topic, serde.String(), serde.String(), table.As(name+"-raw")).
		TransformValues(func() processor.ValueTransformer[string, string, *T] { return &rows[T]{what: what, valid: valid} },
			table.As(name), stream.StoreValueSerde(serde.JSON[*T]()))
}

// Topology joins the orders table (keyed by order id) with the customers
// table (keyed by customer id) on each order's customer id — a foreign-key
// join, so an order follows its customer's changes (a customer who moves
// region moves all their orders) and the two topics need not be
// co-partitioned — writes each order's current enriched row to
// EnrichedTopic (a tombstone when the order is deleted or its customer
// unknown) and keeps the revenue per region in the table RevenueStore,
// written to RevenueTopic: every change of an order or a customer
// subtracts the old contribution and adds the new one.
func Topology() (*stream.Topology, error) {
	b := stream.NewBuilder()
	orders := parsed(b, OrdersTopic, OrdersStore, `order (a JSON object with string "customerId" and integer "amount")`,
		func(o *Order) bool { return o.CustomerID != "" })
	customers := parsed(b, CustomersTopic, CustomersStore, `customer (a JSON object with strings "name" and "region")`,
		func(c *Customer) bool { return c.Region != "" })
	enriched := orders.JoinForeignKey(customers,
		func(o *Order) (string, bool) { return o.CustomerID, true },
		func(o *Order, c *Customer) *Enriched {
			return &Enriched{CustomerID: o.CustomerID, Amount: o.Amount, CustomerName: c.Name, Region: c.Region}
		}, stream.As(CustomerJoin))
	enriched.ToStream().To(EnrichedTopic, serde.String(), serde.JSON[*Enriched]())
	enriched.GroupBy(func(_ string, e *Enriched) (string, int64) { return e.Region, e.Amount }, serde.String(), serde.Int64()).
		Reduce(func(sum, v int64) int64 { return sum + v }, func(sum, v int64) int64 { return sum - v }, table.As(RevenueStore)).
		ToStream().
		To(RevenueTopic, serde.String(), serde.Int64())
	return b.Build()
}
