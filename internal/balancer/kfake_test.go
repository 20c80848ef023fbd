// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package balancer

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// groupMember is a kgo group consumer whose owned partitions are tracked
// through the partition callbacks, i.e. what the client really consumes.
type groupMember struct {
	name    string
	bal     *Balancer
	cl      *kgo.Client
	mu      sync.Mutex
	owned   map[string]map[int32]bool
	revoked int // partitions revoked or lost so far
}

func (m *groupMember) add(ps map[string][]int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for t, parts := range ps {
		if m.owned[t] == nil {
			m.owned[t] = map[int32]bool{}
		}
		for _, p := range parts {
			m.owned[t][p] = true
		}
	}
}

func (m *groupMember) remove(ps map[string][]int32) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for t, parts := range ps {
		for _, p := range parts {
			if m.owned[t][p] {
				m.revoked++
			}
			delete(m.owned[t], p)
		}
	}
}

func (m *groupMember) snapshot() (map[string][]int32, int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]int32{}
	for t, ps := range m.owned {
		for p := range ps {
			out[t] = append(out[t], p)
		}
		sort.Slice(out[t], func(i, j int) bool { return out[t][i] < out[t][j] })
	}
	return out, m.revoked
}

func TestKfakeGroupCoPartitioning(t *testing.T) {
	const parts = 6
	topics := []string{"left", "right"}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(parts, topics...))
	require.NoError(t, err)
	defer cluster.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var pollers sync.WaitGroup
	defer pollers.Wait() // after the clients are closed below

	start := func(name string) *groupMember {
		m := &groupMember{name: name, bal: New([][]string{topics}), owned: map[string]map[int32]bool{}}
		cl, err := kgo.NewClient(
			kgo.SeedBrokers(cluster.ListenAddrs()...),
			kgo.ConsumerGroup("eddy-balancer-test"),
			kgo.ConsumeTopics(topics...),
			kgo.Balancers(m.bal),
			kgo.HeartbeatInterval(50*time.Millisecond),
			kgo.FetchMaxWait(100*time.Millisecond),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { m.add(ps) }),
			kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { m.remove(ps) }),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { m.remove(ps) }),
		)
		require.NoError(t, err)
		m.cl = cl
		pollers.Add(1)
		go func() {
			defer pollers.Done()
			for {
				if fs := cl.PollFetches(ctx); fs.IsClientClosed() || ctx.Err() != nil {
					return
				}
			}
		}()
		return m
	}

	// settled reports whether the members together own every partition
	// exactly once, each member owning partition p of both topics or of
	// neither, with tasksEach tasks per member.
	settled := func(members []*groupMember, tasksEach int) error {
		seen := map[string]string{}
		for _, m := range members {
			owned, _ := m.snapshot()
			if fmt.Sprint(owned["left"]) != fmt.Sprint(owned["right"]) {
				return fmt.Errorf("%s owns left%v right%v: not co-located", m.name, owned["left"], owned["right"])
			}
			if len(owned["left"]) != tasksEach {
				return fmt.Errorf("%s owns %d tasks, want %d", m.name, len(owned["left"]), tasksEach)
			}
			for tp, ps := range owned {
				for _, p := range ps {
					key := fmt.Sprintf("%s/%d", tp, p)
					if prev, dup := seen[key]; dup {
						return fmt.Errorf("%s owned by %s and %s", key, prev, m.name)
					}
					seen[key] = m.name
				}
			}
			if tasks, _ := m.bal.Assigned(); len(tasks) != tasksEach {
				return fmt.Errorf("%s: balancer reports tasks %v", m.name, tasks)
			}
		}
		if len(seen) != 2*parts {
			return fmt.Errorf("%d of %d partitions owned", len(seen), 2*parts)
		}
		return nil
	}
	waitSettled := func(members []*groupMember, tasksEach int) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := settled(members, tasksEach)
			if err == nil {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("group did not settle: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	a, b := start("a"), start("b")
	defer a.cl.Close()
	defer b.cl.Close()
	waitSettled([]*groupMember{a, b}, 3)

	// A third member joins: a and b each revoke exactly one task (both of
	// its partitions) and keep the rest.
	ownedA, revokedA := a.snapshot()
	ownedB, revokedB := b.snapshot()
	c := start("c")
	waitSettled([]*groupMember{a, b, c}, 2)
	for _, s := range []struct {
		m       *groupMember
		before  map[string][]int32
		revoked int
	}{{a, ownedA, revokedA}, {b, ownedB, revokedB}} {
		after, revoked := s.m.snapshot()
		require.Equal(t, s.revoked+2, revoked, "%s revoked partitions when c joined", s.m.name)
		for _, p := range after["left"] {
			require.Contains(t, s.before["left"], p, "%s gained task %d", s.m.name, p)
		}
	}

	// c leaves: its tasks move to a and b, which revoke nothing.
	ownedA, revokedA = a.snapshot()
	ownedB, revokedB = b.snapshot()
	c.cl.Close()
	waitSettled([]*groupMember{a, b}, 3)
	for _, s := range []struct {
		m       *groupMember
		before  map[string][]int32
		revoked int
	}{{a, ownedA, revokedA}, {b, ownedB, revokedB}} {
		after, revoked := s.m.snapshot()
		require.Equal(t, s.revoked, revoked, "%s revoked partitions when c left", s.m.name)
		for _, p := range s.before["left"] {
			require.Contains(t, after["left"], p, "%s lost task %d", s.m.name, p)
		}
	}
}

// TestKfakeStandbys runs three members on three instances with one standby
// replica through a real group protocol: every stateful task gets exactly
// one standby on another instance, and when a member leaves, the survivors,
// which report their standbys as state through WithMemberInfo when they
// rejoin, take over its stateful tasks where they held the standbys.
func TestKfakeStandbys(t *testing.T) {
	const parts = 6
	groups := [][]string{{"left", "right"}, {"solo"}} // sub-topology 0 is stateful
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(parts, "left", "right", "solo"))
	require.NoError(t, err)
	defer cluster.Close()

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var pollers sync.WaitGroup
	defer pollers.Wait()

	start := func(name string) *groupMember {
		m := &groupMember{name: name, owned: map[string]map[int32]bool{}}
		// What the runtime reports: the instance and the tasks whose state
		// it holds, active (bigger offset sums) and standby.
		info := func() MemberInfo {
			active, standby := m.bal.Assignment()
			st := map[Task]int64{}
			for _, tsk := range standby {
				st[tsk] = 50
			}
			for _, tsk := range active {
				if tsk.Subtopology == 0 {
					st[tsk] = 100
				}
			}
			return MemberInfo{Instance: "instance-" + name, State: st}
		}
		m.bal = New(groups, WithStandbys(1), WithStateful(0), WithMemberInfo(info))
		cl, err := kgo.NewClient(
			kgo.SeedBrokers(cluster.ListenAddrs()...),
			kgo.ConsumerGroup("eddy-standby-test"),
			kgo.ConsumeTopics("left", "right", "solo"),
			kgo.Balancers(m.bal),
			kgo.HeartbeatInterval(50*time.Millisecond),
			kgo.FetchMaxWait(100*time.Millisecond),
			kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { m.add(ps) }),
			kgo.OnPartitionsRevoked(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { m.remove(ps) }),
			kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, ps map[string][]int32) { m.remove(ps) }),
		)
		require.NoError(t, err)
		m.cl = cl
		pollers.Add(1)
		go func() {
			defer pollers.Done()
			for {
				if fs := cl.PollFetches(ctx); fs.IsClientClosed() || ctx.Err() != nil {
					return
				}
			}
		}()
		return m
	}

	// settled checks that the members own every task exactly once, evenly,
	// as the balancers report, and that every stateful task has exactly one
	// standby, on another member (each member is its own instance).
	settled := func(members []*groupMember) (active, standby map[Task]string, err error) {
		active, standby = map[Task]string{}, map[Task]string{}
		for _, m := range members {
			owned, _ := m.snapshot()
			tasks, partial := m.bal.TasksOf(owned)
			if len(partial) > 0 {
				return nil, nil, fmt.Errorf("%s owns part of %v", m.name, partial)
			}
			if want := 2 * parts / len(members); len(tasks) != want {
				return nil, nil, fmt.Errorf("%s owns %d tasks, want %d", m.name, len(tasks), want)
			}
			got, sb := m.bal.Assignment()
			if fmt.Sprint(got) != fmt.Sprint(tasks) {
				return nil, nil, fmt.Errorf("%s: balancer reports %v, client owns %v", m.name, got, tasks)
			}
			for _, tsk := range sb {
				if tsk.Subtopology != 0 {
					return nil, nil, fmt.Errorf("%s: standby of stateless task %v", m.name, tsk)
				}
				if prev, dup := standby[tsk]; dup {
					return nil, nil, fmt.Errorf("task %v: standbys on %s and %s", tsk, prev, m.name)
				}
				standby[tsk] = m.name
			}
			for _, tsk := range tasks {
				if prev, dup := active[tsk]; dup {
					return nil, nil, fmt.Errorf("task %v owned by %s and %s", tsk, prev, m.name)
				}
				active[tsk] = m.name
			}
		}
		if len(active) != 2*parts {
			return nil, nil, fmt.Errorf("%d of %d tasks owned", len(active), 2*parts)
		}
		for p := range int32(parts) {
			tsk := Task{0, p}
			if standby[tsk] == "" || standby[tsk] == active[tsk] {
				return nil, nil, fmt.Errorf("task %v: active on %s, standby on %q", tsk, active[tsk], standby[tsk])
			}
		}
		return active, standby, nil
	}
	waitSettled := func(members []*groupMember) (active, standby map[Task]string) {
		t.Helper()
		deadline := time.Now().Add(15 * time.Second)
		for {
			active, standby, err := settled(members)
			if err == nil {
				return active, standby
			}
			if time.Now().After(deadline) {
				t.Fatalf("group did not settle: %v", err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}

	a, b, c := start("a"), start("b"), start("c")
	defer a.cl.Close()
	defer b.cl.Close()
	active, standby := waitSettled([]*groupMember{a, b, c})
	perMember := map[string]int{}
	for _, name := range standby {
		perMember[name]++
	}
	require.Equal(t, map[string]int{"a": 2, "b": 2, "c": 2}, perMember, "standbys balanced")

	// c leaves: its stateful tasks go to the members holding their
	// standbys; a and b keep their own tasks.
	c.cl.Close()
	after, standbyAfter := waitSettled([]*groupMember{a, b})
	moved := 0
	for tsk, owner := range active {
		switch {
		case owner != "c":
			require.Equal(t, owner, after[tsk], "task %v moved off %s", tsk, owner)
		case tsk.Subtopology == 0:
			moved++
			require.Equal(t, standby[tsk], after[tsk], "task %v of c goes to its standby holder", tsk)
		}
	}
	require.Equal(t, parts/3, moved)
	for p := range int32(parts) {
		tsk := Task{0, p}
		require.NotEqual(t, after[tsk], standbyAfter[tsk], "task %v", tsk)
	}
}
