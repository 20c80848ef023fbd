// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// TopicSpec describes a topic for CreateTopics.
type TopicSpec struct {
	// Name is the topic's name: at most 249 ASCII letters, digits, '.',
	// '_' and '-'.
	Name string
	// Partitions is the topic's partition count, at least 1. Topics an
	// application reads together (the two sides of a join, a merge) need
	// the same count, and a topic's partition count bounds how many
	// instances share its work.
	Partitions int32
	// ReplicationFactor is the number of copies of each partition; 0 takes
	// the brokers' default.replication.factor.
	ReplicationFactor int16
	// Configs are topic-level configs for a topic that is created, e.g.
	// {"cleanup.policy": "compact"} for the topic behind a table; nil for
	// the brokers' defaults.
	Configs map[string]string
}

// TopicVisibleTimeout bounds how long CreateTopics waits for the topics to
// appear in the metadata of every broker, unless ctx ends sooner.
const TopicVisibleTimeout = 30 * time.Second

// CreateTopics creates the application's source and sink topics, as a
// program would with Kafka's Admin.createTopics before starting a Kafka
// Streams application: Eddy creates only its internal topics (repartition
// and changelog topics, and the dead-letter topic), and App.Run stops with
// an error naming any source or sink topic that does not exist. brokers
// are the bootstrap servers (App.Brokers for the embedded broker); opts
// are passed to the franz-go client after them, so give it the
// Config.ClientOptions (TLS, SASL) of the application.
//
// A topic that exists already is left as it is (its configs are not
// changed) if it has the partition count asked for; a different count is
// an error, as co-partitioning and the application's tasks depend on it.
// So every instance of an application may call CreateTopics at start-up.
//
// A topic is not usable the moment the controller has created it: each
// broker learns of it a little later, and a leader serves its partition a
// little after that, so a producer or an application started at once can
// find it missing. CreateTopics therefore returns only once every broker's
// metadata lists every topic with a leader for each partition and each
// leader answers for its partition, waiting at most TopicVisibleTimeout
// (or until ctx ends); its error then names the topics and what the
// brokers last reported.
func CreateTopics(ctx context.Context, brokers []string, topics []TopicSpec, opts ...kgo.Opt) error {
	if err := validateTopicSpecs(brokers, topics); err != nil {
		return err
	}
	// Fresh metadata for each look (kgo caches it for 5 s by default).
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(brokers...), kgo.MetadataMinAge(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		return fmt.Errorf("runtime: create topics: client for brokers %v: %w", brokers, err)
	}
	defer cl.Close()
	adm := kadm.NewClient(cl)
	names := make([]string, len(topics))
	want := make(map[string]int32, len(topics))
	for i, t := range topics {
		names[i] = t.Name
		want[t.Name] = t.Partitions
	}
	existing, err := listTopics(ctx, adm, names)
	if err != nil {
		return fmt.Errorf("runtime: create topics: %w", err)
	}
	var errs []error
	for _, t := range topics {
		if d, ok := existing[t.Name]; ok && d.Err == nil {
			if got := int32(len(d.Partitions)); got != t.Partitions {
				errs = append(errs, partitionMismatch(t.Name, got, t.Partitions))
			}
			continue
		} else if ok && !errors.Is(d.Err, kerr.UnknownTopicOrPartition) {
			errs = append(errs, fmt.Errorf("runtime: create topics: describe topic %q: %w", t.Name, d.Err))
			continue
		}
		cfg := make(map[string]*string, len(t.Configs))
		for k, v := range t.Configs {
			cfg[k] = kadm.StringPtr(v)
		}
		rf := t.ReplicationFactor
		if rf == 0 {
			rf = -1 // the brokers' default.replication.factor
		}
		resp, err := adm.CreateTopic(ctx, t.Partitions, rf, cfg, t.Name)
		// Another instance may have created it meanwhile; waitTopicsVisible
		// checks its partition count.
		if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
			msg := ""
			if resp.ErrMessage != "" {
				msg = " (" + resp.ErrMessage + ")"
			}
			errs = append(errs, fmt.Errorf("runtime: create topic %q with %d partitions: %w%s", t.Name, t.Partitions, err, msg))
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	return waitTopicsVisible(ctx, cl, adm, want, TopicVisibleTimeout)
}

// validateTopicSpecs reports every unusable spec at once, before any I/O.
func validateTopicSpecs(brokers []string, topics []TopicSpec) error {
	var errs []error
	if len(brokers) == 0 {
		errs = append(errs, errors.New("runtime: create topics: no brokers: give the bootstrap servers (host:port), or App.Brokers() for the embedded broker"))
	}
	seen := map[string]bool{}
	for i, t := range topics {
		switch reason := kafkaNameProblem(t.Name, maxTopicNameLen); {
		case t.Name == "":
			errs = append(errs, fmt.Errorf("runtime: create topics: TopicSpec %d has no Name", i))
		case reason != "":
			errs = append(errs, fmt.Errorf("runtime: create topics: topic name %q: %s", t.Name, reason))
		case seen[t.Name]:
			errs = append(errs, fmt.Errorf("runtime: create topics: topic %q is listed twice: give each topic once", t.Name))
		}
		seen[t.Name] = true
		if t.Partitions < 1 {
			errs = append(errs, fmt.Errorf("runtime: create topics: topic %q: Partitions is %d: it must be at least 1", t.Name, t.Partitions))
		}
		if t.ReplicationFactor < 0 {
			errs = append(errs, fmt.Errorf("runtime: create topics: topic %q: ReplicationFactor is %d: it must be at least 1, or 0 for the brokers' default", t.Name, t.ReplicationFactor))
		}
	}
	return errors.Join(errs...)
}

func partitionMismatch(topic string, got, want int32) error {
	return fmt.Errorf("runtime: create topics: topic %q exists with %d partitions, not the %d asked for: "+
		"ask for %d, or delete the topic (losing its records) to have it created anew", topic, got, want, got)
}

// waitTopicsVisible polls every broker's metadata until each topic in want
// is listed with want[topic] partitions, each with a leader, and then the
// leaders until each answers for its partitions. It gives up
// after timeout (or when ctx ends) with an error saying what each broker
// last reported.
func waitTopicsVisible(ctx context.Context, cl *kgo.Client, adm *kadm.Client, want map[string]int32, timeout time.Duration) error {
	if len(want) == 0 {
		return nil
	}
	names := slices.Sorted(func(yield func(string) bool) {
		for t := range want {
			if !yield(t) {
				return
			}
		}
	})
	wctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	seen := "no broker answered yet"
	for backoff := 20 * time.Millisecond; ; backoff = min(2*backoff, 500*time.Millisecond) {
		missing, err := topicsNotVisible(wctx, cl, adm, names, want)
		switch {
		case err != nil && wctx.Err() == nil:
			var mismatch *mismatchError
			if errors.As(err, &mismatch) {
				return mismatch.err
			}
			seen = err.Error()
		case err == nil && len(missing) == 0:
			return nil
		case err == nil:
			seen = strings.Join(missing, "; ")
		}
		select {
		case <-wctx.Done():
			cause := wctx.Err()
			if ctx.Err() != nil {
				cause = ctx.Err()
			}
			return fmt.Errorf("runtime: create topics: %s not usable after %v: waited for every broker's metadata to list "+
				"a leader for each partition, and for the leaders to serve them; last seen: %s: %w",
				quoteList(names), time.Since(start).Round(time.Millisecond), seen, cause)
		case <-time.After(backoff):
		}
	}
}

// mismatchError is a topic that became visible with another partition
// count than asked for: waiting longer does not help.
type mismatchError struct{ err error }

func (e *mismatchError) Error() string { return e.err.Error() }

// topicsNotVisible asks each broker of the cluster for the metadata of
// names and describes what is not yet as wanted, one entry per broker and
// topic ("broker 1: "t": UNKNOWN_TOPIC_OR_PARTITION").
func topicsNotVisible(ctx context.Context, cl *kgo.Client, adm *kadm.Client, names []string, want map[string]int32) ([]string, error) {
	meta, err := adm.BrokerMetadata(ctx)
	if err != nil {
		return nil, fmt.Errorf("list brokers: %w", err)
	}
	if len(meta.Brokers) == 0 {
		return nil, errors.New("the cluster metadata lists no brokers")
	}
	var missing []string
	for _, b := range meta.Brokers {
		req := kmsg.NewPtrMetadataRequest()
		for _, n := range names {
			rt := kmsg.NewMetadataRequestTopic()
			rt.Topic = kmsg.StringPtr(n)
			req.Topics = append(req.Topics, rt)
		}
		who := fmt.Sprintf("broker %d (%s:%d)", b.NodeID, b.Host, b.Port)
		kresp, err := cl.Broker(int(b.NodeID)).Request(ctx, req)
		if err != nil {
			missing = append(missing, fmt.Sprintf("%s: metadata request failed: %v", who, err))
			continue
		}
		resp := kresp.(*kmsg.MetadataResponse)
		listed := map[string]bool{}
		for _, t := range resp.Topics {
			if t.Topic == nil {
				continue
			}
			name := *t.Topic
			listed[name] = true
			if err := kerr.ErrorForCode(t.ErrorCode); err != nil {
				missing = append(missing, fmt.Sprintf("%s: %q: %v", who, name, err))
				continue
			}
			switch got := int32(len(t.Partitions)); {
			case got == 0:
				missing = append(missing, fmt.Sprintf("%s: %q: no partitions yet", who, name))
				continue
			case got != want[name]:
				return nil, &mismatchError{partitionMismatch(name, got, want[name])}
			}
			var leaderless []int32
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil || p.Leader < 0 {
					leaderless = append(leaderless, p.Partition)
				}
			}
			if len(leaderless) > 0 {
				slices.Sort(leaderless)
				missing = append(missing, fmt.Sprintf("%s: %q: no leader yet for partitions %v", who, name, leaderless))
			}
		}
		for _, n := range names {
			if !listed[n] {
				missing = append(missing, fmt.Sprintf("%s: %q: not listed", who, n))
			}
		}
	}
	if len(missing) > 0 {
		return missing, nil
	}
	// A broker lists a partition in its metadata a moment before, as its
	// leader, it has loaded it: until then it answers requests for it
	// with UNKNOWN_TOPIC_OR_PARTITION. Ask each leader for the end offset.
	ends, err := adm.ListEndOffsets(ctx, names...)
	if err != nil {
		return nil, fmt.Errorf("list end offsets: %w", err)
	}
	for _, n := range names {
		var unloaded []string
		for p := range want[n] {
			o, ok := ends.Lookup(n, p)
			switch {
			case !ok:
				unloaded = append(unloaded, fmt.Sprintf("partition %d: no answer", p))
			case o.Err != nil:
				unloaded = append(unloaded, fmt.Sprintf("partition %d: %v", p, o.Err))
			}
		}
		if len(unloaded) > 0 {
			missing = append(missing, fmt.Sprintf("%q: leaders not serving yet: %s", n, strings.Join(unloaded, "; ")))
		}
	}
	return missing, nil
}

// quoteList quotes names and joins them with commas.
func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}
