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

// The processors of the foreign-key table–table join (KIP-213), after
// Kafka Streams' foreignkeyjoin package. The left table's changes become
// subscriptions (FKSubscriptionSend) sent, keyed by foreign key, to the
// right table's partitions; there they are kept in the subscription store
// (FKSubscriptionReceive) and answered with the right row
// (FKSubscriptionJoin), and every change of a right row answers all its
// subscribers (FKForeignJoin). The responses go back, keyed by the left
// key, to the left row's partition, where FKResponseJoin drops those made
// for a left value that has changed since (their hash differs) and joins
// the others.

// DropStaleResponse counts the responses FKResponseJoin drops because the
// left row changed after their subscription.
const DropStaleResponse = engine.DropStaleResponse

// FKSubscriptionSend turns each change of a left row into subscription
// records keyed by the foreign key (Kafka Streams'
// SubscriptionSendProcessorSupplier): an insert subscribes, a change of
// foreign key unsubscribes from the old one (FKDeleteNoPropagate) and
// subscribes to the new one, a deletion unsubscribes and asks for a
// tombstone. A left join also subscribes for deletions and rows without a
// foreign key, with a null key, to get the response that emits the left
// row alone (or a tombstone). An inner join drops rows without a foreign
// key. An out-of-order update of a versioned left table (Change.NotLatest)
// sends nothing (Kafka Streams' versioned semantics, KIP-914).
type FKSubscriptionSend[K, V, KO any] struct {
	engine.Forwarder[KO, FKSubscription[K]]
	Node       string
	drops      dropLog // rows without a foreign key, logged
	Left       bool
	ForeignKey func(K, V) (KO, bool) // the row's key and value
	// FKSerde and FKTopic compare foreign keys by their bytes; ValueSerde
	// and HashTopic hash the new value.
	FKSerde    serde.Serde[KO]
	FKTopic    string
	ValueSerde serde.Serde[V]
	HashTopic  string
	t          *engine.Task
}

// Init implements engine.Initializer.
func (p *FKSubscriptionSend[K, V, KO]) Init(t *engine.Task) error { p.t = t; return nil }

// Process implements engine.Processor.
func (p *FKSubscriptionSend[K, V, KO]) Process(r engine.Record[K, engine.Change[V]]) error {
	if r.Value.NotLatest {
		return nil // an out-of-order update of a versioned table: history only
	}
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	ch := r.Value
	hash := FKHash{Null: true}
	if ch.HasNew {
		b, err := p.ValueSerde.Serialize(p.HashTopic, ch.New)
		if err != nil {
			return fmt.Errorf("%s: serialize value to hash: %w", p.Node, err)
		}
		hash = HashValue(b)
	}
	var oldFK, newFK KO
	var hasOldFK, hasNewFK bool
	if ch.HasOld {
		oldFK, hasOldFK = p.ForeignKey(r.Key, ch.Old)
	}
	if ch.HasNew {
		newFK, hasNewFK = p.ForeignKey(r.Key, ch.New)
	}
	send := func(fk KO, has bool, in FKInstruction) error {
		return p.Forward(engine.Record[KO, FKSubscription[K]]{
			Key: fk, KeyNull: !has, Timestamp: r.Timestamp, Headers: r.Headers,
			Value: FKSubscription[K]{Hash: hash, Instruction: in, PK: r.Key, Partition: p.t.ID().Partition},
		})
	}
	if p.Left {
		if !ch.HasOld && !ch.HasNew {
			return nil // deleting an absent row
		}
		if hasOldFK {
			changed, err := p.changed(oldFK, newFK, hasNewFK)
			if err != nil {
				return err
			}
			if changed {
				if err := send(oldFK, true, FKDeleteNoPropagate); err != nil {
					return err
				}
			}
		}
		return send(newFK, hasNewFK, FKPropagateNullIfNoValue)
	}
	if !ch.HasNew {
		if hasOldFK {
			return send(oldFK, true, FKDeleteAndPropagate)
		}
		return nil
	}
	if !hasNewFK {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		if hasOldFK {
			return send(oldFK, true, FKDeleteAndPropagate)
		}
		return nil
	}
	if !hasOldFK {
		return send(newFK, true, FKPropagateOnlyIfValue)
	}
	changed, err := p.changed(oldFK, newFK, true)
	if err != nil {
		return err
	}
	if !changed {
		return send(newFK, true, FKPropagateOnlyIfValue)
	}
	if err := send(oldFK, true, FKDeleteNoPropagate); err != nil {
		return err
	}
	return send(newFK, true, FKPropagateNullIfNoValue)
}

