// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package balancer

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// topicPartition is one partition of one topic.
type topicPartition struct {
	topic string
	p     int32
}

// memberState is the leader's view of one group member while balancing.
type memberState struct {
	idx      int // position in the (kgo-sorted) member list; the final tie-breaker
	member   *kmsg.JoinGroupResponseMember
	gen      int32
	owned    map[topicPartition]struct{} // claimed partitions (OwnedPartitions)
	eligible []bool                      // per sub-topology: subscribes to all its topics
	active   bool                        // eligible for at least one task
	capacity int                         // target number of tasks
	tasks    []int                       // assigned task indexes
	perSub   []int                       // assigned tasks per sub-topology

	inst        int            // instance number (MemberInfo.Instance; unique if unset)
	state       map[Task]int64 // the member's own MemberInfo.State
	prevStandby map[Task]bool  // standbys of its last assignment
	standbys    []Task         // assigned standby tasks
	pairs       map[int]int    // active owner idx => standbys of its tasks here
}

// partitionCounts returns the number of tasks of every sub-topology, or an
// error naming every topic that is missing from topics and every pair of
// topics of one group whose partition counts differ.
func (b *Balancer) partitionCounts(topics map[string]int32) ([]int32, error) {
	counts := make([]int32, len(b.groups))
	var errs []error
	for g, group := range b.groups {
		first, n := "", int32(-1)
		for _, t := range group {
			c, ok := topics[t]
			if !ok {
				errs = append(errs, fmt.Errorf("sub-topology %d: topic %q is missing from the cluster metadata (not created yet?)", g, t))
				continue
			}
			if n < 0 {
				first, n = t, c
				continue
			}
			if c != n {
				errs = append(errs, fmt.Errorf("sub-topology %d: topic %q has %d partitions but topic %q has %d; co-partitioned topics need the same partition count", g, first, n, t, c))
			}
		}
		counts[g] = max(n, 0)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("eddy balancer: %w", err)
	}
	return counts, nil
}

