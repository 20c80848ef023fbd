// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package balancer

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// held is a sim info function: the member reports its instance, its active
// tasks (offset sum 1000) and its standbys (500), as the runtime does with
// the changelog offsets of its open tasks.
func held(_ string, m *simMember) MemberInfo {
	info := MemberInfo{Instance: m.instance, State: map[Task]int64{}}
	for _, t := range m.standbys {
		info.State[t] = 500
	}
	tasks, _ := m.bal.TasksOf(m.owned)
	for _, t := range tasks {
		info.State[t] = 1000
	}
	return info
}

func (s *sim) instanceOf(id string) string {
	if m := s.members[id]; m != nil && m.instance != "" {
		return m.instance
	}
	return "member:" + id
}

func (s *sim) standbys() map[string][]Task {
	out := map[string][]Task{}
	for id, m := range s.members {
		out[id] = slices.Clone(m.standbys)
	}
	return out
}

func (s *sim) instanceCount() int {
	insts := map[string]bool{}
	for id := range s.members {
		insts[s.instanceOf(id)] = true
	}
	return len(insts)
}

// checkStandbys checks the standby rules after a round whose assignment is
// active; prev is the assignment of the round before (its owners may still
// hold tasks that are being moved). With settled, it also checks that every
// stateful task has min(n, instances-1) standbys (every member subscribes to
// everything). It returns the standby holders of every task.
func (s *sim) checkStandbys(active, prev map[string][]Task, n int, stateful []int, settled bool) map[Task][]string {
	s.t.Helper()
	owner := func(a map[string][]Task) map[Task]string {
		out := map[Task]string{}
		for id, ts := range a {
			for _, t := range ts {
				out[t] = id
			}
		}
		return out
	}
	now, before := owner(active), owner(prev)
	holders := map[Task][]string{}
	for _, id := range s.ids() {
		sb := s.members[id].standbys
		require.True(s.t, slices.IsSortedFunc(sb, taskLess), "%s standbys %v not sorted", id, sb)
		require.Equal(s.t, len(sb), len(slices.Compact(slices.Clone(sb))), "%s standbys %v repeat", id, sb)
		for _, t := range sb {
			require.Contains(s.t, stateful, t.Subtopology, "%s: standby %v of a stateless task", id, t)
			require.NotContains(s.t, active[id], t, "%s has %v as active and standby", id, t)
			holders[t] = append(holders[t], id)
		}
	}
	for t, hs := range holders {
		insts := map[string]bool{}
		for _, h := range hs {
			inst := s.instanceOf(h)
			require.False(s.t, insts[inst], "task %v: two standbys on instance %s: %v", t, inst, hs)
			insts[inst] = true
			if o, ok := now[t]; ok {
				require.NotEqual(s.t, s.instanceOf(o), inst, "task %v: standby %s on the instance of active %s", t, h, o)
			}
			if o, ok := before[t]; ok && s.members[o] != nil {
				require.NotEqual(s.t, s.instanceOf(o), inst, "task %v: standby %s on the instance of previous owner %s", t, h, o)
			}
		}
		require.LessOrEqual(s.t, len(hs), n)
	}
	if settled {
		want := min(n, s.instanceCount()-1)
		for t := range now {
			if slices.Contains(stateful, t.Subtopology) {
				require.Len(s.t, holders[t], want, "task %v standbys %v", t, holders[t])
			}
		}
		// Balanced as far as the rules allow: no standby can move from a
		// member to one with at least two fewer.
		for _, x := range s.ids() {
			for _, y := range s.ids() {
				sx, sy := s.members[x].standbys, s.members[y].standbys
				if len(sx) < len(sy)+2 {
					continue
				}
				for _, t := range sx {
					ok := s.instanceOf(y) != s.instanceOf(now[t]) && !slices.Contains(sy, t)
					for _, h := range holders[t] {
						ok = ok && (h == x || s.instanceOf(h) != s.instanceOf(y))
					}
					require.False(s.t, ok, "standby %v could move from %s (%d) to %s (%d)", t, x, len(sx), y, len(sy))
				}
			}
		}
	}
	return holders
}