// changed compares two foreign keys by their serialized bytes; no new key
// differs from any old one.
func (p *FKSubscriptionSend[K, V, KO]) changed(oldFK, newFK KO, hasNew bool) (bool, error) {
	if !hasNew {
		return true, nil
	}
	ob, err := p.FKSerde.Serialize(p.FKTopic, oldFK)
	if err != nil {
		return false, fmt.Errorf("%s: serialize foreign key: %w", p.Node, err)
	}
	nb, err := p.FKSerde.Serialize(p.FKTopic, newFK)
	if err != nil {
		return false, fmt.Errorf("%s: serialize foreign key: %w", p.Node, err)
	}
	return !bytes.Equal(ob, nb), nil
}

// FKCombinedKey is a subscription's key on the right side: the foreign key
// (none for a left join's subscription without one) and the left key.
type FKCombinedKey[KO, K any] struct {
	FK     KO
	FKNull bool
	PK     K
}

// FKSubscriptionReceive keeps the subscriptions a right partition receives
// in the subscription store, under FKCombinedKey bytes (Kafka Streams'
// SubscriptionReceiveProcessorSupplier): the unsubscribing instructions
// delete, the others put. A subscription without a foreign key (from a left
// join) is passed on without being stored; others without a key are
// dropped.
type FKSubscriptionReceive[KO, K any] struct {
	engine.Forwarder[FKCombinedKey[KO, K], FKSubscription[K]]
	Node         string
	drops        dropLog
	Store        string
	FKSerde      serde.Serde[KO]
	FKTopic      string
	Subscription FKSubscriptionSerde[K]
	store        *engine.KVStore
	t            *engine.Task
}

