// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import "slices"

// StoreMetrics are Pebble's figures for one task's database, which holds
// all of the task's stores.
type StoreMetrics struct {
	// Task is the task id; Stores names the stores in its database.
	Task   string
	Stores []string
	// MemTableBytes is the memory of its memtables; DiskUsageBytes the
	// disk space it uses (sstables, WAL, manifest); CompactionDebtBytes
	// Pebble's estimate of the bytes compactions have to rewrite to settle
	// the LSM.
	MemTableBytes, DiskUsageBytes, CompactionDebtBytes uint64
	// ReadAmplification is the number of sublevels and levels a read may
	// have to look in.
	ReadAmplification int
	// Compactions and Flushes count those since the database was opened.
	Compactions, Flushes int64
}

// storeMetrics returns Pebble's figures of the instance's open task
// databases (active and standby tasks), by task.
func (a *App) storeMetrics() []StoreMetrics {
	names := map[int][]string{}
	for _, st := range a.topo.Subtopologies() {
		for _, s := range st.Stores {
			names[st.ID] = append(names[st.ID], s.Name)
		}
	}
	var open []*taskState
	openStates.Range(func(_, v any) bool {
		if s := v.(*taskState); s.app == a {
			open = append(open, s)
		}
		return true
	})
	slices.SortFunc(open, func(x, y *taskState) int { return compareTasks(x.id, y.id) })
	var out []StoreMetrics
	for _, s := range open {
		if m, ok := s.storeMetrics(); ok {
			m.Stores = slices.Sorted(slices.Values(names[s.id.Subtopology]))
			out = append(out, m)
		}
	}
	return out
}

// storeMetrics reads the database's figures, unless it is closed. It may
// run on any goroutine: s.mu keeps the database from being closed or
// replaced meanwhile, and Pebble's Metrics is safe beside writes.
func (s *taskState) storeMetrics() (StoreMetrics, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	db := s.DB()
	if s.closed || db == nil {
		return StoreMetrics{}, false
	}
	pm := db.Metrics()
	return StoreMetrics{Task: s.id.String(), MemTableBytes: pm.MemTable.Size, DiskUsageBytes: pm.DiskSpaceUsage(),
		CompactionDebtBytes: pm.Compact.EstimatedDebt, ReadAmplification: pm.ReadAmp(),
		Compactions: pm.Compact.Count, Flushes: pm.Flush.Count}, true
}
