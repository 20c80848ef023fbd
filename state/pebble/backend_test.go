// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"

	pdb "github.com/cockroachdb/pebble/v2"

	"github.com/eddy-streams/eddy/state"
	"github.com/eddy-streams/eddy/state/internal/wincore"
)

func mustOpen(t *testing.T, dir string, opts Options) *Backend {
	t.Helper()
	b, err := Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b
}

func TestOptionsValidate(t *testing.T) {
	if err := (Options{}).Validate(); err != nil {
		t.Fatal(err)
	}
	if err := (Options{MemTableSize: 1024}).Validate(); err == nil {
		t.Fatal("tiny memtable accepted")
	}
	if err := (Options{MemTableSize: 2 << 30}).Validate(); err == nil {
		t.Fatal("huge memtable accepted")
	}
	c, err := NewCache(1 << 20)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.Close()
	_ = c.Close()
	if _, err := Open(t.TempDir(), Options{Cache: c}); err == nil {
		t.Fatal("closed cache accepted")
	}
	if _, err := NewCache(0); err == nil {
		t.Fatal("empty cache accepted")
	}
}

// One cache serves many databases and outlives its creator's reference.
func TestSharedCache(t *testing.T) {
	c, err := NewCache(4 << 20)
	if err != nil {
		t.Fatal(err)
	}
	var bs []*Backend
	for i := range 3 {
		b := mustOpen(t, t.TempDir(), Options{Cache: c})
		s, _ := b.KeyValue("kv")
		for j := range 1000 {
			if err := s.Put(fmt.Appendf(nil, "%d-%04d", i, j), bytes.Repeat([]byte("v"), 100)); err != nil {
				t.Fatal(err)
			}
		}
		if err := b.Commit(nil); err != nil {
			t.Fatal(err)
		}
		if err := b.DB().Flush(); err != nil {
			t.Fatal(err)
		}
		bs = append(bs, b)
	}
	_ = c.Close() // the databases still hold references
	for i, b := range bs {
		s, _ := b.KeyValue("kv")
		v, err := s.Get(fmt.Appendf(nil, "%d-0500", i))
		if err != nil || len(v) != 100 {
			t.Fatalf("read after cache close: %q %v", v, err)
		}
		if err := b.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDirectoryIsLocked(t *testing.T) {
	dir := t.TempDir()
	mustOpen(t, dir, Options{})
	if b, err := Open(dir, Options{}); err == nil {
		_ = b.Close()
		t.Fatal("opened a directory twice")
	}
}

type recordingHandler struct {
	mu   sync.Mutex
	msgs []string
}

func (h *recordingHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *recordingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.msgs = append(h.msgs, r.Level.String()+" "+r.Message)
	return nil
}
func (h *recordingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *recordingHandler) WithGroup(string) slog.Handler      { return h }

func TestLogger(t *testing.T) {
	h := &recordingHandler{}
	var fatal []error
	a := slogAdapter{l: slog.New(h), fatal: func(err error) { fatal = append(fatal, err) }}
	a.Infof("hello %d", 1)
	a.Errorf("oops %s", "x")
	cause := errors.New("disk on fire")
	a.Fatalf("boom %d: %v", 2, cause) // returns: the Backend turns it into a storage fault
	want := []string{"DEBUG hello 1", "ERROR oops x", "ERROR boom 2: disk on fire"}
	if fmt.Sprint(h.msgs) != fmt.Sprint(want) {
		t.Fatalf("logged %q, want %q", h.msgs, want)
	}
	if len(fatal) != 1 || fatal[0].Error() != "boom 2: disk on fire" || !errors.Is(fatal[0], cause) {
		t.Fatalf("Fatalf handed on %v, want one error wrapping the cause", fatal)
	}
	// The logger reaches Pebble.
	mustOpen(t, t.TempDir(), Options{Logger: slog.New(h), Sync: true})
}

// Expired segments are removed with one range deletion per segment roll and
// are physically gone from the database after the commit.
func TestRetentionDeletesSegments(t *testing.T) {
	b := mustOpen(t, t.TempDir(), Options{})
	ws, err := b.Window("w", state.WindowOptions{Retention: 100, SegmentInterval: 10})
	if err != nil {
		t.Fatal(err)
	}
	w := ws.(*windowStore)
	for ts := int64(0); ts < 1000; ts++ {
		for k := range 3 {
			if err := w.Put(fmt.Appendf(nil, "k%d", k), ts, []byte("v")); err != nil {
				t.Fatal(err)
			}
		}
	}
	// One deletion at the first put, then one each time live-from (-99 ..
	// 900) crosses a segment boundary (-90 .. 900): 101 in all.
	if w.rangeDeletes > 101 {
		t.Fatalf("%d range deletions for 1000 puts", w.rangeDeletes)
	}
	if err := b.Commit(nil); err != nil {
		t.Fatal(err)
	}
	it, err := b.DB().NewIter(&pdb.IterOptions{LowerBound: w.prefix, UpperBound: wincore.PrefixEnd(w.prefix)})
	if err != nil {
		t.Fatal(err)
	}
	defer it.Close()
	n := 0
	for ok := it.First(); ok; ok = it.Next() {
		if seg := wincore.Int64(it.Key()[idLen:entryOffset]); seg < 90 {
			t.Fatalf("key of dropped segment %d still present", seg)
		}
		n++
	}
	// Live starts are [900, 999]: segments 90..99, 100 starts × 3 keys.
	if n != 300 {
		t.Fatalf("%d keys in the database, want 300", n)
	}
}

// Data and offsets commit atomically: after a commit the database holds the
// data and the offset; uncommitted writes never reach it.
func TestBatchIsolation(t *testing.T) {
	b := mustOpen(t, t.TempDir(), Options{})
	s, _ := b.KeyValue("kv")
	if err := s.Put([]byte("a"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	if _, closer, err := b.DB().Get(append(storePrefix(1), 'a')); err == nil {
		_ = closer.Close()
		t.Fatal("uncommitted write visible in the database")
	}
	if err := b.Commit(map[string]int64{"t-0": 9}); err != nil {
		t.Fatal(err)
	}
	v, closer, err := b.DB().Get(metaKey(tagOffset, []byte("t-0")))
	if err != nil || len(v) != 8 || v[7] != 9 {
		t.Fatalf("offset not committed: %v %v", v, err)
	}
	_ = closer.Close()
}
