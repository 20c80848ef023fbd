// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package balancer implements a kgo.GroupBalancer that assigns whole Kafka
// Streams-style tasks to the members of a consumer group.
//
// A task is the pair (sub-topology, partition). A sub-topology reads a set of
// topics, its "group"; partition p of every topic of a group belongs to task
// (g, p), so all of them always go to the same member (co-partitioning).
//
// The balancer is cooperative (KIP-429): a task that moves between two members
// is first revoked from its previous owner and handed to its new owner in the
// following rebalance, and all partitions of a task move together. Tasks are
// balanced by count (the difference between the most and the least loaded
// member is at most one when every member subscribes to every topic), sticky
// (a task stays with its previous owner whenever balance allows), and the
// tasks of each sub-topology are spread across members when they have to be
// placed.
//
// Standby replicas (WithStandbys, WithStateful): every task of a stateful
// sub-topology also gets up to n standby members, each in a different
// application instance (MemberInfo.Instance) than the task's active owner
// and than each other. Members report which tasks' state their instance
// holds (MemberInfo.State, sent in the JoinGroup user data); the leader
// places a task that has no live previous owner on a member whose instance
// holds the most caught-up state, so a failed member's tasks move to the
// instances holding their standbys. Each member learns its standbys from
// the kmsg.ConsumerMemberAssignment.UserData of its assignment (Standbys).
// Standbys own no partitions, so they change freely in every rebalance.
//
// Use one Balancer per kgo.Client: it holds that member's user data and its
// last assignment.
package balancer