func standbySpread(sb map[string][]Task) (lo, hi int) {
	lo = 1 << 30
	for _, ts := range sb {
		lo, hi = min(lo, len(ts)), max(hi, len(ts))
	}
	return lo, hi
}

func TestMemberDataRoundTripAndDeterminism(t *testing.T) {
	d := MemberData{
		Info:     MemberInfo{Instance: "host-1", State: map[Task]int64{{1, 3}: 42, {0, 7}: 1 << 40, {0, 2}: 0, {2, 0}: -5}},
		Standbys: []Task{{1, 1}, {0, 4}, {1, 1}},
		UserData: []byte("opaque"),
	}
	raw := EncodeMemberData(d)
	assert.Equal(t, UserDataVersion, int16(raw[0])<<8|int16(raw[1]))
	got, err := ParseMemberData(raw)
	require.NoError(t, err)
	assert.Equal(t, d.Info, got.Info)
	assert.Equal(t, []Task{{0, 4}, {1, 1}}, got.Standbys, "sorted, deduplicated")
	assert.Equal(t, d.UserData, got.UserData)
	ud, err := ParseUserData(raw)
	require.NoError(t, err)
	assert.Equal(t, []byte("opaque"), ud)

	// Same content, maps built in other orders: same bytes.
	for i := range 30 {
		st := map[Task]int64{}
		keys := slices.Collect(maps.Keys(d.Info.State))
		rand.New(rand.NewPCG(uint64(i), 9)).Shuffle(len(keys), func(a, b int) { keys[a], keys[b] = keys[b], keys[a] })
		for _, k := range keys {
			st[k] = d.Info.State[k]
		}
		again := EncodeMemberData(MemberData{Info: MemberInfo{Instance: "host-1", State: st}, Standbys: []Task{{0, 4}, {1, 1}}, UserData: []byte("opaque")})
		require.True(t, bytes.Equal(raw, again))
	}

	// Missing or empty user data: zero info. Version 1: opaque bytes only.
	for _, empty := range [][]byte{nil, {}} {
		got, err := ParseMemberData(empty)
		require.NoError(t, err)
		assert.Equal(t, MemberData{}, got)
	}
	got, err = ParseMemberData([]byte{0, 1, 'x', 'y'})
	require.NoError(t, err)
	assert.Equal(t, MemberData{UserData: []byte("xy")}, got)
	got, err = ParseMemberData(EncodeMemberData(MemberData{}))
	require.NoError(t, err)
	assert.Equal(t, MemberData{}, got)

	// Malformed.
	_, err = ParseMemberData([]byte{0})
	assert.ErrorContains(t, err, "too short")
	_, err = ParseMemberData([]byte{0, 4})
	assert.ErrorContains(t, err, "unsupported user data version 4")

	// Version 3 carries the endpoint; version 2 (no endpoint) still parses.
	withEndpoint := MemberData{Info: MemberInfo{Instance: "i1", Endpoint: "10.0.0.7:8080"}}
	got, err = ParseMemberData(EncodeMemberData(withEndpoint))
	require.NoError(t, err)
	assert.Equal(t, withEndpoint, got)
	got, err = ParseMemberData([]byte{0, 2, 2, 'i', '1', 0, 0, 0})
	require.NoError(t, err)
	assert.Equal(t, MemberData{Info: MemberInfo{Instance: "i1"}}, got)
	for cut := 3; cut < len(raw); cut++ {
		_, err = ParseMemberData(raw[:cut])
		require.Error(t, err, "truncated at %d", cut)
	}
	_, err = ParseMemberData(append(slices.Clone(raw), 0))
	assert.ErrorContains(t, err, "trailing")
	huge := append([]byte{0, 2, 0}, 0xff, 0xff, 0xff, 0xff, 0x0f) // 2^32-1 state entries
	_, err = ParseMemberData(huge)
	assert.ErrorContains(t, err, "exceeds")
}

