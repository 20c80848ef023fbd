// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package main

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/stream"
	"github.com/eddy-streams/eddy/table"
	"github.com/eddy-streams/eddy/window"
)

// The join mode (-topology join) runs both kinds of stream join on input
// that the controller derives from a few numbers (joinWorkload), so that
// the exact set of join results is known before the run:
//
//   - customers: key "c<n>", value "c<n>/v<version>", or a tombstone. The
//     table side: written before any order, with earlier timestamps, and
//     processed and committed by the group before the first order is
//     produced, so that every order meets the complete table (a
//     stream–table join only sees table rows already processed). Some rows
//     are updated to version 2, some deleted; orders also name customers
//     that never had a row.
//   - orders: key "o<i>", value "o<i>|c<n>", order i at start + i·span/orders.
//   - payments: key "o<i>" (co-partitioned with the orders), value "p<k>":
//     none, one or two per order, at set offsets from the order's time —
//     some exactly on the join window's bounds, some 1 ms outside.
//
// The topology joins orders with payments within window.JoinWindow(W) (an
// inner stream–stream join), re-keys each pair by its customer (through a
// repartition topic) and joins it with the customers table (an inner
// stream–table join), writing "o<i>|c<n>|p<k>|c<n>/v<version>" keyed
// "c<n>", at the later of the order's and the payment's timestamps, to the
// output topic.
//
// The join window has a grace period (-join-grace) that only lengthens how
// long the join stores keep records (2W + grace): a pair's first record
// must still be in its store when the second is processed, and a task's
// two inputs advance its stores' observed time unevenly (payments run up
// to W ahead of their orders; kills and restarts make one partition catch
// up before the other). The grace must exceed that skew, or pairs on the
// window's lower bound could be missed under Kafka Streams semantics; it
// decides no match: an inner join matches on W alone.

// Names of the join topology's parts. The internal topics are
// <app>-enrich-repartition (the re-keyed pairs), <app>-customers-changelog
// and the join stores' changelogs.
const (
	joinName      = "paid"
	enrichName    = "enrich"
	customersName = "customers"
)

func enrichRepartitionTopic(app string) string { return app + "-" + enrichName + "-repartition" }

// joinTopology builds the join mode's topology (see above).
func joinTopology(orders, payments, customers, output string, w window.JoinWindows) (*stream.Topology, error) {
	b := stream.NewBuilder()
	ss := serde.String()
	rows := b.Table(customers, ss, ss, table.As(customersName))
	pays := b.Stream(payments, ss, ss)
	b.Stream(orders, ss, ss).
		Join(pays, func(order, payment string) string { return order + "|" + payment }, w, stream.As(joinName)).
		SelectKey(func(_ string, paid string) string { return customerOfPaid(paid) }, stream.As("by-customer")).
		JoinTable(rows, func(paid, row string) string { return paid + "|" + row }, stream.As(enrichName)).
		To(output, ss, ss)
	return b.Build()
}

// customerOfPaid returns the customer key of a joined "o<i>|c<n>|p<k>".
func customerOfPaid(paid string) string {
	f := strings.Split(paid, "|")
	if len(f) < 2 {
		return "" // not from this workload: joins no row
	}
	return f[1]
}

// joinWorkload is the join mode's input: a pure function of its fields.
type joinWorkload struct {
	orders    int64         // order ids 0..orders-1
	customers int           // customer ids 0..customers-1 may have a row
	window    time.Duration // the join window's time difference W
	start     int64         // event time of order 0, Unix ms
	span      time.Duration // order i is at start + i·span/orders
}

// unknownCustomers is how many customer ids beyond w.customers orders
// name: they never have a row.
func (w *joinWorkload) unknownCustomers() int { return max(1, w.customers/10) }

func customerKey(c int) string { return "c" + strconv.Itoa(c) }
func orderKey(i int64) string  { return "o" + strconv.FormatInt(i, 10) }

// mix is a fixed bijective scrambling of 64 bits (SplitMix64's finalizer).
func mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// customerOf is the customer of order i.
func (w *joinWorkload) customerOf(i int64) int {
	return int(mix(uint64(i)^0x5bd1e995) % uint64(w.customers+w.unknownCustomers()))
}

