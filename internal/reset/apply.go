// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package reset

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/eddy-streams/eddy/internal/dirlock"
)

// Apply carries out the plan, in Kafka's order: it locks the local state
// directory (if the plan deletes local state), checks again that the
// consumer group has no members, commits the new input and intermediate
// offsets, deletes the group's offsets on internal topics, deletes the
// internal topics and waits until the brokers no longer list them (the
// client caches topic metadata for its kgo.MetadataMinAge, so a short one
// shortens this wait), then deletes the local state. report, if not nil, is called with a line for
// each step done.
//
// It stops at the first failure, with an error saying which step failed;
// steps before it stay done, and running the reset again (after Prepare)
// completes it.
func (p *Plan) Apply(ctx context.Context, report func(string)) error {
	if report == nil {
		report = func(string) {}
	}
	if p.StateDir != "" {
		if _, err := os.Stat(p.StateDir); err == nil {
			unlock, err := dirlock.Lock(p.StateDir, lockFile)
			if err != nil {
				return stateInUse(err)
			}
			defer unlock()
		}
	}
	if _, err := checkGroup(ctx, p.adm, p.AppID); err != nil {
		return err
	}
	if err := p.commitOffsets(ctx, report); err != nil {
		return err
	}
	if err := p.deleteOffsets(ctx, report); err != nil {
		return err
	}
	if err := p.deleteTopics(ctx, report); err != nil {
		return err
	}
	return p.deleteState(report)
}

func (p *Plan) commitOffsets(ctx context.Context, report func(string)) error {
	changes := slices.Concat(p.Inputs, p.Intermediates)
	if len(changes) == 0 {
		return nil
	}
	offsets := kadm.Offsets{}
	for _, c := range changes {
		offsets.Add(kadm.Offset{Topic: c.Topic, Partition: c.Partition, At: c.To, LeaderEpoch: -1})
	}
	resp, err := p.adm.CommitOffsets(ctx, p.AppID, offsets)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		if errors.Is(err, kerr.UnknownMemberID) || errors.Is(err, kerr.IllegalGeneration) || errors.Is(err, kerr.RebalanceInProgress) {
			return fmt.Errorf("commit offsets of consumer group %q: %w (an instance joined the group during the reset: stop it and run the reset again)", p.AppID, err)
		}
		return fmt.Errorf("commit offsets of consumer group %q: %w", p.AppID, err)
	}
	if len(p.Inputs) > 0 {
		report(fmt.Sprintf("committed offsets of consumer group %q on %s to %v", p.AppID, describePartitions(p.Inputs), p.Position))
	}
	if len(p.Intermediates) > 0 {
		report(fmt.Sprintf("committed offsets of consumer group %q on %s to latest", p.AppID, describePartitions(p.Intermediates)))
	}
	return nil
}

func (p *Plan) deleteOffsets(ctx context.Context, report func(string)) error {
	if len(p.DeleteOffsets) == 0 {
		return nil
	}
	set := kadm.TopicsSet{}
	for _, tp := range p.DeleteOffsets {
		set.Add(tp.Topic, tp.Partitions...)
	}
	resp, err := p.adm.DeleteOffsets(ctx, p.AppID, set)
	if err != nil {
		return fmt.Errorf("delete committed offsets of consumer group %q: %w", p.AppID, err)
	}
	for topic, parts := range resp {
		for part, err := range parts {
			if err != nil && !errors.Is(err, kerr.UnknownTopicOrPartition) {
				return fmt.Errorf("delete committed offsets of consumer group %q on %s/%d: %w", p.AppID, topic, part, err)
			}
		}
	}
	for _, tp := range p.DeleteOffsets {
		report(fmt.Sprintf("deleted committed offsets of consumer group %q on %s (%s)", p.AppID, tp.Topic, partitions(len(tp.Partitions))))
	}
	return nil
}

// deletePollInterval is how often deleteTopics checks that deleted topics
// are gone.
const deletePollInterval = 100 * time.Millisecond

func (p *Plan) deleteTopics(ctx context.Context, report func(string)) error {
	if len(p.DeleteTopics) == 0 {
		return nil
	}
	resp, err := p.adm.DeleteTopics(ctx, p.DeleteTopics...)
	if err != nil {
		return fmt.Errorf("delete internal topics: %w", err)
	}
	for _, t := range p.DeleteTopics {
		r, ok := resp[t]
		switch {
		case !ok:
			return fmt.Errorf("delete topic %s: the brokers did not answer for it; run the reset again", t)
		case r.Err != nil && !errors.Is(r.Err, kerr.UnknownTopicOrPartition):
			return fmt.Errorf("delete topic %s: %w", t, r.Err)
		}
		report("deleted topic " + t)
	}
	// Deletion completes in the background on Kafka; an instance started
	// before it ends could find a topic that is going away.
	waited := false
	for {
		details, err := p.adm.ListTopics(ctx, p.DeleteTopics...)
		if err != nil {
			return fmt.Errorf("check that the internal topics are deleted: %w", err)
		}
		var left []string
		for _, t := range p.DeleteTopics {
			if d, ok := details[t]; ok && d.Err == nil {
				left = append(left, t)
			}
		}
		if len(left) == 0 {
			return nil
		}
		if !waited {
			report(fmt.Sprintf("waiting for the brokers to finish deleting %s", strings.Join(left, ", ")))
			waited = true
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topics %s are still being deleted: %w; check again before starting the application", strings.Join(left, ", "), ctx.Err())
		case <-time.After(deletePollInterval):
		}
	}
}

func (p *Plan) deleteState(report func(string)) error {
	for _, name := range p.StateEntries {
		path := filepath.Join(p.StateDir, name)
		if err := os.RemoveAll(path); err != nil {
			return fmt.Errorf("delete local state: %w", err)
		}
		report("deleted local state " + path)
	}
	return nil
}

// describePartitions summarizes offset changes per topic, e.g.
// "lines (4 partitions), clicks (1 partition)".
func describePartitions(cs []OffsetChange) string {
	var parts []string
	for i := 0; i < len(cs); {
		j := i
		for j < len(cs) && cs[j].Topic == cs[i].Topic {
			j++
		}
		parts = append(parts, fmt.Sprintf("%s (%s)", cs[i].Topic, partitions(j-i)))
		i = j
	}
	return strings.Join(parts, ", ")
}

// partitions counts partitions in words: "1 partition", "3 partitions".
func partitions(n int) string {
	if n == 1 {
		return "1 partition"
	}
	return fmt.Sprintf("%d partitions", n)
}
