// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"fmt"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
)

// Branched splits a stream by predicates (Kafka Streams' BranchedKStream).
// Each record goes to the first branch whose predicate matches; records
// that match none go to the default branch, or are dropped without one.
type Branched[K, V any] struct {
	s        Stream[K, V]
	node     *topology.Node
	prefix   string
	preds    []func(K, V) bool
	branches map[string]Stream[K, V]
	closed   bool
}

// Split starts splitting s. With As(name), branch names are prefixed with
// name, as in Kafka Streams.
func (s Stream[K, V]) Split(opts ...Option) *Branched[K, V] {
	br := &Branched[K, V]{s: s, prefix: resolve(opts).name, branches: map[string]Stream[K, V]{}}
	br.node = addProcessor(s, "BRANCH", opts, func(*topology.Node) any {
		return &ops.Split[K, V]{Predicates: func() []func(K, V) bool { return br.preds }}
	})
	return br
}

// Branch adds a branch named name taking records that match pred and no
// earlier predicate.
func (br *Branched[K, V]) Branch(name string, pred func(key K, value V) bool) *Branched[K, V] {
	br.add(name, pred)
	return br
}

// DefaultBranch adds a branch for records no predicate matched and returns
// the branches by name (prefix + name).
func (br *Branched[K, V]) DefaultBranch(name string) map[string]Stream[K, V] {
	br.add(name, func(K, V) bool { return true })
	return br.Branches()
}

// Branches returns the branches by name (prefix + name); records that match
// no predicate are dropped.
func (br *Branched[K, V]) Branches() map[string]Stream[K, V] {
	br.closed = true
	return br.branches
}

func (br *Branched[K, V]) add(name string, pred func(K, V) bool) {
	g := &br.s.b.g
	full := br.prefix + name
	switch {
	case br.closed:
		g.Errs = append(g.Errs, fmt.Errorf("Split: branch %q added after the branches were returned", full))
		return
	case name == "":
		g.Errs = append(g.Errs, fmt.Errorf("Split: branch %d has an empty name", len(br.preds)))
		return
	}
	if _, dup := br.branches[full]; dup {
		g.Errs = append(g.Errs, fmt.Errorf("Split: duplicate branch name %q", full))
		return
	}
	n := &topology.Node{Kind: topology.Processor, Op: "BRANCH-" + name}
	if br.prefix != "" {
		n.UserName = full
	}
	n.New = func(*engine.Task) (any, error) { return &ops.Pass[K, V]{}, nil }
	g.AddNode(n, br.node)
	link[K, V](br.node, n)
	br.preds = append(br.preds, pred)
	br.branches[full] = derive(br.s, n, br.s.ks, br.s.vs, br.s.keyChanged)
}
