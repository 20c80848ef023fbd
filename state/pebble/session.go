// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"fmt"
	"iter"
	"math"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

// sessionStore is a session store segmented by session end; see segmented.
// Its retention state (observed time) is persisted like a window store's,
// with sequence number 0.
type sessionStore struct {
	segmented
	opts state.SessionOptions
}

func newSessionStore(b *Backend, name string, id uint32, opts state.SessionOptions) (*sessionStore, error) {
	sg, err := newSegmented(b, name, id, wincore.NewSessionClock(opts))
	if err != nil {
		return nil, err
	}
	return &sessionStore{segmented: sg, opts: opts}, nil
}

// sessionKey builds the database key of (key, start, end) in s.buf.
func (s *sessionStore) sessionKey(key []byte, start, end int64) []byte {
	s.buf = wincore.AppendSession(s.segmentKey(end), key, start, end)
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
	if err := s.advance(end); err != nil {
		return err
	}
	return s.write(s.sessionKey(key, start, end), value)
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
