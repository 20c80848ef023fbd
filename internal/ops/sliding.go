// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/window"
)

// SlidingAggregate folds a grouped stream into sliding-window aggregates,
// following Kafka Streams' KStreamSlidingWindowAggregate (its reverse-
// iterator path) step by step, so that the same input yields the same
// updates in the same order:
//
//   - Records with a null key or a null value are dropped and counted.
//   - Windows are [start, start+diff], both ends inclusive, stored in a
//     window store by start with the largest timestamp of their records.
//     A record at ts updates every existing window containing it, creates
//     its left window [ts-diff, ts] (seeded with the aggregate of the
//     previous record's window when that record is within diff), the
//     previous record's right window if it is missing, and its own right
//     window [ts+1, ts+1+diff] (holding the later records only, so it
//     does not aggregate the record itself) when later records exist.
//     Records with ts < diff use the window [0, diff] instead of a left
//     window.
//   - A record is dropped and counted once ts + diff < stream time - grace;
//     otherwise each window update is skipped (and counted) if the window
//     ends before stream time - grace.
//   - An update's timestamp is the largest timestamp of the window's
//     records; results keep the input record's headers.
//   - A nil aggregate (Add or Initial returning nil) deletes the window's
//     entry and forwards a deletion, as Kafka Streams puts the null.
type SlidingAggregate[K, V, A any] struct {
	engine.Forwarder[window.Windowed[K], engine.Change[A]]
	Node     string
	drops    dropLog // null keys and values dropped, logged
	Store    string
	Diff     int64
	Grace    int64
	KeySerde serde.Serde[K]
	AggSerde serde.Serde[A]
	// Initial aggregates a record into an empty window.
	Initial func(key K, value V) A
	// Add aggregates a record into a window's aggregate.
	Add func(key K, value V, agg A) A
	// Start, if set, is the aggregate a new window starts from (nil:
	// Reduce, none): as Kafka Streams' KStreamSlidingWindowAggregate, an
	// update forwards as old value the aggregate it started from — the
	// window's, the one a new window is seeded with, or Start().
	Start    func() A
	store    *engine.WindowStore
	t        *engine.Task
	topic    string
	observed int64
	windows  []slidingWindow
	starts   map[int64]bool
	isNil    engine.NilCheck[A]
}

// slidingWindow is a stored window: its start, the timestamp of its
// latest record and its aggregate bytes.
type slidingWindow struct {
	start int64
	ts    int64
	agg   []byte
}

// base is what a window update starts from: a stored aggregate, or nothing
// (a new window, aggregated with Initial).
type base struct {
	agg   []byte
	ts    int64
	valid bool
}

// Init implements engine.Initializer.
func (p *SlidingAggregate[K, V, A]) Init(t *engine.Task) error {
	s, err := t.Window(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	p.topic = storeTopic(s.ChangelogTopic(), p.Store)
	p.observed = t.StreamTime()
	p.starts = make(map[int64]bool)
	return nil
}

// Process implements engine.Processor.
func (p *SlidingAggregate[K, V, A]) Process(r engine.Record[K, V]) error {
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	if r.ValueNull {
		p.drops.drop(p.t, p.Node, engine.DropNullValue)
		return nil
	}
	ts := r.Timestamp
	p.observed = max(p.observed, ts)
	closeTime := p.observed - p.Grace
	if ts+p.Diff < closeTime {
		p.late(ts, ts, ts+p.Diff, closeTime)
		return nil
	}
	kb, err := p.KeySerde.Serialize(p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for store %s: %w", p.Node, p.Store, err)
	}
	clear(p.starts)
	if ts < p.Diff {
		return p.processEarly(r, kb, closeTime)
	}
	return p.processReverse(r, kb, closeTime)
}

// load reads key's windows starting in [from, to], in ascending or
// descending order of start, stopping after the first window for which
// stop returns true.
func (p *SlidingAggregate[K, V, A]) load(kb []byte, from, to int64, backward bool, stop func(w slidingWindow) bool) error {
	p.windows = p.windows[:0]
	seq := p.store.Store.FetchRange(kb, from, to)
	if backward {
		seq = p.store.Store.BackwardFetchRange(kb, from, to)
	}
	for e, err := range seq {
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
		}
		ts, agg, err := state.DecodeTimestamped(e.Value)
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
		}
		w := slidingWindow{start: e.WindowStart, ts: ts, agg: append([]byte(nil), agg...)}
		p.windows = append(p.windows, w)
		if stop != nil && stop(w) {
			break
		}
	}
	return nil
}