// balance computes the task assignment for the members of cb.
//
//  1. Every task's previous owner is the member claiming its partitions (in
//     OwnedPartitions) with the highest generation; lower-generation claims
//     are stale and ignored (KIP-792), ties go to the member claiming more of
//     the task's partitions, then to the first member.
//  2. With N tasks and m members, every member gets a capacity of N/m, and
//     the N%m members with the most previously owned tasks one more.
//  3. Every member keeps its previous tasks up to its capacity; a member above
//     it gives up tasks of the sub-topology it holds most of first.
//  4. The remaining tasks go to members with free capacity, the most
//     constrained sub-topologies first. First the tasks of stateful
//     sub-topologies that a member with room holds state for (state-aware
//     placement): each goes to the member whose instance reports the largest
//     offset sum for it (any report beats none), then to the member that
//     reported it itself or held it as a standby, then by the rules below;
//     when all its state holders are full, a task placed earlier in this
//     pass moves to another of its state holders to make room if it can, so
//     that as many tasks as possible land where their state is. Then the
//     rest, one by one, to the member holding the fewest tasks of the
//     task's sub-topology, then the fewest tasks.
//  5. Cooperative adjustment: a task planned for a member that did not own
//     it while another member still claims it is withheld in this round; the
//     claimant revokes it and rejoins, and the next round assigns it.
//  6. Standbys: see assignStandbys.
//
// Every step iterates in a fixed order, so the output only depends on the
// input.
func (b *Balancer) balance(cb *kgo.ConsumerBalancer, topics map[string]int32) (*syncPlan, error) {
	counts, err := b.partitionCounts(topics)
	if err != nil {
		return nil, err
	}

	// Tasks are numbered sub-topology by sub-topology, partition by
	// partition.
	base := make([]int, len(counts)+1)
	for g, n := range counts {
		base[g+1] = base[g] + int(n)
	}
	nTasks := base[len(counts)]
	taskAt := func(i int) Task {
		g, _ := slices.BinarySearch(base, i+1) // first base > i is base[g+1]
		g--
		return Task{Subtopology: g, Partition: int32(i - base[g])}
	}
	taskIndex := func(g int, p int32) int { return base[g] + int(p) }

	// Members, what they subscribe to and what they claim to own, and
	// instances with the state they hold (the largest report of their
	// members per task). User data that does not parse (a member running
	// an incompatible version) counts as none.
	var members []*memberState
	instances := make(map[string]int)
	var instState []map[Task]int64
	cb.EachMember(func(jm *kmsg.JoinGroupResponseMember, meta *kmsg.ConsumerMemberMetadata) {
		m := &memberState{
			idx:         len(members),
			member:      jm,
			gen:         meta.Generation,
			owned:       make(map[topicPartition]struct{}),
			eligible:    make([]bool, len(b.groups)),
			perSub:      make([]int, len(b.groups)),
			prevStandby: make(map[Task]bool),
			pairs:       make(map[int]int),
		}
		md, _ := ParseMemberData(meta.UserData)
		if md.Info.Instance == "" {
			m.inst = len(instState)
			instState = append(instState, map[Task]int64{})
		} else if i, ok := instances[md.Info.Instance]; ok {
			m.inst = i
		} else {
			m.inst = len(instState)
			instances[md.Info.Instance] = m.inst
			instState = append(instState, map[Task]int64{})
		}
		m.state = md.Info.State
		for t, v := range md.Info.State {
			if old, ok := instState[m.inst][t]; !ok || v > old {
				instState[m.inst][t] = v
			}
		}
		for _, t := range md.Standbys {
			m.prevStandby[t] = true
		}
		subs := make(map[string]struct{}, len(meta.Topics))
		for _, t := range meta.Topics {
			subs[t] = struct{}{}
		}
		for g, group := range b.groups {
			ok := true
			for _, t := range group {
				if _, sub := subs[t]; !sub {
					ok = false
					break
				}
			}
			m.eligible[g] = ok
			m.active = m.active || ok && counts[g] > 0
		}
		for _, owned := range meta.OwnedPartitions {
			g, ok := b.topicSub[owned.Topic]
			if !ok {
				continue
			}
			for _, p := range owned.Partitions {
				if p >= 0 && p < counts[g] {
					m.owned[topicPartition{owned.Topic, p}] = struct{}{}
				}
			}
		}
		members = append(members, m)
	})

	// Claims: per partition the highest claimed generation, per task the
	// claiming members (ascending, unique).
	maxGen := make(map[topicPartition]int32)
	claims := make([][]int, nTasks)
	for _, m := range members {
		for _, tp := range sortedOwned(m.owned) {
			if g, ok := maxGen[tp]; !ok || m.gen > g {
				maxGen[tp] = m.gen
			}
			t := taskIndex(b.topicSub[tp.topic], tp.p)
			if c := claims[t]; len(c) == 0 || c[len(c)-1] != m.idx {
				claims[t] = append(claims[t], m.idx)
			}
		}
	}
	claimedCount := func(m *memberState, t Task) int {
		n := 0
		for _, topic := range b.groups[t.Subtopology] {
			if _, ok := m.owned[topicPartition{topic, t.Partition}]; ok {
				n++
			}
		}
		return n
	}

	// 1. Previous owners.
	prevOwner := make([]int, nTasks)
	prevCount := make([]int, len(members))
	for i := range nTasks {
		prevOwner[i] = -1
		t := taskAt(i)
		var best *memberState
		bestCount := 0
		for _, mi := range claims[i] {
			m := members[mi]
			c := claimedCount(m, t)
			if best == nil || m.gen > best.gen || m.gen == best.gen && c > bestCount {
				best, bestCount = m, c
			}
		}
		if best != nil && best.eligible[t.Subtopology] {
			prevOwner[i] = best.idx
			prevCount[best.idx]++
		}
	}

	// 2. Capacities. Tasks of a sub-topology no member can take (none
	// subscribes to all its topics) are left unassigned.
	var active []*memberState
	for _, m := range members {
		if m.active {
			active = append(active, m)
		}
	}
	assignable := 0
	eligibleCount := make([]int, len(b.groups))
	for g := range b.groups {
		for _, m := range active {
			if m.eligible[g] {
				eligibleCount[g]++
			}
		}
		if eligibleCount[g] > 0 {
			assignable += int(counts[g])
		}
	}
	plan := &syncPlan{plan: cb.NewPlan(), standbys: make(map[string][]Task)}
	if len(active) == 0 {
		return plan, nil
	}
	byPrev := slices.Clone(active)
	slices.SortStableFunc(byPrev, func(x, y *memberState) int { return cmp.Compare(prevCount[y.idx], prevCount[x.idx]) })
	q, r := assignable/len(active), assignable%len(active)
	for i, m := range byPrev {
		m.capacity = q
		if i < r {
			m.capacity++
		}
	}

	// 3. Keep previous tasks up to capacity.
	owner := make([]int, nTasks)
	for i := range owner {
		owner[i] = -1
	}
	prevTasks := make([][]int, len(members))
	for i, mi := range prevOwner {
		if mi >= 0 {
			prevTasks[mi] = append(prevTasks[mi], i) // ascending
		}
	}
	for _, m := range active {
		kept := prevTasks[m.idx]
		for _, i := range kept {
			m.perSub[taskAt(i).Subtopology]++
		}
		for len(kept) > m.capacity {
			// Drop the highest partition of the sub-topology this
			// member holds most of.
			most := 0
			for g := range m.perSub {
				if m.perSub[g] > m.perSub[most] {
					most = g
				}
			}
			for j := len(kept) - 1; j >= 0; j-- {
				if taskAt(kept[j]).Subtopology == most {
					kept = slices.Delete(kept, j, j+1)
					break
				}
			}
			m.perSub[most]--
		}
		for _, i := range kept {
			owner[i] = m.idx
		}
		m.tasks = kept
	}

	// State scores: the instance's largest reported offset sum (noState
	// if none), and the member's own report, or a lesser score if it only
	// held the task as a standby. Only for stateful sub-topologies.
	sc := scorer{stateful: b.stateful, instState: instState}

	// 4. Place the remaining tasks, the most constrained sub-topologies
	// first. A first pass places the tasks that some member with room
	// holds state for on such a member, as many as possible: when all
	// state holders of a task are full, a task placed earlier in this pass
	// moves to another of its state holders to make room (an augmenting
	// path, as in bipartite matching). The second pass places the rest.
	var pool []int
	for i := range nTasks {
		if owner[i] < 0 && eligibleCount[taskAt(i).Subtopology] > 0 {
			pool = append(pool, i)
		}
	}
	slices.SortStableFunc(pool, func(x, y int) int {
		return cmp.Compare(eligibleCount[taskAt(x).Subtopology], eligibleCount[taskAt(y).Subtopology])
	})
	place := func(i int, m *memberState) {
		owner[i] = m.idx
		m.tasks = append(m.tasks, i)
		m.perSub[taskAt(i).Subtopology]++
	}
	unplace := func(i int) {
		m := members[owner[i]]
		owner[i] = -1
		m.tasks = slices.DeleteFunc(m.tasks, func(x int) bool { return x == i })
		m.perSub[taskAt(i).Subtopology]--
	}
	// better reports whether m is a better member for t than best, both
	// with room.
	better := func(m, best *memberState, t Task) bool {
		if c := sc.compare(m, best, t); c != 0 {
			return c > 0
		}
		g := t.Subtopology
		return m.perSub[g] < best.perSub[g] ||
			m.perSub[g] == best.perSub[g] && len(m.tasks) < len(best.tasks)
	}
	// holders returns the members that can take task i and hold state
	// for it, best state first.
	holderCache := make(map[int][]*memberState)
	holders := func(i int) []*memberState {
		if out, ok := holderCache[i]; ok {
			return out
		}
		t := taskAt(i)
		var out []*memberState
		for _, m := range active {
			if m.eligible[t.Subtopology] && sc.inst(m, t) != noState {
				out = append(out, m)
			}
		}
		slices.SortStableFunc(out, func(x, y *memberState) int { return sc.compare(y, x, t) })
		holderCache[i] = out
		return out
	}
	firstPass := make(map[int][]int) // member idx => tasks placed by the first pass
	var augment func(i int, seen map[int]bool) bool
	augment = func(i int, seen map[int]bool) bool {
		for _, m := range holders(i) {
			if seen[m.idx] {
				continue
			}
			seen[m.idx] = true
			if len(m.tasks) < m.capacity {
				place(i, m)
				firstPass[m.idx] = append(firstPass[m.idx], i)
				return true
			}
			for _, u := range slices.Clone(firstPass[m.idx]) {
				unplace(u)
				firstPass[m.idx] = slices.DeleteFunc(firstPass[m.idx], func(x int) bool { return x == u })
				if augment(u, seen) {
					place(i, m)
					firstPass[m.idx] = append(firstPass[m.idx], i)
					return true
				}
				place(u, m)
				firstPass[m.idx] = append(firstPass[m.idx], u)
			}
		}
		return false
	}
	var rest []int
	for _, i := range pool {
		t := taskAt(i)
		var best *memberState
		for _, m := range holders(i) {
			if len(m.tasks) < m.capacity && (best == nil || better(m, best, t)) {
				best = m
			}
		}
		switch {
		case best != nil:
			place(i, best)
			firstPass[best.idx] = append(firstPass[best.idx], i)
		case !augment(i, make(map[int]bool)):
			rest = append(rest, i)
		}
	}
	for _, i := range rest {
		t := taskAt(i)
		g := t.Subtopology
		var best *memberState
		for _, m := range active {
			if !m.eligible[g] || len(m.tasks) >= m.capacity {
				continue
			}
			if best == nil || better(m, best, t) {
				best = m
			}
		}
		if best == nil { // only with uneven subscriptions: overfill
			for _, m := range active {
				if !m.eligible[g] {
					continue
				}
				if best == nil || len(m.tasks)-m.capacity < len(best.tasks)-best.capacity ||
					len(m.tasks)-m.capacity == len(best.tasks)-best.capacity && m.perSub[g] < best.perSub[g] {
					best = m
				}
			}
		}
		place(i, best)
	}

	// 5. Cooperative adjustment and plan.
	for _, m := range members {
		slices.Sort(m.tasks)
		for _, i := range m.tasks {
			t := taskAt(i)
			if b.mustWait(m, t, members, claims[i], maxGen) {
				continue
			}
			for _, topic := range b.groups[t.Subtopology] {
				plan.plan.AddPartition(m.member, topic, t.Partition)
			}
		}
	}

	// 6. Standbys.
	b.assignStandbys(active, owner, claims, taskAt, sc)
	for _, m := range active {
		if len(m.standbys) > 0 {
			slices.SortFunc(m.standbys, taskLess)
			plan.standbys[m.member.MemberID] = m.standbys
		}
	}
	return plan, nil
}