func TestAssignmentDataRoundTrip(t *testing.T) {
	raw := EncodeAssignmentData([]Task{{2, 1}, {0, 9}, {0, 1}, {2, 1}})
	assert.True(t, bytes.Equal(raw, EncodeAssignmentData([]Task{{0, 1}, {2, 1}, {0, 9}})), "deterministic")
	got, err := ParseAssignmentData(raw)
	require.NoError(t, err)
	assert.Equal(t, []Task{{0, 1}, {0, 9}, {2, 1}}, got)

	got, err = ParseAssignmentData(nil)
	require.NoError(t, err)
	assert.Empty(t, got)
	got, err = ParseAssignmentData(EncodeAssignmentData(nil))
	require.NoError(t, err)
	assert.Empty(t, got)

	_, err = ParseAssignmentData([]byte{0, 7, 0})
	assert.ErrorContains(t, err, "unsupported assignment user data version 7")
	_, err = ParseAssignmentData(raw[:len(raw)-1])
	assert.Error(t, err)
	_, err = ParseAssignmentData([]byte{0, 1, 2, 2, 0, 0, 0}) // (1,0) then (0,0): unsorted
	assert.ErrorContains(t, err, "not sorted or not unique")
}

func TestJoinGroupMetadataMemberInfo(t *testing.T) {
	b := New([][]string{{"a"}}, WithStandbys(1), WithStateful(0))
	b.SetMemberInfo(MemberInfo{Instance: "i1", State: map[Task]int64{{0, 1}: 7}})
	b.SetUserData([]byte("u"))
	parse := func(b *Balancer) MemberData {
		var meta kmsg.ConsumerMemberMetadata
		require.NoError(t, meta.ReadFrom(b.JoinGroupMetadata([]string{"a"}, nil, -1)))
		d, err := ParseMemberData(meta.UserData)
		require.NoError(t, err)
		return d
	}
	d := parse(b)
	assert.Equal(t, MemberInfo{Instance: "i1", State: map[Task]int64{{0, 1}: 7}}, d.Info)
	assert.Equal(t, []byte("u"), d.UserData)
	assert.Empty(t, d.Standbys)

	// The standbys of the last assignment go back to the leader.
	var assn kmsg.ConsumerMemberAssignment
	assn.UserData = EncodeAssignmentData([]Task{{0, 3}})
	_, err := b.ParseSyncAssignment(assn.AppendTo(nil))
	require.NoError(t, err)
	assert.Equal(t, []Task{{0, 3}}, parse(b).Standbys)

	// The callback wins over SetMemberInfo and is called for every join.
	calls := 0
	cb := New([][]string{{"a"}}, WithMemberInfo(func() MemberInfo {
		calls++
		return MemberInfo{Instance: "i2", State: map[Task]int64{{0, 0}: int64(calls)}}
	}))
	cb.SetMemberInfo(MemberInfo{Instance: "ignored"})
	assert.Equal(t, MemberInfo{Instance: "i2", State: map[Task]int64{{0, 0}: 1}}, parse(cb).Info)
	assert.Equal(t, MemberInfo{Instance: "i2", State: map[Task]int64{{0, 0}: 2}}, parse(cb).Info)

	// SetMemberInfo copies its argument.
	st := map[Task]int64{{0, 0}: 1}
	b.SetMemberInfo(MemberInfo{Instance: "i1", State: st})
	st[Task{0, 0}] = 99
	assert.Equal(t, int64(1), parse(b).Info.State[Task{0, 0}])
}

