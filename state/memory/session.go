// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package memory

import (
	"bytes"
	"fmt"
	"iter"
	"math"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// sessionStore keeps its sessions in segments by session end; see
// segmented.
type sessionStore struct {
	segmented
	opts state.SessionOptions
}

func newSessionStore(b *Backend, name string, opts state.SessionOptions) *sessionStore {
	return &sessionStore{segmented: newSegmented(b, name, wincore.NewSessionClock(opts)), opts: opts}
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
	s.advance(end)
	s.buf = wincore.AppendSession(s.buf[:0], key, start, end)
	s.write(end, value)
	return nil
}

func (s *sessionStore) FetchSession(key []byte, start, end int64) ([]byte, error) {
	if err := s.b.usable(); err != nil {
		return nil, err
	}
	t := s.tree(end)
	if t == nil {
		return nil, nil
	}
	s.buf = wincore.AppendSession(s.buf[:0], key, start, end)
	v, ok := t.get(s.buf)
	if !ok {
		return nil, nil
	}
	return bytes.Clone(v), nil
}

func (s *sessionStore) FindSessions(key []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[state.SessionEntry, error] {
	return s.scanKey[state.SessionEntry](key, wincore.SessionQuery{EarliestEnd: earliestSessionEnd, LatestStart: latestSessionStart}, false)
}

func (s *sessionStore) BackwardFindSessions(key []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[state.SessionEntry, error] {
	return s.scanKey[state.SessionEntry](key, wincore.SessionQuery{EarliestEnd: earliestSessionEnd, LatestStart: latestSessionStart}, true)
}

func (s *sessionStore) Fetch(key []byte) iter.Seq2[state.SessionEntry, error] {
	return s.FindSessions(key, math.MinInt64, math.MaxInt64)
}

func (s *sessionStore) FindSessionsKeyRange(keyFrom, keyTo []byte, earliestSessionEnd, latestSessionStart int64) iter.Seq2[state.SessionEntry, error] {
	return s.scanKeys[state.SessionEntry](keyFrom, keyTo, wincore.SessionQuery{EarliestEnd: earliestSessionEnd, LatestStart: latestSessionStart})
}

func (s *sessionStore) FetchKeyRange(keyFrom, keyTo []byte) iter.Seq2[state.SessionEntry, error] {
	return s.FindSessionsKeyRange(keyFrom, keyTo, math.MinInt64, math.MaxInt64)
}

func (s *sessionStore) All() iter.Seq2[state.SessionEntry, error] {
	return s.FindSessionsKeyRange(nil, nil, math.MinInt64, math.MaxInt64)
}
