// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package memory

import (
	"bytes"
	"iter"
	"slices"

	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// loop runs body over the snapshots of the segments live in [from, to],
// with the live times [lo, hi], taking care of the loop accounting and of
// closing the snapshots.
func (s *segmented) loop[E any](from, to int64, yield func(E, error) bool, body func(lo, hi int64, rs []*version)) {
	if err := s.b.usable(); err != nil {
		var zero E
		yield(zero, err)
		return
	}
	lo, hi, ok := s.clock.Clip(from, to)
	if !ok {
		return
	}
	rs := s.live(lo, hi)
	s.b.loops++
	defer func() {
		for _, r := range rs {
			r.close()
		}
		s.b.loops--
	}()
	body(lo, hi, rs)
}

// scanKey iterates key's entries selected by q, one segment after the
// other, in descending order if backward.
func (s *segmented) scanKey[E any, Q wincore.Query[E]](key []byte, q Q, backward bool) iter.Seq2[E, error] {
	key = bytes.Clone(key)
	return func(yield func(E, error) bool) {
		from, to := q.Times()
		s.loop(from, to, yield, func(lo, hi int64, rs []*version) {
			first, last := q.KeyBounds(nil, key, lo, hi)
			if backward {
				slices.Reverse(rs)
			}
			for _, r := range rs {
				walk := r.ascend
				if backward {
					walk = r.descend
				}
				stopped := false
				walk(first, last, func(en entry) bool {
					e, ok, err := q.KeyEntry(key, en.key(), en.value())
					if err != nil {
						var zero E
						yield(zero, err)
						stopped = true
					} else if ok && !yield(e, nil) {
						stopped = true
					}
					return !stopped
				})
				if stopped {
					return
				}
			}
		})
	}
}

// scanKeys iterates the entries selected by q of the keys in [keyFrom,
// keyTo] (nil bounds open) in key order, merging the segments.
func (s *segmented) scanKeys[E any, Q wincore.Query[E]](keyFrom, keyTo []byte, q Q) iter.Seq2[E, error] {
	lower, upper := wincore.KeyRange(nil, keyFrom, keyTo)
	return func(yield func(E, error) bool) {
		from, to := q.Times()
		s.loop(from, to, yield, func(lo, hi int64, rs []*version) {
			cs := make([]*cursor, len(rs))
			for i, r := range rs {
				cs[i] = newCursor(r, lower, upper)
			}
			var scratch []byte
			for {
				i := wincore.Min(cs)
				if i < 0 {
					return
				}
				c := cs[i]
				e, ok, sc, err := q.Entry(c.Entry(), c.Value(), scratch, lo, hi)
				scratch = sc
				if err != nil {
					var zero E
					yield(zero, err)
					return
				}
				if ok && !yield(e, nil) {
					return
				}
				c.Next()
			}
		})
	}
}
