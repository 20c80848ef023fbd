// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/twmb/franz-go/pkg/kerr"

	"github.com/eddy-streams/eddy/internal/engine"
)

// RecordError reports the input record an application stopped on. Under
// the Fail policy (the default), or when an ErrorHandler responded Fail,
// it is a bad record: its key or value could not be deserialized, its
// timestamp was invalid, an operator or user function returned an error
// or panicked on it, or an output record it produced could not be
// serialized or produced (Kind says which). Whatever the policy, it may
// also be a record whose state or output could not be written (Fatal).
//
// To get past a bad record, fix the data or the code, choose the Skip or
// DeadLetter policy (Config.OnError) or an ErrorHandler that continues
// (Config.DeserializationHandler, ProcessingHandler, ProductionHandler),
// or move the group's committed offset of Topic/Partition to Offset+1
// while the application is stopped (kafka-consumer-groups.sh --group
// <AppID> --reset-offsets --to-offset …).
type RecordError struct {
	// Task is the task that failed, as "0_3" (sub-topology 0, partition
	// 3) or "1_global" for a global table: the form of Metrics.Processed
	// keys and of the HeaderErrorTask header.
	Task string
	// Node names the processor node that failed, as ErrorContext.Node
	// does; empty when the record failed before reaching one.
	Node string
	// Topic, Partition and Offset locate the record in its input topic.
	Topic     string
	Partition int32
	Offset    int64
	// Key is the record's key as read from Kafka (nil for a null key).
	// Error quotes at most its first 64 bytes.
	Key []byte
	// Kind is where the record failed, and so which handler of Config
	// decided to fail (or OnError's policy, if it is nil); 0 when Fatal.
	Kind ErrorKind
	// Fatal reports that writing the record's results (a store, the
	// output, a changelog) failed: the record is not at fault and the
	// error policy does not apply, as skipping it would lose state or
	// output. Look at Err for the cause.
	Fatal bool
	// Err is the cause: a deserialization error, "panic: …" for a panic,
	// an operator's or user function's error, or the write failure.
	Err error
}

// Error names the task, node and record position, then the cause, as
// "task 0_3, node KSTREAM-MAPVALUES-0000000001: record at topic "in"
// partition 3 offset 42 (key "k"): cause".
func (e *RecordError) Error() string {
	key := "null"
	if e.Key != nil {
		k := e.Key
		if len(k) > 64 {
			k = k[:64]
		}
		key = strconv.Quote(string(k))
	}
	node := ""
	if e.Node != "" {
		node = ", node " + e.Node
	}
	return fmt.Sprintf("task %s%s: record at topic %q partition %d offset %d (key %s): %v",
		e.Task, node, e.Topic, e.Partition, e.Offset, key, e.Err)
}

// Unwrap returns the cause.
func (e *RecordError) Unwrap() error { return e.Err }

// recordErrorOf converts the engine's record error.
func (a *App) recordErrorOf(e *engine.RecordError) *RecordError {
	var fe *engine.FatalError
	kind, node := a.describeRecordError(e)
	return &RecordError{Task: e.Task.String(), Node: node, Topic: e.Topic, Partition: e.Partition, Offset: e.Offset,
		Key: e.Key, Kind: kind, Fatal: errors.As(e.Err, &fe), Err: e.Err}
}

// FencedError reports that another live process took over this instance's
// identity, so this one stopped (rather than fence the other in turn, and
// the two take turns forever):
//
//   - TransactionalID set: under exactly-once, another producer
//     initialised the worker's transactional id,
//     <AppID>-<InstanceID>-<worker>, while this worker's transaction was
//     open and within the transaction timeout: a second instance runs with
//     the same Config.InstanceID (or a copy of the state directory, whose
//     instance-id file holds it). A transaction that outlived the timeout
//     is fenced by the broker, not by a twin: the worker rebuilds its
//     producer and carries on without a FencedError.
//   - GroupInstanceID set: the group coordinator answered
//     FENCED_INSTANCE_ID: another member joined with the worker's static
//     group instance id, <Config.GroupInstanceID>-<worker>.
//
// Give every instance its own InstanceID (or leave it empty, so that each
// state directory keeps its own) and its own GroupInstanceID, and make
// sure an instance's previous process has exited before a replacement
// starts.
type FencedError struct {
	// InstanceID is this instance's Config.InstanceID.
	InstanceID string
	// TransactionalID is the fenced transactional id, if a transactional
	// producer was fenced.
	TransactionalID string
	// GroupInstanceID is the fenced static group instance id, if the group
	// coordinator fenced the member.
	GroupInstanceID string
	// Err is the broker's error: kerr.ProducerFenced,
	// kerr.InvalidProducerEpoch or kerr.FencedInstanceID, possibly
	// wrapped.
	Err error
}