// processReverse handles a record at ts >= diff, walking its key's windows
// that start in [ts-2·diff, ts+1] from the latest.
func (p *SlidingAggregate[K, V, A]) processReverse(r engine.Record[K, V], kb []byte, closeTime int64) error {
	ts := r.Timestamp
	// Windows ending before ts end the walk: the first one is the
	// previous record's.
	err := p.load(kb, max(0, ts-2*p.Diff), ts+1, true, func(w slidingWindow) bool { return w.start+p.Diff < ts })
	if err != nil {
		return err
	}
	var leftAgg, rightAgg base
	leftCreated, rightCreated := false, false
	var prevTs int64
	hasPrev := false
	for _, w := range p.windows {
		p.starts[w.start] = true
		end := w.start + p.Diff
		switch {
		case w.start == ts+1:
			rightCreated = true
		case end > ts:
			if !rightAgg.valid {
				rightAgg = base{agg: w.agg, ts: w.ts, valid: true}
			}
			if err := p.update(r, kb, w.start, base{agg: w.agg, ts: w.ts, valid: true}, closeTime); err != nil {
				return err
			}
		case end == ts:
			leftCreated = true
			if err := p.update(r, kb, w.start, base{agg: w.agg, ts: w.ts, valid: true}, closeTime); err != nil {
				return err
			}
			if w.ts >= ts {
				// The windows of this and the previous record exist.
				return nil
			}
			prevTs, hasPrev = w.ts, true
		default: // end < ts: the last window of the previous record
			leftAgg = base{agg: w.agg, ts: w.ts, valid: true}
			prevTs, hasPrev = w.ts, true
		}
	}
	// The previous record's right window, if missing and ts falls into it.
	if hasPrev {
		if start := prevTs + 1; !p.starts[start] && start+p.Diff >= ts {
			if err := p.update(r, kb, start, base{}, closeTime); err != nil {
				return err
			}
		}
	}
	// The record's left window, holding the previous record's window's
	// records if that record is within diff.
	if !leftCreated {
		b := base{}
		if hasPrev && ts-p.Diff <= prevTs {
			b = base{agg: leftAgg.agg, ts: ts, valid: leftAgg.valid}
		}
		if err := p.update(r, kb, ts-p.Diff, b, closeTime); err != nil {
			return err
		}
	}
	if !rightCreated && rightAgg.valid && rightAgg.ts > ts {
		return p.createRight(r, kb, rightAgg)
	}
	return nil
}

// processEarly handles a record at ts < diff: such records share the window
// [0, diff] instead of having left windows, which would start before 0.
func (p *SlidingAggregate[K, V, A]) processEarly(r engine.Record[K, V], kb []byte, closeTime int64) error {
	ts := r.Timestamp
	if err := p.load(kb, 0, ts+1, false, nil); err != nil {
		return err
	}
	var combined, rightAgg base
	rightCreated := false
	var prevTs int64
	hasPrev := false
	for _, w := range p.windows {
		p.starts[w.start] = true
		switch {
		case w.start == 0:
			combined = base{agg: w.agg, ts: w.ts, valid: true}
			if w.ts < ts {
				prevTs, hasPrev = w.ts, true
			}
		case w.start <= ts:
			rightAgg = base{agg: w.agg, ts: w.ts, valid: true}
			if err := p.update(r, kb, w.start, rightAgg, closeTime); err != nil {
				return err
			}
		default: // w.start == ts+1
			rightCreated = true
		}
	}
	// Without a window starting after 0 that contains ts, the combined
	// window's records after ts form the record's right window.
	if !rightAgg.valid && combined.valid && combined.ts > ts {
		rightAgg = combined
	}
	if !rightCreated && rightAgg.valid && rightAgg.ts > ts {
		if err := p.createRight(r, kb, rightAgg); err != nil {
			return err
		}
	}
	if hasPrev && !p.starts[prevTs+1] {
		if err := p.update(r, kb, prevTs+1, base{}, closeTime); err != nil {
			return err
		}
	}
	return p.update(r, kb, 0, combined, closeTime)
}

