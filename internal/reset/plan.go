// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package reset is Eddy's application reset tool, the counterpart of Kafka
// Streams' kafka-streams-application-reset: it lets an application
// reprocess its input from the start (or from a time) by resetting its
// consumer group's committed offsets on the input topics, deleting its
// internal topics (<AppID>-<name>-repartition, <AppID>-<store>-changelog)
// with the group's committed offsets on them, and optionally deleting its
// local state directory.
//
// Prepare works out a Plan without changing anything (a dry run prints
// it); Plan.Apply carries it out. Both refuse while the application's
// consumer group has members, that is while an instance runs.
package reset

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/eddy-streams/eddy/internal/dirlock"
)

// Files in the application's state directory that the runtime keeps there
// (runtime/app.go, runtime/config.go) and a reset does not delete.
const (
	lockFile       = ".lock"
	instanceIDFile = "instance-id"
)

// Plan is what a reset of one application does, worked out by Prepare
// without changing anything. Apply carries it out; WriteTo prints it.
type Plan struct {
	// AppID is the application id, which is also the consumer group.
	AppID string
	// GroupState is the consumer group's state as its coordinator reports
	// it: "Empty", or "Dead" when the group does not exist.
	GroupState string
	// Position is where the input topics' offsets go.
	Position Position
	// Inputs are the new committed offsets of every partition of the
	// input topics, sorted by topic and partition.
	Inputs []OffsetChange
	// Intermediates are the new committed offsets of every partition of
	// the intermediate topics: their end offsets.
	Intermediates []OffsetChange
	// DeleteOffsets are the group's committed offsets on internal topics,
	// which Apply deletes, sorted by topic. A deleted topic's offsets are
	// included: Kafka keeps them until the group expires.
	DeleteOffsets []TopicPartitions
	// DeleteTopics are the application's internal topics, which Apply
	// deletes, sorted.
	DeleteTopics []string
	// Skipped are topics named like internal topics of the application
	// that Apply leaves alone because they can belong to another
	// application whose id extends this one's.
	Skipped []SkippedTopic
	// Untouched are the other topics on which the group has committed
	// offsets, neither input, intermediate nor internal; Apply leaves
	// those offsets as they are.
	Untouched []string
	// StateDir is the application's local state directory,
	// <dir>/<AppID> for the dir given with the StateDir option; "" when
	// local state is left alone.
	StateDir string
	// StateEntries are the names in StateDir that Apply deletes (task
	// directories, global stores), sorted; empty when StateDir does not
	// exist. The instance-id file is kept, so a restarted instance keeps
	// its transactional ids and fences transactions its predecessor left
	// open.
	StateEntries []string

	adm *kadm.Client
}

// OffsetChange is the new committed offset of one partition.
type OffsetChange struct {
	Topic     string
	Partition int32
	// From is the group's committed offset before the reset, -1 if none.
	From int64
	// To is the offset committed by the reset.
	To int64
}

// TopicPartitions names partitions of one topic.
type TopicPartitions struct {
	Topic      string
	Partitions []int32
}

// SkippedTopic is a topic named like an internal topic of the application
// that the reset leaves alone.
type SkippedTopic struct {
	Topic string
	// Owner is the other application (an existing consumer group) whose
	// internal topics are named the same way.
	Owner string
}

// Member is a live member of the application's consumer group.
type Member struct {
	ID         string // the member id the coordinator assigned
	InstanceID string // the static group instance id, "" for a dynamic member
	ClientID   string
	Host       string
}

// ActiveMembersError is returned by Prepare and Apply while the
// application's consumer group has members: an instance is running, or a
// static member (Config.GroupInstanceID) stopped less than its session
// timeout ago.
type ActiveMembersError struct {
	Group   string
	Members []Member
}

// Error lists the members and says what to do.
func (e *ActiveMembersError) Error() string {
	var names []string
	for _, m := range e.Members {
		name := m.ClientID + "@" + strings.TrimPrefix(m.Host, "/")
		if m.InstanceID != "" {
			name += " (group instance id " + m.InstanceID + ")"
		}
		names = append(names, name)
	}
	return fmt.Sprintf("consumer group %q has %d live member(s): %s; stop every instance of application %q and run the reset again "+
		"(a static member, with Config.GroupInstanceID, stays in the group until its session timeout after it stops)",
		e.Group, len(e.Members), strings.Join(names, ", "), e.Group)
}

