// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"sync"
	"sync/atomic"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
)

// changelogOffsets tracks, for one producer generation, the changelog
// offsets the cycle's writes reached: per changelog partition, the offset
// after the last record the broker acknowledged. It is on every changelog
// record's path, so it builds no string key and takes no lock there: each
// changelog partition has a slot, found by topic (a map that never changes)
// and partition (an index), and the slot's own promise advances it.
//
// The sending goroutine creates slots as it sends (see slot; growing a
// topic's slots takes a lock, as the promise of a changelog record sent
// without a partition creates its slot too) and reads and clears them
// between cycles, when no record is in flight; the producer's promise
// goroutine advances them. A replaced generation's late promises advance
// that generation's slots only.
type changelogOffsets struct {
	topics map[string]*topicOffsets // read-only: the worker's changelog topics
}

// topicOffsets holds one changelog topic's slots, indexed by partition.
type topicOffsets struct {
	mu    sync.Mutex                    // serializes growing parts
	parts atomic.Pointer[[]*offsetSlot] // nil entries: no record sent yet
}

// offsetSlot is one changelog partition's offset in the cycle.
type offsetSlot struct {
	// next is the offset after the last record acknowledged this cycle;
	// 0 means none (offsets start at 0, so a record makes it at least 1).
	next atomic.Int64
	g    *produceGen
	// promise is done bound once, handed to every record of the slot.
	promise func(*kgo.Record, error)
}

func newChangelogOffsets(changelogs map[string]bool) changelogOffsets {
	o := changelogOffsets{topics: make(map[string]*topicOffsets, len(changelogs))}
	for topic := range changelogs {
		o.topics[topic] = &topicOffsets{}
	}
	return o
}

// slot returns the slot of topic's partition, creating it (for the records
// of generation g) if needed, or nil if topic is no changelog.
func (o changelogOffsets) slot(topic string, partition int32, g *produceGen) *offsetSlot {
	to := o.topics[topic]
	if to == nil || partition < 0 {
		return nil
	}
	if ps := to.parts.Load(); ps != nil && int(partition) < len(*ps) {
		if s := (*ps)[partition]; s != nil {
			return s
		}
	}
	to.mu.Lock()
	defer to.mu.Unlock()
	var ps []*offsetSlot
	if cur := to.parts.Load(); cur != nil {
		ps = *cur
	}
	if int(partition) < len(ps) && ps[partition] != nil {
		return ps[partition]
	}
	// Copy on write: promises read the slice without the lock. Slots are
	// pointers, so an advance through the old slice is not lost.
	grown := make([]*offsetSlot, max(len(ps), int(partition)+1))
	copy(grown, ps)
	s := &offsetSlot{g: g}
	s.promise = s.done
	grown[partition] = s
	to.parts.Store(&grown)
	return s
}

// done is the produce promise of the slot's records: it advances the
// slot, then settles the record with its generation (which counts it out of
// the records in flight, after which settle may read the slot).
func (s *offsetSlot) done(kr *kgo.Record, err error) {
	if err == nil {
		s.advance(kr.Offset + 1)
	}
	s.g.done(kr, err)
}

// advance raises next to n.
func (s *offsetSlot) advance(n int64) {
	for {
		cur := s.next.Load()
		if n <= cur || s.next.CompareAndSwap(cur, n) {
			return
		}
	}
}

// offsetsFor returns the offsets the cycle reached in topics' partition,
// keyed by engine.OffsetKey; a changelog the cycle did not write is left
// out.
func (o changelogOffsets) offsetsFor(topics map[string]string, partition int32) map[string]int64 {
	out := map[string]int64{}
	for topic := range topics {
		to := o.topics[topic]
		if to == nil {
			continue
		}
		if ps := to.parts.Load(); ps != nil && int(partition) < len(*ps) {
			if s := (*ps)[partition]; s != nil {
				if n := s.next.Load(); n > 0 {
					out[engine.OffsetKey(topic, partition)] = n
				}
			}
		}
	}
	return out
}

// clear forgets the cycle's offsets.
func (o changelogOffsets) clear() {
	for _, to := range o.topics {
		if ps := to.parts.Load(); ps != nil {
			for _, s := range *ps {
				if s != nil {
					s.next.Store(0)
				}
			}
		}
	}
}
