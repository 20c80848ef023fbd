// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package ops

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/serde"
)

// Suppress holds back table updates in a store-backed, time-ordered buffer
// and forwards them later, as Kafka Streams' KTableSuppressProcessor does:
//
//   - Each update is buffered under its key with a buffer time
//     (BufferTime: the window end for final results, the record timestamp
//     for a time limit). A key already buffered keeps its place and its
//     prior value (non-resetting); only the latest value, timestamp and
//     headers are kept.
//   - Stream time is the largest timestamp of the records that reached the
//     processor. After each record every entry whose buffer time is
//     <= stream time - Wait is forwarded, in order of buffer time, then key
//     bytes, as a change from the prior value to the latest one, with the
//     latest record's timestamp and headers.
//   - DropTombstones drops buffered deletions instead of forwarding them
//     (final results: a window deleted before it closed never appears).
//   - When more than MaxRecords entries or MaxBytes bytes are buffered the
//     processor either forwards the oldest entries early (EmitEarly) or
//     fails with an error naming the node.
//   - IdleTimeout > 0 (off by default) lets stream time follow wall-clock
//     time once no record has arrived for IdleTimeout: stream time becomes
//     the stream time of the last record plus the wall-clock time elapsed
//     since it arrived. It is checked by a wall-clock punctuation. A record
//     arriving afterwards for an entry whose buffer time has already been
//     released is dropped and counted as late (final results only), so a
//     window is still emitted at most once.
//
// The buffer lives in the key-value store Store, so a logged store restores
// it after a restart. Its layout: 0x00 ‖ sortable buffer time ‖ key bytes →
// entry, and 0x01 ‖ key bytes → buffer time (an index).
type Suppress[K, V any] struct {
	engine.Forwarder[K, engine.Change[V]]
	Node       string
	Store      string
	KeySerde   serde.Serde[K]
	ValueSerde serde.Serde[V]
	// BufferTime returns the buffer time of a record with key and
	// timestamp ts.
	BufferTime func(key K, ts int64) int64
	// Wait is how far stream time must pass a buffer time before the entry
	// is released.
	Wait           int64
	DropTombstones bool
	// FinalResults marks suppress-until-window-closes (late records after
	// an idle advance are dropped rather than emitted twice).
	FinalResults bool
	MaxRecords   int64 // 0: unbounded
	MaxBytes     int64 // 0: unbounded
	EmitEarly    bool
	IdleTimeout  int64 // ms; 0: off

	store    *engine.KVStore
	t        *engine.Task
	topic    string
	observed int64
	counted  bool
	records  int64
	bytes    int64
	// idle advance
	lastArrival int64 // wall clock of the last record
	arrivalTime int64 // stream time right after the last record
	recordTime  int64 // largest record timestamp seen
}

const (
	suppressData  byte = 0x00
	suppressIndex byte = 0x01
)

// ErrSuppressBufferFull is wrapped by the error a suppress processor
// returns when its buffer exceeds its bounds and it must shut down.
var ErrSuppressBufferFull = errors.New("suppression buffer exceeded its max capacity")

// Init implements engine.Initializer.
func (p *Suppress[K, V]) Init(t *engine.Task) error {
	s, err := t.KeyValue(p.Store)
	if err != nil {
		return err
	}
	p.store, p.t = s, t
	p.topic = storeTopic(s.ChangelogTopic(), p.Store)
	p.observed = t.StreamTime()
	p.recordTime = p.observed
	if p.IdleTimeout > 0 {
		p.lastArrival = t.Now()
		p.arrivalTime = p.observed
		interval := min(p.IdleTimeout, 1000)
		t.Schedule(interval, engine.WallClock, p.idle)
	}
	return nil
}