// createRight creates the record's right window [ts+1, ts+1+diff] with the
// aggregate of the later records, agg, without aggregating the record.
func (p *SlidingAggregate[K, V, A]) createRight(r engine.Record[K, V], kb []byte, agg base) error {
	start := r.Timestamp + 1
	a, err := p.AggSerde.Deserialize(p.topic, agg.agg)
	if err != nil {
		return fmt.Errorf("%s: decode aggregate from store %s: %w", p.Node, p.Store, err)
	}
	if err := p.store.PutTimestamped(kb, start, agg.agg, agg.ts); err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
	}
	return p.Forward(engine.Record[window.Windowed[K], engine.Change[A]]{
		Key:       windowOf(r.Key, start, start+p.Diff),
		Value:     engine.Change[A]{New: a, HasNew: true},
		Timestamp: agg.ts,
		Headers:   r.Headers,
	})
}

// update aggregates the record into the window starting at start, which
// starts from b, unless the window has closed.
func (p *SlidingAggregate[K, V, A]) update(r engine.Record[K, V], kb []byte, start int64, b base, closeTime int64) error {
	end := start + p.Diff
	if end < closeTime {
		p.late(r.Timestamp, start, end, closeTime)
		return nil
	}
	var oldAgg, newAgg A
	ts := r.Timestamp
	if b.valid {
		var err error
		if oldAgg, err = p.AggSerde.Deserialize(p.topic, b.agg); err != nil {
			return fmt.Errorf("%s: decode aggregate from store %s: %w", p.Node, p.Store, err)
		}
		newAgg = p.Add(r.Key, r.Value, oldAgg)
		ts = max(ts, b.ts)
	} else {
		newAgg = p.Initial(r.Key, r.Value)
	}
	// A nil aggregate is null: the window's entry is deleted (or not
	// created) and a deletion forwarded, as Kafka Streams puts the null.
	// Later records find the window missing, as if it never existed.
	isNull := p.isNil.IsNil(&newAgg)
	var nb []byte
	if !isNull {
		var err error
		if nb, err = p.AggSerde.Serialize(p.topic, newAgg); err != nil {
			return fmt.Errorf("%s: serialize aggregate for store %s: %w", p.Node, p.Store, err)
		}
	}
	if err := p.store.PutTimestamped(kb, start, nb, ts); err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
	}
	// Old is the aggregate the update started from (Kafka Streams'
	// updateWindowAndForward): the window's, the one a new window is
	// seeded with, or Start().
	hasOld := b.valid
	if !b.valid && p.Start != nil {
		oldAgg = p.Start()
		hasOld = !p.isNil.IsNil(&oldAgg)
	}
	return p.Forward(engine.Record[window.Windowed[K], engine.Change[A]]{
		Key:       windowOf(r.Key, start, end),
		Value:     engine.Change[A]{New: newAgg, Old: oldAgg, HasNew: !isNull, HasOld: hasOld},
		Timestamp: ts,
		Headers:   r.Headers,
	})
}

func (p *SlidingAggregate[K, V, A]) late(ts, start, end, closeTime int64) {
	p.t.Drop(engine.DropLate)
	p.t.Logger().Debug("dropping late record for closed sliding window",
		"node", p.Node, "window", fmt.Sprintf("[%d,%d]", start, end), "timestamp", ts,
		"expiration", closeTime, "streamTime", p.observed)
}