func TestParseSyncAssignmentStandbys(t *testing.T) {
	b := New([][]string{{"a", "b"}, {"c"}})
	mk := func(ud []byte, ps ...int32) []byte {
		var assn kmsg.ConsumerMemberAssignment
		for _, topic := range []string{"a", "b"} {
			at := kmsg.NewConsumerMemberAssignmentTopic()
			at.Topic, at.Partitions = topic, ps
			assn.Topics = append(assn.Topics, at)
		}
		assn.UserData = ud
		return assn.AppendTo(nil)
	}
	m, err := b.ParseSyncAssignment(mk(EncodeAssignmentData([]Task{{1, 2}, {0, 5}, {0, 1}}), 1))
	require.NoError(t, err)
	assert.Equal(t, map[string][]int32{"a": {1}, "b": {1}}, m)
	assert.Equal(t, []Task{{0, 5}, {1, 2}}, b.Standbys(), "sorted, without the active task 0_1")
	active, standby := b.Assignment()
	assert.Equal(t, []Task{{0, 1}}, active)
	assert.Equal(t, []Task{{0, 5}, {1, 2}}, standby)

	// A new assignment replaces the standbys; none, or unparsable ones,
	// mean no standbys (and the sync still succeeds).
	for _, ud := range [][]byte{nil, {0, 9, 1}} {
		_, err = b.ParseSyncAssignment(mk(ud, 2))
		require.NoError(t, err)
		assert.Empty(t, b.Standbys())
		tasks, _ := b.Assigned()
		assert.Equal(t, []Task{{0, 2}}, tasks)
	}
	// Standbys() returns a copy.
	_, err = b.ParseSyncAssignment(mk(EncodeAssignmentData([]Task{{1, 0}})))
	require.NoError(t, err)
	b.Standbys()[0] = Task{9, 9}
	assert.Equal(t, []Task{{1, 0}}, b.Standbys())

	// Standbys a leader cannot have meant (the member would open their
	// state) are dropped: unknown sub-topologies, negative partitions.
	_, err = b.ParseSyncAssignment(mk(EncodeAssignmentData([]Task{{-1, 0}, {0, -3}, {0, 2}, {2, 0}, {1 << 20, 1}})))
	require.NoError(t, err)
	assert.Equal(t, []Task{{0, 2}}, b.Standbys())
}

// Every list of tasks in the user data is sorted without repeats, as the
// encoders write it; anything else is malformed, not silently merged.
func TestUserDataRejectsRepeatedTasks(t *testing.T) {
	_, err := ParseAssignmentData([]byte{0, 1, 2, 2, 0, 2, 0}) // (1,0) twice
	assert.ErrorContains(t, err, "not sorted or not unique")
	raw := EncodeMemberData(MemberData{Info: MemberInfo{State: map[Task]int64{{1, 0}: 5}}})
	// version, instance "", 1 state entry (1,0)=5, 0 standbys, no user data,
	// no endpoint: repeat the state entry.
	require.Equal(t, []byte{0, 3, 0, 1, 2, 0, 10, 0, 0, 0}, raw)
	_, err = ParseMemberData([]byte{0, 2, 0, 2, 2, 0, 10, 2, 0, 12, 0, 0})
	assert.ErrorContains(t, err, "state tasks not sorted or not unique")
	_, err = ParseMemberData([]byte{0, 2, 0, 0, 2, 2, 0, 2, 0, 0}) // standbys (1,0) twice
	assert.ErrorContains(t, err, "tasks not sorted or not unique")
	// Extreme tasks compare correctly (no overflow in the order).
	ts := []Task{{math.MinInt32, math.MinInt32}, {math.MinInt32, math.MaxInt32}, {0, 0}, {math.MaxInt32, math.MinInt32}}
	got, err := ParseAssignmentData(EncodeAssignmentData(ts))
	require.NoError(t, err)
	assert.Equal(t, ts, got)
}

