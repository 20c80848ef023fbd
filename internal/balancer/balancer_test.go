// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package balancer

import (
	"bytes"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// simMember is one simulated group member: what it subscribes to, what it
// owns (its last assignment) and the generation it last synced.
type simMember struct {
	subs     []string
	owned    map[string][]int32
	gen      int32
	bal      *Balancer // the member's own balancer (JoinGroupMetadata, ParseSyncAssignment)
	instance string
	standbys []Task // last synced standbys
}

// sim drives rebalances through the balancer the way kgo's classic
// cooperative protocol does, without a broker.
type sim struct {
	t       *testing.T
	b       *Balancer // the leader's
	groups  [][]string
	opts    []Option
	topics  map[string]int32
	gen     int32
	members map[string]*simMember
	// info, if set, gives the MemberInfo every member reports when it
	// joins.
	info func(id string, m *simMember) MemberInfo
}

func newSim(t *testing.T, groups [][]string, topics map[string]int32, opts ...Option) *sim {
	return &sim{t: t, b: New(groups, opts...), groups: groups, opts: opts, topics: topics, members: map[string]*simMember{}}
}

func (s *sim) allTopics() []string {
	var all []string
	for _, g := range s.b.groups {
		all = append(all, g...)
	}
	sort.Strings(all)
	return all
}

func (s *sim) join(id string) { s.joinWith(id, s.allTopics()) }

func (s *sim) joinWith(id string, subs []string) {
	s.members[id] = &simMember{subs: subs, gen: -1, bal: New(s.groups, s.opts...)}
}

// joinOn joins a member that subscribes to everything, on an instance.
func (s *sim) joinOn(id, instance string) {
	s.join(id)
	s.members[id].instance = instance
}

func (s *sim) leave(id string) { delete(s.members, id) }

func (s *sim) ids() []string {
	var ids []string
	for id := range s.members {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

// joinMembers builds the JoinGroup response members (sorted by member ID as
// kgo does for members without instance IDs).
func (s *sim) joinMembers() []kmsg.JoinGroupResponseMember {
	var out []kmsg.JoinGroupResponseMember
	for _, id := range s.ids() {
		m := s.members[id]
		if s.info != nil {
			m.bal.SetMemberInfo(s.info(id, m))
		}
		jm := kmsg.NewJoinGroupResponseMember()
		jm.MemberID = id
		jm.ProtocolMetadata = m.bal.JoinGroupMetadata(m.subs, m.owned, m.gen)
		out = append(out, jm)
	}
	return out
}

// balance runs the leader side once and returns the per-member assignments.
func balanceOnce(b *Balancer, members []kmsg.JoinGroupResponseMember, topics map[string]int32) ([]kmsg.SyncGroupRequestGroupAssignment, error) {
	gmb, _, err := b.MemberBalancer(members)
	if err != nil {
		return nil, err
	}
	into, err := gmb.(kgo.GroupMemberBalancerOrError).BalanceOrError(topics)
	if err != nil {
		return nil, err
	}
	return into.IntoSyncAssignment(), nil
}

// round runs one rebalance: every member rejoins with what it owns, the
// leader balances, every member syncs and now owns its assignment. It
// returns each member's tasks.
func (s *sim) round() map[string][]Task {
	s.t.Helper()
	assignments, err := balanceOnce(s.b, s.joinMembers(), s.topics)
	require.NoError(s.t, err)
	require.Len(s.t, assignments, len(s.members))
	s.gen++
	out := map[string][]Task{}
	seen := map[topicPartition]string{}
	for _, a := range assignments {
		sm := s.members[a.MemberID]
		m, err := sm.bal.ParseSyncAssignment(a.MemberAssignment)
		require.NoError(s.t, err)
		for topic, ps := range m {
			for _, p := range ps {
				tp := topicPartition{topic, p}
				require.Empty(s.t, seen[tp], "%s/%d assigned to %s and %s", topic, p, seen[tp], a.MemberID)
				seen[tp] = a.MemberID
			}
		}
		tasks, partial := s.b.TasksOf(m)
		require.Empty(s.t, partial, "member %s got part of a task", a.MemberID)
		got, _ := sm.bal.Assigned()
		require.Equal(s.t, tasks, got)
		out[a.MemberID] = tasks
		sm.owned, sm.gen, sm.standbys = m, s.gen, sm.bal.Standbys()
	}
	return out
}

func (s *sim) nTasks() int {
	n := 0
	for _, g := range s.b.groups {
		n += int(s.topics[g[0]])
	}
	return n
}

func countTasks(a map[string][]Task) int {
	n := 0
	for _, ts := range a {
		n += len(ts)
	}
	return n
}

func spread(a map[string][]Task, sub int) (lo, hi int) {
	lo = 1 << 30
	for _, ts := range a {
		n := 0
		for _, t := range ts {
			if sub < 0 || t.Subtopology == sub {
				n++
			}
		}
		lo, hi = min(lo, n), max(hi, n)
	}
	return lo, hi
}

func tk(g int, ps ...int32) []Task {
	var out []Task
	for _, p := range ps {
		out = append(out, Task{g, p})
	}
	return out
}

func subset(sub, super []Task) bool {
	for _, t := range sub {
		if !slices.Contains(super, t) {
			return false
		}
	}
	return true
}

func TestCoLocationAndSpread(t *testing.T) {
	s := newSim(t, [][]string{{"b", "a"}, {"c"}}, map[string]int32{"a": 6, "b": 6, "c": 4})
	s.join("m1")
	s.join("m2")
	s.join("m3")
	a := s.round() // fresh members own nothing: nothing is withheld
	assert.Equal(t, 10, countTasks(a))
	lo, hi := spread(a, -1)
	assert.Equal(t, [2]int{3, 4}, [2]int{lo, hi})
	lo, hi = spread(a, 0)
	assert.Equal(t, [2]int{2, 2}, [2]int{lo, hi}, "sub-topology 0 spread over all members")
	lo, hi = spread(a, 1)
	assert.LessOrEqual(t, hi-lo, 1)

	// Partition p of a and b always lands on the same member: check on the
	// raw assignment too, not only through TasksOf.
	assignments, err := balanceOnce(s.b, s.joinMembers(), s.topics)
	require.NoError(t, err)
	for _, as := range assignments {
		m, err := kgo.ParseConsumerSyncAssignment(as.MemberAssignment)
		require.NoError(t, err)
		assert.Equal(t, m["a"], m["b"], "member %s", as.MemberID)
	}
}

func TestStickyJoinIsCooperative(t *testing.T) {
	s := newSim(t, [][]string{{"a", "b"}}, map[string]int32{"a": 12, "b": 12})
	s.join("m1")
	s.join("m2")
	before := s.round()
	require.Len(t, before["m1"], 6)
	require.Len(t, before["m2"], 6)

	s.join("m3")
	r1 := s.round()
	// First round: m1 and m2 give up two tasks each, nobody gets them yet.
	assert.Empty(t, r1["m3"], "moved tasks are withheld in the first round")
	for _, id := range []string{"m1", "m2"} {
		assert.Len(t, r1[id], 4)
		assert.True(t, subset(r1[id], before[id]), "%s only lost tasks", id)
	}
	// Second round: m3 gets exactly the revoked tasks, nobody else moves.
	r2 := s.round()
	assert.Len(t, r2["m3"], 4)
	assert.Equal(t, r1["m1"], r2["m1"])
	assert.Equal(t, r1["m2"], r2["m2"])
	var revoked []Task
	for _, id := range []string{"m1", "m2"} {
		for _, tsk := range before[id] {
			if !slices.Contains(r2[id], tsk) {
				revoked = append(revoked, tsk)
			}
		}
	}
	slices.SortFunc(revoked, taskLess)
	assert.Equal(t, revoked, r2["m3"], "only the minimum (4 tasks) moved")

	// Stable: another round changes nothing.
	assert.Equal(t, r2, s.round())
}

func TestStickyLeave(t *testing.T) {
	s := newSim(t, [][]string{{"a", "b"}, {"c"}}, map[string]int32{"a": 6, "b": 6, "c": 6})
	for _, id := range []string{"m1", "m2", "m3"} {
		s.join(id)
	}
	before := s.round()
	require.Equal(t, 12, countTasks(before))

	s.leave("m2")
	after := s.round() // the leaver claims nothing any more: one round suffices
	assert.Equal(t, 12, countTasks(after))
	for _, id := range []string{"m1", "m3"} {
		assert.Len(t, after[id], 6)
		assert.True(t, subset(before[id], after[id]), "%s kept all its tasks", id)
	}
	// m2's tasks were split between the survivors, spreading each
	// sub-topology.
	for g := range 2 {
		lo, hi := spread(after, g)
		assert.LessOrEqual(t, hi-lo, 1, "sub-topology %d", g)
	}
}

func TestStaleGenerationClaimsAreIgnored(t *testing.T) {
	b := New([][]string{{"a", "b"}})
	topics := map[string]int32{"a": 6, "b": 6}
	all := []string{"a", "b"}
	owned := func(ps ...int32) map[string][]int32 { return map[string][]int32{"a": ps, "b": ps} }
	mk := func(id string, gen int32, own map[string][]int32) kmsg.JoinGroupResponseMember {
		jm := kmsg.NewJoinGroupResponseMember()
		jm.MemberID = id
		jm.ProtocolMetadata = b.JoinGroupMetadata(all, own, gen)
		return jm
	}
	// m1 owns everything at generation 5; m2 is a zombie that rejoins still
	// claiming tasks 3-5 from generation 3.
	members := []kmsg.JoinGroupResponseMember{mk("m1", 5, owned(0, 1, 2, 3, 4, 5)), mk("m2", 3, owned(3, 4, 5))}
	as, err := balanceOnce(b, members, topics)
	require.NoError(t, err)
	got := map[string]map[string][]int32{}
	for _, a := range as {
		got[a.MemberID], err = kgo.ParseConsumerSyncAssignment(a.MemberAssignment)
		require.NoError(t, err)
	}
	// m1 is the owner; it keeps 0-2 and must revoke 3-5 before m2, whose
	// claim is stale, may have them.
	assert.Equal(t, owned(0, 1, 2), got["m1"])
	assert.Empty(t, got["m2"])

	// Next round: m1 revoked 3-5, m2 gets them.
	members = []kmsg.JoinGroupResponseMember{mk("m1", 6, owned(0, 1, 2)), mk("m2", 6, nil)}
	as, err = balanceOnce(b, members, topics)
	require.NoError(t, err)
	for _, a := range as {
		got[a.MemberID], err = kgo.ParseConsumerSyncAssignment(a.MemberAssignment)
		require.NoError(t, err)
	}
	assert.Equal(t, owned(0, 1, 2), got["m1"])
	assert.Equal(t, owned(3, 4, 5), got["m2"])
}

func TestCurrentOwnerKeepsTaskAgainstStaleClaim(t *testing.T) {
	b := New([][]string{{"a"}})
	mk := func(id string, gen int32, ps ...int32) kmsg.JoinGroupResponseMember {
		jm := kmsg.NewJoinGroupResponseMember()
		jm.MemberID = id
		jm.ProtocolMetadata = b.JoinGroupMetadata([]string{"a"}, map[string][]int32{"a": ps}, gen)
		return jm
	}
	// Both claim partition 0; m2's claim is newer, so m2 keeps it even
	// though m1 sorts first.
	as, err := balanceOnce(b, []kmsg.JoinGroupResponseMember{mk("m1", 2, 0), mk("m2", 4, 0, 1)}, map[string]int32{"a": 2})
	require.NoError(t, err)
	m1, _ := kgo.ParseConsumerSyncAssignment(as[0].MemberAssignment)
	m2, _ := kgo.ParseConsumerSyncAssignment(as[1].MemberAssignment)
	assert.Empty(t, m1, "m1 revokes its stale claim; partition 1 waits for m2 to revoke it")
	assert.Equal(t, map[string][]int32{"a": {0}}, m2)
}

func TestPartitionCountMismatch(t *testing.T) {
	b := New([][]string{{"orders", "customers"}, {"x"}})
	s := &sim{t: t, b: b, members: map[string]*simMember{}}
	s.join("m1")
	_, err := balanceOnce(b, s.joinMembers(), map[string]int32{"orders": 6, "customers": 4, "x": 3})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `sub-topology 0: topic "customers" has 4 partitions but topic "orders" has 6`)

	_, err = balanceOnce(b, s.joinMembers(), map[string]int32{"orders": 6, "customers": 6})
	require.Error(t, err)
	assert.Contains(t, err.Error(), `sub-topology 1: topic "x" is missing`)
}

func TestMemberBalancerTopicsIncludeGroups(t *testing.T) {
	b := New([][]string{{"a", "b"}, {"c"}})
	jm := kmsg.NewJoinGroupResponseMember()
	jm.MemberID = "m1"
	jm.ProtocolMetadata = b.JoinGroupMetadata([]string{"a", "z"}, nil, -1)
	_, topics, err := b.MemberBalancer([]kmsg.JoinGroupResponseMember{jm})
	require.NoError(t, err)
	assert.Equal(t, map[string]struct{}{"a": {}, "b": {}, "c": {}, "z": {}}, topics)

	jm.ProtocolMetadata = []byte{0xff}
	_, _, err = b.MemberBalancer([]kmsg.JoinGroupResponseMember{jm})
	assert.Error(t, err)
}

func TestPartialSubscriptions(t *testing.T) {
	s := newSim(t, [][]string{{"a", "b"}, {"c"}}, map[string]int32{"a": 4, "b": 4, "c": 4})
	s.join("m1")
	s.joinWith("m2", []string{"c"})           // can only run sub-topology 1
	s.joinWith("m3", []string{"a", "c", "x"}) // lacks b: can only run sub-topology 1
	a := s.round()
	assert.Equal(t, 8, countTasks(a))
	assert.Equal(t, tk(0, 0, 1, 2, 3), a["m1"])
	for _, id := range []string{"m2", "m3"} {
		assert.Len(t, a[id], 2)
		for _, tsk := range a[id] {
			assert.Equal(t, 1, tsk.Subtopology)
		}
	}
}

func TestDeterministic(t *testing.T) {
	groups := [][]string{{"a", "b"}, {"c"}, {"d", "e", "f"}}
	topics := map[string]int32{"a": 7, "b": 7, "c": 5, "d": 3, "e": 3, "f": 3}
	s := newSim(t, groups, topics)
	for i := range 4 {
		s.join(fmt.Sprint("m", i))
	}
	s.round()
	s.join("m9")
	s.leave("m1")
	members := s.joinMembers()
	want, err := balanceOnce(s.b, members, topics)
	require.NoError(t, err)
	for range 50 {
		got, err := balanceOnce(New(groups), members, topics)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

func TestJoinGroupMetadataDeterministicAndUserData(t *testing.T) {
	b := New([][]string{{"a", "b"}})
	b.SetUserData([]byte("offsets"))
	want := b.JoinGroupMetadata([]string{"a", "b"}, map[string][]int32{"b": {2, 0, 1}, "a": {1, 0, 2}, "x": nil}, 7)
	for range 20 {
		got := b.JoinGroupMetadata([]string{"b", "a"}, map[string][]int32{"a": {2, 1, 0}, "b": {0, 2, 1}}, 7)
		require.True(t, bytes.Equal(want, got))
	}

	var meta kmsg.ConsumerMemberMetadata
	require.NoError(t, meta.ReadFrom(want))
	assert.Equal(t, int16(3), meta.Version)
	assert.Equal(t, []string{"a", "b"}, meta.Topics)
	assert.Equal(t, int32(7), meta.Generation)
	require.Len(t, meta.OwnedPartitions, 2)
	assert.Equal(t, "a", meta.OwnedPartitions[0].Topic)
	assert.Equal(t, []int32{0, 1, 2}, meta.OwnedPartitions[0].Partitions)
	ud, err := ParseUserData(meta.UserData)
	require.NoError(t, err)
	assert.Equal(t, []byte("offsets"), ud)

	_, err = ParseUserData([]byte{0, 9, 1})
	assert.ErrorContains(t, err, "unsupported user data version 9")
	_, err = ParseUserData(nil)
	assert.Error(t, err)
	ud, err = ParseUserData(EncodeUserData(nil))
	require.NoError(t, err)
	assert.Empty(t, ud)
}

func TestTasksOfAndAssigned(t *testing.T) {
	b := New([][]string{{"a", "b"}, {"c"}})
	tasks, partial := b.TasksOf(map[string][]int32{"a": {0, 1}, "b": {1, 2}, "c": {3}, "zz": {0}})
	assert.Equal(t, []Task{{0, 1}, {1, 3}}, tasks)
	assert.Equal(t, []Task{{0, 0}, {0, 2}}, partial)
	assert.Equal(t, "1_3", Task{1, 3}.String())

	var assn kmsg.ConsumerMemberAssignment
	for _, topic := range []string{"a", "b"} {
		at := kmsg.NewConsumerMemberAssignmentTopic()
		at.Topic, at.Partitions = topic, []int32{4}
		assn.Topics = append(assn.Topics, at)
	}
	m, err := b.ParseSyncAssignment(assn.AppendTo(nil))
	require.NoError(t, err)
	assert.Equal(t, map[string][]int32{"a": {4}, "b": {4}}, m)
	got, partial := b.Assigned()
	assert.Equal(t, []Task{{0, 4}}, got)
	assert.Empty(t, partial)
}

func TestValidate(t *testing.T) {
	assert.NoError(t, Validate([][]string{{"a", "b"}, {"c"}}))
	err := Validate([][]string{{"a", "b"}, {}, {"b", ""}})
	require.Error(t, err)
	for _, want := range []string{"sub-topology 1 reads no topic", `topic "b" is listed by sub-topology 0 and by sub-topology 2`, "empty topic name"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.Panics(t, func() { New([][]string{{"a"}, {"a"}}) })
	assert.Equal(t, "custom", New([][]string{{"a"}}, WithProtocolName("custom")).ProtocolName())
	assert.True(t, New(nil).IsCooperative())
}

func TestErrorMentionsBalancer(t *testing.T) {
	b := New([][]string{{"a", "b"}})
	_, err := b.partitionCounts(map[string]int32{"a": 1, "b": 2})
	require.Error(t, err)
	assert.True(t, strings.HasPrefix(err.Error(), "eddy balancer: "))
}
