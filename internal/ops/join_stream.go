// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
)

// JoinTime is the time state the two sides of one stream–stream join share
// within a task (Kafka Streams' KStreamImplJoin.TimeTracker): the largest
// timestamp either side has seen, and a lower bound of the timestamps in
// the outer store, used to skip scans while no unmatched record can have
// expired.
type JoinTime struct {
	StreamTime int64
	// MinTime is math.MaxInt64 when unknown (empty store, or after a
	// restart): the next check then scans.
	MinTime int64
}

// NewJoinTime returns the state of a task that has seen no record.
func NewJoinTime() *JoinTime {
	return &JoinTime{StreamTime: engine.UnknownTime, MinTime: math.MaxInt64}
}

// StreamJoinSide is the shared logic of both sides of a windowed
// stream–stream join, written from the point of view of "this" side: each
// record of this side joins every record of the other side's window store
// with the same key and a timestamp in [ts-Before, ts+After] (the join
// windows mirrored for the right side), then is put into this side's store.
//
// Records with a null key or value are dropped, except that an outer side
// (left of a left join, both of an outer join) emits a null-key record at
// once with an absent partner (KIP-962). Unmatched records of an outer side
// go to the shared outer store and are emitted with an absent partner only
// once their window has closed and if no record joined them meanwhile (the
// KIP-633 / KAFKA-10847 spurious-result fix): a left record at ts when
// stream time > ts + after + grace, a right record when stream time >
// ts + before + grace. The check runs when a record advances stream time,
// as in Kafka Streams with its emit interval set to zero.
//
// Join results carry max(this ts, other ts); records emitted without a
// partner carry their own timestamp.
type StreamJoinSide[K, VThis, VOther, R any] struct {
	engine.Forwarder[K, R]
	Node  string
	drops dropLog // null keys and values dropped, logged
	// ThisStore and OtherStore are the duplicate-retaining window stores;
	// OuterStore the key-value store of unmatched records ("" for inner
	// joins).
	ThisStore, OtherStore, OuterStore string
	// IsLeft tells whether this is the left stream.
	IsLeft bool
	// Outer makes this side emit its unmatched records.
	Outer bool
	// Before and After bound the other side's timestamps relative to this
	// side's records; for the right side they are the join windows'
	// after and before.
	Before, After int64
	// WinBefore and WinAfter are the join windows' own bounds; Grace their
	// grace period; Retention the stores' retention.
	WinBefore, WinAfter, Grace, Retention int64
	KeySerde                              serde.Serde[K]
	ThisSerde                             serde.Serde[VThis]
	OtherSerde                            serde.Serde[VOther]
	// Joiner combines this side's value with the other side's; an absent
	// side is passed as its zero value with false.
	Joiner func(this VThis, thisOK bool, other VOther, otherOK bool) R
	// Time is shared with the other side; the topology links it.
	Time *JoinTime

	this, other *engine.WindowStore
	outer       *engine.KVStore
	t           *engine.Task
	topic       string
	matches     []match[VOther]
	expired     []expiredEntry
}

type match[V any] struct {
	ts    int64
	value V
}

type expiredEntry struct {
	key    []byte // outer-store key: ts ‖ side ‖ key
	values [][]byte
}

// Init implements engine.Initializer.
func (p *StreamJoinSide[K, VThis, VOther, R]) Init(t *engine.Task) error {
	var err error
	if p.this, err = t.Window(p.ThisStore); err != nil {
		return err
	}
	if p.other, err = t.Window(p.OtherStore); err != nil {
		return err
	}
	if p.OuterStore != "" {
		if p.outer, err = t.KeyValue(p.OuterStore); err != nil {
			return err
		}
	}
	if p.Time == nil {
		return fmt.Errorf("%s: join time tracker not linked", p.Node)
	}
	p.t = t
	p.topic = storeTopic(p.this.ChangelogTopic(), p.ThisStore)
	return nil
}

