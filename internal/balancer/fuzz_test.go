// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package balancer

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Fuzz targets for the blobs group members exchange through the group
// protocol: every member parses the leader's assignment, the leader parses
// every member's user data. They come over the network from other
// processes, possibly of other versions, so garbage must be an error, never
// a panic, and what decodes must encode back to the same value. The seed
// corpora live in testdata/fuzz/<FuzzName>/; run one with
//
//	go test -run '^$' -fuzz '^FuzzParseMemberData$' -fuzztime 30s ./internal/balancer

func sameMemberData(a, b MemberData) bool {
	return a.Info.Instance == b.Info.Instance && maps.Equal(a.Info.State, b.Info.State) &&
		slices.Equal(a.Standbys, b.Standbys) && bytes.Equal(a.UserData, b.UserData)
}

func FuzzParseMemberData(f *testing.F) {
	for _, d := range []MemberData{
		{},
		{UserData: []byte("opaque")},
		{Info: MemberInfo{Instance: "host-1", State: map[Task]int64{{0, 2}: 0, {0, 7}: 1 << 40, {1, 3}: 42, {2, 0}: -5}},
			Standbys: []Task{{0, 4}, {1, 1}}, UserData: []byte("opaque")},
		{Info: MemberInfo{State: map[Task]int64{{-1, -1}: 1}}, Standbys: []Task{{1<<31 - 1, -1 << 31}}},
	} {
		f.Add(EncodeMemberData(d))
	}
	f.Add([]byte{0, 1, 'x', 'y'})                                 // version 1
	f.Add([]byte{0, 3})                                           // unknown version
	f.Add([]byte{0, 2, 0, 0xff, 0xff, 0xff, 0xff, 0x0f})          // 2^32-1 state entries
	f.Add([]byte{0, 2, 0, 2, 2, 0, 10, 2, 0, 12, 0, 0})           // repeated state task
	f.Add([]byte{0, 2, 0, 0, 1, 0x80, 0x80, 0x80, 0x80, 0x20, 0}) // subtopology past int32
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := ParseMemberData(raw)
		ud, uerr := ParseUserData(raw)
		if err != nil {
			if !sameMemberData(d, MemberData{}) || !strings.HasPrefix(err.Error(), "eddy balancer: ") {
				t.Fatalf("ParseMemberData(%x) = %+v, %v", raw, d, err)
			}
			if uerr == nil {
				t.Fatalf("ParseUserData(%x) accepted what ParseMemberData rejects: %v", raw, err)
			}
			return
		}
		if (uerr != nil) != (len(raw) == 0) || !bytes.Equal(ud, d.UserData) {
			t.Fatalf("ParseUserData(%x) = %x, %v; ParseMemberData's user data %x", raw, ud, uerr, d.UserData)
		}
		for _, ts := range [][]Task{slices.SortedFunc(maps.Keys(d.Info.State), taskLess), d.Standbys} {
			for i := 1; i < len(ts); i++ {
				if taskLess(ts[i-1], ts[i]) >= 0 {
					t.Fatalf("ParseMemberData(%x) = %+v: tasks not sorted and unique", raw, d)
				}
			}
		}
		enc := EncodeMemberData(d)
		again, err := ParseMemberData(enc)
		if err != nil || !sameMemberData(again, d) {
			t.Fatalf("round trip of %+v (from %x) = %+v, %v", d, raw, again, err)
		}
		if enc2 := EncodeMemberData(again); !bytes.Equal(enc2, enc) {
			t.Fatalf("encoding of %+v is not stable: %x then %x", d, enc, enc2)
		}
	})
}