func TestStateAwareActivePlacement(t *testing.T) {
	groups := [][]string{{"a"}, {"s"}}
	topics := map[string]int32{"a": 9, "s": 3}
	s := newSim(t, groups, topics, WithStateful(0))
	for i := 1; i <= 3; i++ {
		s.joinOn(fmt.Sprint("m", i), fmt.Sprint("i", i))
	}
	reported := map[string]map[Task]int64{
		// i3 holds 0_0..0_3 but can take only 4 tasks in total.
		"m3": {{0, 0}: 10, {0, 1}: 10, {0, 2}: 10, {0, 3}: 10, {1, 0}: 10, {1, 1}: 10, {1, 2}: 10},
		"m1": {{0, 4}: 5, {0, 5}: 1},
		"m2": {{0, 4}: 3, {0, 5}: 2},
	}
	s.info = func(id string, m *simMember) MemberInfo {
		return MemberInfo{Instance: m.instance, State: reported[id]}
	}
	a := s.round()
	assert.Equal(t, 12, countTasks(a))
	assert.Equal(t, tk(0, 0, 1, 2, 3), a["m3"], "m3 gets the tasks its instance has state for; sub-topology 1 is stateless")
	assert.Contains(t, a["m1"], Task{0, 4}, "largest offset sum wins")
	assert.Contains(t, a["m2"], Task{0, 5}, "largest offset sum wins")
	lo, hi := spread(a, -1)
	assert.Equal(t, [2]int{4, 4}, [2]int{lo, hi}, "state never breaks the balance")

	// Another member of i1 has no state of its own but its instance does:
	// it is preferred to a member of an instance without state.
	s = newSim(t, [][]string{{"a"}}, map[string]int32{"a": 4}, WithStateful(0))
	s.joinOn("m1", "i1")
	s.joinOn("m2", "i1")
	s.joinOn("m3", "i2")
	s.joinOn("m4", "i3")
	s.info = func(id string, m *simMember) MemberInfo {
		if id == "m1" {
			return MemberInfo{Instance: m.instance, State: map[Task]int64{{0, 3}: 1, {0, 2}: 1}}
		}
		return MemberInfo{Instance: m.instance}
	}
	a = s.round()
	assert.Equal(t, map[string][]Task{"m1": tk(0, 2), "m2": tk(0, 3), "m3": tk(0, 0), "m4": tk(0, 1)}, a)
}

func TestStandbyPlacementRules(t *testing.T) {
	groups := [][]string{{"a", "b"}, {"s"}}
	topics := map[string]int32{"a": 12, "b": 12, "s": 6}
	stateful := []int{0}
	for _, tc := range []struct {
		name      string
		n         int
		instances []string // per member m0, m1...
		want      int      // standbys per stateful task
	}{
		{"three instances one standby", 1, []string{"i0", "i1", "i2"}, 1},
		{"three instances two standbys", 2, []string{"i0", "i1", "i2"}, 2},
		{"not enough instances", 3, []string{"i0", "i1", "i2"}, 2},
		{"two members per instance", 1, []string{"i0", "i0", "i1", "i1"}, 1},
		{"uneven instances", 2, []string{"i0", "i0", "i0", "i1", "i2", "i2"}, 2},
		{"members without instance", 1, []string{"", "", ""}, 1},
		{"single instance", 2, []string{"i0", "i0", "i0"}, 0},
		{"standbys disabled", 0, []string{"i0", "i1"}, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := newSim(t, groups, topics, WithStandbys(tc.n), WithStateful(stateful...))
			for i, inst := range tc.instances {
				s.joinOn(fmt.Sprint("m", i), inst)
			}
			s.info = func(_ string, m *simMember) MemberInfo { return MemberInfo{Instance: m.instance} }
			a := s.round()
			require.Equal(t, 18, countTasks(a))
			holders := s.checkStandbys(a, nil, tc.n, stateful, true)
			for p := range int32(12) {
				assert.Len(t, holders[Task{0, p}], tc.want, "task 0_%d", p)
			}
			sb := s.standbys()
			if tc.want > 0 && tc.name != "uneven instances" {
				lo, hi := standbySpread(sb)
				assert.LessOrEqual(t, hi-lo, 1, "standbys balanced: %v", sb)
			}
			if tc.name == "three instances one standby" {
				// Each member's 4 stateful tasks have their standbys
				// spread 2/2 over the other two members.
				for owner, ts := range a {
					per := map[string]int{}
					for _, tsk := range ts {
						for _, h := range holders[tsk] {
							per[h]++
						}
					}
					for h, c := range per {
						assert.Equal(t, 2, c, "standbys of %s's tasks on %s: %v", owner, h, per)
					}
				}
			}
		})
	}
}

