package pebble

import (
	"bytes"
	"errors"
	"fmt"
	"iter"
	"math"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// sessionStore is a session store segmented by session end; see layout.go
// for its keys. Its retention state (observed time) is persisted like a
// window store's, with sequence number 0.
type sessionStore struct {
	b      *Backend
	name   string
	id     uint32
	prefix []byte
	opts   state.SessionOptions

	clock wincore.Clock
	// Segments below dropped have been deleted in the batch or database;
	// math.MinInt64 means unknown (after Open).
	dropped int64
	dirty   bool // clock changed since the last Commit

	// State at the last Commit, restored by Abort.
	cClock   wincore.Clock
	cDropped int64

	buf []byte
}

func newSessionStore(b *Backend, name string, id uint32, opts state.SessionOptions) (*sessionStore, error) {
	s := &sessionStore{
		b: b, name: name, id: id, prefix: storePrefix(id), opts: opts,
		clock: wincore.NewSessionClock(opts), dropped: math.MinInt64,
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
		s.clock.Observed = m.observed
	}
	s.cClock, s.cDropped = s.clock, s.dropped
	return s, nil
}

func (s *sessionStore) metaKey() []byte { return metaKey(tagWindow, storePrefix(s.id)) }

// writeMeta adds the retention state to the batch if it changed.
func (s *sessionStore) writeMeta() error {
	if !s.dirty {
		return nil
	}
	return s.b.batch.Set(s.metaKey(), windowMeta{observed: s.clock.Observed}.encode(), nil)
}

func (s *sessionStore) committed() {
	s.cClock, s.cDropped = s.clock, s.dropped
	s.dirty = false
}

func (s *sessionStore) abort() {
	s.clock, s.dropped = s.cClock, s.cDropped
	s.dirty = false
}

func (s *sessionStore) Name() string { return s.name }

func (s *sessionStore) ObservedTime() int64 { return s.clock.Observed }

// sessionKey builds the database key of (key, start, end) in s.buf.
func (s *sessionStore) sessionKey(key []byte, start, end int64) []byte {
	s.buf = segmentKey(s.buf[:0], s.prefix, s.clock.Segment(end))
	s.buf = wincore.AppendSession(s.buf, key, start, end)
	return s.buf
}

func (s *sessionStore) Put(key []byte, start, end int64, value []byte) error {
	if err := s.b.usable(); err != nil {
		return err
	}
	if start > end {
		return fmt.Errorf("state: session store %s: session start %d is after its end %d", s.name, start, end)
	}
	if s.clock.Expired(end) {
		return nil
	}
	if s.clock.Advance(end) {
		s.dirty = true
		if err := s.dropExpired(); err != nil {
			return err
		}
	}
	k := s.sessionKey(key, start, end)
	if value == nil {
		return s.b.batch.Delete(k, nil)
	}
	return s.b.batch.Set(k, value, nil)
}

// dropExpired deletes the segments that hold only expired sessions with one
// range deletion, once per segment roll.
func (s *sessionStore) dropExpired() error {
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
	return nil
}

func (s *sessionStore) FetchSession(key []byte, start, end int64) ([]byte, error) {
	if err := s.b.usable(); err != nil {
		return nil, err
	}
	if _, _, ok := s.clock.Clip(end, end); !ok {
		return nil, nil
	}
	return s.b.get(s.sessionKey(key, start, end))
}

func (s *sessionStore) FindSessions(key []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[state.SessionEntry, error] {
	return s.find(key, earliestSessionEnd, latestSessionStart, false)
}

func (s *sessionStore) BackwardFindSessions(key []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[state.SessionEntry, error] {
	return s.find(key, earliestSessionEnd, latestSessionStart, true)
}

func (s *sessionStore) Fetch(key []byte) iter.Seq2[state.SessionEntry, error] {
	return s.find(key, math.MinInt64, math.MaxInt64, false)
}

// find walks key's sessions with one iterator bounded by the live segments
// of sessions ending at or after earliestEnd, seeking into each non-empty
// segment in turn.
func (s *sessionStore) find(key []byte, earliestEnd, latestStart int64, backward bool) iter.Seq2[state.SessionEntry, error] {
	key = bytes.Clone(key)
	return func(yield func(state.SessionEntry, error) bool) {
		if err := s.b.usable(); err != nil {
			yield(state.SessionEntry{}, err)
			return
		}
		lo, hi, ok := s.clock.Clip(earliestEnd, math.MaxInt64)
		if !ok {
			return
		}
		segLo, segHi := s.clock.Segment(lo), s.clock.Segment(hi)
		lower := segmentKey(nil, s.prefix, segLo)
		upper := wincore.PrefixEnd(segmentKey(nil, s.prefix, segHi))
		walkSessions(s.b, lower, upper, yield, func(it *pdb.Iterator) bool {
			seg := segLo
			if backward {
				seg = segHi
			}
			for seg >= segLo && seg <= segHi {
				// The sessions of key in seg that end at or after lo lie
				// in [first, last).
				segKey := segmentKey(nil, s.prefix, seg)
				first := wincore.AppendSessionFrom(bytes.Clone(segKey), key, lo)
				last := wincore.AppendKeyEnd(segKey, key)
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
					start, end, err := wincore.SessionTimes(k[entryOffset:])
					if err != nil {
						yield(state.SessionEntry{}, err)
						return false
					}
					if start > latestStart {
						continue
					}
					v, err := it.ValueAndErr()
					if err != nil {
						return true // reported by Close
					}
					if !yield(state.SessionEntry{Key: key, Start: start, End: end, Value: v[:len(v):len(v)]}, nil) {
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

// walkSessions is walkIter for session entries: it opens an iterator
// bounded by [lower, upper), runs fn with it (fn returns false if the loop
// was stopped), accounts for the running loop, always closes the iterator,
// and yields its error, if any, if fn returned true.
func walkSessions(b *Backend, lower, upper []byte, yield func(state.SessionEntry, error) bool, fn func(it *pdb.Iterator) bool) {
	it, err := b.newIter(lower, upper)
	if err != nil {
		yield(state.SessionEntry{}, err)
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
		yield(state.SessionEntry{}, b.health.check(err))
	}
}

func (s *sessionStore) FindSessionsKeyRange(keyFrom, keyTo []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[state.SessionEntry, error] {
	keyFrom, keyTo = bytes.Clone(keyFrom), bytes.Clone(keyTo)
	return func(yield func(state.SessionEntry, error) bool) {
		if err := s.b.usable(); err != nil {
			yield(state.SessionEntry{}, err)
			return
		}
		lo, hi, ok := s.clock.Clip(earliestSessionEnd, math.MaxInt64)
		if !ok {
			return
		}
		segLo, segHi := s.clock.Segment(lo), s.clock.Segment(hi)
		lower := segmentKey(nil, s.prefix, segLo)
		upper := wincore.PrefixEnd(segmentKey(nil, s.prefix, segHi))
		walkSessions(s.b, lower, upper, yield, func(probe *pdb.Iterator) bool {
			// Merge one cursor per non-empty segment to order the sessions
			// by key, then end, then start.
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
					yield(state.SessionEntry{}, err)
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
				key, start, end, sc, err := wincore.DecodeSession(c.Entry(), scratch)
				scratch = sc
				if err != nil {
					yield(state.SessionEntry{}, err)
					return false
				}
				if end >= lo && start <= latestSessionStart {
					v, err := c.it.ValueAndErr()
					if err != nil {
						break // reported below
					}
					if !yield(state.SessionEntry{Key: key, Start: start, End: end, Value: v[:len(v):len(v)]}, nil) {
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
				yield(state.SessionEntry{}, s.b.health.check(err))
				return false
			}
			return true
		})
	}
}

func (s *sessionStore) FetchKeyRange(keyFrom, keyTo []byte) iter.Seq2[state.SessionEntry, error] {
	return s.FindSessionsKeyRange(keyFrom, keyTo, math.MinInt64, math.MaxInt64)
}

func (s *sessionStore) All() iter.Seq2[state.SessionEntry, error] {
	return s.FindSessionsKeyRange(nil, nil, math.MinInt64, math.MaxInt64)
}