// Process implements engine.Processor.
func (p *StreamJoinSide[K, VThis, VOther, R]) Process(r engine.Record[K, VThis]) error {
	ts := r.Timestamp
	jt := p.Time
	jt.StreamTime = max(jt.StreamTime, ts)
	if r.KeyNull || r.ValueNull {
		if p.Outer && r.KeyNull && !r.ValueNull {
			var zero VOther
			return p.Forward(engine.Record[K, R]{KeyNull: true, Value: p.Joiner(r.Value, true, zero, false), Timestamp: ts, Headers: r.Headers})
		}
		if r.KeyNull {
			p.drops.drop(p.t, p.Node, engine.DropNullKey)
		} else {
			p.drops.drop(p.t, p.Node, engine.DropNullValue)
		}
		return nil
	}
	if p.outer != nil && ts == jt.StreamTime {
		if err := p.emitExpired(r); err != nil {
			return err
		}
	}
	kb, err := p.KeySerde.Serialize(p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for store %s: %w", p.Node, p.ThisStore, err)
	}
	// The store returns only windows starting after observed time -
	// retention, as Kafka Streams' window stores do.
	from, to := max(0, ts-p.Before), max(0, ts+p.After)
	p.matches = p.matches[:0]
	if from <= to {
		for e, err := range p.other.Store.FetchRange(kb, from, to) {
			if err != nil {
				return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.OtherStore, err))
			}
			if len(e.Value) < 8 {
				return fmt.Errorf("%s: store %s: corrupt timestamped value of %d bytes", p.Node, p.OtherStore, len(e.Value))
			}
			v, err := p.OtherSerde.Deserialize(p.topic, e.Value[8:])
			if err != nil {
				return fmt.Errorf("%s: decode value from store %s: %w", p.Node, p.OtherStore, err)
			}
			p.matches = append(p.matches, match[VOther]{ts: e.WindowStart, value: v})
		}
	}
	for _, m := range p.matches {
		if p.outer != nil {
			// The matched record is no longer a candidate for a null-partner
			// result (ListValueStore.putIfAbsent(key, null) in Kafka Streams).
			ok := outerKey(m.ts, !p.IsLeft, kb)
			if _, _, found, err := p.outer.GetTimestamped(ok); err != nil {
				return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.OuterStore, err))
			} else if found {
				if err := p.outer.PutTimestamped(ok, nil, m.ts); err != nil {
					return fmt.Errorf("%s: write store %s: %w", p.Node, p.OuterStore, err)
				}
			}
		}
		out := engine.Record[K, R]{Key: r.Key, Value: p.Joiner(r.Value, true, m.value, true), Timestamp: max(ts, m.ts), Headers: r.Headers}
		if err := p.Forward(out); err != nil {
			return err
		}
	}
	vb, err := p.ThisSerde.Serialize(p.topic, r.Value)
	if err != nil {
		return fmt.Errorf("%s: serialize value for store %s: %w", p.Node, p.ThisStore, err)
	}
	if len(p.matches) == 0 && p.Outer {
		if p.outer == nil || to < jt.StreamTime {
			// The window has already closed: nothing can join it any more.
			var zero VOther
			if err := p.Forward(engine.Record[K, R]{Key: r.Key, Value: p.Joiner(r.Value, true, zero, false), Timestamp: ts, Headers: r.Headers}); err != nil {
				return err
			}
		} else {
			jt.MinTime = min(jt.MinTime, ts)
			if err := p.addOuter(outerKey(ts, p.IsLeft, kb), vb, ts); err != nil {
				return err
			}
		}
	}
	if obs := p.this.Store.ObservedTime(); obs != math.MinInt64 && ts <= obs-p.Retention {
		p.t.Drop(engine.DropExpired)
		return nil
	}
	if err := p.this.PutTimestamped(kb, ts, vb, ts); err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.ThisStore, err)
	}
	return nil
}

// addOuter appends this side's value to the list stored under key.
func (p *StreamJoinSide[K, VThis, VOther, R]) addOuter(key, value []byte, ts int64) error {
	old, _, found, err := p.outer.GetTimestamped(key)
	if err != nil {
		return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.OuterStore, err))
	}
	var list [][]byte
	if found {
		if list, err = decodeList(old); err != nil {
			return fmt.Errorf("%s: store %s: %w", p.Node, p.OuterStore, err)
		}
	}
	side := byte(0)
	if p.IsLeft {
		side = 1
	}
	list = append(list, append([]byte{side}, value...))
	if err := p.outer.PutTimestamped(key, encodeList(list), ts); err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.OuterStore, err)
	}
	return nil
}