// orderTime is the timestamp of order i, Unix ms.
func (w *joinWorkload) orderTime(i int64) int64 {
	return w.start + i*w.span.Milliseconds()/max(1, w.orders)
}

// customersTime is the timestamp of every customers record: a minute
// before the first order, earlier than any order or payment.
func (w *joinWorkload) customersTime() int64 {
	return w.start - w.window.Milliseconds() - time.Minute.Milliseconds()
}

// row is customer c's final row, if it has one: version 2 for every
// fourth customer (from 1), deleted for every tenth (from 3), none for
// ids beyond w.customers.
func (w *joinWorkload) row(c int) (string, bool) {
	if c < 0 || c >= w.customers || c%10 == 3 {
		return "", false
	}
	v := 1
	if c%4 == 1 {
		v = 2
	}
	return fmt.Sprintf("c%d/v%d", c, v), true
}

// payment is one payment of an order: its sequence number and its offset
// from the order's timestamp.
type payment struct {
	seq    int
	offset int64 // ms
}

// payments are the payments of order i, by i mod 10: on the window's upper
// and lower bounds (0, 1: joined), 1 ms outside them (2, 3: not joined),
// two payments (4: both joined), none (5), else one at an offset in
// [-W, W] (joined).
func (w *joinWorkload) payments(i int64) []payment {
	win := w.window.Milliseconds()
	switch i % 10 {
	case 0:
		return []payment{{0, win}}
	case 1:
		return []payment{{0, -win}}
	case 2:
		return []payment{{0, win + 1}}
	case 3:
		return []payment{{0, -win - 1}}
	case 4:
		return []payment{{0, 0}, {1, win / 2}}
	case 5:
		return nil
	}
	return []payment{{0, int64(mix(uint64(i))%uint64(2*win+1)) - win}}
}

// inputRecord is a record the controller writes; a nil value is a
// tombstone.
type inputRecord struct {
	key   string
	value []byte
	time  int64 // Unix ms
}

func (r inputRecord) kgo(topic string) *kgo.Record {
	return &kgo.Record{Topic: topic, Key: []byte(r.key), Value: r.value, Timestamp: time.UnixMilli(r.time)}
}

// customerRecords are the table's records in the order they are written:
// every customer's version 1, then the updates, then the deletions.
func (w *joinWorkload) customerRecords() []inputRecord {
	at := w.customersTime()
	var rs []inputRecord
	for c := range w.customers {
		rs = append(rs, inputRecord{customerKey(c), fmt.Appendf(nil, "c%d/v1", c), at})
	}
	for c := range w.customers {
		if c%4 == 1 {
			rs = append(rs, inputRecord{customerKey(c), fmt.Appendf(nil, "c%d/v2", c), at})
		}
	}
	for c := range w.customers {
		if c%10 == 3 {
			rs = append(rs, inputRecord{customerKey(c), nil, at})
		}
	}
	return rs
}

// order is order i's record.
func (w *joinWorkload) order(i int64) inputRecord {
	return inputRecord{orderKey(i), fmt.Appendf(nil, "o%d|c%d", i, w.customerOf(i)), w.orderTime(i)}
}

// paymentRecords are order i's payment records.
func (w *joinWorkload) paymentRecords(i int64) []inputRecord {
	var rs []inputRecord
	for _, p := range w.payments(i) {
		rs = append(rs, inputRecord{orderKey(i), fmt.Appendf(nil, "p%d", p.seq), w.orderTime(i) + p.offset})
	}
	return rs
}

// expected are the join results the input calls for, each once: for every
// order whose customer has a row, one per payment within the window, at
// the later of the two timestamps.
func (w *joinWorkload) expected() []joinResult {
	win := w.window.Milliseconds()
	var out []joinResult
	for i := range w.orders {
		c := w.customerOf(i)
		row, ok := w.row(c)
		if !ok {
			continue
		}
		at := w.orderTime(i)
		for _, p := range w.payments(i) {
			if p.offset < -win || p.offset > win {
				continue
			}
			out = append(out, joinResult{
				Key:   customerKey(c),
				Value: fmt.Sprintf("o%d|c%d|p%d|%s", i, c, p.seq, row),
				Time:  max(at, at+p.offset),
			})
		}
	}
	return out
}

