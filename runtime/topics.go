// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/topology"
)

// changelogExtraRetention is Kafka Streams'
// windowstore.changelog.additional.retention.ms: how much longer than the
// store a window changelog keeps records.
const changelogExtraRetention = 24 * 60 * 60 * 1000

// topicPlan is the resolved topic layout of an application.
type topicPlan struct {
	partitions   map[string]int32 // every source topic (full name) → partitions
	subOf        map[string]int   // source topic → sub-topology
	tasks        map[int]int32    // sub-topology → number of tasks
	sources      []string         // every source topic, for the consumer
	groups       [][]string       // per sub-topology, its source topics (co-partitioned)
	stateful     []int            // sub-topologies with changelogged stores
	changelogSub map[string]int   // changelog topic → sub-topology
	internal     []string         // repartition topics (full names), purged after commits
}

// repartitionSegmentBytes is the segment size of repartition topics (Kafka
// Streams' 50 MB): purging deletes whole segments only.
const repartitionSegmentBytes = "52428800"

// setupTopics checks that user source topics exist, derives partition counts
// and creates (or validates) repartition and changelog topics.
func setupTopics(ctx context.Context, cl *kgo.Client, adm *kadm.Client, topo *topology.Topology, app string) (*topicPlan, error) {
	var users []string
	for _, st := range topo.Subtopologies() {
		for _, s := range st.Sources {
			if _, internal := st.SourceInternal[s]; !internal {
				users = append(users, s)
			}
		}
	}
	details, err := listTopics(ctx, adm, users)
	if err != nil {
		return nil, err
	}
	parts, err := topo.Partitions(app, func(topic string) (int32, error) {
		d, ok := details[topic]
		if !ok || errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			return 0, fmt.Errorf("source topic %q does not exist: create it before starting application %q, e.g. with runtime.CreateTopics (Eddy creates only its internal topics)", topic, app)
		}
		if d.Err != nil {
			return 0, fmt.Errorf("source topic %q: %w", topic, d.Err)
		}
		return int32(len(d.Partitions)), nil
	})
	if err != nil {
		return nil, err
	}
	if err := checkSinkTopics(ctx, adm, topo, app); err != nil {
		return nil, err
	}
	plan := &topicPlan{partitions: parts, subOf: map[string]int{}, tasks: map[int]int32{}, changelogSub: map[string]int{}}
	for _, st := range topo.Subtopologies() {
		plan.groups = append(plan.groups, topo.SourceTopics(st.ID, app))
		for _, topic := range topo.SourceTopics(st.ID, app) {
			plan.subOf[topic] = st.ID
			plan.sources = append(plan.sources, topic)
			plan.tasks[st.ID] = max(plan.tasks[st.ID], parts[topic])
		}
	}
	want := map[string]topicSpec{}
	for _, it := range topo.InternalTopics() {
		full := it.FullName(app)
		// As Kafka Streams' repartition topics: kept until purged
		// (repartitionPurger), never by time — the records carry their
		// event timestamps, and under a time retention the broker deletes
		// a backfill's records (timestamps older than retention.ms) before
		// they are read.
		want[full] = topicSpec{partitions: parts[full], configs: map[string]string{
			"cleanup.policy": "delete", "message.timestamp.type": "CreateTime",
			"retention.ms": "-1", "segment.bytes": repartitionSegmentBytes,
		}}
		plan.internal = append(plan.internal, full)
	}
	for _, st := range topo.Subtopologies() {
		for _, s := range st.Stores {
			if !s.Spec.Logged {
				continue
			}
			cfg := map[string]string{"cleanup.policy": "compact", "message.timestamp.type": "CreateTime"}
			switch s.Spec.Kind {
			case engine.WindowKind:
				cfg["cleanup.policy"] = "compact,delete"
				cfg["retention.ms"] = strconv.FormatInt(s.Spec.Window.Retention+changelogExtraRetention, 10)
			case engine.SessionKind:
				cfg["cleanup.policy"] = "compact,delete"
				cfg["retention.ms"] = strconv.FormatInt(s.Spec.Session.Retention+changelogExtraRetention, 10)
			case engine.VersionedKind:
				// Compaction must keep the versions within the history
				// retention, as Kafka Streams configures it.
				cfg["min.compaction.lag.ms"] = strconv.FormatInt(s.Spec.Versioned.HistoryRetention+changelogExtraRetention, 10)
			}
			want[engine.ChangelogTopic(app, s.Name)] = topicSpec{partitions: plan.tasks[st.ID], configs: cfg}
			plan.changelogSub[engine.ChangelogTopic(app, s.Name)] = st.ID
		}
	}
	for _, st := range topo.Subtopologies() {
		for _, s := range st.Stores {
			if s.Spec.Logged {
				plan.stateful = append(plan.stateful, st.ID)
				break
			}
		}
	}
	if err := ensureTopics(ctx, cl, want); err != nil {
		return nil, err
	}
	return plan, nil
}

