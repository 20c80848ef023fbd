// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/eddy-streams/eddy/internal/engine"
)

func TestParseTaskDir(t *testing.T) {
	for name, want := range map[string]*engine.TaskID{
		"0_0":       {Subtopology: 0, Partition: 0},
		"1_2":       {Subtopology: 1, Partition: 2},
		"12_345":    {Subtopology: 12, Partition: 345},
		"1_2junk":   nil,
		"01_2":      nil,
		"1_02":      nil,
		"1_+2":      nil,
		"1_-2":      nil,
		"-1_2":      nil,
		"1_global":  nil,
		"1":         nil,
		"1_2_3":     nil,
		"":          nil,
		"eddy.lock": nil,
	} {
		id, ok := parseTaskDir(name)
		if want == nil {
			assert.False(t, ok, "%q parsed as %v", name, id)
			continue
		}
		assert.True(t, ok, name)
		assert.Equal(t, *want, id, name)
	}
}

// Only directories of tasks the application has now are reported as local
// state: not junk names, not partitions past a sub-topology's task count,
// not sub-topologies it no longer has.
func TestDiskTasksKeepsOnlyCurrentTasks(t *testing.T) {
	dir := t.TempDir()
	a := &App{cfg: Config{StateDir: dir, AppID: "app"}, plan: &topicPlan{tasks: map[int]int32{0: 2, 1: 3}}}
	for _, d := range []string{"0_0", "0_1", "0_2", "1_2", "1_3", "2_0", "1_2junk", "0_global"} {
		require.NoError(t, os.MkdirAll(filepath.Join(dir, "app", d), 0o755))
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "app", "1_1"), nil, 0o644)) // a file, not a task
	got := a.diskTasks()
	slices.SortFunc(got, func(x, y engine.TaskID) int {
		if x.Subtopology != y.Subtopology {
			return x.Subtopology - y.Subtopology
		}
		return int(x.Partition - y.Partition)
	})
	assert.Equal(t, []engine.TaskID{{Subtopology: 0, Partition: 0}, {Subtopology: 0, Partition: 1}, {Subtopology: 1, Partition: 2}}, got)
}