// Error says who was fenced and what to do.
func (e *FencedError) Error() string {
	switch {
	case e.TransactionalID != "":
		return fmt.Sprintf("runtime: fenced: another live instance uses transactional id %q (Config.InstanceID %q); "+
			"give every instance its own Config.InstanceID, or leave it empty so that each state directory keeps its own: %v",
			e.TransactionalID, e.InstanceID, e.Err)
	case e.GroupInstanceID != "":
		return fmt.Sprintf("runtime: fenced: another live group member uses group instance id %q (instance %q); "+
			"give every instance its own Config.GroupInstanceID, and stop an instance's previous process before starting its replacement: %v",
			e.GroupInstanceID, e.InstanceID, e.Err)
	}
	return fmt.Sprintf("runtime: fenced: another live instance uses this instance's identity (Config.InstanceID %q); "+
		"give every instance its own Config.InstanceID and Config.GroupInstanceID: %v", e.InstanceID, e.Err)
}

// Unwrap returns the broker's error.
func (e *FencedError) Unwrap() error { return e.Err }

// fencedProducer is the error a worker stops with when a live twin fenced
// its transactional producer (see worker.rebuild).
func (c *Config) fencedProducer(worker int, cause error) *FencedError {
	return &FencedError{InstanceID: c.InstanceID, TransactionalID: c.transactionalID(worker), Err: cause}
}

// fencedMember returns the error a worker stops with if err says the group
// coordinator fenced its static membership (FENCED_INSTANCE_ID), or nil.
func (c *Config) fencedMember(worker int, err error) *FencedError {
	if !errors.Is(err, kerr.FencedInstanceID) {
		return nil
	}
	fe := &FencedError{InstanceID: c.InstanceID, Err: err}
	if c.GroupInstanceID != "" && worker >= 0 {
		fe.GroupInstanceID = c.groupInstanceID(worker)
	}
	return fe
}

// ResourceType is the kind of Kafka resource an AuthorizationError is
// about, named as Kafka's ACL resource types are.
type ResourceType string

// Resource types of an AuthorizationError.
const (
	// ResourceTopic: the application's topics (source, sink, internal,
	// dead-letter).
	ResourceTopic ResourceType = "TOPIC"
	// ResourceGroup: the consumer group, named Config.AppID.
	ResourceGroup ResourceType = "GROUP"
	// ResourceTransactionalID: the exactly-once producers' transactional
	// ids, <AppID>-<InstanceID>-<worker>.
	ResourceTransactionalID ResourceType = "TRANSACTIONAL_ID"
	// ResourceCluster: the cluster (IDEMPOTENT_WRITE on brokers older
	// than Kafka 2.8, where WRITE on a topic does not imply it).
	ResourceCluster ResourceType = "CLUSTER"
)

// AuthorizationError reports that the brokers refused the application's
// principal: an operation on a resource its ACLs do not allow (Kafka's
// *_AUTHORIZATION_FAILED errors), or its authentication (SASL credentials
// or mechanism; then Authentication reports true and ResourceType is
// empty). Retrying cannot help, so the application stops. Grant the ACLs
// the README's Security section lists, or fix the credentials in
// Config.ClientOptions.
type AuthorizationError struct {
	// ResourceType is the kind of resource refused; empty for an
	// authentication failure.
	ResourceType ResourceType
	// Resource names it: the topic, the group or the transactional id.
	// Empty for the cluster, for an authentication failure, or when the
	// failing request did not say which (the message of Err, or of the
	// error wrapping this one, may).
	Resource string
	// Err is the broker's error (a *kerr.Error, possibly wrapped with the
	// broker's message).
	Err error
}

// Authentication reports whether the principal could not authenticate,
// rather than was refused an operation.
func (e *AuthorizationError) Authentication() bool { return e.ResourceType == "" }