func TestStandbysPreferStateAndStick(t *testing.T) {
	s := newSim(t, [][]string{{"a"}}, map[string]int32{"a": 6}, WithStandbys(1), WithStateful(0))
	for i := range 3 {
		s.joinOn(fmt.Sprint("m", i), fmt.Sprint("i", i))
	}
	s.info = held
	a := s.round()
	sb := s.standbys()
	s.checkStandbys(a, nil, 1, []int{0}, true)
	// Stable: reporting what they hold, nothing moves.
	for range 3 {
		require.Equal(t, a, s.round())
		require.Equal(t, sb, s.standbys())
	}

	// An instance holding state for a task gets its standby, even if the
	// plain order would pick another member.
	s = newSim(t, [][]string{{"a"}}, map[string]int32{"a": 3}, WithStandbys(1), WithStateful(0))
	for i := range 3 {
		s.joinOn(fmt.Sprint("m", i), fmt.Sprint("i", i))
	}
	s.info = func(_ string, m *simMember) MemberInfo { return MemberInfo{Instance: m.instance} }
	a = s.round()
	require.Equal(t, map[string][]Task{"m0": tk(0, 0), "m1": tk(0, 1), "m2": tk(0, 2)}, a)
	lo, hi := standbySpread(s.standbys())
	require.Equal(t, [2]int{1, 1}, [2]int{lo, hi}, "balanced: %v", s.standbys())
	require.NotEqual(t, []Task{{0, 0}}, s.standbys()["m2"])
	s.info = func(id string, m *simMember) MemberInfo {
		info := held(id, m)
		if id == "m2" {
			info.State[Task{0, 0}] = 900 // more caught up than m1's standby (500)
		}
		return info
	}
	a = s.round()
	holders := s.checkStandbys(a, nil, 1, []int{0}, true)
	assert.Equal(t, []string{"m2"}, holders[Task{0, 0}], "0_0's standby follows the state to m2")
	lo, hi = standbySpread(s.standbys())
	assert.Equal(t, [2]int{1, 1}, [2]int{lo, hi}, "balanced: %v", s.standbys())
}

func TestFailoverPrefersStandbyHolder(t *testing.T) {
	s := newSim(t, [][]string{{"a", "b"}, {"s"}}, map[string]int32{"a": 12, "b": 12, "s": 6},
		WithStandbys(1), WithStateful(0))
	for i := range 3 {
		s.joinOn(fmt.Sprint("m", i), fmt.Sprint("i", i))
	}
	s.info = held
	s.round()
	before := s.round() // the members report what they hold
	holders := s.checkStandbys(before, nil, 1, []int{0}, true)

	s.leave("m1")
	after := s.round() // m1 claims nothing any more: one round
	require.Equal(t, 18, countTasks(after))
	lo, hi := spread(after, -1)
	assert.Equal(t, [2]int{9, 9}, [2]int{lo, hi})
	moved := 0
	for _, tsk := range before["m1"] {
		if tsk.Subtopology != 0 {
			continue
		}
		moved++
		want := holders[tsk][0]
		assert.Contains(t, after[want], tsk, "task %v moves to its standby holder %s", tsk, want)
	}
	assert.Equal(t, 4, moved)
	for _, id := range []string{"m0", "m2"} {
		assert.True(t, subset(before[id], after[id]), "%s kept its tasks", id)
	}
	// With two instances left every task again has one standby, on the
	// other survivor.
	s.checkStandbys(after, before, 1, []int{0}, true)
}

