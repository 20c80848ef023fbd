// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package balancer

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Versions of the blobs this package exchanges through the group protocol.
const (
	// UserDataVersion is the version of the member → leader blob that
	// JoinGroupMetadata writes into kmsg.ConsumerMemberMetadata.UserData.
	// Version 1 held only the opaque SetUserData bytes; version 2 (see
	// MemberData) adds the member's instance, its state and its standbys.
	// Version 3 adds the instance's endpoint. All three are parsed.
	UserDataVersion int16 = 3
	// AssignmentDataVersion is the version of the leader → member blob
	// carried in kmsg.ConsumerMemberAssignment.UserData: the member's
	// standby tasks.
	AssignmentDataVersion int16 = 1
)

// MemberInfo is what a member tells the group leader about the application
// instance it runs in, with every JoinGroup (see WithMemberInfo and
// SetMemberInfo).
type MemberInfo struct {
	// Instance identifies the application instance (process) that runs
	// the member. Several members, one per worker, share it; standby
	// replicas of a task are never placed on the instance of its active
	// owner, nor two on one instance. A member without an instance counts
	// as an instance of its own.
	Instance string
	// State lists the tasks whose state the instance holds locally, with
	// the sum of its changelog offsets (bigger means more caught up). Only
	// tasks of stateful sub-topologies (WithStateful) are considered;
	// presence counts more than the value, so report tasks with little
	// state too.
	State map[Task]int64
	// Endpoint is where the instance answers interactive queries
	// ("host:port", Kafka Streams' application.server), or "". Every
	// member learns the others' from the group (see ParseMemberData).
	Endpoint string
}

// clone returns a deep copy of i.
func (i MemberInfo) clone() MemberInfo {
	return MemberInfo{Instance: i.Instance, State: maps.Clone(i.State), Endpoint: i.Endpoint}
}

// MemberData is the decoded form of the member → leader user data.
type MemberData struct {
	// Info is the member's MemberInfo.
	Info MemberInfo
	// Standbys are the standby tasks of the member's last assignment; the
	// leader keeps a standby on the same member when it can.
	Standbys []Task
	// UserData are the opaque bytes given to SetUserData.
	UserData []byte
}

// EncodeMemberData encodes d, deterministically, as version UserDataVersion:
//
//	int16  version (big endian, as in version 1)
//	uvarint len, bytes   Info.Instance
//	uvarint n, n × (varint subtopology, varint partition, varint offset sum)
//	                     Info.State, sorted by task
//	uvarint n, n × (varint subtopology, varint partition)
//	                     Standbys, sorted, without duplicates
//	uvarint len, bytes   UserData
//	uvarint len, bytes   Info.Endpoint
func EncodeMemberData(d MemberData) []byte {
	out := binary.BigEndian.AppendUint16(nil, uint16(UserDataVersion))
	out = appendBytes(out, []byte(d.Info.Instance))
	out = binary.AppendUvarint(out, uint64(len(d.Info.State)))
	for _, t := range slices.SortedFunc(maps.Keys(d.Info.State), taskLess) {
		out = appendTask(out, t)
		out = binary.AppendVarint(out, d.Info.State[t])
	}
	out = appendTasks(out, d.Standbys)
	out = appendBytes(out, d.UserData)
	return appendBytes(out, []byte(d.Info.Endpoint))
}

// ParseMemberData decodes the user data of a member's
// kmsg.ConsumerMemberMetadata. Empty or missing user data (a member that
// set none) decodes to the zero MemberData; version 1 yields only UserData,
// version 2 no endpoint.
func ParseMemberData(raw []byte) (MemberData, error) {
	if len(raw) == 0 {
		return MemberData{}, nil
	}
	if len(raw) < 2 {
		return MemberData{}, fmt.Errorf("eddy balancer: user data too short (%d bytes)", len(raw))
	}
	switch v := int16(binary.BigEndian.Uint16(raw)); v {
	case 1:
		return MemberData{UserData: raw[2:]}, nil
	case 2, 3:
	default:
		return MemberData{}, fmt.Errorf("eddy balancer: unsupported user data version %d (want 1 to %d)", v, UserDataVersion)
	}
	version := int16(binary.BigEndian.Uint16(raw))
	r := reader{buf: raw[2:]}
	var d MemberData
	d.Info.Instance = string(r.bytes())
	if n := r.count(3); n > 0 {
		d.Info.State = make(map[Task]int64, n)
		var prev Task
		for i := range n {
			t := r.task()
			if r.err == nil && i > 0 && taskLess(prev, t) >= 0 {
				r.err = errors.New("state tasks not sorted or not unique")
			}
			prev = t
			d.Info.State[t] = r.varint()
		}
	}
	d.Standbys = r.tasks()
	d.UserData = r.bytes()
	if version >= 3 {
		d.Info.Endpoint = string(r.bytes())
	}
	if err := r.done(); err != nil {
		return MemberData{}, fmt.Errorf("eddy balancer: malformed version %d user data: %w", version, err)
	}
	return d, nil
}

// EncodeUserData wraps data in the versioned envelope that JoinGroupMetadata
// sends as kmsg.ConsumerMemberMetadata.UserData, with no member info.
func EncodeUserData(data []byte) []byte {
	return EncodeMemberData(MemberData{UserData: data})
}

