// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"errors"
	"slices"
	"strings"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
)

// nodeIndex knows the nodes of one sub-topology, to name the node an
// error comes from and tell its kind (describeError).
type nodeIndex struct {
	kinds   map[string]topology.Kind // node name → kind
	sources map[string]string        // input topic → source node
	sinks   map[string]string        // output topic → the sink writing it
	dynamic []string                 // sinks choosing their topic per record
	topicOf map[string]string        // sink → its topic, if it has one
}

// newNodeIndex indexes sub-topology sub (a task or a global one) of app.
func newNodeIndex(topo *topology.Topology, app string, sub int) *nodeIndex {
	ni := &nodeIndex{kinds: map[string]topology.Kind{}, sources: map[string]string{}, sinks: map[string]string{}, topicOf: map[string]string{}}
	if topo == nil {
		return ni
	}
	for _, st := range append(slices.Clip(topo.Subtopologies()), topo.GlobalSubtopologies()...) {
		if st.ID != sub {
			continue
		}
		for _, n := range st.Nodes {
			ni.kinds[n.Name] = n.Kind
			topics := n.Topics
			if n.Internal != nil {
				topics = []string{n.Internal.FullName(app)}
			}
			switch n.Kind {
			case topology.Source:
				for _, t := range topics {
					ni.sources[t] = n.Name
				}
			case topology.Sink:
				if n.DynamicTopic {
					ni.dynamic = append(ni.dynamic, n.Name)
				}
				for _, t := range topics {
					if _, ok := ni.sinks[t]; !ok {
						ni.sinks[t] = n.Name
					}
				}
				if len(topics) == 1 {
					ni.topicOf[n.Name] = topics[0]
				}
			}
		}
	}
	return ni
}

// nodesOf returns the node index of sub-topology sub of the application
// coll sends for (an empty index if unknown).
func nodesOf(coll engine.Collector, sub int) *nodeIndex {
	switch c := coll.(type) {
	case *collector:
		if c.errs != nil {
			return c.errs.nodes(sub)
		}
	case *globalCollector:
		a := c.g.a
		return newNodeIndex(a.topo, a.cfg.AppID, sub)
	}
	return newNodeIndex(nil, "", sub)
}

func (ni *nodeIndex) has(name string) bool {
	_, ok := ni.kinds[name]
	return ok && name != ""
}

func (ni *nodeIndex) isSource(name string) bool {
	k, ok := ni.kinds[name]
	return ok && k == topology.Source
}

func (ni *nodeIndex) isSink(name string) bool {
	k, ok := ni.kinds[name]
	return ok && k == topology.Sink
}

// innermost returns the last of the node names that prefix err's message,
// "A: B: cause" → B (operators prefix their errors with their name, and a
// user processor's error carries the name of the node downstream that
// failed), or "".
func (ni *nodeIndex) innermost(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	found := ""
	for {
		i := strings.Index(msg, ": ")
		if i <= 0 || !ni.has(msg[:i]) {
			return found
		}
		found, msg = msg[:i], msg[i+2:]
	}
}

// serializeFailed reports whether err is a sink's serialization error:
// "<sink>: serialize key|value for topic …".
func (ni *nodeIndex) serializeFailed(sink string, err error) bool {
	if !ni.isSink(sink) || err == nil {
		return false
	}
	msg := err.Error()
	i := strings.LastIndex(msg, sink+": ")
	return i >= 0 && strings.HasPrefix(msg[i+len(sink)+2:], "serialize ")
}

// sinkFor names the sink that wrote topic: named if it is a sink, else the
// sink with topic as its topic, else the only sink choosing topics per
// record.
func (ni *nodeIndex) sinkFor(topic, named string) string {
	if ni.isSink(named) {
		return named
	}
	if s, ok := ni.sinks[topic]; ok {
		return s
	}
	if len(ni.dynamic) == 1 {
		return ni.dynamic[0]
	}
	return named
}

// sinkTopic returns sink's topic, "" if it chooses one per record.
func (ni *nodeIndex) sinkTopic(sink string) string { return ni.topicOf[sink] }

// sourceFor names the source node reading topic.
func (ni *nodeIndex) sourceFor(topic string) string { return ni.sources[topic] }

// describeRecordError returns the kind of a record error Run stops with
// (0 for a fatal one) and the node that failed, by the rules of
// describeError, for the exported RecordError.
func (a *App) describeRecordError(e *engine.RecordError) (ErrorKind, string) {
	ni := newNodeIndex(a.topo, a.cfg.AppID, e.Task.Subtopology)
	ec := describeErrorIn(ni, engine.ErrorContext{Task: e.Task, Node: e.Node,
		Record: &engine.RawRecord{Topic: e.Topic, Partition: e.Partition, Offset: e.Offset, Key: e.Key}}, e.Err)
	var fe *engine.FatalError
	if errors.As(e.Err, &fe) {
		if e.Node != "" {
			return 0, e.Node
		}
		return 0, ec.Node
	}
	return ec.Kind, ec.Node
}