func TestDeterministicWithStandbys(t *testing.T) {
	groups := [][]string{{"a", "b"}, {"c"}, {"d"}}
	topics := map[string]int32{"a": 7, "b": 7, "c": 5, "d": 9}
	opts := []Option{WithStandbys(2), WithStateful(0, 2)}
	s := newSim(t, groups, topics, opts...)
	for i := range 5 {
		s.joinOn(fmt.Sprint("m", i), fmt.Sprint("i", i%3))
	}
	s.info = held
	s.round()
	s.round()
	s.leave("m1")
	s.joinOn("m9", "i1")
	members := s.joinMembers()
	want, err := balanceOnce(s.b, members, topics)
	require.NoError(t, err)
	var withStandbys int
	for _, a := range want {
		var assn kmsg.ConsumerMemberAssignment
		require.NoError(t, assn.ReadFrom(a.MemberAssignment))
		if len(assn.UserData) > 0 {
			withStandbys++
		}
	}
	require.Equal(t, len(want), withStandbys, "every member has standbys")
	for range 50 {
		got, err := balanceOnce(New(groups, opts...), members, topics)
		require.NoError(t, err)
		require.Equal(t, want, got)
	}
}

func TestStandbysDuringCooperativeMove(t *testing.T) {
	s := newSim(t, [][]string{{"a"}}, map[string]int32{"a": 12}, WithStandbys(2), WithStateful(0))
	s.joinOn("m0", "i0")
	s.joinOn("m1", "i1")
	s.joinOn("m2", "i2")
	s.info = held
	before := s.round()
	s.checkStandbys(before, nil, 2, []int{0}, true)

	s.joinOn("m3", "i3")
	r1 := s.round() // moved tasks are withheld
	require.Less(t, countTasks(r1), 12)
	holders := s.checkStandbys(r1, before, 2, []int{0}, false)
	for _, tsk := range before["m0"] {
		if !slices.Contains(r1["m0"], tsk) { // withheld, going to m3
			assert.Equal(t, []string{"m1", "m2"}, holders[tsk], "only i1 and i2 may hold %v", tsk)
		}
	}
	r2 := s.round()
	require.Equal(t, 12, countTasks(r2))
	s.checkStandbys(r2, r1, 2, []int{0}, true)
	lo, hi := standbySpread(s.standbys())
	assert.LessOrEqual(t, hi-lo, 1)
}

