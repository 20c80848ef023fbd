// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"reflect"
	"slices"
	"sync"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/ops"
	"github.com/eddy-streams/eddy/internal/topology"
	"github.com/eddy-streams/eddy/processor"
)

// Process runs a Processor API processor on every record (Kafka Streams'
// KStream.process). supplier is called once per task and must return a
// new instance each time. The processor may change the key, so a later
// grouping or join repartitions the returned stream.
//
// Options: As names the processor node; store handles (KeyValueStore,
// WindowStore, SessionStore, Table.Store) connect their stores to the
// processor, which opens them with the handles' Open methods. The processor's children, for
// Context.ForwardTo, are the operators added on the returned stream, named
// with As (see package processor).
func (s Stream[K, V]) Process[K2, V2 any](supplier func() processor.Processor[K, V, K2, V2], opts ...ProcessOption) Stream[K2, V2] {
	newProc := func() (processor.Processor[K, V, K2, V2], any) {
		p := supplier()
		return p, p
	}
	n := addProcess(s, "PROCESSOR", supplier == nil, newProc, opts)
	return derive(s, n, orDefault(carry[K, K2](s.ks)), orDefault(carry[V, V2](s.vs)), true)
}

// ProcessValues runs a FixedKeyProcessor on every record (Kafka Streams'
// KStream.processValues): the key cannot change, so the stream keeps its
// partitioning. supplier is called once per task and must return a new
// instance each time. Options as for Process.
func (s Stream[K, V]) ProcessValues[V2 any](supplier func() processor.FixedKeyProcessor[K, V, V2], opts ...ProcessOption) Stream[K, V2] {
	newProc := func() (processor.Processor[K, V, K, V2], any) {
		p := supplier()
		if p == nil {
			return nil, nil
		}
		return processor.FixedKey(p), p
	}
	n := addProcess(s, "PROCESSVALUES", supplier == nil, newProc, opts)
	return derive(s, n, s.ks, orDefault(carry[V, V2](s.vs)), s.keyChanged)
}

func addProcess[K, V, K2, V2 any](s Stream[K, V], op string, noSupplier bool, newProc func() (processor.Processor[K, V, K2, V2], any), opts []ProcessOption) *topology.Node {
	pc := resolveProcess(opts)
	c := resolve(pc.opts)
	g := &s.b.g
	n := &topology.Node{Kind: topology.Processor, Op: op, UserName: c.name}
	access := connectStores(s.b, n, pc.stores)
	n.Check = func() error {
		return errors.Join(c.err, need(noSupplier, errors.New("nil processor supplier")), access.check())
	}
	fresh := newInstanceCheck()
	n.New = func(*engine.Task) (any, error) {
		p, ident := newProc()
		if p == nil {
			return nil, errors.New("processor supplier returned nil")
		}
		if err := fresh(ident); err != nil {
			return nil, err
		}
		children := make([]string, len(n.Children))
		for i, ch := range n.Children {
			children[i] = ch.Name
		}
		return &ops.Process[K, V, K2, V2]{Node: n.Name, Proc: p, Children: children, Access: access.access}, nil
	}
	g.AddNode(n, s.node)
	link[K, V](s.node, n)
	return n
}

// newInstanceCheck returns a function that reports a supplier returning
// the instance it returned last time.
func newInstanceCheck() func(ident any) error {
	var mu sync.Mutex
	var last any
	return func(ident any) error {
		mu.Lock()
		defer mu.Unlock()
		same := last != nil && reflect.TypeOf(ident).Comparable() && reflect.TypeOf(last) == reflect.TypeOf(ident) && ident == last
		last = ident
		if same {
			return errors.New("supplier returned the same instance twice; it must return a new instance per task")
		}
		return nil
	}
}

// storeConnections are the stores connected to a user processor node.
type storeConnections struct {
	n      *topology.Node
	g      *topology.Graph
	stores []*topology.Store
	errs   []error
	// access is filled in by check, once every store has its final name.
	access ops.StoreAccess
}

// connectStores binds store handles to node n of b (declaring the stores
// of new handles in b); its check connects them to n and reports bad
// handles.
func connectStores(b *Builder, n *topology.Node, refs []*storeRef) *storeConnections {
	sc := &storeConnections{n: n, g: &b.g}
	for _, r := range refs {
		st, err := r.bind(b)
		switch {
		case err != nil:
			sc.errs = append(sc.errs, err)
		case st != nil && !slices.Contains(sc.stores, st):
			sc.stores = append(sc.stores, st)
		}
	}
	return sc
}

func (sc *storeConnections) check() error {
	sc.access = ops.StoreAccess{WindowSizes: map[string]int64{}}
	for _, st := range sc.stores {
		if st.Global {
			// Readable without connecting it; connecting it would tie the
			// processor to no sub-topology, so it is left alone.
			continue
		}
		if !slices.Contains(sc.n.Stores, st) {
			sc.n.Stores = append(sc.n.Stores, st)
		}
		sc.access.Stores = append(sc.access.Stores, st.Name)
		if st.Spec.Kind == engine.WindowKind {
			sc.access.WindowSizes[st.Name] = st.WindowSize
		}
	}
	return errors.Join(sc.errs...)
}
