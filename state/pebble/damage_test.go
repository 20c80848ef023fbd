// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package pebble

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/eddy-streams/eddy/state"
)

// fillDB writes n keys and an offset into a new database in dir, flushes it
// to an sstable and closes it cleanly.
func fillDB(t testing.TB, dir string, n int) {
	t.Helper()
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	kv, err := b.KeyValue("s")
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if err := kv.Put(fmt.Appendf(nil, "key-%08d", i), fmt.Appendf(nil, "value-%08d-%s", i, strings.Repeat("x", 40))); err != nil {
			t.Fatal(err)
		}
		if i%1000 == 999 {
			if err := b.Commit(map[string]int64{"changelog/0": int64(i + 1)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := b.Commit(map[string]int64{"changelog/0": int64(n)}); err != nil {
		t.Fatal(err)
	}
	if err := b.DB().Flush(); err != nil {
		t.Fatal(err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

func glob1(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil || len(m) == 0 {
		t.Fatalf("no %s in %s", pattern, dir)
	}
	return m[0]
}

func overwrite(t *testing.T, path string, at func(size int64) int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("GARBAGE-GARBAGE-GARBAGE"), at(fi.Size())); err != nil {
		t.Fatal(err)
	}
}

// Every kind of damage is reported as a DamagedError by Open, never as a
// panic or a process exit, and OnDamage can have the database replaced by
// an empty one.
func TestOpenDamaged(t *testing.T) {
	crashed := func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, openMarker), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name   string
		damage func(t *testing.T, dir string)
	}{
		{"truncated sstable", func(t *testing.T, dir string) {
			if err := os.Truncate(glob1(t, dir, "*.sst"), 100); err != nil {
				t.Fatal(err)
			}
		}},
		{"missing sstable", func(t *testing.T, dir string) {
			if err := os.Remove(glob1(t, dir, "*.sst")); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage in sstable footer", func(t *testing.T, dir string) {
			overwrite(t, glob1(t, dir, "*.sst"), func(n int64) int64 { return n - 30 })
		}},
		{"garbage in sstable data after a crash", func(t *testing.T, dir string) {
			overwrite(t, glob1(t, dir, "*.sst"), func(n int64) int64 { return n / 3 })
			crashed(dir)
		}},
		{"truncated MANIFEST", func(t *testing.T, dir string) {
			if err := os.Truncate(glob1(t, dir, "MANIFEST-*"), 10); err != nil {
				t.Fatal(err)
			}
		}},
		{"missing MANIFEST", func(t *testing.T, dir string) {
			if err := os.Remove(glob1(t, dir, "MANIFEST-*")); err != nil {
				t.Fatal(err)
			}
		}},
		{"garbage OPTIONS", func(t *testing.T, dir string) {
			if err := os.WriteFile(glob1(t, dir, "OPTIONS-*"), []byte("[Version]\n garbage"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{"corrupt metadata", func(t *testing.T, dir string) {
			b, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.DB().Set(metaKey(tagOffset, []byte("changelog/0")), []byte("short"), nil); err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
		}},
		{"store registered in the metadata space", func(t *testing.T, dir string) {
			b, err := Open(dir, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if err := b.DB().Set(metaKey(tagStore, []byte("zero")), storeRecord{kind: kindKeyValue}.encode(), nil); err != nil {
				t.Fatal(err)
			}
			if err := b.Close(); err != nil {
				t.Fatal(err)
			}
		}},
		{"corruption recorded by an earlier run", func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, damagedMarker), []byte("checksum mismatch\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fillDB(t, dir, 20000)
			tc.damage(t, dir)
			_, err := Open(dir, Options{})
			var de *DamagedError
			if !errors.As(err, &de) || de.Dir != dir {
				t.Fatalf("Open = %v, want a DamagedError for %s", err, dir)
			}
			if !strings.Contains(err.Error(), dir) {
				t.Errorf("error %q does not name the directory", err)
			}
			var seen *DamagedError
			b, err := Open(dir, Options{OnDamage: func(e *DamagedError) bool { seen = e; return true }})
			if err != nil {
				t.Fatalf("Open with OnDamage: %v", err)
			}
			defer b.Close()
			if seen == nil {
				t.Fatal("OnDamage not called")
			}
			offs, err := b.Offsets()
			if err != nil || len(offs) != 0 {
				t.Fatalf("offsets of the new database: %v %v", offs, err)
			}
			kv, err := b.KeyValue("s")
			if err != nil {
				t.Fatal(err)
			}
			if v, err := kv.Get([]byte("key-00000001")); err != nil || v != nil {
				t.Fatalf("old data survived: %q %v", v, err)
			}
			if _, err := os.Stat(filepath.Join(dir, damagedMarker)); err == nil {
				t.Fatal("damage marker survived")
			}
		})
	}
}

// Without OnDamage the damaged files are left alone, and environment
// errors (here: the lock) are not damage.
func TestOpenDamagedKeepsFiles(t *testing.T) {
	dir := t.TempDir()
	fillDB(t, dir, 100)
	if err := os.Truncate(glob1(t, dir, "MANIFEST-*"), 10); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{OnDamage: func(*DamagedError) bool { return false }}); !IsDamaged(err) {
		t.Fatalf("Open = %v", err)
	}
	if fi, err := os.Stat(glob1(t, dir, "MANIFEST-*")); err != nil || fi.Size() != 10 {
		t.Fatalf("damaged files were touched: %v %v", fi, err)
	}

	dir = t.TempDir()
	mustOpen(t, dir, Options{})
	called := false
	_, err := Open(dir, Options{OnDamage: func(*DamagedError) bool { called = true; return true }})
	if err == nil || IsDamaged(err) || called {
		t.Fatalf("a held lock is not damage: %v (OnDamage called: %v)", err, called)
	}
}

// Corruption found while running (Pebble checks a block's checksum when it
// first reads it) is an error for the read, not a crash, and the next Open
// reports it even though the database was closed cleanly.
func TestCorruptionFoundWhileRunningIsRecorded(t *testing.T) {
	dir := t.TempDir()
	fillDB(t, dir, 20000)
	overwrite(t, glob1(t, dir, "*.sst"), func(n int64) int64 { return n / 3 })
	b, err := Open(dir, Options{Verify: VerifyNever})
	if err != nil {
		t.Fatalf("lazily detected corruption failed Open: %v", err)
	}
	kv, err := b.KeyValue("s")
	if err != nil {
		t.Fatal(err)
	}
	var readErr error
	for _, err := range kv.All() {
		if err != nil {
			readErr = err
		}
	}
	if readErr == nil {
		t.Fatal("a full scan of a corrupted sstable succeeded")
	}
	if err := b.Verify(); err == nil {
		t.Fatal("Verify found nothing")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = Open(dir, Options{Verify: VerifyNever})
	if !IsDamaged(err) || !strings.Contains(err.Error(), "an earlier run found corruption") {
		t.Fatalf("reopen = %v", err)
	}
}

// Verification runs after a crash only (by default): a cleanly closed
// database with a corrupted block opens (the damage is found when read),
// the same database after a crash does not.
func TestVerifyAfterCrash(t *testing.T) {
	dir := t.TempDir()
	fillDB(t, dir, 20000)
	overwrite(t, glob1(t, dir, "*.sst"), func(n int64) int64 { return n / 3 })
	b, err := Open(dir, Options{})
	if err != nil {
		t.Fatalf("clean close: Open verified: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, openMarker)); err != nil {
		t.Fatalf("no open marker while open: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, openMarker)); err == nil {
		t.Fatal("open marker left by a clean close")
	}
	// A crash leaves the marker of an open database behind.
	if err := os.WriteFile(filepath.Join(dir, openMarker), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(dir, Options{}); !IsDamaged(err) {
		t.Fatalf("after a crash: Open = %v, want damaged", err)
	}
	b, err = Open(dir, Options{Verify: VerifyNever})
	if err != nil {
		t.Fatalf("VerifyNever: %v", err)
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
}

// Wipe empties every store, forgets offsets and window clocks, keeps the
// stores usable and the directory locked.
func TestWipe(t *testing.T) {
	dir := t.TempDir()
	b := mustOpen(t, dir, Options{})
	kv, err := b.KeyValue("kv")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := b.Window("w", state.WindowOptions{Retention: 100, SegmentInterval: 10})
	if err != nil {
		t.Fatal(err)
	}
	ss, err := b.Session("s", state.SessionOptions{Retention: 100, SegmentInterval: 10})
	if err != nil {
		t.Fatal(err)
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(kv.Put([]byte("a"), []byte("1")))
	must(ws.Put([]byte("a"), 50, []byte("w")))
	must(ss.Put([]byte("a"), 40, 60, []byte("s")))
	must(b.Commit(map[string]int64{"c/0": 7}))
	must(kv.Put([]byte("b"), []byte("uncommitted")))
	if err := os.WriteFile(filepath.Join(dir, "eddy-task.json"), []byte("{}"), 0o644); err != nil {
		t.Fatal(err)
	}

	must(b.Wipe())
	if _, err := Open(dir, Options{}); err == nil {
		t.Fatal("directory unlocked by Wipe")
	}
	for _, k := range []string{"a", "b"} {
		if v, err := kv.Get([]byte(k)); err != nil || v != nil {
			t.Fatalf("kv %s after wipe: %q %v", k, v, err)
		}
	}
	if v, err := ws.Fetch([]byte("a"), 50); err != nil || v != nil {
		t.Fatalf("window after wipe: %q %v", v, err)
	}
	if v, err := ss.FetchSession([]byte("a"), 40, 60); err != nil || v != nil {
		t.Fatalf("session after wipe: %q %v", v, err)
	}
	if ws.ObservedTime() != state.MinTime || ss.ObservedTime() != state.MinTime {
		t.Fatalf("clocks survived: %d %d", ws.ObservedTime(), ss.ObservedTime())
	}
	if offs, _ := b.Offsets(); len(offs) != 0 {
		t.Fatalf("offsets survived: %v", offs)
	}
	if _, err := os.Stat(filepath.Join(dir, "eddy-task.json")); err == nil {
		t.Fatal("other files survived")
	}
	// Old window starts are writable again: the clock restarted.
	must(ws.Put([]byte("b"), 5, []byte("early")))
	must(kv.Put([]byte("c"), []byte("3")))
	must(b.Commit(map[string]int64{"c/0": 2}))
	must(b.Close())

	b2 := mustOpen(t, dir, Options{})
	kv2, err := b2.KeyValue("kv")
	must(err)
	if v, err := kv2.Get([]byte("c")); err != nil || string(v) != "3" {
		t.Fatalf("write after wipe lost: %q %v", v, err)
	}
	if offs, _ := b2.Offsets(); offs["c/0"] != 2 {
		t.Fatalf("offsets after wipe: %v", offs)
	}
	if _, err := b2.KeyValue("w"); err == nil {
		t.Fatal("store kinds lost by wipe: w opened as key-value")
	}
}

// The cost of verification (a full read of the database), for the record:
//
//	go test -run XXX -bench BenchmarkVerify ./state/pebble/
func BenchmarkVerify(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			dir := b.TempDir()
			fillDB(b, dir, n)
			var size int64
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if fi, err := e.Info(); err == nil {
					size += fi.Size()
				}
			}
			b.ResetTimer()
			var verify, plain time.Duration
			for range b.N {
				for _, mode := range []Verify{VerifyAlways, VerifyNever} {
					start := time.Now()
					db, err := Open(dir, Options{Verify: mode})
					if err != nil {
						b.Fatal(err)
					}
					if mode == VerifyAlways {
						verify += time.Since(start)
					} else {
						plain += time.Since(start)
					}
					if err := db.Close(); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(verify.Microseconds())/float64(b.N)/1000, "ms-open-verified")
			b.ReportMetric(float64(plain.Microseconds())/float64(b.N)/1000, "ms-open-plain")
			b.ReportMetric(float64(size)/(1<<20), "MiB-on-disk")
		})
	}
}

// VerifyLater leaves verification after a crash to the caller, and keeps
// it due until it ran.
func TestVerifyLater(t *testing.T) {
	crash := func(dir string) {
		if err := os.WriteFile(filepath.Join(dir, openMarker), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	open := func(dir string) *Backend {
		b, err := Open(dir, Options{Verify: VerifyLater})
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	healthy := t.TempDir()
	fillDB(t, healthy, 1000)
	crash(healthy)
	b := open(healthy)
	if !b.Crashed() {
		t.Fatal("crash not reported")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	b = open(healthy)
	if !b.Crashed() {
		t.Fatal("verification no longer due after a close without it")
	}
	if err := b.Verify(); err != nil {
		t.Fatal(err)
	}
	if b.Crashed() {
		t.Fatal("still due after Verify")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if b = open(healthy); b.Crashed() {
		t.Fatal("due again after a verified, clean run")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}

	damaged := t.TempDir()
	fillDB(t, damaged, 20000)
	overwrite(t, glob1(t, damaged, "*.sst"), func(n int64) int64 { return n / 3 })
	crash(damaged)
	b = open(damaged)
	if err := b.Verify(); err == nil {
		t.Fatal("Verify missed the corruption")
	}
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(damaged, Options{Verify: VerifyLater}); !IsDamaged(err) {
		t.Fatalf("reopen after a failed Verify = %v", err)
	}
}