// TestRandomChurn checks the invariants over random membership changes:
// no partition is ever owned twice, a task only moves after its owner
// revoked it, tasks stay whole, and once rebalancing settles every task is
// assigned, loads differ by at most one and no member both lost and gained
// tasks. With standbys, members also run on random instances and report
// the state they hold; then every round obeys the standby rules (see
// checkStandbys), settled rounds give every stateful task min(n,
// instances-1) standbys, and when a member leaves, as many of its tasks as
// the survivors' new room allows go to an instance holding their standby.
func TestRandomChurn(t *testing.T) {
	for _, n := range []int{0, 1, 2} {
		t.Run(fmt.Sprint("standbys=", n), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(n)+1, 2))
			groups := [][]string{{"a", "b"}, {"c"}, {"d", "e", "f"}}
			topics := map[string]int32{"a": 8, "b": 8, "c": 5, "d": 12, "e": 12, "f": 12}
			stateful := []int{0, 2}
			s := newSim(t, groups, topics)
			if n > 0 {
				s = newSim(t, groups, topics, WithStandbys(n), WithStateful(stateful...))
				s.info = held
			}
			next := 0
			failovers, onHolder, maxSpread := 0, 0, 0
			for step := range 80 {
				var left string
				var leftTasks []Task
				switch ids := s.ids(); {
				case len(ids) < 2 || len(ids) < 7 && rng.IntN(2) == 0:
					for range 1 + rng.IntN(2) {
						s.joinOn(fmt.Sprintf("m%02d", next), fmt.Sprint("i", rng.IntN(4)))
						next++
					}
				default:
					left = ids[rng.IntN(len(ids))]
					leftTasks, _ = s.members[left].bal.TasksOf(s.members[left].owned)
					s.leave(left)
				}
				before := map[string][]Task{}
				oldStandbys := map[Task][]string{}
				for id, m := range s.members {
					before[id], _ = m.bal.TasksOf(m.owned)
					for _, tsk := range m.standbys {
						oldStandbys[tsk] = append(oldStandbys[tsk], id)
					}
				}
				if left != "" {
					before[left] = leftTasks
				}
				var last map[string][]Task
				prev := before
				for r := 0; ; r++ {
					require.Less(t, r, 3, "step %d: not settled after 2 rounds", step)
					cur := s.round()
					// A task new to a member was owned by nobody else in the
					// previous round.
					for id, ts := range cur {
						for _, tsk := range ts {
							if slices.Contains(prev[id], tsk) {
								continue
							}
							for other, pts := range prev {
								if other != id && s.members[other] != nil {
									require.False(t, slices.Contains(pts, tsk), "step %d: %s given %v still owned by %s", step, id, tsk, other)
								}
							}
						}
					}
					if n > 0 {
						s.checkStandbys(cur, prev, n, stateful, false)
					}
					if n > 0 && r == 0 && left != "" {
						got, best, ok := failoverScore(s, prev, cur, left, oldStandbys)
						if ok {
							require.Equal(t, best, got, "step %d: failover to standby holders", step)
							failovers += best
							onHolder += got
						}
					}
					prev, last = cur, cur
					if countTasks(cur) == s.nTasks() {
						break
					}
				}
				lo, hi := spread(last, -1)
				require.LessOrEqual(t, hi-lo, 1, "step %d: %v", step, last)
				for id, ts := range last {
					lost := !subset(before[id], ts)
					gained := !subset(ts, before[id])
					require.False(t, lost && gained, "step %d: %s lost and gained tasks: %v -> %v", step, id, before[id], ts)
				}
				if n > 0 {
					s.checkStandbys(last, last, n, stateful, true)
					lo, hi := standbySpread(s.standbys())
					maxSpread = max(maxSpread, hi-lo)
				} else {
					for _, sb := range s.standbys() {
						require.Empty(t, sb)
					}
				}
			}
			if n > 0 {
				t.Logf("%d failed-over tasks went to an instance holding their standby (the most possible); largest standby spread %d", onHolder, maxSpread)
				require.Greater(t, failovers, 20)
			}
		})
	}
}

// failoverScore looks at a round in which member left and nobody lost a
// task: got is how many of left's tasks with a standby went to an instance
// holding one, best the most possible given how many tasks each survivor
// gained (a maximum bipartite matching of tasks to gained slots of holder
// instances).
func failoverScore(s *sim, prev, cur map[string][]Task, left string, standbys map[Task][]string) (got, best int, ok bool) {
	var slots []string // one per task gained, by member
	for _, id := range s.ids() {
		if !subset(prev[id], cur[id]) {
			return 0, 0, false
		}
		for range len(cur[id]) - len(prev[id]) {
			slots = append(slots, id)
		}
	}
	var tasks []Task
	for _, tsk := range prev[left] {
		if len(standbys[tsk]) > 0 {
			tasks = append(tasks, tsk)
		}
	}
	fits := func(tsk Task, id string) bool {
		for _, h := range standbys[tsk] {
			if s.instanceOf(h) == s.instanceOf(id) {
				return true
			}
		}
		return false
	}
	for _, tsk := range tasks {
		for id, ts := range cur {
			if slices.Contains(ts, tsk) && fits(tsk, id) {
				got++
			}
		}
	}
	match := make([]int, len(slots)) // slot → task index+1
	var try func(ti int, seen []bool) bool
	try = func(ti int, seen []bool) bool {
		for si, id := range slots {
			if seen[si] || !fits(tasks[ti], id) {
				continue
			}
			seen[si] = true
			if match[si] == 0 || try(match[si]-1, seen) {
				match[si] = ti + 1
				return true
			}
		}
		return false
	}
	for ti := range tasks {
		if try(ti, make([]bool, len(slots))) {
			best++
		}
	}
	return got, best, true
}
