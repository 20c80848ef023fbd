package balancer

import (
	"cmp"
	"errors"
	"fmt"
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
//  4. The remaining tasks go, one by one, to the member with free capacity
//     holding the fewest tasks of the task's sub-topology, then the fewest
//     tasks.
//  5. Cooperative adjustment: a task planned for a member that did not own
//     it while another member still claims it is withheld in this round; the
//     claimant revokes it and rejoins, and the next round assigns it.
//
// Every step iterates in a fixed order, so the output only depends on the
// input.
func (b *Balancer) balance(cb *kgo.ConsumerBalancer, topics map[string]int32) (*kgo.BalancePlan, error) {
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

	// Members, what they subscribe to and what they claim to own.
	var members []*memberState
	cb.EachMember(func(jm *kmsg.JoinGroupResponseMember, meta *kmsg.ConsumerMemberMetadata) {
		m := &memberState{
			idx:      len(members),
			member:   jm,
			gen:      meta.Generation,
			owned:    make(map[topicPartition]struct{}),
			eligible: make([]bool, len(b.groups)),
			perSub:   make([]int, len(b.groups)),
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
	plan := cb.NewPlan()
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

	// 4. Place the remaining tasks, the most constrained sub-topologies
	// first.
	var pool []int
	for i := range nTasks {
		if owner[i] < 0 && eligibleCount[taskAt(i).Subtopology] > 0 {
			pool = append(pool, i)
		}
	}
	slices.SortStableFunc(pool, func(x, y int) int {
		return cmp.Compare(eligibleCount[taskAt(x).Subtopology], eligibleCount[taskAt(y).Subtopology])
	})
	for _, i := range pool {
		g := taskAt(i).Subtopology
		var best *memberState
		for _, m := range active {
			if !m.eligible[g] || len(m.tasks) >= m.capacity {
				continue
			}
			if best == nil || m.perSub[g] < best.perSub[g] ||
				m.perSub[g] == best.perSub[g] && len(m.tasks) < len(best.tasks) {
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
		owner[i] = best.idx
		best.tasks = append(best.tasks, i)
		best.perSub[g]++
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
				plan.AddPartition(m.member, topic, t.Partition)
			}
		}
	}
	return plan, nil
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