import (
	"cmp"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// DefaultProtocolName is the group protocol name used unless
// WithProtocolName overrides it.
const DefaultProtocolName = "eddy-task-v1"

// Task identifies a task: a sub-topology (the index of its group in the
// groups given to New) and a partition. It converts directly to
// engine.TaskID, which has the same fields.
type Task struct {
	// Subtopology is the index of the task's group in New's groups.
	Subtopology int
	// Partition is the partition number shared by all topics of the group.
	Partition int32
}

// String formats the task as Kafka Streams does: <subtopology>_<partition>.
func (t Task) String() string { return fmt.Sprintf("%d_%d", t.Subtopology, t.Partition) }

func taskLess(a, b Task) int {
	if c := cmp.Compare(a.Subtopology, b.Subtopology); c != 0 {
		return c
	}
	return cmp.Compare(a.Partition, b.Partition)
}

// Option configures a Balancer.
type Option func(*Balancer)

// WithProtocolName overrides the group protocol name (DefaultProtocolName).
// All members of a group must use the same name; change it when the
// assignment or metadata format changes incompatibly.
func WithProtocolName(name string) Option {
	return func(b *Balancer) { b.protocol = name }
}

// WithStandbys sets the number of standby replicas of every task of a
// stateful sub-topology (Kafka Streams' num.standby.replicas; default 0).
// Each goes to a member of another instance than the active owner and the
// other standbys; with fewer instances, fewer standbys are assigned.
func WithStandbys(n int) Option {
	return func(b *Balancer) { b.standbys = max(n, 0) }
}

// WithStateful marks sub-topologies (indexes into New's groups) as
// stateful: only their tasks get standbys and are placed by reported state.
// Indexes outside the groups are ignored. Repeated options accumulate.
func WithStateful(subtopologies ...int) Option {
	return func(b *Balancer) { b.statefulSubs = append(b.statefulSubs, subtopologies...) }
}

// WithMemberInfo sets a callback that JoinGroupMetadata calls before every
// JoinGroup, so the leader always sees fresh state. It takes precedence over
// SetMemberInfo. It runs on kgo's group management goroutine, without any
// lock of the Balancer held; it must be quick and must not wait for the
// rebalance to finish.
func WithMemberInfo(fn func() MemberInfo) Option {
	return func(b *Balancer) { b.infoFn = fn }
}

// Balancer is a cooperative kgo.GroupBalancer that assigns tasks. It is safe
// for concurrent use.
type Balancer struct {
	protocol     string
	groups       [][]string     // per sub-topology, sorted topics
	topicSub     map[string]int // topic => sub-topology
	standbys     int            // standby replicas per stateful task
	statefulSubs []int          // as given to WithStateful
	stateful     []bool         // per sub-topology
	infoFn       func() MemberInfo

	mu         sync.Mutex
	info       MemberInfo
	userData   []byte
	assigned   []Task
	partial    []Task
	standbyOut []Task // standbys of the last synced assignment
}

var _ kgo.GroupBalancer = (*Balancer)(nil)

// Validate checks groups as New does: every group must list at least one
// topic, topic names must be non-empty, and a topic may appear only once
// across all groups (Kafka Streams does not let two sub-topologies read the
// same topic, and a partition can only be assigned once).
func Validate(groups [][]string) error {
	seen := make(map[string]int)
	var errs []error
	for g, topics := range groups {
		if len(topics) == 0 {
			errs = append(errs, fmt.Errorf("sub-topology %d reads no topic", g))
		}
		for _, t := range topics {
			if t == "" {
				errs = append(errs, fmt.Errorf("sub-topology %d lists an empty topic name", g))
				continue
			}
			if prev, ok := seen[t]; ok {
				errs = append(errs, fmt.Errorf("topic %q is listed by sub-topology %d and by sub-topology %d", t, prev, g))
				continue
			}
			seen[t] = g
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("eddy balancer: invalid groups: %w", err)
	}
	return nil
}

// New returns a Balancer for the given groups: groups[g] lists the topics
// sub-topology g reads. Tasks of sub-topology g are numbered by partition,
// and the number of tasks is the partition count of the group's topics,
// which must all be equal.
//
// New panics if Validate(groups) fails; call Validate first if groups come
// from untrusted input. New copies groups.
func New(groups [][]string, opts ...Option) *Balancer {
	if err := Validate(groups); err != nil {
		panic(err)
	}
	b := &Balancer{
		protocol: DefaultProtocolName,
		groups:   make([][]string, len(groups)),
		topicSub: make(map[string]int),
	}
	for g, topics := range groups {
		b.groups[g] = slices.Sorted(slices.Values(topics))
		for _, t := range topics {
			b.topicSub[t] = g
		}
	}
	for _, o := range opts {
		o(b)
	}
	b.stateful = make([]bool, len(groups))
	for _, g := range b.statefulSubs {
		if g >= 0 && g < len(groups) {
			b.stateful[g] = true
		}
	}
	return b
}

// Groups returns a copy of the balancer's groups, each sorted by topic.
func (b *Balancer) Groups() [][]string {
	out := make([][]string, len(b.groups))
	for i, g := range b.groups {
		out[i] = slices.Clone(g)
	}
	return out
}

// ProtocolName implements kgo.GroupBalancer.
func (b *Balancer) ProtocolName() string { return b.protocol }

// IsCooperative implements kgo.GroupBalancer; it always returns true.
func (*Balancer) IsCooperative() bool { return true }

// SetUserData sets the opaque bytes this member sends to the group leader
// with its next JoinGroup, next to its MemberInfo. The bytes are copied;
// see ParseUserData. Call kgo.Client.ForceRebalance afterwards to publish
// them right away.
func (b *Balancer) SetUserData(data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.userData = slices.Clone(data)
}

// SetMemberInfo sets the MemberInfo this member sends to the group leader
// with its next JoinGroup; info is copied. A WithMemberInfo callback takes
// precedence. Call kgo.Client.ForceRebalance afterwards to publish it right
// away.
func (b *Balancer) SetMemberInfo(info MemberInfo) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.info = info.clone()
}

// memberData returns what JoinGroupMetadata sends: the member info (from
// the callback, called without b.mu held), the standbys of the last
// assignment and the opaque user data.
func (b *Balancer) memberData() MemberData {
	var info MemberInfo
	if b.infoFn != nil {
		info = b.infoFn()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.infoFn == nil {
		info = b.info
	}
	return MemberData{Info: info, Standbys: b.standbyOut, UserData: b.userData}
}

// JoinGroupMetadata implements kgo.GroupBalancer. It encodes a version 3
// kmsg.ConsumerMemberMetadata with the sorted topic interests, the owned
// partitions sorted by topic and partition, the generation and the user data
// (EncodeMemberData: member info, last standbys, SetUserData bytes). The
// output is deterministic for the same input.
func (b *Balancer) JoinGroupMetadata(interests []string, current map[string][]int32, generation int32) []byte {
	ud := EncodeMemberData(b.memberData())

	meta := kmsg.NewConsumerMemberMetadata()
	meta.Version = 3
	meta.Topics = slices.Sorted(slices.Values(interests))
	meta.Generation = generation
	meta.UserData = ud
	for _, topic := range slices.Sorted(maps.Keys(current)) {
		ps := current[topic]
		if len(ps) == 0 {
			continue
		}
		owned := kmsg.NewConsumerMemberMetadataOwnedPartition()
		owned.Topic = topic
		owned.Partitions = slices.Sorted(slices.Values(ps))
		meta.OwnedPartitions = append(meta.OwnedPartitions, owned)
	}
	return meta.AppendTo(nil)
}

// ParseSyncAssignment implements kgo.GroupBalancer. Besides decoding the
// assignment it records it in task terms for Assigned, and the standby
// tasks from its user data for Standbys, both at once. Standby data it
// cannot parse (a newer leader) count as no standbys rather than failing
// the sync; standbys of sub-topologies b does not have, or with a negative
// partition, are dropped.
func (b *Balancer) ParseSyncAssignment(assignment []byte) (map[string][]int32, error) {
	m, err := kgo.ParseConsumerSyncAssignment(assignment)
	if err != nil {
		return nil, err
	}
	var assn kmsg.ConsumerMemberAssignment
	var standbys []Task
	if assn.ReadFrom(assignment) == nil {
		standbys, _ = ParseAssignmentData(assn.UserData)
	}
	full, partial := b.TasksOf(m)
	// A task is never both active (even partly) and standby on a member,
	// and a standby must be a task of one of b's groups: the caller opens
	// its state.
	standbys = slices.DeleteFunc(standbys, func(t Task) bool {
		return t.Subtopology < 0 || t.Subtopology >= len(b.groups) || t.Partition < 0 ||
			slices.Contains(full, t) || slices.Contains(partial, t)
	})
	b.mu.Lock()
	b.assigned, b.partial, b.standbyOut = full, partial, standbys
	b.mu.Unlock()
	return m, nil
}

// Assigned returns the tasks of this member's last synced assignment,
// sorted, and the tasks of which only some partitions were assigned (always
// empty when the leader runs this balancer with the same groups).
//
// With cooperative rebalancing a task that moves to this member shows up one
// rebalance after its previous owner revoked it.
func (b *Balancer) Assigned() (tasks, partial []Task) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.assigned), slices.Clone(b.partial)
}