func FuzzParseAssignmentData(f *testing.F) {
	for _, ts := range [][]Task{nil, {{0, 1}}, {{0, 1}, {0, 9}, {2, 1}}, {{-1 << 31, 0}, {1<<31 - 1, 1<<31 - 1}}} {
		f.Add(EncodeAssignmentData(ts))
	}
	f.Add([]byte{0, 7, 0})                // unknown version
	f.Add([]byte{0, 1, 2, 2, 0, 0, 0})    // unsorted
	f.Add([]byte{0, 1, 2, 2, 0, 2, 0})    // repeated
	f.Add([]byte{0, 1, 0x80, 0x80, 0x01}) // count past the data
	f.Fuzz(func(t *testing.T, raw []byte) {
		ts, err := ParseAssignmentData(raw)
		if err != nil {
			if ts != nil || !strings.HasPrefix(err.Error(), "eddy balancer: ") {
				t.Fatalf("ParseAssignmentData(%x) = %v, %v", raw, ts, err)
			}
			return
		}
		for i := 1; i < len(ts); i++ {
			if taskLess(ts[i-1], ts[i]) >= 0 {
				t.Fatalf("ParseAssignmentData(%x) = %v: not sorted and unique", raw, ts)
			}
		}
		enc := EncodeAssignmentData(ts)
		again, err := ParseAssignmentData(enc)
		if err != nil || !slices.Equal(again, ts) {
			t.Fatalf("round trip of %v (from %x) = %v, %v", ts, raw, again, err)
		}
		if len(raw) > 0 && len(enc) > len(raw) {
			t.Fatalf("canonical encoding %x of %v is longer than %x", enc, ts, raw)
		}
	})
}

// FuzzParseSyncAssignment feeds a member's Balancer.ParseSyncAssignment an
// assignment as the leader sends it: the raw bytes, and a well-formed
// kmsg.ConsumerMemberAssignment around fuzzed partitions and standby data.
// Whatever the leader sends, the member's tasks and standbys must be tasks
// of its own groups that it can open.
func FuzzParseSyncAssignment(f *testing.F) {
	f.Add([]byte{}, []byte{}, []byte{})
	f.Add([]byte{0, 1}, []byte{1, 2}, EncodeAssignmentData([]Task{{1, 2}, {0, 5}, {0, 1}}))
	f.Add([]byte{0xff}, []byte{3}, EncodeAssignmentData([]Task{{-1, 0}, {0, -3}, {2, 0}, {7, 7}}))
	f.Add([]byte{0, 3, 0, 0, 0, 1, 0, 1, 'a', 0, 0, 0, 1, 0, 0, 0, 4}, []byte{}, []byte{0, 9})
	b := New([][]string{{"a", "b"}, {"c"}})
	f.Fuzz(func(t *testing.T, raw, parts, userData []byte) {
		check := func(assignment []byte) {
			m, err := b.ParseSyncAssignment(assignment)
			if err != nil {
				return // the member fails the sync: nothing recorded
			}
			tasks, partial := b.Assigned()
			standbys := b.Standbys()
			for _, set := range [][]Task{tasks, partial, standbys} {
				for i, task := range set {
					if i > 0 && taskLess(set[i-1], task) >= 0 {
						t.Fatalf("tasks %v not sorted and unique (assignment %x)", set, assignment)
					}
				}
			}
			for _, task := range standbys {
				if task.Subtopology < 0 || task.Subtopology >= len(b.groups) || task.Partition < 0 {
					t.Fatalf("standby %v is no task of the balancer's groups (assignment %x, partitions %v)", task, assignment, m)
				}
				if slices.Contains(tasks, task) || slices.Contains(partial, task) {
					t.Fatalf("standby %v is also active (assignment %x)", task, assignment)
				}
			}
		}
		check(raw)
		var assn kmsg.ConsumerMemberAssignment
		for i, topic := range []string{"a", "b", "c", "zz"} {
			at := kmsg.NewConsumerMemberAssignmentTopic()
			at.Topic = topic
			for j, p := range parts {
				if j%4 == i {
					at.Partitions = append(at.Partitions, int32(int8(p)))
				}
			}
			assn.Topics = append(assn.Topics, at)
		}
		assn.UserData = userData
		check(assn.AppendTo(nil))
	})
}
