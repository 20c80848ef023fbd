package memory

import (
	"bytes"
	"iter"
	"math"
	"slices"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/btree"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// windowStore keeps one journaled B-tree per segment, keyed by the
// within-segment encoding of wincore. Expired segments are dropped whole.
type windowStore struct {
	b     *Backend
	name  string
	opts  state.WindowOptions
	clock wincore.Clock
	seq   uint32
	segs  map[int64]*segment

	// Undo state since the last Commit.
	dropped map[int64]*segment // segments dropped that existed at the commit
	cClock  wincore.Clock
	cSeq    uint32

	buf []byte // scratch for entry keys
}

// segment is the tree of one segment.
type segment struct {
	j       *journal
	created bool // since the last Commit
}

func newWindowStore(b *Backend, name string, opts state.WindowOptions) *windowStore {
	c := wincore.NewClock(opts)
	return &windowStore{
		b: b, name: name, opts: opts,
		clock: c, cClock: c,
		segs: map[int64]*segment{}, dropped: map[int64]*segment{},
	}
}

func (s *windowStore) commit() {
	for _, sg := range s.segs {
		sg.j.commit()
		sg.created = false
	}
	clear(s.dropped)
	s.cClock, s.cSeq = s.clock, s.seq
}

func (s *windowStore) abort() {
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
	s.clock, s.seq = s.cClock, s.cSeq
}

func (s *windowStore) Name() string { return s.name }

func (s *windowStore) ObservedTime() int64 { return s.clock.Observed }

func (s *windowStore) Put(key []byte, windowStart int64, value []byte) error {
	if err := s.b.usable(); err != nil {
		return err
	}
	if (value == nil && s.opts.RetainDuplicates) || s.clock.Expired(windowStart) {
		return nil
	}
	if s.clock.Advance(windowStart) {
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
	var seq uint32
	if s.opts.RetainDuplicates {
		s.seq++
		seq = s.seq
	}
	s.buf = wincore.AppendEntry(s.buf[:0], key, windowStart, seq)
	segID := s.clock.Segment(windowStart)
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

func (s *windowStore) Fetch(key []byte, windowStart int64) ([]byte, error) {
	if err := s.b.usable(); err != nil {
		return nil, err
	}
	if _, _, ok := s.clock.Clip(windowStart, windowStart); !ok {
		return nil, nil
	}
	sg := s.segs[s.clock.Segment(windowStart)]
	if sg == nil {
		return nil, nil
	}
	t := sg.j.tree
	if !s.opts.RetainDuplicates {
		s.buf = wincore.AppendEntry(s.buf[:0], key, windowStart, 0)
		v, ok := t.Get(s.buf)
		if !ok {
			return nil, nil
		}
		return bytes.Clone(v), nil
	}
	// The first duplicate put.
	r := t.Read()
	defer r.Close()
	c := r.Ascend(wincore.AppendEntry(nil, key, windowStart, 0), wincore.AppendTimeEnd(nil, key, windowStart))
	if !c.Valid() {
		return nil, nil
	}
	return bytes.Clone(c.Value()), nil
}

// live returns the readers of the segments that may hold windows starting in
// [lo, hi], in ascending segment order. The caller closes them.
func (s *windowStore) live(lo, hi int64) []*btree.Reader {
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

// loop runs body over the readers of the segments live in [lo, hi], taking
// care of the loop accounting and of closing the readers.
func (s *windowStore) loop(from, to int64, yield func(state.WindowEntry, error) bool, body func(lo, hi int64, rs []*btree.Reader)) {
	if err := s.b.usable(); err != nil {
		yield(state.WindowEntry{}, err)
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
			r.Close()
		}
		s.b.loops--
	}()
	body(lo, hi, rs)
}

func (s *windowStore) FetchRange(key []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return s.fetchRange(key, from, to, false)
}

func (s *windowStore) BackwardFetchRange(key []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	return s.fetchRange(key, from, to, true)
}

func (s *windowStore) fetchRange(key []byte, from, to int64, backward bool) iter.Seq2[state.WindowEntry, error] {
	key = bytes.Clone(key)
	return func(yield func(state.WindowEntry, error) bool) {
		s.loop(from, to, yield, func(lo, hi int64, rs []*btree.Reader) {
			start := wincore.AppendEntry(nil, key, lo, 0)
			end := wincore.AppendTimeEnd(nil, key, hi)
			if backward {
				slices.Reverse(rs)
			}
			for _, r := range rs {
				var c *btree.Cursor
				if backward {
					c = r.Descend(start, end)
				} else {
					c = r.Ascend(start, end)
				}
				for ; c.Valid(); c.Next() {
					ws, err := wincore.EntryStart(c.Key())
					if err != nil {
						yield(state.WindowEntry{}, err)
						return
					}
					if !yield(state.WindowEntry{Key: key, WindowStart: ws, Value: c.Value()}, nil) {
						return
					}
				}
			}
		})
	}
}

// cursor adapts a B-tree cursor to wincore.Cursor.
type cursor struct{ *btree.Cursor }

func (c cursor) Entry() []byte { return c.Key() }

func (s *windowStore) FetchKeyRange(keyFrom, keyTo []byte, from, to int64) iter.Seq2[state.WindowEntry, error] {
	var lo, hi []byte
	if keyFrom != nil {
		lo = wincore.AppendKeyPrefix(nil, keyFrom)
	}
	if keyTo != nil {
		hi = wincore.AppendKeyEnd(nil, keyTo)
	}
	return func(yield func(state.WindowEntry, error) bool) {
		s.loop(from, to, yield, func(tlo, thi int64, rs []*btree.Reader) {
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
				key, ws, _, sc, err := wincore.DecodeEntry(c.Key(), scratch)
				scratch = sc
				if err != nil {
					yield(state.WindowEntry{}, err)
					return
				}
				if ws >= tlo && ws <= thi {
					if !yield(state.WindowEntry{Key: key, WindowStart: ws, Value: c.Value()}, nil) {
						return
					}
				}
				c.Next()
			}
		})
	}
}

func (s *windowStore) All() iter.Seq2[state.WindowEntry, error] {
	return s.FetchKeyRange(nil, nil, math.MinInt64, math.MaxInt64)
}

// segmentCount is used by tests to check that expired segments are dropped.
func (s *windowStore) segmentCount() int { return len(s.segs) }
