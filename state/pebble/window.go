package pebble

import (
	"bytes"
	"errors"
	"iter"
	"math"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// entryOffset is where the within-segment entry starts in a database key.
const entryOffset = idLen + wincore.SegmentLen

// windowStore is a segmented window store; see layout.go for its keys.
type windowStore struct {
	b      *Backend
	name   string
	id     uint32
	prefix []byte
	opts   state.WindowOptions

	clock wincore.Clock
	seq   uint32
	// Segments below dropped have been deleted in the batch or database;
	// math.MinInt64 means unknown (after Open).
	dropped int64
	dirty   bool // clock or seq changed since the last Commit

	rangeDeletes int // range deletions issued, for tests

	// State at the last Commit, restored by Abort.
	cClock   wincore.Clock
	cSeq     uint32
	cDropped int64

	buf []byte
}

func newWindowStore(b *Backend, name string, id uint32, opts state.WindowOptions) (*windowStore, error) {
	s := &windowStore{
		b: b, name: name, id: id, prefix: storePrefix(id), opts: opts,
		clock: wincore.NewClock(opts), dropped: math.MinInt64,
	}
	v, closer, err := b.db.Get(s.metaKey())
	switch {
	case errors.Is(err, pdb.ErrNotFound):
	case err != nil:
		return nil, err
	default:
		m, err := decodeWindowMeta(v)
		_ = closer.Close()
		if err != nil {
			return nil, err
		}
		s.clock.Observed, s.seq = m.observed, m.seq
	}
	s.cClock, s.cSeq, s.cDropped = s.clock, s.seq, s.dropped
	return s, nil
}

func (s *windowStore) metaKey() []byte { return metaKey(tagWindow, storePrefix(s.id)) }

// writeMeta adds the retention state to the batch if it changed.
func (s *windowStore) writeMeta() error {
	if !s.dirty {
		return nil
	}
	return s.b.batch.Set(s.metaKey(), windowMeta{observed: s.clock.Observed, seq: s.seq}.encode(), nil)
}

func (s *windowStore) committed() {
	s.cClock, s.cSeq, s.cDropped = s.clock, s.seq, s.dropped
	s.dirty = false
}

func (s *windowStore) abort() {
	s.clock, s.seq, s.dropped = s.cClock, s.cSeq, s.cDropped
	s.dirty = false
}

func (s *windowStore) Name() string { return s.name }

func (s *windowStore) ObservedTime() int64 { return s.clock.Observed }

// entryKey builds the database key of (key, start, seq) in s.buf.
func (s *windowStore) entryKey(key []byte, start int64, seq uint32) []byte {
	s.buf = segmentKey(s.buf[:0], s.prefix, s.clock.Segment(start))
	s.buf = wincore.AppendEntry(s.buf, key, start, seq)
	return s.buf
}

func (s *windowStore) Put(key []byte, windowStart int64, value []byte) error {
	if err := s.b.usable(); err != nil {
		return err
	}
	if (value == nil && s.opts.RetainDuplicates) || s.clock.Expired(windowStart) {
		return nil
	}
	if s.clock.Advance(windowStart) {
		s.dirty = true
		if err := s.dropExpired(); err != nil {
			return err
		}
	}
	var seq uint32
	if s.opts.RetainDuplicates {
		s.seq++
		seq = s.seq
		s.dirty = true
	}
	k := s.entryKey(key, windowStart, seq)
	if value == nil {
		return s.b.batch.Delete(k, nil)
	}
	return s.b.batch.Set(k, value, nil)
}

// dropExpired deletes the segments that hold only expired windows with one
// range deletion, once per segment roll.
func (s *windowStore) dropExpired() error {
	if s.clock.LiveFrom() == math.MinInt64 {
		return nil
	}
	minLive := s.clock.MinLiveSegment()
	if minLive <= s.dropped {
		return nil
	}
	lower := s.prefix
	if s.dropped != math.MinInt64 {
		lower = segmentKey(nil, s.prefix, s.dropped)
	}
	if err := s.b.batch.DeleteRange(lower, segmentKey(nil, s.prefix, minLive), nil); err != nil {
		return err
	}
	s.dropped = minLive
	s.rangeDeletes++
	return nil
}

func (s *windowStore) Fetch(key []byte, windowStart int64) ([]byte, error) {
	if err := s.b.usable(); err != nil {
		return nil, err
	}
	if _, _, ok := s.clock.Clip(windowStart, windowStart); !ok {
		return nil, nil
	}
	if !s.opts.RetainDuplicates {
		return s.b.get(s.entryKey(key, windowStart, 0))
	}
	// The first duplicate put.
	seg := s.clock.Segment(windowStart)
	lower := wincore.AppendEntry(segmentKey(nil, s.prefix, seg), key, windowStart, 0)
	upper := wincore.AppendTimeEnd(segmentKey(nil, s.prefix, seg), key, windowStart)
	var out []byte
	var err error
	walk(s.b, lower, upper, false, func(_ struct{}, e error) bool { err = e; return false },
		func(_ *pdb.Iterator, v []byte) bool {
			out = bytes.Clone(v)
			if out == nil {
				out = []byte{}
			}
			return false
		})
	return out, err
}

func (s *windowStore) FetchRange(key []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return s.fetchRange(key, from, to, false)
}

func (s *windowStore) BackwardFetchRange(key []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return s.fetchRange(key, from, to, true)
}

// fetchRange walks key's windows with one iterator bounded by the segments
// of [from, to], seeking into each non-empty segment in turn.
func (s *windowStore) fetchRange(key []byte, from, to int64, backward bool) iter.Seq2[state.WindowEntry, error] {
	key = bytes.Clone(key)
	return func(yield func(state.WindowEntry, error) bool) {
		if err := s.b.usable(); err != nil {
			yield(state.WindowEntry{}, err)
			return
		}
		lo, hi, ok := s.clock.Clip(from, to)
		if !ok {
			return
		}
		segLo, segHi := s.clock.Segment(lo), s.clock.Segment(hi)
		lower := segmentKey(nil, s.prefix, segLo)
		upper := wincore.PrefixEnd(segmentKey(nil, s.prefix, segHi))
		walkIter(s.b, lower, upper, yield, func(it *pdb.Iterator) bool {
			seg := segLo
			if backward {
				seg = segHi
			}
			for seg >= segLo && seg <= segHi {
				// The entries of key in seg lie in [first, last).
				segKey := segmentKey(nil, s.prefix, seg)
				first := wincore.AppendEntry(bytes.Clone(segKey), key, lo, 0)
				last := wincore.AppendTimeEnd(segKey, key, hi)
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
					ws, err := wincore.EntryStart(k[entryOffset:])
					if err != nil {
						yield(state.WindowEntry{}, err)
						return false
					}
					v, err := it.ValueAndErr()
					if err != nil {
						return true // reported by Close
					}
					if !yield(state.WindowEntry{Key: key, WindowStart: ws, Value: v[:len(v):len(v)]}, nil) {
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

// walkIter opens an iterator bounded by [lower, upper) and runs fn with it;
// fn returns false if the loop was stopped (by the consumer or an error it
// yielded). walkIter accounts for the running loop, always closes the
// iterator, and yields the iterator's error, if any, if fn returned true.
func walkIter(b *Backend, lower, upper []byte, yield func(state.WindowEntry, error) bool, fn func(it *pdb.Iterator) bool) {
	it, err := b.newIter(lower, upper)
	if err != nil {
		yield(state.WindowEntry{}, err)
		return
	}
	b.loops++
	open := true
	defer func() {
		b.loops--
		if open {
			_ = it.Close()
		}
	}()
	if !fn(it) {
		return
	}
	open = false
	if err := it.Close(); err != nil {
		yield(state.WindowEntry{}, b.health.check(err))
	}
}

// cursor adapts a Pebble iterator over one segment to wincore.Cursor.
type cursor struct {
	it    *pdb.Iterator
	valid bool
}

func (c *cursor) Valid() bool   { return c.valid }
func (c *cursor) Entry() []byte { return c.it.Key()[entryOffset:] }

func (s *windowStore) FetchKeyRange(keyFrom, keyTo []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	keyFrom, keyTo = bytes.Clone(keyFrom), bytes.Clone(keyTo)
	return func(yield func(state.WindowEntry, error) bool) {
		if err := s.b.usable(); err != nil {
			yield(state.WindowEntry{}, err)
			return
		}
		lo, hi, ok := s.clock.Clip(from, to)
		if !ok {
			return
		}
		segLo, segHi := s.clock.Segment(lo), s.clock.Segment(hi)
		lower := segmentKey(nil, s.prefix, segLo)
		upper := wincore.PrefixEnd(segmentKey(nil, s.prefix, segHi))
		walkIter(s.b, lower, upper, yield, func(probe *pdb.Iterator) bool {
			// Entries are ordered by segment first; merge one cursor per
			// non-empty segment to order them by key, then start. Clones
			// share the probe's view of the batch and database.
			var cs []*cursor
			defer func() {
				for _, c := range cs {
					_ = c.it.Close()
				}
			}()
			for valid := probe.SeekGE(lower); valid; {
				seg := wincore.Int64(probe.Key()[idLen:entryOffset])
				segKey := segmentKey(nil, s.prefix, seg)
				segLower, segUpper := bytes.Clone(segKey), wincore.PrefixEnd(segKey)
				if keyFrom != nil {
					segLower = wincore.AppendKeyPrefix(segLower, keyFrom)
				}
				if keyTo != nil {
					segUpper = wincore.AppendKeyEnd(bytes.Clone(segKey), keyTo)
				}
				it, err := probe.Clone(pdb.CloneOptions{IterOptions: &pdb.IterOptions{LowerBound: segLower, UpperBound: segUpper}})
				if err != nil {
					yield(state.WindowEntry{}, err)
					return false
				}
				c := &cursor{it: it}
				cs = append(cs, c)
				c.valid = it.First()
				if seg == segHi {
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
				key, ws, _, sc, err := wincore.DecodeEntry(c.Entry(), scratch)
				scratch = sc
				if err != nil {
					yield(state.WindowEntry{}, err)
					return false
				}
				if ws >= lo && ws <= hi {
					v, err := c.it.ValueAndErr()
					if err != nil {
						break // reported below
					}
					if !yield(state.WindowEntry{Key: key, WindowStart: ws, Value: v[:len(v):len(v)]}, nil) {
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
				yield(state.WindowEntry{}, s.b.health.check(err))
				return false
			}
			return true
		})
	}
}

func (s *windowStore) All() iter.Seq2[state.WindowEntry, error] {
	return s.FetchKeyRange(nil, nil, math.MinInt64, math.MaxInt64)
}
