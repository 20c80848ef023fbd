// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package stream

import (
	"errors"
	"fmt"
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
// Options: As names the processor node; WithStores connects state stores
// the processor opens by name. The processor's children, for
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
	var stores []string
	for _, name := range pc.stores {
		if !slices.Contains(stores, name) {
			stores = append(stores, name)
		}
	}
	windowSizes := map[string]int64{}
	n.Check = func() error {
		errs := []error{c.err, need(noSupplier, errors.New("nil processor supplier"))}
		// Connect the stores now that every store has its final name.
		for _, name := range stores {
			i := slices.IndexFunc(g.Stores, func(st *topology.Store) bool { return st.Name == name })
			switch {
			case name == "":
				errs = append(errs, errors.New("WithStores: empty store name"))
			case i < 0:
				errs = append(errs, fmt.Errorf("store %q does not exist: declare it with Builder.AddStore (stores: %v)", name, storeNamesOf(g)))
			case g.Stores[i].Global:
				// Readable without connecting it; connecting it would tie
				// the processor to no sub-topology, so it is left alone.
			case g.Stores[i].Spec.Kind == engine.SessionKind:
				errs = append(errs, fmt.Errorf("store %q is a session store; processors can use key-value and window stores only", name))
			case !slices.Contains(n.Stores, g.Stores[i]):
				n.Stores = append(n.Stores, g.Stores[i])
				if g.Stores[i].Spec.Kind == engine.WindowKind {
					windowSizes[name] = g.Stores[i].WindowSize
				}
			}
		}
		return errors.Join(errs...)
	}
	var mu sync.Mutex
	var last any
	n.New = func(*engine.Task) (any, error) {
		p, ident := newProc()
		if p == nil {
			return nil, errors.New("processor supplier returned nil")
		}
		mu.Lock()
		same := last != nil && reflect.TypeOf(ident).Comparable() && reflect.TypeOf(last) == reflect.TypeOf(ident) && ident == last
		last = ident
		mu.Unlock()
		if same {
			return nil, errors.New("processor supplier returned the same instance twice; it must return a new instance per task")
		}
		children := make([]string, len(n.Children))
		for i, ch := range n.Children {
			children[i] = ch.Name
		}
		return &ops.Process[K, V, K2, V2]{Node: n.Name, Proc: p, Children: children, Stores: stores, WindowSizes: windowSizes}, nil
	}
	g.AddNode(n, s.node)
	link[K, V](s.node, n)
	return n
}

func storeNamesOf(g *topology.Graph) []string {
	out := make([]string, 0, len(g.Stores))
	for _, s := range g.Stores {
		out = append(out, s.Name)
	}
	return out
}
