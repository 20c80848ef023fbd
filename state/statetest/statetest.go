// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package statetest is the conformance suite every [state.Backend] must
// pass, plus benchmarks that compare backends in one process.
//
// A backend's tests call Run:
//
//	func TestConformance(t *testing.T) {
//		statetest.Run(t, statetest.Config{
//			Open: func(t testing.TB, dir string) state.Backend { ... },
//			Persistent: true,
//		})
//	}
package statetest

import (
	"errors"
	"fmt"
	"iter"
	"reflect"
	"testing"

	"github.com/eddy-streams/eddy/state"
)

// Config describes the backend under test.
type Config struct {
	// Open opens the backend kept in dir. Every test passes its own empty
	// directory; persistence tests close the backend and open the same
	// directory again. Open fails the test on error.
	Open func(t testing.TB, dir string) state.Backend
	// Persistent reports whether committed state survives Close and Open of
	// the same directory. If false, persistence tests are skipped.
	Persistent bool
}

// Run runs the conformance suite against the backend described by cfg.
func Run(t *testing.T, cfg Config) {
	if cfg.Open == nil {
		t.Fatal("statetest: Config.Open is nil")
	}
	t.Run("KeyValue", func(t *testing.T) { runKeyValue(t, cfg) })
	t.Run("Window", func(t *testing.T) { runWindow(t, cfg) })
	t.Run("Session", func(t *testing.T) { runSession(t, cfg) })
	t.Run("Transactions", func(t *testing.T) { runTransactions(t, cfg) })
	t.Run("Persistence", func(t *testing.T) {
		if !cfg.Persistent {
			t.Skip("backend is not persistent")
		}
		runPersistence(t, cfg)
	})
	t.Run("Randomized", func(t *testing.T) { runRandomized(t, cfg) })
	t.Run("VersionedRandomized", func(t *testing.T) { runVersionedRandomized(t, cfg) })
	t.Run("DataDriven", func(t *testing.T) { runDataDriven(t, cfg) })
}

// env is one test's backend and directory.
type env struct {
	t   *testing.T
	cfg Config
	dir string
	b   state.Backend
}

func newEnv(t *testing.T, cfg Config) *env {
	e := &env{t: t, cfg: cfg, dir: t.TempDir()}
	e.b = cfg.Open(t, e.dir)
	t.Cleanup(func() {
		if e.b != nil {
			noErr(t, e.b.Close())
		}
	})
	return e
}

// reopen closes the backend and opens its directory again.
func (e *env) reopen() {
	e.t.Helper()
	noErr(e.t, e.b.Close())
	e.b = nil
	e.b = e.cfg.Open(e.t, e.dir)
}

func (e *env) kv(name string) state.KeyValueStore {
	e.t.Helper()
	s, err := e.b.KeyValue(name)
	noErr(e.t, err)
	return s
}

func (e *env) window(name string, opts state.WindowOptions) state.WindowStore {
	e.t.Helper()
	s, err := e.b.Window(name, opts)
	noErr(e.t, err)
	return s
}

// collect drains seq, copying what it yields, and returns the first error.
func collect[T any](seq iter.Seq2[T, error], clone func(T) T) ([]T, error) {
	var out []T
	for v, err := range seq {
		if err != nil {
			return out, err
		}
		out = append(out, clone(v))
	}
	return out, nil
}

func cloneKV(kv state.KeyValue) state.KeyValue {
	return state.KeyValue{Key: cloneBytes(kv.Key), Value: cloneBytes(kv.Value)}
}

func cloneWE(we state.WindowEntry) state.WindowEntry {
	return state.WindowEntry{Key: cloneBytes(we.Key), WindowStart: we.WindowStart, Value: cloneBytes(we.Value)}
}

func cloneBytes(b []byte) []byte {
	if b == nil {
		return nil
	}
	return append([]byte{}, b...)
}

// errStop is used by tests that stop a loop on purpose.
var errStop = errors.New("stop")

// The suite uses plain testing helpers rather than an assertion library.

func noErr(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("unexpected error: %v", err)
	}
}

func isErr(t testing.TB, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("error = %v, want %v", err, target)
	}
}

func equal[T any](t testing.TB, got, want T, msgAndArgs ...any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		msg := ""
		if len(msgAndArgs) > 0 {
			msg = fmt.Sprintf(msgAndArgs[0].(string), msgAndArgs[1:]...) + ": "
		}
		t.Fatalf("%sgot  %s\nwant %s", msg, show(got), show(want))
	}
}

// show formats values with byte slices quoted, nil distinct from empty.
func show(v any) string {
	switch v := v.(type) {
	case []byte:
		if v == nil {
			return "<nil>"
		}
		return fmt.Sprintf("%q", v)
	case state.KeyValue:
		return show(v.Key) + "=" + show(v.Value)
	case state.WindowEntry:
		return fmt.Sprintf("%s@%d=%s", show(v.Key), v.WindowStart, show(v.Value))
	case []state.KeyValue:
		out := "["
		for i, kv := range v {
			if i > 0 {
				out += " "
			}
			out += show(kv)
		}
		return out + "]"
	case []state.WindowEntry:
		out := "["
		for i, we := range v {
			if i > 0 {
				out += " "
			}
			out += show(we)
		}
		return out + "]"
	}
	return fmt.Sprintf("%#v", v)
}
