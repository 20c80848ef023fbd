// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"bytes"
	"errors"
	"iter"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// span is what a scan of a segmented store reads: the live times [lo, hi]
// of its query, the segments holding them and the database bounds
// [lower, upper) of those segments.
type span struct {
	lo, hi       int64
	segLo, segHi int64
	lower, upper []byte
}

// loop runs fn with an iterator over the segments live in [from, to],
// given their span, through walkIter.
func (s *segmented) loop[E any](from, to int64, yield func(E, error) bool, fn func(sp span, it *pdb.Iterator) bool) {
	if err := s.b.usable(); err != nil {
		var zero E
		yield(zero, err)
		return
	}
	var sp span
	var ok bool
	sp.lo, sp.hi, ok = s.clock.Clip(from, to)
	if !ok {
		return
	}
	sp.segLo, sp.segHi = s.clock.Segment(sp.lo), s.clock.Segment(sp.hi)
	sp.lower = segmentKey(nil, s.prefix, sp.segLo)
	sp.upper = wincore.PrefixEnd(segmentKey(nil, s.prefix, sp.segHi))
	walkIter(s.b, sp.lower, sp.upper, yield, func(it *pdb.Iterator) bool { return fn(sp, it) })
}

// scanKey iterates key's entries selected by q with one iterator bounded by
// the live segments, seeking into each non-empty segment in turn, in
// descending order if backward.
func (s *segmented) scanKey[E any, Q wincore.Query[E]](key []byte, q Q, backward bool) iter.Seq2[E, error] {
	key = bytes.Clone(key)
	return func(yield func(E, error) bool) {
		var zero E
		from, to := q.Times()
		s.loop(from, to, yield, func(sp span, it *pdb.Iterator) bool {
			seg := sp.segLo
			if backward {
				seg = sp.segHi
			}
			for seg >= sp.segLo && seg <= sp.segHi {
				// The entries of key in seg that q may select lie in
				// [first, last).
				first, last := q.KeyBounds(segmentKey(nil, s.prefix, seg), key, sp.lo, sp.hi)
				var valid bool
				if backward {
					valid = it.SeekLT(last)
				} else {
					valid = it.SeekGE(first)
				}
				if !valid {
					return true
				}
				if got := wincore.Int64(it.Key()[idLen:entryOffset]); got != seg {
					seg = got // skip empty segments
					continue
				}
				for ; valid; valid = step(it, backward) {
					k := it.Key()
					if bytes.Compare(k, first) < 0 || bytes.Compare(k, last) >= 0 {
						break
					}
					e, ok, err := q.KeyEntry(key, k[entryOffset:], nil)
					if err != nil {
						yield(zero, err)
						return false
					}
					if !ok {
						continue
					}
					v, err := it.ValueAndErr()
					if err != nil {
						return true // reported by Close
					}
					if !yield(q.WithValue(e, v[:len(v):len(v)]), nil) {
						return false
					}
				}
				if it.Error() != nil {
					return true
				}
				if backward {
					seg--
				} else {
					seg++
				}
			}
			return true
		})
	}
}

// cursor adapts a Pebble iterator over one segment to wincore.Cursor.
type cursor struct {
	it    *pdb.Iterator
	valid bool
}

func (c *cursor) Valid() bool   { return c.valid }
func (c *cursor) Entry() []byte { return c.it.Key()[entryOffset:] }

// scanKeys iterates the entries selected by q of the keys in [keyFrom,
// keyTo] (nil bounds open) in key order, merging one cursor per non-empty
// live segment.
func (s *segmented) scanKeys[E any, Q wincore.Query[E]](keyFrom, keyTo []byte, q Q) iter.Seq2[E, error] {
	keyFrom, keyTo = bytes.Clone(keyFrom), bytes.Clone(keyTo)
	return func(yield func(E, error) bool) {
		var zero E
		from, to := q.Times()
		s.loop(from, to, yield, func(sp span, probe *pdb.Iterator) bool {
			// Entries are ordered by segment first; merge one cursor per
			// non-empty segment to order them by key, then time. Clones
			// share the probe's view of the cycle's writes and the database.
			var cs []*cursor
			defer func() {
				for _, c := range cs {
					_ = c.it.Close()
				}
			}()
			for valid := probe.SeekGE(sp.lower); valid; {
				seg := wincore.Int64(probe.Key()[idLen:entryOffset])
				segKey := segmentKey(nil, s.prefix, seg)
				segLower, segUpper := wincore.KeyRange(segKey, keyFrom, keyTo)
				if segUpper == nil {
					segUpper = wincore.PrefixEnd(segKey)
				}
				it, err := probe.Clone(pdb.CloneOptions{IterOptions: &pdb.IterOptions{LowerBound: segLower, UpperBound: segUpper}})
				if err != nil {
					yield(zero, err)
					return false
				}
				c := &cursor{it: it}
				cs = append(cs, c)
				c.valid = it.First()
				if seg == sp.segHi {
					break
				}
				valid = probe.SeekGE(segmentKey(nil, s.prefix, seg+1))
			}
			var scratch []byte
			for {
				i := wincore.Min(cs)
				if i < 0 {
					break
				}
				c := cs[i]
				e, ok, sc, err := q.Entry(c.Entry(), nil, scratch, sp.lo, sp.hi)
				scratch = sc
				if err != nil {
					yield(zero, err)
					return false
				}
				if ok {
					v, err := c.it.ValueAndErr()
					if err != nil {
						break // reported below
					}
					if !yield(q.WithValue(e, v[:len(v):len(v)]), nil) {
						return false
					}
				}
				c.valid = c.it.Next()
			}
			var errs []error
			for _, c := range cs {
				errs = append(errs, c.it.Close())
			}
			cs = nil
			if err := errors.Join(errs...); err != nil {
				yield(zero, s.b.health.check(err))
				return false
			}
			return true
		})
	}
}