// Init implements engine.Initializer.
func (p *FKSubscriptionReceive[KO, K]) Init(t *engine.Task) error {
	s, err := t.KeyValue(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	return nil
}

// Process implements engine.Processor.
func (p *FKSubscriptionReceive[KO, K]) Process(r engine.Record[KO, FKSubscription[K]]) error {
	if r.ValueNull {
		p.drops.drop(p.t, p.Node, engine.DropNullValue)
		return nil
	}
	sub := r.Value
	if r.KeyNull {
		if sub.Instruction != FKPropagateNullIfNoValue {
			p.drops.drop(p.t, p.Node, engine.DropNullKey)
			return nil
		}
	} else {
		fk, err := p.FKSerde.Serialize(p.FKTopic, r.Key)
		if err != nil {
			return fmt.Errorf("%s: serialize foreign key: %w", p.Node, err)
		}
		pk, err := p.Subscription.PK.Serialize(p.Subscription.PKTopic, sub.PK)
		if err != nil {
			return fmt.Errorf("%s: serialize primary key: %w", p.Node, err)
		}
		var val []byte
		if sub.Instruction != FKDeleteNoPropagate && sub.Instruction != FKDeleteAndPropagate {
			if val, err = p.Subscription.Serialize("", sub); err != nil {
				return fmt.Errorf("%s: %w", p.Node, err)
			}
		}
		if err := p.store.PutTimestamped(fkCombinedKey(fk, pk), val, r.Timestamp); err != nil {
			return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
		}
	}
	return p.Forward(engine.Record[FKCombinedKey[KO, K], FKSubscription[K]]{
		Key: FKCombinedKey[KO, K]{FK: r.Key, FKNull: r.KeyNull, PK: sub.PK}, Value: sub,
		Timestamp: r.Timestamp, Headers: r.Headers,
	})
}

// FKSubscriptionJoin answers a subscription with the right row of its
// foreign key, read from the right table's store (Kafka Streams'
// SubscriptionJoinProcessorSupplier). The response carries the larger of
// the two timestamps and goes to the left row's partition; by
// instruction: FKDeleteAndPropagate answers with no value,
// FKPropagateNullIfNoValue with the row or no value, FKPropagateOnlyIfValue
// only if the row exists, FKDeleteNoPropagate never.
type FKSubscriptionJoin[KO, K, VO any] struct {
	engine.Forwarder[K, FKResponse[VO]]
	Node  string
	Store string
	// Rows, if set, reads the right table's latest rows through a lookup
	// instead of Store: a versioned table's store, or a Filter, MapValues
	// or TransformValues of one read through its store (Kafka Streams'
	// value getter get(key) on a versioned table); it returns the lookup
	// and what closes it.
	Rows       func(t *engine.Task) (AsOf[KO, VO], func() error, error)
	KeySerde   serde.Serde[KO]
	ValueSerde serde.Serde[VO]
	store      *engine.KVStore
	get        AsOf[KO, VO]
	closeRows  func() error
	topic      string
}

// Init implements engine.Initializer.
func (p *FKSubscriptionJoin[KO, K, VO]) Init(t *engine.Task) error {
	if p.Rows != nil {
		get, closeRows, err := p.Rows(t)
		if err != nil {
			return err
		}
		p.get, p.closeRows = get, closeRows
		return nil
	}
	s, err := t.KeyValue(p.Store)
	if err != nil {
		return err
	}
	p.store = s
	p.topic = storeTopic(s.ChangelogTopic(), p.Store)
	return nil
}

// Process implements engine.Processor.
func (p *FKSubscriptionJoin[KO, K, VO]) Process(r engine.Record[FKCombinedKey[KO, K], FKSubscription[K]]) error {
	sub := r.Value
	var row VO
	var rowTS int64
	found := false
	if !r.Key.FKNull {
		var err error
		if p.get != nil {
			if row, rowTS, found, err = p.get(r.Key.FK, math.MaxInt64); err != nil { // the latest version
				return err
			}
		} else if row, rowTS, found, err = lookup(p.store, p.KeySerde, p.ValueSerde, p.topic, r.Key.FK); err != nil {
			return fmt.Errorf("%s: store %s: %w", p.Node, p.Store, err)
		}
	}
	ts := r.Timestamp
	if found {
		ts = max(ts, rowTS)
	}
	resp := FKResponse[VO]{Hash: sub.Hash, Partition: sub.Partition}
	switch sub.Instruction {
	case FKDeleteAndPropagate:
	case FKPropagateNullIfNoValue:
		resp.Value, resp.HasValue = row, found
	case FKPropagateOnlyIfValue:
		if !found {
			return nil
		}
		resp.Value, resp.HasValue = row, true
	case FKDeleteNoPropagate:
		return nil
	default:
		return fmt.Errorf("%s: unknown subscription instruction %v", p.Node, sub.Instruction)
	}
	return p.Forward(engine.Record[K, FKResponse[VO]]{Key: sub.PK, Value: resp, Timestamp: ts, Headers: r.Headers})
}

// Close implements engine.Closer: it closes the right table's lookup.
func (p *FKSubscriptionJoin[KO, K, VO]) Close() error {
	closeRows := p.closeRows
	p.closeRows = nil
	if closeRows == nil {
		return nil
	}
	return closeRows()
}

// FKForeignJoin answers every subscriber of a right row when the row
// changes (Kafka Streams' ForeignTableJoinProcessorSupplier): it scans the
// subscription store for the row's foreign key and sends each subscribed
// left key the new row (none if deleted), with the subscription's hash, to
// the left row's partition, at the right record's timestamp. An
// out-of-order update of a versioned right table (Change.NotLatest)
// answers nobody (Kafka Streams' versioned semantics, KIP-914).
type FKForeignJoin[KO, K, VO any] struct {
	engine.Forwarder[K, FKResponse[VO]]
	Node         string
	drops        dropLog
	Store        string
	FKSerde      serde.Serde[KO]
	FKTopic      string
	Subscription FKSubscriptionSerde[K]
	store        *engine.KVStore
	t            *engine.Task
	prefix       []byte
}

// Init implements engine.Initializer.
func (p *FKForeignJoin[KO, K, VO]) Init(t *engine.Task) error {
	s, err := t.KeyValue(p.Store)
	if err != nil {
		return err
	}
	if s.Cached() {
		return fmt.Errorf("%s: the subscription store %s must not be cached", p.Node, p.Store)
	}
	p.store, p.t = s, t
	return nil
}

// Process implements engine.Processor.
func (p *FKForeignJoin[KO, K, VO]) Process(r engine.Record[KO, engine.Change[VO]]) error {
	if r.Value.NotLatest {
		return nil // an out-of-order update of a versioned table: history only
	}
	if r.KeyNull {
		p.drops.drop(p.t, p.Node, engine.DropNullKey)
		return nil
	}
	fk, err := p.FKSerde.Serialize(p.FKTopic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize foreign key: %w", p.Node, err)
	}
	p.prefix = fkPrefix(p.prefix[:0], fk)
	// The scan reads a snapshot; forwarding only sends responses, it
	// writes no store of this task.
	for kv, err := range p.store.Store.PrefixScan(p.prefix) {
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: scan store %s: %w", p.Node, p.Store, err))
		}
		if len(kv.Value) < 8 {
			return fmt.Errorf("%s: store %s: corrupt timestamped value of %d bytes", p.Node, p.Store, len(kv.Value))
		}
		// The subscription holds the left key the store key ends with.
		sub, err := p.Subscription.Deserialize("", kv.Value[8:])
		if err != nil {
			return fmt.Errorf("%s: store %s: %w", p.Node, p.Store, err)
		}
		resp := FKResponse[VO]{Hash: sub.Hash, Value: r.Value.New, HasValue: r.Value.HasNew, Partition: sub.Partition}
		if err := p.Forward(engine.Record[K, FKResponse[VO]]{Key: sub.PK, Value: resp, Timestamp: r.Timestamp, Headers: r.Headers}); err != nil {
			return err
		}
	}
	return nil
}