// emitExpired emits, with an absent partner, the outer store's records
// whose window has closed, in the store's order (timestamp, then right
// before left, then key), and deletes them. It follows Kafka Streams'
// KStreamKStreamJoin.emitNonJoinedOuterRecords, including its bookkeeping
// of the shared minimum timestamp.
func (p *StreamJoinSide[K, VThis, VOther, R]) emitExpired(r engine.Record[K, VThis]) error {
	jt := p.Time
	if jt.MinTime != math.MaxInt64 && jt.MinTime+p.After+p.Grace >= jt.StreamTime {
		return nil
	}
	jt.MinTime = math.MaxInt64
	p.expired = p.expired[:0]
	leftOpen, rightOpen := false, false
	for kv, err := range p.outer.Store.All() {
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.OuterStore, err))
		}
		ts, isLeft, _, err := splitOuterKey(kv.Key)
		if err != nil {
			return fmt.Errorf("%s: store %s: %w", p.Node, p.OuterStore, err)
		}
		jt.MinTime = ts
		if leftOpen && rightOpen {
			break
		}
		lookBack := p.WinBefore
		if isLeft {
			lookBack = p.WinAfter
		}
		if ts+lookBack+p.Grace >= jt.StreamTime {
			if isLeft {
				leftOpen = true
			} else {
				rightOpen = true
			}
			continue
		}
		if len(kv.Value) < 8 {
			return fmt.Errorf("%s: store %s: corrupt timestamped value of %d bytes", p.Node, p.OuterStore, len(kv.Value))
		}
		list, err := decodeList(kv.Value[8:])
		if err != nil {
			return fmt.Errorf("%s: store %s: %w", p.Node, p.OuterStore, err)
		}
		p.expired = append(p.expired, expiredEntry{key: bytes.Clone(kv.Key), values: list})
	}
	for _, e := range p.expired {
		ts, isLeft, kb, _ := splitOuterKey(e.key)
		key, err := p.KeySerde.Deserialize(p.topic, kb)
		if err != nil {
			return fmt.Errorf("%s: decode key from store %s: %w", p.Node, p.OuterStore, err)
		}
		for _, v := range e.values {
			out, err := p.nullJoin(isLeft, v)
			if err != nil {
				return err
			}
			if err := p.Forward(engine.Record[K, R]{Key: key, Value: out, Timestamp: ts, Headers: r.Headers}); err != nil {
				return err
			}
		}
		if err := p.outer.PutTimestamped(e.key, nil, ts); err != nil {
			return fmt.Errorf("%s: write store %s: %w", p.Node, p.OuterStore, err)
		}
	}
	return nil
}

// nullJoin joins an outer-store value of side isLeft with an absent partner.
func (p *StreamJoinSide[K, VThis, VOther, R]) nullJoin(isLeft bool, v []byte) (R, error) {
	var zero R
	if len(v) < 1 {
		return zero, fmt.Errorf("%s: store %s: empty join-side value", p.Node, p.OuterStore)
	}
	if isLeft == p.IsLeft {
		tv, err := p.ThisSerde.Deserialize(p.topic, v[1:])
		if err != nil {
			return zero, fmt.Errorf("%s: decode value from store %s: %w", p.Node, p.OuterStore, err)
		}
		var none VOther
		return p.Joiner(tv, true, none, false), nil
	}
	ov, err := p.OtherSerde.Deserialize(p.topic, v[1:])
	if err != nil {
		return zero, fmt.Errorf("%s: decode value from store %s: %w", p.Node, p.OuterStore, err)
	}
	var none VThis
	return p.Joiner(none, false, ov, true), nil
}

// The outer store uses Kafka Streams' layouts, so its changelog is
// byte-compatible: key = 8-byte big-endian timestamp ‖ side (1 left, 0
// right) ‖ key bytes (TimestampedKeyAndJoinSide); value = a ListSerde list
// (strategy byte 1 = variable size, 4-byte count, then 4-byte length ‖
// bytes per element) of side byte ‖ value bytes (LeftOrRightValue).

func outerKey(ts int64, isLeft bool, key []byte) []byte {
	b := make([]byte, 0, 9+len(key))
	b = binary.BigEndian.AppendUint64(b, uint64(ts))
	if isLeft {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	return append(b, key...)
}

func splitOuterKey(b []byte) (ts int64, isLeft bool, key []byte, err error) {
	if len(b) < 9 {
		return 0, false, nil, fmt.Errorf("corrupt outer join key of %d bytes", len(b))
	}
	return int64(binary.BigEndian.Uint64(b)), b[8] == 1, b[9:], nil
}

const listVariableSize = 1

func encodeList(list [][]byte) []byte {
	n := 5
	for _, e := range list {
		n += 4 + len(e)
	}
	b := make([]byte, 0, n)
	b = append(b, listVariableSize)
	b = binary.BigEndian.AppendUint32(b, uint32(len(list)))
	for _, e := range list {
		b = binary.BigEndian.AppendUint32(b, uint32(len(e)))
		b = append(b, e...)
	}
	return b
}

var errCorruptList = errors.New("corrupt value list")

func decodeList(b []byte) ([][]byte, error) {
	if len(b) < 5 || b[0] != listVariableSize {
		return nil, errCorruptList
	}
	n := binary.BigEndian.Uint32(b[1:])
	b = b[5:]
	out := make([][]byte, 0, min(int(n), len(b)/4))
	for range n {
		if len(b) < 4 {
			return nil, errCorruptList
		}
		l := binary.BigEndian.Uint32(b)
		b = b[4:]
		if uint64(len(b)) < uint64(l) {
			return nil, errCorruptList
		}
		out = append(out, bytes.Clone(b[:l]))
		b = b[l:]
	}
	return out, nil
}