// newTopicBackoff is the wait before retry n (from 0) of a request about a
// topic created moments ago, which its partitions' leaders do not serve
// yet: they do within a few tens of milliseconds on a healthy cluster
// (5–35 ms measured on one Kafka 4.4 broker), so the first retries come
// soon — each costs one round trip — and later ones back off to a second.
func newTopicBackoff(n int) time.Duration {
	return min(5*time.Millisecond<<min(n, 8), time.Second)
}

type topicSpec struct {
	partitions   int32
	configs      map[string]string
	keepExisting bool // an existing topic may have any partition count
}

func listTopics(ctx context.Context, adm *kadm.Client, topics []string) (kadm.TopicDetails, error) {
	if len(topics) == 0 {
		return kadm.TopicDetails{}, nil
	}
	d, err := adm.ListTopics(ctx, topics...)
	if err != nil {
		if rt, ok := deniedType(err); ok && rt == ResourceTopic && len(topics) > 1 {
			return nil, deniedTopics(topics, "list topics", "describe topic", err, func(t string) error {
				_, err := adm.ListTopics(ctx, t)
				return err
			})
		}
		if len(topics) == 1 {
			err = topicDenied(err, topics[0])
		}
		return nil, fmt.Errorf("list topics %v: %w", topics, err)
	}
	return d, nil
}

// deniedTopics is the error of a call about several topics that the
// brokers refused for some of them, which kadm reports for the whole call
// (what is "list topics"): it repeats the call for each topic alone (call,
// described as one: "describe topic") to name the ones refused, each in an
// *AuthorizationError.
func deniedTopics(topics []string, what, one string, err error, call func(topic string) error) error {
	var errs []error
	for _, t := range topics {
		if terr := call(t); terr != nil {
			if rt, ok := deniedType(terr); ok && rt == ResourceTopic {
				errs = append(errs, fmt.Errorf("%s %q: %w", one, t, topicDenied(terr, t)))
			}
		}
	}
	if len(errs) == 0 { // no single topic is refused now
		return fmt.Errorf("%s %v: %w", what, topics, err)
	}
	return errors.Join(errs...)
}

// ensureTopics creates missing internal topics and checks the partition
// count of existing ones.
func ensureTopics(ctx context.Context, cl *kgo.Client, want map[string]topicSpec) error {
	adm := kadm.NewClient(cl)
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	existing, err := listTopics(ctx, adm, names)
	if err != nil {
		return err
	}
	var errs []error
	var present, missing []string
	for _, name := range slices.Sorted(maps.Keys(want)) {
		spec := want[name]
		if d, ok := existing[name]; ok && d.Err == nil {
			if got := int32(len(d.Partitions)); got != spec.partitions && !spec.keepExisting {
				errs = append(errs, fmt.Errorf("internal topic %q has %d partitions, the topology needs %d: "+
					"delete it (and reset the application) or restore the source topics' partition counts", name, got, spec.partitions))
			}
			present = append(present, name)
			continue
		}
		missing = append(missing, name)
	}
	if len(missing) > 0 {
		errs = append(errs, createTopics(ctx, cl, want, missing))
	}
	if len(present) > 0 {
		errs = append(errs, checkTopicConfigs(ctx, adm, want, present))
	}
	return errors.Join(errs...)
}

// createTopics creates topics names as want specifies them, in one
// request: a broker answers one connection's requests one at a time, so
// topics created one by one (each with its own configs, which kadm's
// CreateTopics cannot send) add a controller round trip each to a start.
// A topic that exists meanwhile is no error.
func createTopics(ctx context.Context, cl *kgo.Client, want map[string]topicSpec, names []string) error {
	req := kmsg.NewPtrCreateTopicsRequest()
	req.TimeoutMillis = 60_000
	for _, name := range names {
		spec := want[name]
		rt := kmsg.NewCreateTopicsRequestTopic()
		rt.Topic, rt.NumPartitions, rt.ReplicationFactor = name, spec.partitions, -1
		for _, k := range slices.Sorted(maps.Keys(spec.configs)) {
			c := kmsg.NewCreateTopicsRequestTopicConfig()
			c.Name, c.Value = k, kmsg.StringPtr(spec.configs[k])
			rt.Configs = append(rt.Configs, c)
		}
		req.Topics = append(req.Topics, rt)
	}
	resp, err := req.RequestWith(ctx, cl)
	if err != nil {
		return fmt.Errorf("create internal topics %v: %w", names, err)
	}
	var errs []error
	for _, t := range resp.Topics {
		err := kerr.ErrorForCode(t.ErrorCode)
		if err == nil || errors.Is(err, kerr.TopicAlreadyExists) {
			continue
		}
		msg := ""
		if t.ErrorMessage != nil {
			msg = *t.ErrorMessage
		}
		errs = append(errs, fmt.Errorf("create internal topic %q: %w %s", t.Topic, topicDenied(err, t.Topic), msg))
	}
	return errors.Join(errs...)
}

