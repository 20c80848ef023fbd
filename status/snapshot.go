// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package status

import (
	"context"
	"slices"
	"time"

	"github.com/eddy-streams/eddy/runtime"
)

// Status is what the page shows, as /status.json serves it.
type Status struct {
	AppID    string    `json:"app_id"`
	Instance string    `json:"instance"`
	State    string    `json:"state"`
	Endpoint string    `json:"endpoint,omitempty"`
	Time     time.Time `json:"time"`
	// Threads are the instance's workers.
	Threads []Thread `json:"threads"`
	// Tasks are the tasks the instance runs now (closed ones are left
	// out), by id.
	Tasks []Task `json:"tasks"`
	// Members are the group's instances, as the group describes them
	// (empty with MembersError set if that failed).
	Members      []runtime.InstanceMetadata `json:"members"`
	MembersError string                     `json:"members_error,omitempty"`
	// Processed, Commits and Aborts are the instance's totals.
	Processed int64 `json:"processed"`
	Commits   int64 `json:"commits"`
	Aborts    int64 `json:"aborts"`
}

// Thread is one worker.
type Thread struct {
	ID int `json:"id"`
	// Its tasks by state.
	Running   int `json:"running"`
	Restoring int `json:"restoring"`
	Standby   int `json:"standby"`
	// Rebalances counts the group sessions it joined.
	Rebalances int64 `json:"rebalances"`
	// PollMs and CommitMs are the mean poll and commit times.
	PollMs   float64 `json:"poll_mean_ms"`
	CommitMs float64 `json:"commit_mean_ms"`
}

// Task is one task the instance runs.
type Task struct {
	ID     string `json:"id"`
	Thread int    `json:"thread"`
	// State is RUNNING, RESTORING or STANDBY.
	State     string `json:"state"`
	Processed int64  `json:"processed"`
	Dropped   int64  `json:"dropped"`
	// Lag is the records the broker holds beyond what the task fetched,
	// over its input partitions (active tasks).
	Lag        int64          `json:"lag"`
	Partitions []PartitionLag `json:"partitions,omitempty"`
	// RestoreRemaining is what its restore still has to read; Restored
	// what it restored.
	RestoreRemaining int64 `json:"restore_remaining"`
	Restored         int64 `json:"restored"`
	// StandbyLag is, for a standby, the changelog records it has yet to
	// apply (-1: not known yet).
	StandbyLag int64 `json:"standby_lag"`
}

// PartitionLag is one input partition's lag.
type PartitionLag struct {
	Topic     string `json:"topic"`
	Partition int32  `json:"partition"`
	Lag       int64  `json:"lag"`
}

// Snapshot gathers the status of app. The group's description may take a
// round trip to the broker, bounded by ctx.
func Snapshot(ctx context.Context, app *runtime.App, endpoint string) Status {
	d := app.DetailedMetrics()
	s := Status{AppID: d.AppID, Instance: d.InstanceID, State: d.State.String(), Endpoint: endpoint, Time: time.Now(),
		Processed: d.ProcessedTotal, Commits: d.Commits, Aborts: d.Aborts}
	for _, t := range d.Threads {
		s.Threads = append(s.Threads, Thread{ID: t.ID, Running: t.Running, Restoring: t.Restoring, Standby: t.Standby,
			Rebalances: t.Rebalances, PollMs: ms(t.PollLatency.Mean()), CommitMs: ms(t.CommitLatency.Mean())})
	}
	lags := map[string][]PartitionLag{}
	for _, l := range d.Lags {
		lags[l.Task] = append(lags[l.Task], PartitionLag{Topic: l.Topic, Partition: l.Partition, Lag: l.Records})
	}
	for _, t := range d.Tasks {
		if t.State == "CLOSED" {
			continue
		}
		task := Task{ID: t.ID, Thread: t.Thread, State: t.State, Processed: t.Processed, Partitions: lags[t.ID],
			RestoreRemaining: t.RestoreRemaining, Restored: t.Restored, StandbyLag: t.StandbyLag}
		for _, n := range t.Dropped {
			task.Dropped += n
		}
		for _, p := range task.Partitions {
			task.Lag += p.Lag
		}
		s.Tasks = append(s.Tasks, task)
	}
	slices.SortStableFunc(s.Tasks, func(a, b Task) int { return order(a.State) - order(b.State) })
	members, err := app.QueryMetadata(ctx)
	if err != nil {
		s.MembersError = err.Error()
	}
	s.Members = members
	return s
}

// order puts running tasks first, then restoring, then standbys.
func order(state string) int {
	switch state {
	case "RUNNING":
		return 0
	case "RESTORING":
		return 1
	}
	return 2
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