// ParseUserData extracts the bytes a member passed to SetUserData from its
// kmsg.ConsumerMemberMetadata.UserData (version 1 or 2). It returns an error
// if the envelope is missing, malformed or has an unknown version.
func ParseUserData(raw []byte) ([]byte, error) {
	if len(raw) < 2 {
		return nil, fmt.Errorf("eddy balancer: user data too short (%d bytes)", len(raw))
	}
	d, err := ParseMemberData(raw)
	return d.UserData, err
}

// EncodeAssignmentData encodes the standby tasks of one member as the
// kmsg.ConsumerMemberAssignment.UserData the leader sends it:
//
//	int16  version (AssignmentDataVersion, big endian)
//	uvarint n, n × (varint subtopology, varint partition)   sorted, unique
func EncodeAssignmentData(standbys []Task) []byte {
	out := binary.BigEndian.AppendUint16(nil, uint16(AssignmentDataVersion))
	return appendTasks(out, standbys)
}

// ParseAssignmentData decodes EncodeAssignmentData's output. Empty data (a
// leader that assigns no standbys, or an older leader) means no standbys.
func ParseAssignmentData(raw []byte) ([]Task, error) {
	if len(raw) == 0 {
		return nil, nil
	}
	if len(raw) < 2 {
		return nil, fmt.Errorf("eddy balancer: assignment user data too short (%d bytes)", len(raw))
	}
	if v := int16(binary.BigEndian.Uint16(raw)); v != AssignmentDataVersion {
		return nil, fmt.Errorf("eddy balancer: unsupported assignment user data version %d (want %d)", v, AssignmentDataVersion)
	}
	r := reader{buf: raw[2:]}
	ts := r.tasks()
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("eddy balancer: malformed assignment user data: %w", err)
	}
	return ts, nil
}

// syncPlan is the leader's result: the partition plan plus every member's
// standby tasks, which kgo.BalancePlan cannot carry.
type syncPlan struct {
	plan     *kgo.BalancePlan
	standbys map[string][]Task // member ID → sorted standby tasks
}

// IntoSyncAssignment implements kgo.IntoSyncAssignment: one
// kmsg.ConsumerMemberAssignment per member (members sorted by ID, topics by
// name, partitions ascending) whose UserData lists the member's standbys
// (nil when it has none).
func (p *syncPlan) IntoSyncAssignment() []kmsg.SyncGroupRequestGroupAssignment {
	plan := p.plan.AsMemberIDMap()
	out := make([]kmsg.SyncGroupRequestGroupAssignment, 0, len(plan))
	for _, member := range slices.Sorted(maps.Keys(plan)) {
		var assn kmsg.ConsumerMemberAssignment
		topics := plan[member]
		for _, topic := range slices.Sorted(maps.Keys(topics)) {
			at := kmsg.NewConsumerMemberAssignmentTopic()
			at.Topic = topic
			at.Partitions = slices.Sorted(slices.Values(topics[topic]))
			assn.Topics = append(assn.Topics, at)
		}
		if sb := p.standbys[member]; len(sb) > 0 {
			assn.UserData = EncodeAssignmentData(sb)
		}
		sa := kmsg.NewSyncGroupRequestGroupAssignment()
		sa.MemberID = member
		sa.MemberAssignment = assn.AppendTo(nil)
		out = append(out, sa)
	}
	return out
}

func appendBytes(out, b []byte) []byte {
	out = binary.AppendUvarint(out, uint64(len(b)))
	return append(out, b...)
}

func appendTask(out []byte, t Task) []byte {
	out = binary.AppendVarint(out, int64(t.Subtopology))
	return binary.AppendVarint(out, int64(t.Partition))
}

func appendTasks(out []byte, ts []Task) []byte {
	ts = slices.Compact(slices.SortedFunc(slices.Values(ts), taskLess))
	out = binary.AppendUvarint(out, uint64(len(ts)))
	for _, t := range ts {
		out = appendTask(out, t)
	}
	return out
}

// reader decodes the varint layouts above; the first error sticks.
type reader struct {
	buf []byte
	err error
}

var errShort = errors.New("truncated")

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.buf)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.buf)
	if n <= 0 {
		r.err = errShort
		return 0
	}
	r.buf = r.buf[n:]
	return v
}

// count reads an element count, rejecting counts the remaining bytes cannot
// hold (each element takes at least minSize bytes).
func (r *reader) count(minSize int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.buf)/minSize) {
		r.err = fmt.Errorf("count %d exceeds the remaining %d bytes", n, len(r.buf))
	}
	if r.err != nil {
		return 0
	}
	return int(n)
}

func (r *reader) bytes() []byte {
	n := r.count(1)
	if r.err != nil || n == 0 {
		return nil
	}
	b := slices.Clone(r.buf[:n])
	r.buf = r.buf[n:]
	return b
}

func (r *reader) task() Task {
	g := r.varint()
	p := r.varint()
	if r.err == nil && (g < math.MinInt32 || g > math.MaxInt32 || p < math.MinInt32 || p > math.MaxInt32) {
		r.err = fmt.Errorf("invalid task %d_%d", g, p)
	}
	return Task{Subtopology: int(g), Partition: int32(p)}
}

func (r *reader) tasks() []Task {
	n := r.count(2)
	var out []Task
	for range n {
		out = append(out, r.task())
	}
	for i := 1; i < len(out) && r.err == nil; i++ {
		if taskLess(out[i-1], out[i]) >= 0 {
			r.err = errors.New("tasks not sorted or not unique")
		}
	}
	return out
}

func (r *reader) done() error {
	if r.err == nil && len(r.buf) > 0 {
		r.err = fmt.Errorf("%d trailing bytes", len(r.buf))
	}
	return r.err
}
