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
// Use one Balancer per kgo.Client: it holds that member's user data and its
// last assignment.
package balancer

import (
	"encoding/binary"
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

// UserDataVersion is the version of the envelope that JoinGroupMetadata puts
// around the bytes given to SetUserData. ParseUserData rejects other versions.
const UserDataVersion int16 = 1

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
	if a.Subtopology != b.Subtopology {
		return a.Subtopology - b.Subtopology
	}
	return int(a.Partition) - int(b.Partition)
}

// Option configures a Balancer.
type Option func(*Balancer)

// WithProtocolName overrides the group protocol name (DefaultProtocolName).
// All members of a group must use the same name; change it when the
// assignment or metadata format changes incompatibly.
func WithProtocolName(name string) Option {
	return func(b *Balancer) { b.protocol = name }
}

// Balancer is a cooperative kgo.GroupBalancer that assigns tasks. It is safe
// for concurrent use.
type Balancer struct {
	protocol string
	groups   [][]string     // per sub-topology, sorted topics
	topicSub map[string]int // topic => sub-topology

	mu       sync.Mutex
	userData []byte
	assigned []Task
	partial  []Task
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
// with its next JoinGroup (for example per-task changelog offsets). The bytes
// are copied and wrapped in a versioned envelope; see ParseUserData. Call
// kgo.Client.ForceRebalance afterwards to publish them right away.
func (b *Balancer) SetUserData(data []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.userData = slices.Clone(data)
}

// EncodeUserData wraps data in the versioned envelope that JoinGroupMetadata
// sends as kmsg.ConsumerMemberMetadata.UserData.
func EncodeUserData(data []byte) []byte {
	out := make([]byte, 2, 2+len(data))
	binary.BigEndian.PutUint16(out, uint16(UserDataVersion))
	return append(out, data...)
}

// ParseUserData extracts the bytes a member passed to SetUserData from its
// kmsg.ConsumerMemberMetadata.UserData. It returns an error if the envelope
// is missing or has an unknown version.
func ParseUserData(raw []byte) ([]byte, error) {
	if len(raw) < 2 {
		return nil, fmt.Errorf("eddy balancer: user data too short (%d bytes)", len(raw))
	}
	if v := int16(binary.BigEndian.Uint16(raw)); v != UserDataVersion {
		return nil, fmt.Errorf("eddy balancer: unsupported user data version %d (want %d)", v, UserDataVersion)
	}
	return raw[2:], nil
}

// JoinGroupMetadata implements kgo.GroupBalancer. It encodes a version 3
// kmsg.ConsumerMemberMetadata with the sorted topic interests, the owned
// partitions sorted by topic and partition, the generation and the user data
// envelope. The output is deterministic for the same input.
func (b *Balancer) JoinGroupMetadata(interests []string, current map[string][]int32, generation int32) []byte {
	b.mu.Lock()
	ud := EncodeUserData(b.userData)
	b.mu.Unlock()

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
// assignment it records it in task terms for Assigned.
func (b *Balancer) ParseSyncAssignment(assignment []byte) (map[string][]int32, error) {
	m, err := kgo.ParseConsumerSyncAssignment(assignment)
	if err != nil {
		return nil, err
	}
	full, partial := b.TasksOf(m)
	b.mu.Lock()
	b.assigned, b.partial = full, partial
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