// Prepare works out the reset of application appID, reading from the
// brokers (and the local state directory) and changing nothing. It
// returns an *ActiveMembersError while the application's consumer group
// has members, and an error naming the topic if an input or intermediate
// topic does not exist.
func Prepare(ctx context.Context, adm *kadm.Client, appID string, opts ...Opt) (*Plan, error) {
	if appID == "" {
		return nil, errors.New("the application id is required")
	}
	var o options
	for _, opt := range opts {
		opt(&o)
	}
	inputs, intermediates, err := checkTopicLists(o.inputs, o.intermediates)
	if err != nil {
		return nil, err
	}
	p := &Plan{AppID: appID, Position: o.position, adm: adm}

	if p.GroupState, err = checkGroup(ctx, adm, appID); err != nil {
		return nil, err
	}
	groups, err := adm.ListGroups(ctx)
	if err != nil {
		return nil, fmt.Errorf("list consumer groups: %w", err)
	}
	if g, ok := groups[appID]; ok && p.GroupState == "Dead" && g.State != "" && g.State != "Empty" && g.State != "Dead" {
		// A group the classic describe does not know (a KIP-848
		// consumer group) but that is listed as active.
		return nil, fmt.Errorf("consumer group %q is %s: stop every instance of application %q and run the reset again", appID, g.State, appID)
	}
	committed, err := fetchCommitted(ctx, adm, appID)
	if err != nil {
		return nil, err
	}
	topics, err := adm.ListTopics(ctx)
	if err != nil {
		return nil, fmt.Errorf("list topics: %w", err)
	}
	var missing []string
	for _, t := range slices.Concat(inputs, intermediates) {
		if d, ok := topics[t]; !ok || d.Err != nil {
			missing = append(missing, t)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("topic(s) %s do not exist: check the input and intermediate topic names", strings.Join(missing, ", "))
	}
	if p.Inputs, err = listTargets(ctx, adm, inputs, o.position, committed); err != nil {
		return nil, err
	}
	if p.Intermediates, err = listTargets(ctx, adm, intermediates, Latest(), committed); err != nil {
		return nil, err
	}

	named := map[string]bool{}
	for _, t := range slices.Concat(inputs, intermediates) {
		named[t] = true
	}
	groupNames := groups.Groups()
	for _, t := range slices.Sorted(maps.Keys(topics)) {
		if named[t] || !isInternal(appID, t) {
			continue
		}
		// The group's own offsets on a topic show that the application
		// consumes it: one of its repartition topics.
		if owner := otherOwner(appID, t, groupNames); owner != "" && committed[t] == nil {
			p.Skipped = append(p.Skipped, SkippedTopic{Topic: t, Owner: owner})
			continue
		}
		p.DeleteTopics = append(p.DeleteTopics, t)
	}
	for _, t := range slices.Sorted(maps.Keys(committed)) {
		switch {
		case named[t]:
		case isInternal(appID, t):
			p.DeleteOffsets = append(p.DeleteOffsets, TopicPartitions{Topic: t, Partitions: slices.Sorted(maps.Keys(committed[t]))})
		default:
			p.Untouched = append(p.Untouched, t)
		}
	}

	if o.stateDir != "" {
		if err := p.planState(filepath.Join(o.stateDir, appID)); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// checkTopicLists drops duplicates and rejects empty names and topics
// named both as input and intermediate.
func checkTopicLists(inputs, intermediates []string) ([]string, []string, error) {
	clean := func(kind string, ts []string) ([]string, error) {
		var out []string
		for _, t := range ts {
			if t == "" {
				return nil, fmt.Errorf("empty %s topic name", kind)
			}
			if !slices.Contains(out, t) {
				out = append(out, t)
			}
		}
		return out, nil
	}
	in, err := clean("input", inputs)
	if err != nil {
		return nil, nil, err
	}
	mid, err := clean("intermediate", intermediates)
	if err != nil {
		return nil, nil, err
	}
	for _, t := range in {
		if slices.Contains(mid, t) {
			return nil, nil, fmt.Errorf("topic %q is named both as an input and as an intermediate topic: name it once", t)
		}
	}
	return in, mid, nil
}

// checkGroup returns the group's state, or an *ActiveMembersError if it
// has members.
func checkGroup(ctx context.Context, adm *kadm.Client, group string) (string, error) {
	described, err := adm.DescribeGroups(ctx, group)
	if err != nil {
		return "", fmt.Errorf("describe consumer group %q: %w", group, err)
	}
	g, ok := described[group]
	switch {
	case !ok || errors.Is(g.Err, kerr.GroupIDNotFound):
		return "Dead", nil
	case g.Err != nil:
		return "", fmt.Errorf("describe consumer group %q: %w", group, g.Err)
	case len(g.Members) > 0:
		e := &ActiveMembersError{Group: group}
		for _, m := range g.Members {
			mm := Member{ID: m.MemberID, ClientID: m.ClientID, Host: m.ClientHost}
			if m.InstanceID != nil {
				mm.InstanceID = *m.InstanceID
			}
			e.Members = append(e.Members, mm)
		}
		return "", e
	}
	return g.State, nil
}

// fetchCommitted returns the group's committed offsets, topic → partition
// → offset; none for a group that does not exist.
func fetchCommitted(ctx context.Context, adm *kadm.Client, group string) (map[string]map[int32]int64, error) {
	resp, err := adm.FetchOffsets(ctx, group)
	if errors.Is(err, kerr.GroupIDNotFound) {
		return map[string]map[int32]int64{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("fetch the committed offsets of consumer group %q: %w", group, err)
	}
	if err := resp.Error(); err != nil {
		return nil, fmt.Errorf("fetch the committed offsets of consumer group %q: %w", group, err)
	}
	out := map[string]map[int32]int64{}
	resp.Each(func(o kadm.OffsetResponse) {
		if o.At < 0 {
			return
		}
		if out[o.Topic] == nil {
			out[o.Topic] = map[int32]int64{}
		}
		out[o.Topic][o.Partition] = o.At
	})
	return out, nil
}

// listTargets works out the offset at pos for every partition of topics.
func listTargets(ctx context.Context, adm *kadm.Client, topics []string, pos Position, committed map[string]map[int32]int64) ([]OffsetChange, error) {
	if len(topics) == 0 {
		return nil, nil
	}
	list := func(f func(context.Context, ...string) (kadm.ListedOffsets, error)) (kadm.ListedOffsets, error) {
		l, err := f(ctx, topics...)
		if err == nil {
			err = l.Error()
		}
		if err != nil {
			return nil, fmt.Errorf("list offsets of %s: %w", strings.Join(topics, ", "), err)
		}
		return l, nil
	}
	var listed, starts, ends kadm.ListedOffsets
	var err error
	switch pos.kind {
	case earliest:
		listed, err = list(adm.ListStartOffsets)
	case latest:
		listed, err = list(adm.ListEndOffsets)
	case atTime:
		listed, err = list(func(ctx context.Context, ts ...string) (kadm.ListedOffsets, error) {
			return adm.ListOffsetsAfterMilli(ctx, pos.time.UnixMilli(), ts...)
		})
	case atOffset:
		if starts, err = list(adm.ListStartOffsets); err == nil {
			listed, err = list(adm.ListEndOffsets)
			ends = listed
		}
	}
	if err != nil {
		return nil, err
	}
	var out []OffsetChange
	listed.Each(func(l kadm.ListedOffset) {
		to := l.Offset
		if pos.kind == atOffset {
			start, _ := starts.Lookup(l.Topic, l.Partition)
			end, _ := ends.Lookup(l.Topic, l.Partition)
			to = min(max(pos.offset, start.Offset), end.Offset)
		}
		from, ok := committed[l.Topic][l.Partition]
		if !ok {
			from = -1
		}
		out = append(out, OffsetChange{Topic: l.Topic, Partition: l.Partition, From: from, To: to})
	})
	for _, c := range out {
		if c.To < 0 {
			return nil, fmt.Errorf("the brokers returned no offset for %s/%d at %v", c.Topic, c.Partition, pos)
		}
	}
	slices.SortFunc(out, func(a, b OffsetChange) int {
		return cmp.Or(strings.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
	})
	return out, nil
}

// planState lists what to delete in the application's state directory,
// refusing if an instance holds its lock.
func (p *Plan) planState(dir string) error {
	p.StateDir = dir
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the local state directory: %w", err)
	}
	if err := dirlock.Probe(dir, lockFile); err != nil {
		return stateInUse(err)
	}
	for _, e := range entries {
		if n := e.Name(); n != lockFile && n != instanceIDFile {
			p.StateEntries = append(p.StateEntries, n)
		}
	}
	return nil
}

// stateInUse explains a held state directory lock.
func stateInUse(err error) error {
	var held *dirlock.HeldError
	if errors.As(err, &held) {
		return fmt.Errorf("local state %w: stop the instance using it and run the reset again", err)
	}
	return fmt.Errorf("local state directory: %w", err)
}
