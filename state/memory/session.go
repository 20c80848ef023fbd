package memory

import (
	"bytes"
	"fmt"
	"iter"
	"math"
	"slices"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/btree"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// sessionStore keeps one journaled B-tree per segment of session ends, keyed
// by the within-segment session encoding of wincore. Expired segments are
// dropped whole.
type sessionStore struct {
	b     *Backend
	name  string
	opts  state.SessionOptions
	clock wincore.Clock
	segs  map[int64]*segment

	// Undo state since the last Commit.
	dropped map[int64]*segment // segments dropped that existed at the commit
	cClock  wincore.Clock

	buf []byte
}

func newSessionStore(b *Backend, name string, opts state.SessionOptions) *sessionStore {
	c := wincore.NewSessionClock(opts)
	return &sessionStore{
		b: b, name: name, opts: opts,
		clock: c, cClock: c,
		segs: map[int64]*segment{}, dropped: map[int64]*segment{},
	}
}

func (s *sessionStore) commit() {
	for _, sg := range s.segs {
		sg.j.commit()
		sg.created = false
	}
	clear(s.dropped)
	s.cClock = s.clock
}

func (s *sessionStore) abort() {
	for id, sg := range s.dropped {
		s.segs[id] = sg
	}
	clear(s.dropped)
	for id, sg := range s.segs {
		if sg.created {
			delete(s.segs, id)
		} else {
			sg.j.abort()
		}
	}
	s.clock = s.cClock
}

func (s *sessionStore) Name() string { return s.name }

func (s *sessionStore) ObservedTime() int64 { return s.clock.Observed }

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
		minLive := s.clock.MinLiveSegment()
		for id, sg := range s.segs {
			if id < minLive {
				delete(s.segs, id)
				if !sg.created {
					s.dropped[id] = sg
				}
			}
		}
	}
	s.buf = wincore.AppendSession(s.buf[:0], key, start, end)
	segID := s.clock.Segment(end)
	sg := s.segs[segID]
	if value == nil {
		if sg != nil {
			sg.j.delete(s.buf)
		}
		return nil
	}
	if sg == nil {
		sg = &segment{j: newJournal(), created: true}
		s.segs[segID] = sg
	}
	sg.j.set(s.buf, value)
	return nil
}

func (s *sessionStore) FetchSession(key []byte, start, end int64) ([]byte, error) {
	if err := s.b.usable(); err != nil {
		return nil, err
	}
	if _, _, ok := s.clock.Clip(end, end); !ok {
		return nil, nil
	}
	sg := s.segs[s.clock.Segment(end)]
	if sg == nil {
		return nil, nil
	}
	s.buf = wincore.AppendSession(s.buf[:0], key, start, end)
	v, ok := sg.j.tree.Get(s.buf)
	if !ok {
		return nil, nil
	}
	return bytes.Clone(v), nil
}

// live returns the readers of the segments that may hold sessions ending in
// [lo, hi], in ascending segment order. The caller closes them.
func (s *sessionStore) live(lo, hi int64) []*btree.Reader {
	first, last := s.clock.Segment(lo), s.clock.Segment(hi)
	ids := make([]int64, 0, len(s.segs))
	for id := range s.segs {
		if id >= first && id <= last {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	rs := make([]*btree.Reader, len(ids))
	for i, id := range ids {
		rs[i] = s.segs[id].j.tree.Read()
	}
	return rs
}

// loop runs body over the readers of the live segments holding sessions
// that end at or after earliestEnd, taking care of the loop accounting and
// of closing the readers. lo is the earliest live end.
func (s *sessionStore) loop(earliestEnd int64, yield func(state.SessionEntry, error) bool, body func(lo int64, rs []*btree.Reader)) {
	if err := s.b.usable(); err != nil {
		yield(state.SessionEntry{}, err)
		return
	}
	lo, hi, ok := s.clock.Clip(earliestEnd, math.MaxInt64)
	if !ok {
		return
	}
	rs := s.live(lo, hi)
	s.b.loops++
	defer func() {
		for _, r := range rs {
			r.Close()
		}
		s.b.loops--
	}()
	body(lo, rs)
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

func (s *sessionStore) find(key []byte, earliestEnd, latestStart int64, backward bool) iter.Seq2[state.SessionEntry, error] {
	key = bytes.Clone(key)
	return func(yield func(state.SessionEntry, error) bool) {
		s.loop(earliestEnd, yield, func(lo int64, rs []*btree.Reader) {
			from := wincore.AppendSessionFrom(nil, key, lo)
			to := wincore.AppendKeyEnd(nil, key)
			if backward {
				slices.Reverse(rs)
			}
			for _, r := range rs {
				var c *btree.Cursor
				if backward {
					c = r.Descend(from, to)
				} else {
					c = r.Ascend(from, to)
				}
				for ; c.Valid(); c.Next() {
					start, end, err := wincore.SessionTimes(c.Key())
					if err != nil {
						yield(state.SessionEntry{}, err)
						return
					}
					if start > latestStart {
						continue
					}
					if !yield(state.SessionEntry{Key: key, Start: start, End: end, Value: c.Value()}, nil) {
						return
					}
				}
			}
		})
	}
}

func (s *sessionStore) FindSessionsKeyRange(keyFrom, keyTo []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[state.SessionEntry, error] {
	var lo, hi []byte
	if keyFrom != nil {
		lo = wincore.AppendKeyPrefix(nil, keyFrom)
	}
	if keyTo != nil {
		hi = wincore.AppendKeyEnd(nil, keyTo)
	}
	return func(yield func(state.SessionEntry, error) bool) {
		s.loop(earliestSessionEnd, yield, func(minEnd int64, rs []*btree.Reader) {
			cs := make([]cursor, len(rs))
			for i, r := range rs {
				cs[i] = cursor{r.Ascend(lo, hi)}
			}
			var scratch []byte
			for {
				i := wincore.Min(cs)
				if i < 0 {
					return
				}
				c := cs[i]
				key, start, end, sc, err := wincore.DecodeSession(c.Key(), scratch)
				scratch = sc
				if err != nil {
					yield(state.SessionEntry{}, err)
					return
				}
				if end >= minEnd && start <= latestSessionStart {
					if !yield(state.SessionEntry{Key: key, Start: start, End: end, Value: c.Value()}, nil) {
						return
					}
				}
				c.Next()
			}
		})
	}
}

func (s *sessionStore) FetchKeyRange(keyFrom, keyTo []byte) iter.Seq2[state.SessionEntry, error] {
	return s.FindSessionsKeyRange(keyFrom, keyTo, math.MinInt64, math.MaxInt64)
}

func (s *sessionStore) All() iter.Seq2[state.SessionEntry, error] {
	return s.FindSessionsKeyRange(nil, nil, math.MinInt64, math.MaxInt64)
}

// segmentCount is used by tests to check that expired segments are dropped.
func (s *sessionStore) segmentCount() int { return len(s.segs) }
