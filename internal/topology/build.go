// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package topology

import (
	"cmp"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"sort"
	"strings"

	"github.com/eddy-streams/eddy/internal/engine"
)

// Topology is a built, validated topology split into sub-topologies.
type Topology struct {
	subs    []*Subtopology
	globals []*Subtopology
	stores  []*Store
	topics  []*InternalTopic
	byName  map[string]*Store
}

// Subtopology is a connected part of the topology; one task runs it per
// input partition.
type Subtopology struct {
	ID     int
	Nodes  []*Node
	Stores []*Store
	// Sources are the topics the sub-topology reads: user topics as named,
	// internal topics by base name (without the application id).
	Sources []string
	// SourceInternal marks which Sources are internal topics.
	SourceInternal map[string]*InternalTopic
	// Global marks the sub-topology of a global store: it creates no
	// tasks; its source topic is read whole by every instance.
	Global bool
}

// Build names every node, store and internal topic, validates the graph and
// splits it into sub-topologies. Errors name the offending operator.
func Build(g *Graph) (*Topology, error) {
	errs := slices.Clone(g.Errs)
	if len(g.Nodes) == 0 {
		errs = append(errs, errors.New("topology has no nodes: add a source with Builder.Stream or Builder.Table"))
	}
	assignNames(g)
	errs = append(errs, checkNames(g)...)
	if g.RequireNames {
		errs = append(errs, checkExplicit(g)...)
	}
	for _, n := range g.Nodes {
		if n.Check != nil {
			if err := n.Check(); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", n.Name, err))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	t := &Topology{stores: g.Stores, topics: g.Topics, byName: make(map[string]*Store)}
	for _, s := range g.Stores {
		t.byName[s.Name] = s
	}
	t.split(g)
	return t, nil
}

// assignNames computes lineages and from them the generated names. A
// lineage depends only on the node's own operator, its position among
// same-operator siblings and its parents' lineages, so adding an operator
// elsewhere never renames existing nodes, stores or topics.
func assignNames(g *Graph) {
	for _, n := range g.Nodes {
		switch {
		case n.UserName != "":
			n.lineage = "@" + n.UserName
		default:
			parents := n.Parents
			if n.LogicalParent != nil {
				parents = []*Node{n.LogicalParent}
			}
			var b strings.Builder
			if len(parents) == 0 {
				b.WriteString(strings.Join(n.Topics, ","))
			} else {
				ls := make([]string, len(parents))
				for i, p := range parents {
					ls[i] = p.lineage
				}
				sort.Strings(ls)
				b.WriteString(strings.Join(ls, "+"))
				// Position among earlier siblings with the same operator.
				idx := 0
				for _, sib := range parents[0].Children {
					if sib == n {
						break
					}
					if sib.Op == n.Op {
						idx++
					}
				}
				if parents[0].Kind == Sink && n.LogicalParent != nil {
					idx = 0
				}
				fmt.Fprintf(&b, "#%d", idx)
			}
			b.WriteString("/" + n.Op)
			n.lineage = b.String()
		}
	}
	for _, s := range g.Stores {
		s.Name = s.UserName
		if s.Name == "" {
			s.Name = "KSTREAM-" + s.Op + "-STATE-STORE-" + hash8(s.Owner.lineage)
			if strings.HasPrefix(s.Op, "COGROUPKSTREAM-") {
				s.Name = s.Op + "-STATE-STORE-" + hash8(s.Owner.lineage)
			}
		}
		s.Spec.Name = s.Name
	}
	for _, it := range g.Topics {
		base := it.UserName
		switch {
		case base != "":
		case it.NameFrom != nil:
			base = it.NameFrom.Name
		default:
			base = cmp.Or(it.Prefix, "KSTREAM-REPARTITION") + "-" + hash8(it.sink.lineage)
		}
		it.Name = base + cmp.Or(it.Suffix, "-repartition")
	}
	for _, n := range g.Nodes {
		switch {
		case n.UserName != "":
			n.Name = n.UserName
		case n.Internal != nil && n.Kind == Sink:
			n.Name = n.Internal.Name + "-sink"
		case n.Internal != nil && n.Kind == Source:
			n.Name = n.Internal.Name + "-source"
		case strings.HasPrefix(n.Op, "KTABLE-"), strings.HasPrefix(n.Op, "COGROUPKSTREAM-"):
			n.Name = n.Op + "-" + hash8(n.lineage)
		default:
			n.Name = "KSTREAM-" + n.Op + "-" + hash8(n.lineage)
		}
	}
}

// checkExplicit reports every state store and internal topic whose name
// was generated. Such names follow the topology's shape, so a later change
// to it can rename them, and a renamed store or topic starts empty. Each
// error names the operator (its DSL method and processor), the resource and
// what to pass to name it.
func checkExplicit(g *Graph) []error {
	var errs []error
	for _, s := range g.Stores {
		if s.UserName != "" {
			continue
		}
		what := "state store"
		switch {
		case s.Global:
			what = "global table's state store"
		case s.Spec.Logged:
			what = fmt.Sprintf("state store (and its changelog topic %s-changelog)", s.Name)
		}
		hint := s.Naming.Hint
		if hint == "" {
			hint = "name it with table.As"
		}
		errs = append(errs, fmt.Errorf("%s: the %s would get the generated name %q: %s",
			operator(s.Owner, s.Naming), what, s.Name, hint))
	}
	for _, it := range g.Topics {
		if it.UserName != "" || it.NameFrom != nil && it.NameFrom.UserName != "" {
			continue
		}
		what := "repartition topic"
		if it.Suffix != "" && it.Suffix != "-repartition" {
			what = "internal topic"
		}
		hint := it.Naming.Hint
		if hint == "" {
			hint = "name its operator with stream.As"
		}
		errs = append(errs, fmt.Errorf("%s: the %s would get the generated name %q: %s",
			operator(it.sink, it.Naming), what, it.Name, hint))
	}
	return errs
}

// operator names a resource's operator in errors: its DSL method, if known,
// and its processor.
func operator(n *Node, nm Naming) string {
	name := "unknown processor"
	if n != nil {
		name = n.Name
	}
	if nm.Method == "" {
		return name
	}
	return fmt.Sprintf("%s (processor %s)", nm.Method, name)
}

func hash8(s string) string {
	h := fnv.New32a()
	h.Write([]byte(s))
	return fmt.Sprintf("%08x", h.Sum32())
}

func checkNames(g *Graph) []error {
	var errs []error
	seen := map[string]*Node{}
	for _, n := range g.Nodes {
		if strings.TrimSpace(n.Name) == "" {
			errs = append(errs, fmt.Errorf("%s operator: empty name", strings.ToLower(n.Op)))
			continue
		}
		if prev, ok := seen[n.Name]; ok {
			errs = append(errs, fmt.Errorf("duplicate processor name %q (%s and %s operators): give one of them another name",
				n.Name, strings.ToLower(prev.Op), strings.ToLower(n.Op)))
		}
		seen[n.Name] = n
	}
	stores := map[string]*Store{}
	for _, s := range g.Stores {
		if err := checkTopicChars(s.Name); err != nil {
			errs = append(errs, fmt.Errorf("store %q: %w", s.Name, err))
		}
		if _, ok := stores[s.Name]; ok {
			errs = append(errs, fmt.Errorf("duplicate store name %q (used by %s and %s): give one of them another name",
				s.Name, stores[s.Name].Owner.Name, s.Owner.Name))
		}
		stores[s.Name] = s
	}
	topics := map[string]bool{}
	for _, it := range g.Topics {
		if err := checkTopicChars(it.Name); err != nil {
			errs = append(errs, fmt.Errorf("repartition topic %q: %w", it.Name, err))
		}
		if topics[it.Name] {
			errs = append(errs, fmt.Errorf("duplicate repartition topic %q: name the grouping or repartition operators differently", it.Name))
		}
		topics[it.Name] = true
	}
	readers := map[string]*Node{}
	for _, n := range g.Nodes {
		if n.Kind != Source {
			continue
		}
		for _, topic := range n.Topics {
			if prev, ok := readers[topic]; ok {
				errs = append(errs, fmt.Errorf("topic %q is read by two sources (%s and %s): read it once and reuse the stream", topic, prev.Name, n.Name))
			}
			readers[topic] = n
		}
	}
	return errs
}

// checkTopicChars applies Kafka's topic name rules to names that become
// (part of) topic names.
func checkTopicChars(name string) error {
	if len(name) > 200 {
		return fmt.Errorf("name is %d characters long; keep it under 200 so derived topic names stay within Kafka's 249", len(name))
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-') {
			return fmt.Errorf("character %q is not allowed in Kafka topic names (use a-z A-Z 0-9 . _ -)", r)
		}
	}
	return nil
}

// split assigns nodes to sub-topologies: connected components of the graph
// where nodes sharing a store are connected too. Repartition topics are
// not edges, so they separate sub-topologies. Components are numbered by
// their earliest node.
func (t *Topology) split(g *Graph) {
	parent := make([]int, len(g.Nodes))
	for i := range parent {
		parent[i] = i
	}
	var find func(int) int
	find = func(i int) int {
		for parent[i] != i {
			parent[i] = parent[parent[i]]
			i = parent[i]
		}
		return i
	}
	union := func(a, b int) {
		ra, rb := find(a), find(b)
		if ra < rb {
			parent[rb] = ra
		} else if rb < ra {
			parent[ra] = rb
		}
	}
	for _, n := range g.Nodes {
		for _, p := range n.Parents {
			union(n.ID, p.ID)
		}
	}
	users := map[*Store][]int{}
	for _, n := range g.Nodes {
		for _, s := range n.Stores {
			users[s] = append(users[s], n.ID)
		}
	}
	for _, ids := range users {
		for _, id := range ids[1:] {
			union(ids[0], id)
		}
	}
	// Task sub-topologies are numbered first, so adding a global table
	// never renumbers tasks (and their state directories); the global
	// stores' sub-topologies follow.
	subOf := map[int]*Subtopology{}
	for _, global := range []bool{false, true} {
		for _, n := range g.Nodes {
			if n.Global != global {
				continue
			}
			root := find(n.ID)
			st, ok := subOf[root]
			if !ok {
				st = &Subtopology{ID: len(t.subs) + len(t.globals), SourceInternal: map[string]*InternalTopic{}, Global: global}
				subOf[root] = st
				if global {
					t.globals = append(t.globals, st)
				} else {
					t.subs = append(t.subs, st)
				}
			}
			n.sub = st.ID
			st.Nodes = append(st.Nodes, n)
			if n.Kind == Source {
				if n.Internal != nil {
					st.Sources = append(st.Sources, n.Internal.Name)
					st.SourceInternal[n.Internal.Name] = n.Internal
				} else {
					st.Sources = append(st.Sources, n.Topics...)
				}
			}
			for _, s := range n.Stores {
				if !slices.Contains(st.Stores, s) {
					st.Stores = append(st.Stores, s)
				}
			}
		}
	}
}

// Subtopologies returns the sub-topologies that create tasks, in id order
// (ids 0 to len-1).
func (t *Topology) Subtopologies() []*Subtopology { return t.subs }

// GlobalSubtopologies returns the sub-topologies of the global stores, one
// per global table, in id order (after the task sub-topologies). Each has
// one source topic and one key-value store.
func (t *Topology) GlobalSubtopologies() []*Subtopology { return t.globals }

// subtopology returns the task or global sub-topology with id sub.
func (t *Topology) subtopology(sub int) *Subtopology {
	if sub < len(t.subs) {
		return t.subs[sub]
	}
	return t.globals[sub-len(t.subs)]
}

// Stores returns every store.
func (t *Topology) Stores() []*Store { return t.stores }

// Store returns the store called name.
func (t *Topology) Store(name string) (*Store, bool) {
	s, ok := t.byName[name]
	return s, ok
}

// InternalTopics returns the repartition topics.
func (t *Topology) InternalTopics() []*InternalTopic { return t.topics }

// Spec returns the engine spec of sub-topology sub (a task or a global
// sub-topology) for application app.
func (t *Topology) Spec(sub int, app string) *engine.Spec {
	st := t.subtopology(sub)
	spec := &engine.Spec{}
	for _, s := range st.Stores {
		spec.Stores = append(spec.Stores, s.Spec)
	}
	for _, n := range st.Nodes {
		ns := engine.NodeSpec{ID: n.ID, Name: n.Name, New: n.New, Links: n.Links}
		if n.Kind == Source {
			if n.Internal != nil {
				ns.Topics = []string{n.Internal.FullName(app)}
			} else {
				ns.Topics = n.Topics
			}
		}
		spec.Nodes = append(spec.Nodes, ns)
	}
	return spec
}

// SourceTopics returns sub-topology sub's input topics with internal topics
// given their full names in application app.
func (t *Topology) SourceTopics(sub int, app string) []string {
	st := t.subtopology(sub)
	out := make([]string, 0, len(st.Sources))
	for _, s := range st.Sources {
		if it, ok := st.SourceInternal[s]; ok {
			out = append(out, it.FullName(app))
		} else {
			out = append(out, s)
		}
	}
	return out
}

// Partitions resolves the partition count of every source topic of every
// sub-topology (full names in application app). userPartitions reports the
// count of a user topic. Repartition topics take their requested count or
// the largest count among the sources of the sub-topology that writes them.
//
// A sub-topology with a join reads co-partitioned topics: its user topics
// and repartition topics with a requested count must all have the same
// number of partitions (else the error names two topics and their counts),
// and its other repartition topics take that number, as in Kafka Streams'
// CopartitionedTopicsEnforcer.
func (t *Topology) Partitions(app string, userPartitions func(topic string) (int32, error)) (map[string]int32, error) {
	out := map[string]int32{}
	writer := map[*InternalTopic]int{}
	for _, it := range t.topics {
		writer[it] = it.sink.sub
	}
	done := map[int]int32{}
	var resolve func(sub int, depth int) (int32, error)
	resolve = func(sub int, depth int) (int32, error) {
		if n, ok := done[sub]; ok {
			return n, nil
		}
		if depth > len(t.subs) {
			return 0, fmt.Errorf("repartition topics of sub-topology %d form a cycle", sub)
		}
		st := t.subs[sub]
		names := make([]string, len(st.Sources))
		counts := make([]int32, len(st.Sources))
		fixed := make([]bool, len(st.Sources))
		anyFixed := false
		for i, src := range st.Sources {
			if it, ok := st.SourceInternal[src]; ok {
				names[i] = it.FullName(app)
				if it.Partitions > 0 {
					counts[i], fixed[i] = it.Partitions, true
				}
			} else {
				p, err := userPartitions(src)
				if err != nil {
					return 0, fmt.Errorf("source topic %q: %w", src, err)
				}
				names[i], counts[i], fixed[i] = src, p, true
			}
			anyFixed = anyFixed || fixed[i]
		}
		joins := st.joins()
		for i, src := range st.Sources {
			if fixed[i] || joins && anyFixed {
				// A join's other inputs take the fixed count (copartition
				// below), whatever their writers read: so a foreign-key
				// join's subscription and response topics, which its two
				// sub-topologies write for each other, form no cycle.
				continue
			}
			p, err := resolve(writer[st.SourceInternal[src]], depth+1)
			if err != nil {
				return 0, err
			}
			counts[i] = p
		}
		if joins {
			if err := copartition(st.ID, names, counts, fixed); err != nil {
				return 0, err
			}
		}
		var n int32
		for i := range names {
			out[names[i]] = counts[i]
			n = max(n, counts[i])
		}
		done[sub] = n
		return n, nil
	}
	for _, st := range t.subs {
		if _, err := resolve(st.ID, 0); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// joins reports whether the sub-topology contains a join or a cogrouped
// aggregation, which need co-partitioned inputs. The DSL gives every join
// processor an operator name containing "JOIN" (JOINTHIS, LEFTJOIN,
// KTABLE-OUTERJOINOTHER, …) and every cogroup processor one starting with
// "COGROUPKSTREAM-"; joins with a global table (which read global stores)
// need no co-partitioning.
func (st *Subtopology) joins() bool {
	for _, n := range st.Nodes {
		if n.Kind == Processor && strings.Contains(n.Op, "JOIN") && len(n.GlobalStores) == 0 {
			return true
		}
		if n.Kind == Processor && strings.HasPrefix(n.Op, "COGROUPKSTREAM-") {
			return true
		}
	}
	return false
}

// copartition checks that the fixed counts agree and gives the other
// (repartition) topics the same count, or the largest of theirs when every
// topic is a repartition topic without a requested count.
func copartition(sub int, names []string, counts []int32, fixed []bool) error {
	first := -1
	for i := range names {
		if !fixed[i] {
			continue
		}
		if first < 0 {
			first = i
			continue
		}
		if counts[i] != counts[first] {
			return fmt.Errorf("sub-topology %d joins topics that are not co-partitioned: %q has %d partitions but %q has %d; "+
				"the inputs of a join or cogroup need the same partition count (create them alike, or repartition one side with Repartition and stream.Partitions)",
				sub, names[first], counts[first], names[i], counts[i])
		}
	}
	var target int32
	if first >= 0 {
		target = counts[first]
	} else {
		for _, c := range counts {
			target = max(target, c)
		}
	}
	for i := range counts {
		if !fixed[i] {
			counts[i] = target
		}
	}
	return nil
}
