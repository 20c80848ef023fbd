// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
	"github.com/eddy-streams/eddy/window"
)

// SessionAggregate folds a grouped stream into per-session aggregates, as
// Kafka Streams' KStreamSessionWindowAggregate does:
//
//   - Only records with a null key are dropped; null values reach the
//     aggregator as the zero value.
//   - A record at ts merges every session of its key that overlaps
//     [ts-gap, ts+gap] (end >= ts-gap, start <= ts+gap) and that the store
//     still holds (end > its observed time - retention) into one session
//     spanning them and ts. The aggregate starts from the merged sessions'
//     aggregates, combined in store order (by end, then start) with First
//     and Merge, and then takes the record with Add; without sessions to
//     merge it is Initial(key, value).
//   - If the resulting session ends before stream time - grace - gap, the
//     record is dropped and counted as late; nothing changes.
//   - Unless the result is the single-point session [ts, ts], every merged
//     session is removed and a tombstone (old aggregate, no new value) is
//     forwarded for its key, at its end time; then the new session is stored
//     and forwarded with no old value, at its end time.
//
// Forwarded records carry no headers, as in Kafka Streams, which builds new
// records for session results.
type SessionAggregate[K, V, A any] struct {
	engine.Forwarder[window.Windowed[K], engine.Change[A]]
	Node     string
	drops    dropLog // null keys and values dropped, logged
	Store    string
	Gap      int64
	Grace    int64
	KeySerde serde.Serde[K]
	AggSerde serde.Serde[A]
	// Initial aggregates a record into a new session.
	Initial func(key K, value V) A
	// Add aggregates a record into the merged sessions' aggregate.
	Add func(key K, value V, agg A) A
	// First turns the first merged session's aggregate into the running
	// aggregate (Kafka Streams: merger(initializer(), agg)).
	First func(key K, agg A) A
	// Merge combines the running aggregate with the next merged session's.
	Merge    func(key K, agg, next A) A
	store    *engine.SessionStore
	t        *engine.Task
	topic    string
	observed int64
	merged   []mergedSession[A]
	isNil    engine.NilCheck[A]
}

type mergedSession[A any] struct {
	start, end int64
	agg        A
}

// Init implements engine.Initializer.
func (p *SessionAggregate[K, V, A]) Init(t *engine.Task) error {
	s, err := t.Session(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	p.topic = storeTopic(s.ChangelogTopic(), p.Store)
	p.observed = t.StreamTime()
	return nil
}

// Process implements engine.Processor.
func (p *SessionAggregate[K, V, A]) Process(r engine.Record[K, V]) error {
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	ts := r.Timestamp
	p.observed = max(p.observed, ts)
	closeTime := p.observed - p.Grace - p.Gap
	kb, err := p.KeySerde.Serialize(p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for store %s: %w", p.Node, p.Store, err)
	}
	var agg A
	have := false
	start, end := ts, ts
	p.merged = p.merged[:0]
	for e, err := range p.store.Store.FindSessions(kb, ts-p.Gap, ts+p.Gap) {
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
		}
		a, err := p.AggSerde.Deserialize(p.topic, e.Value)
		if err != nil {
			return fmt.Errorf("%s: decode aggregate from store %s: %w", p.Node, p.Store, err)
		}
		if have {
			agg = p.Merge(r.Key, agg, a)
		} else {
			agg, have = p.First(r.Key, a), true
		}
		p.merged = append(p.merged, mergedSession[A]{start: e.Start, end: e.End, agg: a})
		start, end = min(start, e.Start), max(end, e.End)
	}
	if end < closeTime {
		p.t.Drop(engine.DropLate)
		p.t.Logger().Debug("dropping late record for closed session",
			"node", p.Node, "session", fmt.Sprintf("[%d,%d]", start, end), "timestamp", ts,
			"expiration", closeTime, "streamTime", p.observed)
		return nil
	}
	if start != ts || end != ts {
		for _, m := range p.merged {
			if err := p.store.Put(kb, m.start, m.end, nil, ts); err != nil {
				return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
			}
			err := p.Forward(engine.Record[window.Windowed[K], engine.Change[A]]{
				Key:       windowOf(r.Key, m.start, m.end),
				Value:     engine.Change[A]{Old: m.agg, HasOld: true},
				Timestamp: m.end,
			})
			if err != nil {
				return err
			}
		}
	}
	if have {
		agg = p.Add(r.Key, r.Value, agg)
	} else {
		agg = p.Initial(r.Key, r.Value)
	}
	// A nil aggregate is null: as Kafka Streams puts the null, the session
	// is removed (a tombstone in the changelog) and a deletion forwarded.
	isNull := p.isNil.IsNil(&agg)
	var nb []byte
	if !isNull {
		if nb, err = p.AggSerde.Serialize(p.topic, agg); err != nil {
			return fmt.Errorf("%s: serialize aggregate for store %s: %w", p.Node, p.Store, err)
		}
		if nb == nil {
			nb = []byte{} // nil would remove the session
		}
	}
	if err := p.store.Put(kb, start, end, nb, ts); err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
	}
	return p.Forward(engine.Record[window.Windowed[K], engine.Change[A]]{
		Key:       windowOf(r.Key, start, end),
		Value:     engine.Change[A]{New: agg, HasNew: !isNull},
		Timestamp: end,
	})
}