// FKResponseJoin resolves responses on the left row's partition (Kafka
// Streams' ResponseJoinProcessorSupplier): a response whose hash is not
// that of the left row's current value was made for an older value and is
// dropped (counted as DropStaleResponse); otherwise the result is
// Joiner(left, right, found), or a tombstone when there is no right value
// in an inner join or the left row is gone.
//
// The result table's old values come from the result store, which keeps,
// per left key, the serialized left and right values the current result
// was joined from (so the joiner must be pure); a tombstone removes them.
// The result is forwarded as a table change at the response's timestamp.
type FKResponseJoin[K, V, VO, VR any] struct {
	engine.Forwarder[K, engine.Change[VR]]
	Node      string
	Left      bool
	LeftStore string
	// LeftRows, if set, reads the left table's latest rows through a
	// lookup instead of LeftStore (see FKSubscriptionJoin.Rows).
	LeftRows    func(t *engine.Task) (AsOf[K, V], func() error, error)
	KeySerde    serde.Serde[K]
	ValueSerde  serde.Serde[V]
	HashTopic   string
	Foreign     serde.Serde[VO]
	ResultStore string
	Joiner      func(v V, other VO, found bool) VR
	left        *engine.KVStore
	get         AsOf[K, V]
	closeLeft   func() error
	result      *engine.KVStore
	leftTopic   string
	resultTopic string
	t           *engine.Task
	buf         []byte
}

// Init implements engine.Initializer.
func (p *FKResponseJoin[K, V, VO, VR]) Init(t *engine.Task) error {
	res, err := t.KeyValue(p.ResultStore)
	if err != nil {
		return err
	}
	p.result, p.t = res, t
	p.resultTopic = storeTopic(res.ChangelogTopic(), p.ResultStore)
	if p.LeftRows != nil {
		get, closeLeft, err := p.LeftRows(t)
		if err != nil {
			return err
		}
		// The left values the result store keeps are serialized as
		// for the hash.
		p.get, p.closeLeft, p.leftTopic = get, closeLeft, p.HashTopic
		return nil
	}
	l, err := t.KeyValue(p.LeftStore)
	if err != nil {
		return err
	}
	p.left = l
	p.leftTopic = storeTopic(l.ChangelogTopic(), p.LeftStore)
	return nil
}

// Close implements engine.Closer: it closes the left table's lookup.
func (p *FKResponseJoin[K, V, VO, VR]) Close() error {
	closeLeft := p.closeLeft
	p.closeLeft = nil
	if closeLeft == nil {
		return nil
	}
	return closeLeft()
}

