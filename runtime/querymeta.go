// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/eddy-streams/eddy/internal/balancer"
	"github.com/eddy-streams/eddy/internal/engine"
)

// InstanceMetadata is what the group tells of one instance of the
// application (Kafka Streams' StreamsMetadata): where it answers queries
// and which tasks it runs.
type InstanceMetadata struct {
	// Endpoint is the instance's Config.Endpoint ("" if it set none).
	Endpoint string `json:"endpoint"`
	// Instance is its Config.InstanceID.
	Instance string `json:"instance"`
	// Active and Standby list its tasks ("0_3"), sorted, over all its
	// workers.
	Active  []string `json:"active"`
	Standby []string `json:"standby"`
}

// KeyQueryMetadata says where a key of a store lives (Kafka Streams'
// KeyQueryMetadata).
type KeyQueryMetadata struct {
	// Partition and Task hold the key.
	Partition int32  `json:"partition"`
	Task      string `json:"task"`
	// Active is the endpoint of the instance running the task, "" when no
	// instance runs it (a rebalance is assigning it) or that instance set
	// no endpoint; Local is set when it is this instance.
	Active string `json:"active"`
	Local  bool   `json:"local"`
	// Standbys are the endpoints of instances keeping a standby copy.
	Standbys []string `json:"standbys,omitempty"`
}

// metaTTL is how long a description of the group serves queries; a
// rebalance on this instance forgets it at once.
const metaTTL = time.Second

// groupMeta caches the group's description.
type groupMeta struct {
	mu   sync.Mutex
	snap *groupSnapshot // immutable once built
}

// groupSnapshot is one description of the group.
type groupSnapshot struct {
	at     time.Time
	insts  []InstanceMetadata
	owner  map[engine.TaskID]int   // task → index in insts of the active owner
	spares map[engine.TaskID][]int // task → indexes of standby holders
}

// forgetMeta drops the cached group description (after a rebalance).
func (a *App) forgetMeta() {
	a.meta.mu.Lock()
	a.meta.snap = nil
	a.meta.mu.Unlock()
}

// QueryMetadata describes every instance of the application that is in
// the group now, as its members told the group (their endpoints, tasks and
// standbys). The answer is at most a second old, and fresh after a
// rebalance of this instance.
func (a *App) QueryMetadata(ctx context.Context) ([]InstanceMetadata, error) {
	m, err := a.groupMeta(ctx)
	if err != nil {
		return nil, err
	}
	return slices.Clone(m.insts), nil
}

// QueryMetadataForKey tells which instance runs the task holding key (its
// serialized form) in store, and which keep standby copies.
func (a *App) QueryMetadataForKey(ctx context.Context, store string, key []byte) (KeyQueryMetadata, error) {
	p, err := a.PartitionForKey(store, key)
	if err != nil {
		return KeyQueryMetadata{}, err
	}
	if info, _ := a.Store(store); info.Global {
		// Every instance holds a global store whole.
		return KeyQueryMetadata{Partition: 0, Task: "global", Active: a.cfg.Endpoint, Local: true}, nil
	}
	sub, _ := a.storeSub(store)
	id := engine.TaskID{Subtopology: sub, Partition: p}
	md := KeyQueryMetadata{Partition: p, Task: id.String()}
	m, err := a.groupMeta(ctx)
	if err != nil {
		return md, err
	}
	if i, ok := m.owner[id]; ok {
		md.Active = m.insts[i].Endpoint
		md.Local = m.insts[i].Instance == a.cfg.InstanceID
	}
	for _, i := range m.spares[id] {
		if e := m.insts[i].Endpoint; e != "" {
			md.Standbys = append(md.Standbys, e)
		}
	}
	return md, nil
}

// groupMeta returns the cached group description, describing the group
// again when it is older than metaTTL.
func (a *App) groupMeta(ctx context.Context) (*groupSnapshot, error) {
	a.meta.mu.Lock()
	defer a.meta.mu.Unlock()
	if s := a.meta.snap; s != nil && time.Since(s.at) < metaTTL {
		return s, nil
	}
	a.mu.Lock()
	plan := a.plan
	a.mu.Unlock()
	if plan == nil {
		return nil, fmt.Errorf("query metadata: %w: the application has not started", ErrNotRunning)
	}
	groups, err := a.adm.DescribeGroups(ctx, a.cfg.AppID)
	if err != nil {
		return nil, fmt.Errorf("query metadata: describe group %q: %w", a.cfg.AppID, err)
	}
	g, ok := groups[a.cfg.AppID]
	if !ok || g.Err != nil {
		return nil, fmt.Errorf("query metadata: describe group %q: %v", a.cfg.AppID, g.Err)
	}
	byInst := map[string]*InstanceMetadata{}
	var order []string
	owner := map[engine.TaskID]string{}
	spares := map[engine.TaskID][]string{}
	for _, mem := range g.Members {
		inst, endpoint := mem.MemberID, ""
		if md, ok := mem.Join.AsConsumer(); ok {
			if d, err := balancer.ParseMemberData(md.UserData); err == nil && d.Info.Instance != "" {
				inst, endpoint = d.Info.Instance, d.Info.Endpoint
			}
		}
		im := byInst[inst]
		if im == nil {
			im = &InstanceMetadata{Instance: inst, Endpoint: endpoint}
			byInst[inst] = im
			order = append(order, inst)
		}
		as, ok := mem.Assigned.AsConsumer()
		if !ok {
			continue
		}
		seen := map[engine.TaskID]bool{}
		for _, t := range as.Topics {
			sub, ok := plan.subOf[t.Topic]
			if !ok {
				continue
			}
			for _, p := range t.Partitions {
				id := engine.TaskID{Subtopology: sub, Partition: p}
				if !seen[id] {
					seen[id] = true
					owner[id] = inst
					im.Active = append(im.Active, id.String())
				}
			}
		}
		if sbs, err := balancer.ParseAssignmentData(as.UserData); err == nil {
			for _, t := range sbs {
				id := engine.TaskID(t)
				spares[id] = append(spares[id], inst)
				im.Standby = append(im.Standby, id.String())
			}
		}
	}
	slices.Sort(order)
	snap := &groupSnapshot{at: time.Now(), owner: map[engine.TaskID]int{}, spares: map[engine.TaskID][]int{}}
	index := map[string]int{}
	for i, inst := range order {
		im := byInst[inst]
		slices.Sort(im.Active)
		slices.Sort(im.Standby)
		snap.insts = append(snap.insts, *im)
		index[inst] = i
	}
	for id, inst := range owner {
		snap.owner[id] = index[inst]
	}
	for id, insts := range spares {
		for _, inst := range insts {
			snap.spares[id] = append(snap.spares[id], index[inst])
		}
	}
	a.meta.snap = snap
	return snap, nil
}