// Process implements engine.Processor.
func (p *Suppress[K, V]) Process(r engine.Record[K, engine.Change[V]]) error {
	if err := p.count(); err != nil {
		return err
	}
	kb, err := p.KeySerde.Serialize(p.topic, r.Key)
	if err != nil {
		return fmt.Errorf("%s: serialize key for store %s: %w", p.Node, p.Store, err)
	}
	bt := p.BufferTime(r.Key, r.Timestamp)
	if p.IdleTimeout > 0 {
		// Released only because stream time followed the wall clock:
		// forwarding it would emit the window a second time.
		if p.FinalResults && p.observed != engine.UnknownTime && bt <= p.observed-p.Wait &&
			(p.recordTime == engine.UnknownTime || bt > p.recordTime-p.Wait) {
			p.t.Drop(engine.DropLate)
			p.t.Logger().Debug("dropping update for a window already emitted after an idle advance of stream time",
				"node", p.Node, "windowEnd", bt, "streamTime", p.observed)
			return nil
		}
		p.lastArrival = p.t.Now()
	}
	p.recordTime = max(p.recordTime, r.Timestamp)
	p.observed = max(p.observed, r.Timestamp)
	p.arrivalTime = p.observed
	if err := p.buffer(kb, bt, r); err != nil {
		return err
	}
	return p.enforce()
}

// idle is the wall-clock punctuation of the idle advance.
func (p *Suppress[K, V]) idle(now int64) error {
	if p.observed == engine.UnknownTime || now-p.lastArrival < p.IdleTimeout {
		return nil
	}
	if adv := p.arrivalTime + (now - p.lastArrival); adv > p.observed {
		p.observed = adv
	}
	if err := p.count(); err != nil {
		return err
	}
	return p.enforce()
}

// count computes the buffer's size once, after any restore.
func (p *Suppress[K, V]) count() error {
	if p.counted {
		return nil
	}
	for kv, err := range p.store.Store.PrefixScan([]byte{suppressData}) {
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
		}
		p.records++
		p.bytes += int64(len(kv.Key) + len(kv.Value))
	}
	p.counted = true
	return nil
}

func dataKey(bt int64, kb []byte) []byte {
	k := make([]byte, 0, 9+len(kb))
	k = append(k, suppressData)
	k = binary.BigEndian.AppendUint64(k, uint64(bt)^(1<<63))
	return append(k, kb...)
}

func indexKey(kb []byte) []byte {
	return append([]byte{suppressIndex}, kb...)
}

// entry layout: flags (1: new present, 2: prior present) ‖ u32 len(new) ‖
// new ‖ u32 len(prior) ‖ prior ‖ u32 header count ‖ (u32 len ‖ key ‖
// i32 len (-1 null) ‖ value)*.
func (p *Suppress[K, V]) buffer(kb []byte, bt int64, r engine.Record[K, engine.Change[V]]) error {
	ik := indexKey(kb)
	ib, _, found, err := p.store.GetTimestamped(ik)
	if err != nil {
		return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
	}
	var prior []byte
	hasPrior := false
	var dk []byte
	if found {
		if len(ib) != 8 {
			return fmt.Errorf("%s: corrupt index entry in store %s", p.Node, p.Store)
		}
		bt = int64(binary.BigEndian.Uint64(ib))
		dk = dataKey(bt, kb)
		old, _, ok, err := p.store.GetTimestamped(dk)
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
		}
		if !ok {
			return fmt.Errorf("%s: store %s: index entry without buffered record", p.Node, p.Store)
		}
		e, err := decodeEntry(old)
		if err != nil {
			return fmt.Errorf("%s: store %s: %w", p.Node, p.Store, err)
		}
		prior, hasPrior = e.prior, e.hasPrior
		p.bytes -= int64(len(dk) + 8 + len(old))
	} else {
		dk = dataKey(bt, kb)
		if r.Value.HasOld {
			if prior, err = p.ValueSerde.Serialize(p.topic, r.Value.Old); err != nil {
				return fmt.Errorf("%s: serialize value for store %s: %w", p.Node, p.Store, err)
			}
			hasPrior = true
		}
		tb := binary.BigEndian.AppendUint64(nil, uint64(bt))
		if err := p.store.PutTimestamped(ik, tb, bt); err != nil {
			return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
		}
		p.records++
	}
	var nb []byte
	if r.Value.HasNew {
		if nb, err = p.ValueSerde.Serialize(p.topic, r.Value.New); err != nil {
			return fmt.Errorf("%s: serialize value for store %s: %w", p.Node, p.Store, err)
		}
	}
	e := encodeEntry(r.Value.HasNew, nb, hasPrior, prior, r.Headers)
	if err := p.store.PutTimestamped(dk, e, r.Timestamp); err != nil {
		return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
	}
	p.bytes += int64(len(dk) + 8 + len(e))
	return nil
}