// Process implements engine.Processor.
func (p *FKResponseJoin[K, V, VO, VR]) Process(r engine.Record[K, FKResponse[VO]]) error {
	if r.KeyNull || r.ValueNull {
		p.t.Drop(engine.DropNullKey)
		return nil
	}
	kb, err := p.KeySerde.Serialize(p.leftTopic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key: %w", p.Node, err)
	}
	var cur V
	var lb []byte
	var found bool
	if p.get != nil {
		if cur, _, found, err = p.get(r.Key, math.MaxInt64); err != nil { // the latest version
			return err
		}
	} else {
		if lb, _, found, err = p.left.GetTimestamped(kb); err != nil {
			return fmt.Errorf("%s: store %s: %w", p.Node, p.LeftStore, err)
		}
		if found {
			lb = bytes.Clone(lb)
			if cur, err = p.ValueSerde.Deserialize(p.leftTopic, lb); err != nil {
				return fmt.Errorf("%s: decode value from store %s: %w", p.Node, p.LeftStore, err)
			}
		}
	}
	current := FKHash{Null: true}
	if found {
		hb, err := p.ValueSerde.Serialize(p.HashTopic, cur)
		if err != nil {
			return fmt.Errorf("%s: serialize value to hash: %w", p.Node, err)
		}
		current = HashValue(hb)
		if p.get != nil {
			lb = bytes.Clone(hb)
		}
	}
	resp := r.Value
	if resp.Hash != current {
		p.t.Drop(DropStaleResponse)
		return nil
	}
	rb, _, hadResult, err := p.result.GetTimestamped(kb)
	if err != nil {
		return fmt.Errorf("%s: store %s: %w", p.Node, p.ResultStore, err)
	}
	var out engine.Change[VR]
	if hadResult {
		if out.Old, err = p.decodeResult(rb); err != nil {
			return fmt.Errorf("%s: store %s: %w", p.Node, p.ResultStore, err)
		}
		out.HasOld = true
	}
	var state []byte
	if found && (resp.HasValue || p.Left) {
		out.New, out.HasNew = p.Joiner(cur, resp.Value, resp.HasValue), true
		if state, err = p.encodeResult(lb, resp); err != nil {
			return fmt.Errorf("%s: %w", p.Node, err)
		}
	}
	if state != nil || hadResult {
		if err := p.result.PutTimestamped(kb, state, r.Timestamp); err != nil {
			return fmt.Errorf("%s: write store %s: %w", p.Node, p.ResultStore, err)
		}
	}
	return p.Forward(engine.Record[K, engine.Change[VR]]{Key: r.Key, Value: out, Timestamp: r.Timestamp, Headers: r.Headers})
}

// encodeResult is the result store's value: flag (1: right value present)
// ‖ 4-byte length of the left value ‖ left value ‖ right value, the left
// value as the left store holds it, the right one serialized for the
// result store's topic.
func (p *FKResponseJoin[K, V, VO, VR]) encodeResult(left []byte, resp FKResponse[VO]) ([]byte, error) {
	var right []byte
	flag := byte(0)
	if resp.HasValue {
		var err error
		if right, err = p.Foreign.Serialize(p.resultTopic, resp.Value); err != nil {
			return nil, fmt.Errorf("serialize right value: %w", err)
		}
		flag = 1
	}
	p.buf = append(p.buf[:0], flag)
	p.buf = binary.BigEndian.AppendUint32(p.buf, uint32(len(left)))
	p.buf = append(p.buf, left...)
	return append(p.buf, right...), nil
}

// decodeResult joins the inputs a result store value holds.
func (p *FKResponseJoin[K, V, VO, VR]) decodeResult(b []byte) (VR, error) {
	var zero VR
	if len(b) < 5 {
		return zero, errors.New("corrupt result value")
	}
	flag, n := b[0], binary.BigEndian.Uint32(b[1:])
	if uint64(n) > uint64(len(b)-5) {
		return zero, errors.New("corrupt result value")
	}
	l, err := p.ValueSerde.Deserialize(p.leftTopic, b[5:5+n])
	if err != nil {
		return zero, fmt.Errorf("decode left value: %w", err)
	}
	var o VO
	if flag == 1 {
		if o, err = p.Foreign.Deserialize(p.resultTopic, b[5+n:]); err != nil {
			return zero, fmt.Errorf("decode right value: %w", err)
		}
	}
	return p.Joiner(l, o, flag == 1), nil
}