// Error names the resource and says what to grant or fix.
func (e *AuthorizationError) Error() string {
	if e.Authentication() {
		return fmt.Sprintf("runtime: authentication failed: check the credentials and the SASL mechanism in Config.ClientOptions: %v", e.Err)
	}
	var kind, grant string
	switch e.ResourceType {
	case ResourceTopic:
		kind, grant = "topic", "READ and DESCRIBE on source topics, WRITE and DESCRIBE on sink topics, and CREATE, READ, WRITE, DESCRIBE and DESCRIBE_CONFIGS on the internal topics (prefix <AppID>-)"
	case ResourceGroup:
		kind, grant = "group", "READ and DESCRIBE on the group <AppID>"
	case ResourceTransactionalID:
		kind, grant = "transactional id", "WRITE and DESCRIBE on the transactional ids with prefix <AppID>-"
	case ResourceCluster:
		kind, grant = "cluster", "IDEMPOTENT_WRITE on the cluster, or upgrade the brokers to Kafka 2.8 or later (where WRITE on a topic implies it)"
	default:
		kind, grant = string(e.ResourceType), "the ACLs it lists"
	}
	what := "a " + kind
	if e.ResourceType == ResourceCluster {
		what = "the cluster"
	} else if e.Resource != "" {
		what = fmt.Sprintf("%s %q", kind, e.Resource)
	}
	return fmt.Sprintf("runtime: not authorized on %s: grant the application's principal %s (see the README's Security section): %v",
		what, grant, e.Err)
}

// Unwrap returns the broker's error.
func (e *AuthorizationError) Unwrap() error { return e.Err }

// deniedType classifies err as an authorization failure on a resource type,
// or an authentication failure (""); ok is false for any other error.
func deniedType(err error) (rt ResourceType, ok bool) {
	switch {
	case errors.Is(err, kerr.TopicAuthorizationFailed):
		return ResourceTopic, true
	case errors.Is(err, kerr.GroupAuthorizationFailed):
		return ResourceGroup, true
	case errors.Is(err, kerr.TransactionalIDAuthorizationFailed):
		return ResourceTransactionalID, true
	case errors.Is(err, kerr.ClusterAuthorizationFailed):
		return ResourceCluster, true
	case errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, kerr.UnsupportedSaslMechanism):
		return "", true
	}
	return "", false
}

// resourceNames are the names a failing call knows, by resource type.
type resourceNames struct {
	topic, group, transactionalID string
}

// resources returns the resource names a worker's call knows: topic (""
// if none or unknown), the group, and under exactly-once the worker's
// transactional id (worker < 0: unknown).
func (c *Config) resources(worker int, topic string) resourceNames {
	rn := resourceNames{topic: topic, group: c.AppID}
	if c.Guarantee == ExactlyOnce && worker >= 0 {
		rn.transactionalID = c.transactionalID(worker)
	}
	return rn
}

// denied returns err as an *AuthorizationError naming the resource from rn,
// or nil if err is not an authorization or authentication failure.
func denied(err error, rn resourceNames) *AuthorizationError {
	rt, ok := deniedType(err)
	if !ok {
		return nil
	}
	ae := &AuthorizationError{ResourceType: rt, Err: err}
	switch rt {
	case ResourceTopic:
		ae.Resource = rn.topic
	case ResourceGroup:
		ae.Resource = rn.group
	case ResourceTransactionalID:
		ae.Resource = rn.transactionalID
	}
	return ae
}

// topicDenied returns err as an *AuthorizationError naming topic if err is
// an authorization or authentication failure, else err unchanged: for
// calls about one topic whose error the broker reports without its name.
func topicDenied(err error, topic string) error {
	if ae := denied(err, resourceNames{topic: topic}); ae != nil {
		return ae
	}
	return err
}