func (p *Suppress[K, V]) over() bool {
	return (p.MaxRecords > 0 && p.records > p.MaxRecords) || (p.MaxBytes > 0 && p.bytes > p.MaxBytes)
}

func (p *Suppress[K, V]) enforce() error {
	if p.observed != engine.UnknownTime {
		expiry := p.observed - p.Wait
		if err := p.evictWhile(func(bt int64) bool { return bt <= expiry }); err != nil {
			return err
		}
	}
	if !p.over() {
		return nil
	}
	if p.EmitEarly {
		return p.evictWhile(func(int64) bool { return p.over() })
	}
	return fmt.Errorf("%s: %w: currently %d/%d records and %d/%d bytes (0 = unbounded)",
		p.Node, ErrSuppressBufferFull, p.records, p.MaxRecords, p.bytes, p.MaxBytes)
}

// evictWhile forwards and removes buffered entries in buffer-time order
// while cond holds for the oldest one.
func (p *Suppress[K, V]) evictWhile(cond func(bt int64) bool) error {
	for kv, err := range p.store.Store.PrefixScan([]byte{suppressData}) {
		if err != nil {
			return engine.Fatal(fmt.Errorf("%s: read store %s: %w", p.Node, p.Store, err))
		}
		if len(kv.Key) < 9 || len(kv.Value) < 8 {
			return fmt.Errorf("%s: corrupt entry in store %s", p.Node, p.Store)
		}
		bt := int64(binary.BigEndian.Uint64(kv.Key[1:9]) ^ (1 << 63))
		if !cond(bt) {
			return nil
		}
		dk := append([]byte(nil), kv.Key...)
		kb := dk[9:]
		ts := int64(binary.BigEndian.Uint64(kv.Value))
		e, err := decodeEntry(kv.Value[8:])
		if err != nil {
			return fmt.Errorf("%s: store %s: %w", p.Node, p.Store, err)
		}
		p.records--
		p.bytes -= int64(len(kv.Key) + len(kv.Value))
		if err := p.store.PutTimestamped(dk, nil, ts); err != nil {
			return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
		}
		if err := p.store.PutTimestamped(indexKey(kb), nil, ts); err != nil {
			return fmt.Errorf("%s: write store %s: %w", p.Node, p.Store, err)
		}
		if err := p.emit(kb, ts, e); err != nil {
			return err
		}
	}
	return nil
}

func (p *Suppress[K, V]) emit(kb []byte, ts int64, e entry) error {
	if !e.hasNew && p.DropTombstones {
		return nil
	}
	key, err := p.KeySerde.Deserialize(p.topic, kb)
	if err != nil {
		return fmt.Errorf("%s: decode key from store %s: %w", p.Node, p.Store, err)
	}
	var ch engine.Change[V]
	if e.hasNew {
		if ch.New, err = p.ValueSerde.Deserialize(p.topic, e.new); err != nil {
			return fmt.Errorf("%s: decode value from store %s: %w", p.Node, p.Store, err)
		}
		ch.HasNew = true
	}
	if e.hasPrior {
		if ch.Old, err = p.ValueSerde.Deserialize(p.topic, e.prior); err != nil {
			return fmt.Errorf("%s: decode value from store %s: %w", p.Node, p.Store, err)
		}
		ch.HasOld = true
	}
	return p.Forward(engine.Record[K, engine.Change[V]]{Key: key, Value: ch, Timestamp: ts, Headers: e.headers})
}

