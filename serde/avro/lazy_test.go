// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
)

func TestOnceMapSharesOneLoad(t *testing.T) {
	var m onceMap[int, string]
	var loads atomic.Int32
	gate := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			v, err := m.get(7, func() (string, error) {
				loads.Add(1)
				<-gate // hold the load until every goroutine has asked
				return "seven", nil
			})
			if err != nil || v != "seven" {
				t.Errorf("get = %q, %v", v, err)
			}
		})
	}
	// Let the goroutines pile up on the loading entry, then release it.
	for {
		if p := m.m.Load(); p != nil && len(*p) == 1 {
			break
		}
		runtime.Gosched()
	}
	close(gate)
	wg.Wait()
	if n := loads.Load(); n != 1 {
		t.Errorf("%d loads for one key; want 1", n)
	}
	if v, err := m.get(7, func() (string, error) { t.Error("loaded a cached key"); return "", nil }); v != "seven" || err != nil {
		t.Errorf("cached get = %q, %v", v, err)
	}
}

func TestOnceMapForgetsFailures(t *testing.T) {
	var m onceMap[string, int]
	boom := errors.New("registry down")
	if _, err := m.get("a", func() (int, error) { return 0, boom }); !errors.Is(err, boom) {
		t.Fatalf("failed load: err = %v", err)
	}
	if p := m.m.Load(); p == nil || len(*p) != 0 {
		t.Errorf("failed entry kept: %v", p)
	}
	v, err := m.get("a", func() (int, error) { return 1, nil })
	if v != 1 || err != nil {
		t.Errorf("retry after failure = %d, %v; want 1", v, err)
	}
	// Other keys are unaffected by a failure.
	if _, err := m.get("b", func() (int, error) { return 0, boom }); err == nil {
		t.Fatal("want error")
	}
	if v, err := m.get("a", func() (int, error) { return 2, nil }); v != 1 || err != nil {
		t.Errorf("a after b failed = %d, %v; want cached 1", v, err)
	}
}