// noState is the score of a task an instance reported no state for.
const noState = math.MinInt64

// scorer ranks members for a task of a stateful sub-topology by the state
// they hold for it.
type scorer struct {
	stateful  []bool
	instState []map[Task]int64
}

// inst returns the largest offset sum m's instance reported for t, or
// noState.
func (s scorer) inst(m *memberState, t Task) int64 {
	if !s.stateful[t.Subtopology] {
		return noState
	}
	if v, ok := s.instState[m.inst][t]; ok {
		return v
	}
	return noState
}

// own returns the offset sum m itself reported for t, noState+1 if it only
// held t as a standby, else noState.
func (s scorer) own(m *memberState, t Task) int64 {
	if !s.stateful[t.Subtopology] {
		return noState
	}
	if v, ok := m.state[t]; ok {
		return v
	}
	if m.prevStandby[t] {
		return noState + 1
	}
	return noState
}

// compare returns +1 if x holds better state for t than y, -1 if worse, 0
// if they are equal or t is stateless.
func (s scorer) compare(x, y *memberState, t Task) int {
	return cmp.Or(cmp.Compare(s.inst(x, t), s.inst(y, t)), cmp.Compare(s.own(x, t), s.own(y, t)))
}

// assignStandbys gives every task of a stateful sub-topology that has an
// owner up to b.standbys standby members (m.standbys):
//
//   - A standby never goes to the instance of the task's planned owner or
//     of any member claiming the task (during a cooperative move both hold
//     or will hold its state as active), nor to an instance that already
//     has a standby of the task; with fewer eligible instances the task
//     gets fewer standbys.
//   - Replicas are placed round by round (the first standby of every task,
//     then the second...), tasks in order. Every member eligible for a
//     stateful sub-topology has a standby capacity of ceil(standbys /
//     members); members below it are preferred. Among them the member
//     whose instance holds the most caught-up state wins, then the member
//     that reported the task or held it as a standby, then the member
//     holding the fewest standbys of the owner's tasks (so a failed
//     member's tasks spread over the instances of their standbys), then
//     the fewest standbys, the fewest active tasks and the member order.
//     Only when no candidate is below capacity does a member get more,
//     the one with the fewest standbys first.
func (b *Balancer) assignStandbys(active []*memberState, owner []int, claims [][]int, taskAt func(int) Task, sc scorer) {
	if b.standbys == 0 {
		return
	}
	members := make(map[int]*memberState, len(active))
	for _, m := range active {
		members[m.idx] = m
	}
	type need struct {
		i        int
		t        Task
		own      *memberState
		excluded map[int]bool // instances: the owner's, claimants', holders'
		base     map[int]bool // instances: the owner's and claimants'
		want     int
	}
	var needs []*need
	total := 0
	capable := make(map[int]bool)
	for i, o := range owner {
		t := taskAt(i)
		if o < 0 || !b.stateful[t.Subtopology] {
			continue
		}
		n := &need{i: i, t: t, own: members[o], excluded: map[int]bool{members[o].inst: true}}
		for _, c := range claims[i] {
			if m, ok := members[c]; ok {
				n.excluded[m.inst] = true
			}
		}
		n.base = maps.Clone(n.excluded)
		avail := make(map[int]bool)
		for _, m := range active {
			if m.eligible[t.Subtopology] {
				capable[m.idx] = true
				if !n.excluded[m.inst] {
					avail[m.inst] = true
				}
			}
		}
		n.want = min(b.standbys, len(avail))
		total += n.want
		needs = append(needs, n)
	}
	if total == 0 {
		return
	}
	capacity := (total + len(capable) - 1) / len(capable)
	for r := range b.standbys {
		for _, n := range needs {
			if r >= n.want {
				continue
			}
			var best *memberState
			for _, m := range active {
				if !m.eligible[n.t.Subtopology] || n.excluded[m.inst] {
					continue
				}
				if best == nil || standbyBetter(m, best, n.t, n.own.idx, capacity, sc) {
					best = m
				}
			}
			best.standbys = append(best.standbys, n.t)
			best.pairs[n.own.idx]++
			n.excluded[best.inst] = true
		}
	}

	// Even out what the capacity could not: move standbys along a chain
	// of members, from one with the most standbys to one with at least two
	// fewer, each move valid on its own (every task at most once per
	// chain), until no such chain exists. Each move lowers the sum of
	// squared standby counts, so this ends.
	byTask := make(map[Task]*need, len(needs))
	for _, n := range needs {
		byTask[n.t] = n
	}
	holds := func(m *memberState, t Task) bool { return slices.Contains(m.standbys, t) }
	canMove := func(t Task, from, to *memberState) bool {
		n := byTask[t]
		if !to.eligible[t.Subtopology] || n.base[to.inst] || holds(to, t) {
			return false
		}
		if to.inst == from.inst {
			return true
		}
		return !n.excluded[to.inst]
	}
	type hop struct {
		from *memberState
		t    Task
	}
	for {
		order := slices.Clone(active)
		slices.SortStableFunc(order, func(x, y *memberState) int { return cmp.Compare(len(y.standbys), len(x.standbys)) })
		var path []hop
		var end *memberState
		for _, h := range order {
			if len(h.standbys) < 2 {
				break
			}
			parent := map[*memberState]hop{h: {}}
			onPath := func(m *memberState, t Task) bool {
				for m != h {
					p := parent[m]
					if p.t == t {
						return true
					}
					m = p.from
				}
				return false
			}
			queue := []*memberState{h}
			for len(queue) > 0 && end == nil {
				v := queue[0]
				queue = queue[1:]
				tasks := slices.Clone(v.standbys)
				slices.SortStableFunc(tasks, func(x, y Task) int { return cmp.Compare(sc.own(v, x), sc.own(v, y)) })
				for _, t := range tasks {
					if onPath(v, t) {
						continue
					}
					for _, w := range active {
						if _, seen := parent[w]; seen || !canMove(t, v, w) {
							continue
						}
						parent[w] = hop{v, t}
						if len(w.standbys) <= len(h.standbys)-2 {
							end = w
							break
						}
						queue = append(queue, w)
					}
					if end != nil {
						break
					}
				}
			}
			if end != nil {
				for m := end; m != h; m = parent[m].from {
					path = append(path, hop{m, parent[m].t}) // to, task
				}
				for _, p := range path {
					to, t := p.from, p.t
					from := parent[to].from
					from.standbys = slices.DeleteFunc(from.standbys, func(x Task) bool { return x == t })
					to.standbys = append(to.standbys, t)
					n := byTask[t]
					if from.inst != to.inst {
						delete(n.excluded, from.inst)
						n.excluded[to.inst] = true
					}
				}
				break
			}
		}
		if end == nil {
			return
		}
	}
}