type entry struct {
	hasNew, hasPrior bool
	new, prior       []byte
	headers          []engine.Header
}

func encodeEntry(hasNew bool, nb []byte, hasPrior bool, prior []byte, hs []engine.Header) []byte {
	var flags byte
	if hasNew {
		flags |= 1
	}
	if hasPrior {
		flags |= 2
	}
	b := []byte{flags}
	b = binary.BigEndian.AppendUint32(b, uint32(len(nb)))
	b = append(b, nb...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(prior)))
	b = append(b, prior...)
	b = binary.BigEndian.AppendUint32(b, uint32(len(hs)))
	for _, h := range hs {
		b = binary.BigEndian.AppendUint32(b, uint32(len(h.Key)))
		b = append(b, h.Key...)
		if h.Value == nil {
			b = binary.BigEndian.AppendUint32(b, ^uint32(0))
			continue
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(h.Value)))
		b = append(b, h.Value...)
	}
	return b
}

var errCorrupt = errors.New("corrupt suppression buffer entry")

func decodeEntry(b []byte) (entry, error) {
	var e entry
	if len(b) < 1 {
		return e, errCorrupt
	}
	e.hasNew, e.hasPrior = b[0]&1 != 0, b[0]&2 != 0
	b = b[1:]
	next := func() ([]byte, bool, error) {
		if len(b) < 4 {
			return nil, false, errCorrupt
		}
		n := binary.BigEndian.Uint32(b)
		b = b[4:]
		if n == ^uint32(0) {
			return nil, true, nil
		}
		if uint64(len(b)) < uint64(n) {
			return nil, false, errCorrupt
		}
		v := append([]byte{}, b[:n]...)
		b = b[n:]
		return v, false, nil
	}
	var err error
	if e.new, _, err = next(); err != nil {
		return e, err
	}
	if e.prior, _, err = next(); err != nil {
		return e, err
	}
	if len(b) < 4 {
		return e, errCorrupt
	}
	n := binary.BigEndian.Uint32(b)
	b = b[4:]
	for range n {
		k, _, err := next()
		if err != nil {
			return e, err
		}
		v, null, err := next()
		if err != nil {
			return e, err
		}
		if null {
			v = nil
		}
		e.headers = append(e.headers, engine.Header{Key: string(k), Value: v})
	}
	return e, nil
}

// FinalResultWait is implemented by windowed aggregations: how far stream
// time must pass a window's end before no record can change the window,
// given the retention of the aggregation's store (ms).
type FinalResultWait interface {
	FinalResultWait(retention int64) int64
}

// FinalResultWait implements FinalResultWait: the grace period (a window
// [start, end) is closed once end <= stream time - grace).
func (p *WindowAggregate[K, V, A]) FinalResultWait(int64) int64 {
	return p.Windows.GracePeriod().Milliseconds()
}

// FinalResultWait implements FinalResultWait. A session ending at end is
// merged by a record at up to end + gap, which is accepted while the merged
// session ends at or after stream time - gap - grace, and only while the
// session is still in the store (end > stream time - retention). So the
// session is final once stream time >= end + min(retention, 2·gap + grace
// + 1): gap + grace with the default retention, as Kafka Streams waits.
func (p *SessionAggregate[K, V, A]) FinalResultWait(retention int64) int64 {
	return min(retention, 2*p.Gap+p.Grace+1)
}

// FinalResultWait implements FinalResultWait: grace + 1, as a sliding
// window ending at end (inclusive) accepts records while end >= stream
// time - grace.
func (p *SlidingAggregate[K, V, A]) FinalResultWait(int64) int64 { return p.Grace + 1 }