// Standbys returns the standby tasks of this member's last synced
// assignment, sorted. They never overlap Assigned's tasks.
func (b *Balancer) Standbys() []Task {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.standbyOut)
}

// Assignment returns Assigned's tasks and Standbys from the same synced
// assignment.
func (b *Balancer) Assignment() (active, standby []Task) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return slices.Clone(b.assigned), slices.Clone(b.standbyOut)
}

// TasksOf converts partitions (as passed to OnPartitionsAssigned or
// OnPartitionsRevoked) into tasks, each list sorted. A task is in tasks when
// partitions holds its partition of every topic of its group and in partial
// when it holds only some of them. Topics that belong to no group are
// ignored.
func (b *Balancer) TasksOf(partitions map[string][]int32) (tasks, partial []Task) {
	count := make(map[Task]int)
	for topic, ps := range partitions {
		g, ok := b.topicSub[topic]
		if !ok {
			continue
		}
		for _, p := range slices.Compact(slices.Sorted(slices.Values(ps))) {
			count[Task{g, p}]++
		}
	}
	for t, n := range count {
		if n == len(b.groups[t.Subtopology]) {
			tasks = append(tasks, t)
		} else {
			partial = append(partial, t)
		}
	}
	slices.SortFunc(tasks, taskLess)
	slices.SortFunc(partial, taskLess)
	return tasks, partial
}

// MemberBalancer implements kgo.GroupBalancer. It returns a
// *kgo.ConsumerBalancer whose BalanceOrError assigns tasks, and the topics
// to load partition counts for: every member's interests plus every topic of
// every group, so that a missing topic is reported rather than ignored.
func (b *Balancer) MemberBalancer(members []kmsg.JoinGroupResponseMember) (kgo.GroupMemberBalancer, map[string]struct{}, error) {
	cb, err := kgo.NewConsumerBalancer(taskBalance{b}, members)
	if err != nil {
		return nil, nil, err
	}
	topics := make(map[string]struct{})
	for t := range cb.MemberTopics() {
		topics[t] = struct{}{}
	}
	for t := range b.topicSub {
		topics[t] = struct{}{}
	}
	return cb, topics, nil
}

// taskBalance is the kgo.ConsumerBalancerBalance behind MemberBalancer.
type taskBalance struct{ b *Balancer }

// Balance implements kgo.ConsumerBalancerBalance. Errors go through
// SetError, so kgo's BalanceOrError returns them.
func (tb taskBalance) Balance(cb *kgo.ConsumerBalancer, topics map[string]int32) kgo.IntoSyncAssignment {
	cb.SetError(nil)
	plan, err := tb.b.balance(cb, topics)
	if err != nil {
		cb.SetError(err)
		return nil
	}
	return plan
}