// checkTopicConfigs compares the configs of existing internal topics with
// what the application needs, as Kafka Streams' internal topic validation
// does: the cleanup policy must be the same (a compacted repartition topic
// loses records; a changelog that is not compacted loses state), and a
// windowed changelog must keep records at least as long as its store.
func checkTopicConfigs(ctx context.Context, adm *kadm.Client, want map[string]topicSpec, names []string) error {
	rcs, err := adm.DescribeTopicConfigs(ctx, names...)
	if err != nil {
		if rt, ok := deniedType(err); ok && rt == ResourceTopic {
			return deniedTopics(names, "describe the configs of internal topics", "describe the configs of internal topic", err,
				func(t string) error {
					_, err := adm.DescribeTopicConfigs(ctx, t)
					return err
				})
		}
		return fmt.Errorf("describe the configs of internal topics %v: %w", names, err)
	}
	var errs []error
	for _, rc := range rcs {
		spec, ok := want[rc.Name]
		if !ok {
			continue
		}
		if rc.Err != nil {
			errs = append(errs, fmt.Errorf("describe the configs of internal topic %q: %w", rc.Name, topicDenied(rc.Err, rc.Name)))
			continue
		}
		got := map[string]string{}
		for _, c := range rc.Configs {
			got[c.Key] = c.MaybeValue()
		}
		if got["cleanup.policy"] == "" {
			got["cleanup.policy"] = "delete" // the broker default
		}
		if need, ok := spec.configs["cleanup.policy"]; ok && !samePolicy(got["cleanup.policy"], need) {
			errs = append(errs, fmt.Errorf("internal topic %q has cleanup.policy=%q, the application needs %q: "+
				"change it with kafka-configs.sh or delete the topic (and reset the application)", rc.Name, got["cleanup.policy"], need))
		}
		if spec.configs["retention.ms"] == "-1" {
			// A repartition topic: time or size retention deletes records
			// before they are read (Kafka Streams rejects it too).
			if have := got["retention.ms"]; have != "" && have != "-1" {
				errs = append(errs, fmt.Errorf("internal topic %q has retention.ms=%s, a repartition topic needs -1 (its records keep "+
					"their event time, so the broker would delete old records before the application reads them; Eddy purges "+
					"what it committed): set it with kafka-configs.sh --alter --add-config retention.ms=-1", rc.Name, have))
			}
			if have := got["retention.bytes"]; have != "" && have != "-1" {
				errs = append(errs, fmt.Errorf("internal topic %q has retention.bytes=%s, a repartition topic needs -1: "+
					"set it with kafka-configs.sh --alter --add-config retention.bytes=-1", rc.Name, have))
			}
		} else if need, ok := spec.configs["retention.ms"]; ok {
			n, _ := strconv.ParseInt(need, 10, 64)
			have, err := strconv.ParseInt(got["retention.ms"], 10, 64)
			if err == nil && have >= 0 && have < n {
				errs = append(errs, fmt.Errorf("internal topic %q has retention.ms=%d, shorter than the %d its store needs (store retention + 1 day): "+
					"raise it with kafka-configs.sh", rc.Name, have, n))
			}
		}
	}
	return errors.Join(errs...)
}

// samePolicy compares cleanup policies as sets ("delete,compact" is
// "compact,delete").
func samePolicy(a, b string) bool {
	set := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, p := range strings.Split(s, ",") {
			if p = strings.TrimSpace(p); p != "" {
				m[p] = true
			}
		}
		return m
	}
	return maps.Equal(set(a), set(b))
}

// partitionCache answers the partition counts sinks need.
type partitionCache struct {
	mu     sync.Mutex
	cl     *kgo.Client
	adm    *kadm.Client
	counts map[string]int32
	limits map[string]int // topic → max.message.bytes, 0 unknown (recordlimits.go)
}

func (c *partitionCache) get(ctx context.Context, topic string) (int32, error) {
	c.mu.Lock()
	n, ok := c.counts[topic]
	c.mu.Unlock()
	if ok {
		return n, nil
	}
	d, err := listTopics(ctx, c.adm, []string{topic})
	if err != nil {
		return 0, err
	}
	td, ok := d[topic]
	if !ok || td.Err != nil || len(td.Partitions) == 0 {
		return 0, fmt.Errorf("output topic %q does not exist: create it, e.g. with runtime.CreateTopics (Eddy creates only its internal topics)", topic)
	}
	n = int32(len(td.Partitions))
	c.mu.Lock()
	c.counts[topic] = n
	c.mu.Unlock()
	return n, nil
}
