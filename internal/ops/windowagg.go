// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/window"
)

// WindowAggregate folds a grouped stream into per-window aggregates.
//
// As in Kafka Streams' time-windowed aggregations, only records with a null
// key are dropped (null values reach the aggregator as the zero value), and
// a record is dropped for a window, counted as late, once
// window end <= observed stream time - grace. A nil aggregate deletes the
// window's entry and forwards the deletion, as in Aggregate.
//
// A window's first update carries as old value Start(), the aggregate
// before the record (Kafka Streams' KStreamWindowAggregate forwards its
// initializer's aggregate as the old value, which a Filter downstream
// tests), unless Start is nil (Reduce: none) or returns nil.
type WindowAggregate[K, V, A any] struct {
	engine.Forwarder[window.Windowed[K], engine.Change[A]]
	Node     string
	drops    dropLog // null keys and values dropped, logged
	Store    string
	Windows  window.TimeWindows
	KeySerde serde.Serde[K]
	AggSerde serde.Serde[A]
	Initial  func(key K, value V) A
	Add      func(key K, value V, agg A) A
	Start    func() A
	store    *engine.WindowStore
	t        *engine.Task
	topic    string
	observed int64
	buf      []window.Window
	isNil    engine.NilCheck[A]
}

// Init implements engine.Initializer.
func (p *WindowAggregate[K, V, A]) Init(t *engine.Task) error {
	s, err := t.Window(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	p.topic = storeTopic(s.ChangelogTopic(), p.Store)
	p.observed = t.StreamTime()
	if s.Cached() {
		s.OnFlush(p.flushed)
	}
	return nil
}

// flushed forwards a window's aggregate as the record cache writes it out.
func (p *WindowAggregate[K, V, A]) flushed(f engine.Flushed) error {
	k, ch, ok, err := flushedChange(p.Node, p.Store, p.topic, p.KeySerde, p.AggSerde, f)
	if !ok || err != nil {
		return err
	}
	return p.Forward(engine.Record[window.Windowed[K], engine.Change[A]]{
		Key:       windowOf(k, f.Start, f.Start+p.Windows.Size().Milliseconds()),
		Value:     ch,
		Timestamp: f.NewTS,
		Headers:   p.t.RecordContext().Headers,
	})
}

// Process implements engine.Processor.
func (p *WindowAggregate[K, V, A]) Process(r engine.Record[K, V]) error {
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	p.observed = max(p.observed, r.Timestamp)
	closeTime := p.observed - p.Windows.GracePeriod().Milliseconds()
	kb, err := p.KeySerde.Serialize(p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for store %s: %w", p.Node, p.Store, err)
	}
	p.buf = p.Windows.AppendFor(p.buf[:0], time.UnixMilli(r.Timestamp))
	for _, w := range p.buf {
		start, end := bounds(w)
		if end <= closeTime {
			p.t.Drop(engine.DropLate)
			p.t.Logger().Debug("dropping late record for closed window",
				"node", p.Node, "window", w.String(), "timestamp", r.Timestamp, "streamTime", p.observed, "grace", p.Windows.GracePeriod())
			continue
		}
		old, oldTs, found, err := p.store.FetchTimestamped(kb, start)
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
		}
		var oldAgg, newAgg A
		ts := r.Timestamp
		if found {
			if oldAgg, err = p.AggSerde.Deserialize(p.topic, old); err != nil {
				return fmt.Errorf("%s: decode aggregate from store %s: %w", p.Node, p.Store, err)
			}
			newAgg = p.Add(r.Key, r.Value, oldAgg)
			ts = max(ts, oldTs)
		} else {
			newAgg = p.Initial(r.Key, r.Value)
		}
		hasOld := found
		if !found && p.Start != nil {
			oldAgg = p.Start()
			hasOld = !p.isNil.IsNil(&oldAgg)
		}
		// A nil aggregate is null: the window's entry is deleted, as Kafka
		// Streams puts the null (see Aggregate).
		isNull := p.isNil.IsNil(&newAgg)
		var nb []byte
		if !isNull {
			if nb, err = p.AggSerde.Serialize(p.topic, newAgg); err != nil {
				return fmt.Errorf("%s: serialize aggregate for store %s: %w", p.Node, p.Store, err)
			}
		}
		if err := p.store.PutTimestamped(kb, start, nb, ts); err != nil {
			return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
		}
		if p.store.Cached() {
			continue // forwarded when the cache writes it out (flushed)
		}
		err = p.Forward(engine.Record[window.Windowed[K], engine.Change[A]]{
			Key:       window.Windowed[K]{Key: r.Key, Window: w},
			Value:     engine.Change[A]{New: newAgg, Old: oldAgg, HasNew: !isNull, HasOld: hasOld},
			Timestamp: ts,
			Headers:   r.Headers,
		})
		if err != nil {
			return err
		}
	}
	return nil
}