// produceCustomers writes the customers table and waits for every record
// to be acknowledged.
func produceCustomers(ctx context.Context, brokers []string, topic string, w *joinWorkload) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.RecordRetries(1<<30))
	if err != nil {
		return err
	}
	defer cl.Close()
	var rs []*kgo.Record
	for _, r := range w.customerRecords() {
		rs = append(rs, r.kgo(topic))
	}
	if err := cl.ProduceSync(ctx, rs...).FirstErr(); err != nil {
		return fmt.Errorf("produce customers to %s: %w", topic, err)
	}
	return nil
}

// produceOrders writes orders 0..orders-1 and their payments at a steady
// rate over d with an idempotent producer, each order before its
// payments. progress counts acknowledged orders.
func produceOrders(ctx context.Context, brokers []string, orders, payments string, w *joinWorkload, d time.Duration, progress *atomic.Int64) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...),
		kgo.ProducerLinger(5*time.Millisecond),
		kgo.RecordRetries(1<<30)) // idempotent (kgo's default) and never give up a record
	if err != nil {
		return err
	}
	defer cl.Close()
	var failed atomic.Pointer[error]
	done := func(count bool) func(*kgo.Record, error) {
		return func(r *kgo.Record, err error) {
			if err != nil {
				err = fmt.Errorf("produce %s to %s: %w", r.Key, r.Topic, err)
				failed.CompareAndSwap(nil, &err)
				return
			}
			if count {
				progress.Add(1)
			}
		}
	}
	start := time.Now()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	var next int64
	for next < w.orders {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-tick.C:
		}
		if e := failed.Load(); e != nil {
			return *e
		}
		due := min(w.orders, int64(float64(w.orders)*time.Since(start).Seconds()/d.Seconds())+1)
		for ; next < due; next++ {
			cl.Produce(ctx, w.order(next).kgo(orders), done(true))
			for _, p := range w.paymentRecords(next) {
				cl.Produce(ctx, p.kgo(payments), done(false))
			}
		}
	}
	if err := cl.Flush(ctx); err != nil {
		return err
	}
	if e := failed.Load(); e != nil {
		return *e
	}
	return nil
}

// joinInputs are the records each input topic must hold after a run.
func (w *joinWorkload) joinInputs(orders, payments, customers string) map[string][]inputRecord {
	in := map[string][]inputRecord{customers: w.customerRecords()}
	for i := range w.orders {
		in[orders] = append(in[orders], w.order(i))
		in[payments] = append(in[payments], w.paymentRecords(i)...)
	}
	return in
}

// inputChecker checks that topics hold exactly the records written: each
// once, none else.
type inputChecker struct {
	want map[string]map[string]int // topic → record identity → copies left
	err  error
}

func recordID(key string, value []byte, ts int64) string {
	v := "<tombstone>"
	if value != nil {
		v = strconv.Quote(string(value))
	}
	return fmt.Sprintf("key %q value %s time %d", key, v, ts)
}

func newInputChecker(in map[string][]inputRecord) *inputChecker {
	c := &inputChecker{want: map[string]map[string]int{}}
	for topic, rs := range in {
		m := map[string]int{}
		for _, r := range rs {
			m[recordID(r.key, r.value, r.time)]++
		}
		c.want[topic] = m
	}
	return c
}

// add takes a record read from an input topic.
func (c *inputChecker) add(r *kgo.Record) {
	id := recordID(string(r.Key), r.Value, r.Timestamp.UnixMilli())
	if c.want[r.Topic][id] == 0 {
		if c.err == nil || strings.Count(c.err.Error(), "\n") < 5 {
			c.err = errors.Join(c.err, fmt.Errorf("%s partition %d offset %d: %s was not written, or was written fewer times", r.Topic, r.Partition, r.Offset, id))
		}
		return
	}
	c.want[r.Topic][id]--
}

// check reports records written but not read back.
func (c *inputChecker) check() error {
	err := c.err
	for topic, m := range c.want {
		n, eg := 0, ""
		for id, left := range m {
			if left > 0 {
				n += left
				eg = id
			}
		}
		if n > 0 {
			err = errors.Join(err, fmt.Errorf("%s lacks %d records written to it, e.g. %s", topic, n, eg))
		}
	}
	return err
}