// pollError classifies an error PollRecords reported for topic t, partition
// p (t is "" for an error of the group session, which franz-go reports as
// a *kgo.ErrGroupSession). It returns the error the worker must stop with,
// or nil if the client retries by itself (log it and go on):
//
//   - an authorization or authentication failure: an *AuthorizationError,
//     wrapped with the topic and partition or the group;
//   - FENCED_INSTANCE_ID: a *FencedError. franz-go would rejoin the group
//     with the same group instance id, fencing the twin in turn, so the
//     worker must stop (and close its client) at once.
func (c *Config) pollError(worker int, t string, p int32, err error) error {
	if errors.Is(err, kerr.InvalidSessionTimeout) {
		return fmt.Errorf("consumer group %q: the brokers refuse the consumer's session timeout: set kgo.SessionTimeout in Config.ClientOptions within the brokers' group.min.session.timeout.ms and group.max.session.timeout.ms (Kafka's defaults: 6 s and 30 min): %w", c.AppID, err)
	}
	if fe := c.fencedMember(worker, err); fe != nil {
		return fmt.Errorf("consumer group %q: %w", c.AppID, fe)
	}
	if ae := denied(err, c.resources(worker, t)); ae != nil {
		if t == "" {
			return fmt.Errorf("consumer group %q: %w", c.AppID, ae)
		}
		return fmt.Errorf("fetch topic %q partition %d: %w", t, p, ae)
	}
	return nil
}

// exportError makes the error types above reachable with errors.As from an
// error Run is about to return, where the code that failed returned only
// the engine's or franz-go's errors: it finds, in err's chain, an
// *engine.RecordError, an authorization failure and a FENCED_INSTANCE_ID
// not already wrapped in their exported types, and returns err with the
// exported errors added to its chain. The message is err's, plus, for a
// bad record under the Fail policy, how to skip or dead-letter such
// records (failPolicyHint). worker is the index of the worker err comes
// from, -1 for none or unknown.
//
// The specific constructors (fencedProducer, fencedMember, denied) name
// resources that exportError cannot know, as the topic of a failed fetch
// or produce; exportError is the backstop for call sites not using them.
func (a *App) exportError(worker int, err error) error {
	if err == nil {
		return nil
	}
	var extra []error
	var re *RecordError
	var ere *engine.RecordError
	if !errors.As(err, &re) && errors.As(err, &ere) {
		extra = append(extra, a.recordErrorOf(ere))
	}
	var ae *AuthorizationError
	if !errors.As(err, &ae) {
		if d := denied(deniedCause(err), a.cfg.resources(worker, "")); d != nil {
			extra = append(extra, d)
		}
	}
	var fe *FencedError
	if !errors.As(err, &fe) {
		if f := a.cfg.fencedMember(worker, err); f != nil {
			f.Err = kerr.FencedInstanceID // err itself is in the chain already
			extra = append(extra, f)
		}
	}
	hint := a.failPolicyHint(err, extra)
	if len(extra) == 0 && hint == "" {
		return err
	}
	return &exportedError{err: err, exported: extra, hint: hint}
}

// failPolicyHint is what exportError adds to the message of an error that
// stopped the application on a bad record under the Fail policy: how to
// skip or dead-letter such records instead. It is empty for other errors,
// other policies, records an ErrorHandler failed (it decided so), records
// whose results could not be written (the policy does not apply to them),
// and errors that carry the hint already.
func (a *App) failPolicyHint(err error, extra []error) string {
	if a.cfg.OnError != Fail {
		return ""
	}
	var hinted *exportedError
	if errors.As(err, &hinted) && hinted.hint != "" {
		return ""
	}
	var re *RecordError
	if !errors.As(errors.Join(append([]error{err}, extra...)...), &re) || re.Fatal {
		return ""
	}
	if _, user := a.cfg.handler(re.Kind); user {
		return ""
	}
	return fmt.Sprintf(" (error policy Fail, the default: set Config.OnError to runtime.Skip to log, count and drop such records, "+
		"or to runtime.DeadLetter to copy them to a dead-letter topic, Config.DeadLetterTopic, default %q, and go on)", a.cfg.AppID+"-dlq")
}

// deniedCause returns the authorization or authentication error in err's
// chain, as the *kerr.Error sentinel, or nil.
func deniedCause(err error) error {
	for _, k := range []*kerr.Error{kerr.TopicAuthorizationFailed, kerr.GroupAuthorizationFailed,
		kerr.TransactionalIDAuthorizationFailed, kerr.ClusterAuthorizationFailed,
		kerr.SaslAuthenticationFailed, kerr.UnsupportedSaslMechanism} {
		if errors.Is(err, k) {
			return k
		}
	}
	return nil
}

// exportedError is an error with exported error types added to its chain;
// it keeps the original's message, followed by hint.
type exportedError struct {
	err      error
	exported []error
	hint     string
}

func (e *exportedError) Error() string { return e.err.Error() + e.hint }

func (e *exportedError) Unwrap() []error { return append([]error{e.err}, e.exported...) }