// standbyBetter reports whether x is a better standby member for t (owned
// by member owner) than y; see assignStandbys.
func standbyBetter(x, y *memberState, t Task, owner, capacity int, sc scorer) bool {
	roomX, roomY := len(x.standbys) < capacity, len(y.standbys) < capacity
	if roomX != roomY {
		return roomX
	}
	if !roomX && len(x.standbys) != len(y.standbys) { // overfilling
		return len(x.standbys) < len(y.standbys)
	}
	if c := sc.compare(x, y, t); c != 0 {
		return c > 0
	}
	return cmp.Or(
		cmp.Compare(x.pairs[owner], y.pairs[owner]),
		cmp.Compare(len(x.standbys), len(y.standbys)),
		cmp.Compare(len(x.tasks), len(y.tasks)),
	) < 0 // on a tie the earlier member (in member order) stays best
}

// mustWait reports whether task t, planned for m, has to be withheld for one
// rebalance: m is not the current owner of all its partitions (a claim only
// counts if no other member claims the partition with a higher generation)
// and another member claims some of them, so that member has to revoke the
// task first.
func (b *Balancer) mustWait(m *memberState, t Task, members []*memberState, claimants []int, maxGen map[topicPartition]int32) bool {
	owns := true
	for _, topic := range b.groups[t.Subtopology] {
		tp := topicPartition{topic, t.Partition}
		if _, ok := m.owned[tp]; !ok || m.gen < maxGen[tp] {
			owns = false
			break
		}
	}
	if owns {
		return false
	}
	for _, c := range claimants {
		if members[c] != m {
			return true
		}
	}
	return false
}

func sortedOwned(owned map[topicPartition]struct{}) []topicPartition {
	out := make([]topicPartition, 0, len(owned))
	for tp := range owned {
		out = append(out, tp)
	}
	slices.SortFunc(out, func(x, y topicPartition) int {
		return cmp.Or(cmp.Compare(x.topic, y.topic), cmp.Compare(x.p, y.p))
	})
	return out
}
