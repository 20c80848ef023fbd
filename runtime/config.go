// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Guarantee is the processing guarantee.
type Guarantee int

const (
	// AtLeastOnce commits offsets after the records they cover were
	// produced; after a crash some records are processed again. Default.
	AtLeastOnce Guarantee = iota
	// ExactlyOnce runs every commit cycle in a Kafka transaction: output,
	// changelog writes and input offsets commit atomically; readers use
	// read_committed. State writes of a cycle are applied to the local
	// store only after the transaction commits, so a crash never needs a
	// wipe and full restore.
	ExactlyOnce
)

// String names the guarantee as Kafka Streams does.
func (g Guarantee) String() string {
	if g == ExactlyOnce {
		return "exactly_once_v2"
	}
	return "at_least_once"
}

// ErrorPolicy says what happens to a record that cannot be processed:
// undecodable key or value, a negative record timestamp on a source
// without a timestamp extractor, a processing error (an error or panic
// in an operator or user function), or an output record that cannot be
// serialized or that its topic does not accept (too large, invalid). A
// timestamp extractor's negative result is not an error: the record is
// dropped and counted whatever the policy (stream.Stream.WithTimestamps).
// Failures to write state, and other output failures, are never skipped:
// they stop the application. Config's error handlers (ErrorHandler) take
// precedence over the policy, each for its kind of error.
type ErrorPolicy int

const (
	// Fail stops the application with an error naming topic, partition and
	// offset, and saying how to skip or dead-letter such records instead.
	// Default, as Kafka Streams' LogAndFailExceptionHandler.
	Fail ErrorPolicy = iota
	// Skip logs, counts and drops the record.
	Skip
	// DeadLetter writes the record's original key, value, timestamp and
	// headers to Config.DeadLetterTopic with the error and the record's
	// origin in headers (see DeadLetterHeaders), counts it as skipped and
	// logs it at WARN as dead-lettered, naming the dead-letter topic.
	// Under exactly-once the dead letter commits atomically with the
	// input offset.
	DeadLetter
)

// String names the policy as the constant does ("Fail", "Skip",
// "DeadLetter"), or ErrorPolicy(n) for an unknown value.
func (p ErrorPolicy) String() string {
	switch p {
	case Fail:
		return "Fail"
	case Skip:
		return "Skip"
	case DeadLetter:
		return "DeadLetter"
	}
	return fmt.Sprintf("ErrorPolicy(%d)", int(p))
}

// Headers added to dead-lettered records (see DeadLetterHeaders), after
// the record's own headers.
const (
	HeaderErrorMessage   = "eddy.error.message"
	HeaderErrorTopic     = "eddy.error.topic"
	HeaderErrorPartition = "eddy.error.partition"
	HeaderErrorOffset    = "eddy.error.offset"
	HeaderErrorTask      = "eddy.error.task"
	HeaderErrorNode      = "eddy.error.node"
	// HeaderErrorKind is the ErrorKind of the failure, as its String
	// ("Deserialization", "Processing", "Production"): what Kafka
	// Streams' __streams.errors.exception header (the exception's class)
	// tells apart.
	HeaderErrorKind = "eddy.error.kind"
)

// Config configures an application instance. Zero values take the
// documented defaults; Validate reports invalid values up front (New calls
// it).
type Config struct {
	// AppID names the application: the consumer group, the prefix of
	// internal topics and of transactional ids (Kafka Streams'
	// application.id). Required: at most 235 characters, each an ASCII
	// letter, digit, '.', '_' or '-', as Kafka topic names allow.
	AppID string
	// Brokers are the bootstrap servers, each host:port. Required unless
	// EmbeddedBroker is set: an empty list is a configuration error, so
	// an instance that lost its broker list stops at start instead of
	// running on an in-memory broker.
	Brokers []string
	// EmbeddedBroker starts an embedded in-process Kafka-protocol broker
	// (franz-go's kfake) for the instance and uses it instead of Brokers,
	// which must then be empty: for examples, first runs and tests. Its
	// topics, records and committed offsets are in memory and lost when
	// the App is closed; New logs the choice at WARN, and App.Brokers
	// returns the broker's address for other clients. Default false.
	EmbeddedBroker bool
	// StateDir holds the stores, under <StateDir>/<AppID>/<task>/.
	// Default: <os temp dir>/eddy.
	StateDir string
	// InstanceID identifies this instance across restarts; it keys the
	// transactional ids (<AppID>-<InstanceID>-<worker>) so a restarted
	// instance fences its previous incarnation, and standbys are never
	// placed on the instance running the active task. Two live instances
	// must never share one: the later one fences the earlier, which stops
	// with a *FencedError. Default: a random id generated once and kept in
	// <StateDir>/<AppID>/instance-id (Kafka Streams' processId file), read
	// and written only while holding the state directory's lock. It must
	// not contain spaces or control characters.
	InstanceID string
	// GroupInstanceID turns on static group membership (Kafka's
	// group.instance.id, KIP-345); empty (the default) keeps dynamic
	// membership. Each worker is a group member of its own, with the
	// group instance id <GroupInstanceID>-<worker> (workers count from 0),
	// so the value must be unique per instance and stable across its
	// restarts, like a StatefulSet pod name. Same characters as AppID.
	//
	// A static member does not leave the group when it stops, and the
	// group does not rebalance when it rejoins with the same id: an
	// instance restarted (or redeployed) within the session timeout gets
	// its tasks back without a rebalance, and no other instance restores
	// them meanwhile. The cost: a crashed or stopped instance's tasks go
	// unprocessed until the group coordinator notices, after the session
	// timeout (franz-go's default 45 s, as Kafka's session.timeout.ms).
	// Set the timeout with kgo.SessionTimeout in ClientOptions, long
	// enough to cover a restart and within the brokers'
	// group.min/max.session.timeout.ms. When scaling in (fewer instances
	// or Workers for good), remove the departed members at once with an
	// admin LeaveGroup for their group instance ids (kadm.LeaveGroup).
	//
	// Two live processes with the same GroupInstanceID fence each other:
	// the coordinator answers the earlier one's heartbeats with
	// FENCED_INSTANCE_ID, and it stops with a *FencedError naming the
	// group instance id. Do not put kgo.InstanceID in ClientOptions:
	// every worker would share it and fence the others.
	GroupInstanceID string
	// Endpoint is the "host:port" where this instance serves interactive
	// queries (Kafka Streams' application.server): the address other
	// instances forward a query to when this one holds the key's task. It
	// travels with every group join, so every instance learns every
	// other's endpoint and tasks (App.QueryMetadata). Eddy does not listen
	// on it itself: mount query.Handler in your HTTP server there. Empty
	// (the default): this instance's tasks are not reachable from the
	// others.
	Endpoint string
	// Workers is the number of processing goroutines, each a group member
	// with its own tasks (Kafka Streams' num.stream.threads). Default 1.
	Workers int
	// Guarantee selects at-least-once (default) or exactly-once.
	Guarantee Guarantee
	// CommitInterval is the commit cadence: default 30 s under
	// at-least-once, 100 ms under exactly-once, as in Kafka Streams.
	CommitInterval time.Duration
	// RepartitionPurgeInterval is how often a worker deletes the records
	// of repartition topics that its commits covered (Kafka Streams'
	// repartition.purge.interval.ms): repartition topics keep records
	// until purged, never by time, so a backfill with old timestamps loses
	// nothing. The deletion follows a commit once the interval passed and
	// runs in the background. Default 30 s; shorter purges keep less on
	// the brokers' disks for more DeleteRecords requests.
	RepartitionPurgeInterval time.Duration
	// StandbyReplicas is how many other instances keep a warm copy of each
	// task's state by tailing its changelog (Kafka Streams'
	// num.standby.replicas). The balancer prefers them when the active
	// owner fails, so failover restores only a short tail. Default 0.
	StandbyReplicas int
	// OnError handles bad records and processing errors that no handler
	// below handles. Default Fail.
	OnError ErrorPolicy
	// DeadLetterTopic receives records under the DeadLetter policy, and
	// the dead letters of handlers that name no topic. It is created (1
	// partition) if missing. Default <AppID>-dlq. Setting it with
	// neither the DeadLetter policy nor a handler is an error: nothing
	// would be written to it.
	DeadLetterTopic string
	// DeserializationHandler decides about records a source cannot
	// deserialize or whose timestamp is invalid (ErrorKind
	// Deserialization), ProcessingHandler about errors and panics of
	// operators and user functions (Processing), ProductionHandler about
	// output records that cannot be serialized or produced, such as a
	// record larger than its topic accepts, found before sending or
	// rejected by the broker (Production). Each is called with the
	// failed record's ErrorContext and returns whether to fail or go on,
	// and dead letters to write (see ErrorHandler, and FailHandler,
	// SkipHandler and DeadLetterHandler for the policies as handlers).
	//
	// A nil handler (the default) leaves its kind of error to OnError: a
	// handler takes precedence over OnError for its kind only. Setting
	// OnError to Skip or DeadLetter together with all three handlers is
	// an error: the policy would apply to nothing.
	DeserializationHandler ErrorHandler
	ProcessingHandler      ErrorHandler
	ProductionHandler      ErrorHandler
	// ClientOptions are passed to every franz-go client the instance
	// creates (group consumer and producer, admin, restore and standby
	// consumers): TLS, SASL, … See the README's Security section for the
	// ACLs the application's principal needs.
	ClientOptions []kgo.Opt
	// Logger receives the instance's logs. Default: slog.Default().
	Logger *slog.Logger
	// StateListener is called on every state change, in order and one
	// call at a time (each call's old state is the previous call's new
	// one), on the goroutine that changed the state. It must return
	// quickly and must not call Close.
	StateListener func(old, new State)
	// RestoreListener, if set, is told when restoring each changelog
	// partition of a task starts, progresses and ends (Kafka Streams'
	// StateRestoreListener).
	RestoreListener RestoreListener
	// MaxPollRecords is how many fetched records a poll takes from the
	// client (Kafka's max.poll.records); when at most eight times as many
	// are left of a fetch response, the poll takes them all, so the next
	// fetch request travels while the worker processes them. Default 1000.
	MaxPollRecords int
	// MaxTaskIdle is how long a task with several input partitions (a
	// join, a merge) waits for one of them that has nothing buffered
	// before processing the others without it (Kafka Streams'
	// max.task.idle.ms, KIP-353 and KIP-695). A task processes its
	// buffered records in timestamp order across its partitions; going
	// ahead without one may process records out of timestamp order (a
	// join misses matches, a window closes early).
	//
	// 0 (the default) does not wait for producers, but does wait to fetch
	// data already on the broker: while an empty partition's consumer lag
	// says the broker holds records not fetched yet, or is not known yet,
	// the task processes nothing. Once the partition is known to be caught
	// up, the task goes on without it at once.
	//
	// Greater than 0 additionally waits up to MaxTaskIdle for a caught-up
	// empty partition to receive records before processing without it.
	// Longer waits order records across partitions better when producers
	// lag behind each other, at the cost of latency.
	//
	// With 0 or more, records processed while a partition of their task
	// was empty are counted as enforced processing
	// (Metrics.EnforcedProcessing, Kafka Streams'
	// enforced-processing-total).
	//
	// Negative (NoTaskIdle) never waits, and counts nothing: the task
	// processes whatever is buffered, lowest timestamp first, even while a
	// partition's fetch is still in flight. Lowest latency, weakest
	// ordering.
	MaxTaskIdle time.Duration
	// BufferedRecordsPerPartition bounds the fetched records buffered for
	// one input partition of a task (Kafka Streams'
	// buffered.records.per.partition): a partition whose buffer still holds
	// more once the worker processed what it could (a join waiting for its
	// other input, see MaxTaskIdle) is paused (not fetched) until the task
	// drains it below the bound.
	// Larger buffers ride out bursts better; memory grows with partitions
	// × bound × record size. Default 1000.
	BufferedRecordsPerPartition int
	// CacheMaxBytes is the size of the record cache (Kafka Streams'
	// statestore.cache.max.bytes), split evenly between the workers. The
	// DSL's aggregations and tables keep their latest writes in it: a key
	// updated many times between two commits is written to its store and
	// changelog, and forwarded downstream, once — at the commit, or when
	// the cache evicts it. So a bigger cache or a longer CommitInterval
	// sends fewer, later updates; every update still reaches the final
	// table. Reads hit the cache first. Default 10 MiB; NoCache turns it
	// off, so every update is forwarded as it happens (what tests that
	// compare every intermediate result need). table.WithoutCaching turns
	// it off for one store.
	CacheMaxBytes int64
	// StateMemoryBytes bounds the memory of the instance's Pebble state
	// stores: every task, standby and global table database together. It
	// is the capacity of the one Pebble cache they share, which Pebble
	// charges both for the sstable blocks it caches and for the
	// databases' memtables (committed writes not yet flushed to disk), so
	// blocks get what the memtables leave. Half of it is also the write
	// budget: when the memtables hold more than that together, the
	// databases holding more than their share flush theirs early. Each
	// database's memtable is 1/128 of it (1 MiB by default; at least 256
	// KiB, at most 4 MiB), and a database keeps up to two memtables'
	// memory at rest, so up to 64 databases fit in half of it; with more,
	// raise it by 2 × the memtable size per database, or the block cache
	// gets nothing. It does not cover the record cache (CacheMaxBytes),
	// fetched records (BufferedRecordsPerPartition), a commit interval's
	// uncommitted writes or each database's row cache of recently read and
	// written values (one memtable's size; pebble.Options.RowCacheBytes).
	// Default 128 MiB; at least 4 MiB.
	StateMemoryBytes int64
}

// NoCache is the Config.CacheMaxBytes that turns the record cache off.
const NoCache int64 = -1

// defaultCacheMaxBytes is Kafka Streams' statestore.cache.max.bytes.
const defaultCacheMaxBytes = 10 << 20

// NoTaskIdle is the Config.MaxTaskIdle that never waits for an empty input
// partition (Kafka Streams' max.task.idle.ms = -1).
const NoTaskIdle time.Duration = -1

// Default values New applies to zero fields of Config.
const (
	defaultWorkers                     = 1
	defaultMaxPollRecords              = 1000
	defaultBufferedRecordsPerPartition = 1000
	defaultCommitIntervalALOS          = 30 * time.Second
	defaultCommitIntervalEOS           = 100 * time.Millisecond
	defaultRepartitionPurgeInterval    = 30 * time.Second
)

// maxTopicNameLen is the longest topic name Kafka accepts; it bounds group
// instance ids too.
const maxTopicNameLen = 249

// maxAppIDLen leaves room in a Kafka topic name for the shortest internal
// topic name, <AppID>-x-repartition.
const maxAppIDLen = maxTopicNameLen - len("-x-repartition")

// ConfigError reports an invalid Config field. Validate and New return one
// per invalid field (joined with errors.Join when there are several); use
// errors.As to find them.
type ConfigError struct {
	// Field is the Config field's name, e.g. "Workers", or
	// "ClientOptions[2]".
	Field string
	// Value is the field's invalid value.
	Value any
	// Reason says what is wrong and what to do.
	Reason string
}

// Error names the field and its value and says what to do.
func (e *ConfigError) Error() string {
	v := e.Value
	if s, ok := v.(string); ok {
		v = strconv.Quote(s)
	}
	return fmt.Sprintf("runtime: Config.%s = %v: %s", e.Field, v, e.Reason)
}

// Validate checks the configuration without any I/O and reports every
// invalid field as a *ConfigError, joined with errors.Join: an AppID that
// is missing or not usable in Kafka names, no Brokers without
// EmbeddedBroker (or both), an empty broker address, an unknown Guarantee or
// OnError, a negative count or duration (MaxTaskIdle excepted), a
// DeadLetterTopic without the DeadLetter policy or an error handler,
// OnError Skip or DeadLetter with all three error handlers set (the policy
// would apply to nothing), an invalid topic or group
// instance id, a nil client option. Other zero values are valid: they
// take the defaults. New calls Validate; call it yourself to report
// configuration errors before starting anything.
func (c Config) Validate() error {
	var errs []error
	bad := func(field string, value any, reason string, args ...any) {
		errs = append(errs, &ConfigError{Field: field, Value: value, Reason: fmt.Sprintf(reason, args...)})
	}
	if c.AppID == "" {
		bad("AppID", c.AppID, "required: it names the consumer group and prefixes the internal topics")
	} else if reason := kafkaNameProblem(c.AppID, maxAppIDLen); reason != "" {
		bad("AppID", c.AppID, "%s: it names the consumer group and prefixes the internal topics", reason)
	}
	switch {
	case len(c.Brokers) == 0 && !c.EmbeddedBroker:
		bad("Brokers", c.Brokers, "empty: set the bootstrap servers (host:port) of your Kafka cluster, "+
			"or set Config.EmbeddedBroker to run on an in-memory embedded broker (development only: its data is lost at exit)")
	case len(c.Brokers) > 0 && c.EmbeddedBroker:
		bad("EmbeddedBroker", c.EmbeddedBroker, "set together with Brokers %v: clear EmbeddedBroker to use those brokers, or clear Brokers to use the embedded one", c.Brokers)
	}
	for i, b := range c.Brokers {
		if strings.TrimSpace(b) == "" {
			bad(fmt.Sprintf("Brokers[%d]", i), b, "empty address: give host:port, or remove the entry")
		}
	}
	if c.InstanceID != "" {
		if i := strings.IndexFunc(c.InstanceID, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }); i >= 0 {
			r, _ := utf8.DecodeRuneInString(c.InstanceID[i:])
			bad("InstanceID", c.InstanceID, "character %q at byte %d: use no spaces or control characters (or leave it empty for a generated one)", r, i)
		}
	}
	if c.Endpoint != "" {
		if _, port, err := net.SplitHostPort(c.Endpoint); err != nil || port == "" {
			bad("Endpoint", c.Endpoint, "not host:port: give the address other instances reach this one's query handler at, e.g. \"10.0.0.7:8080\"")
		}
	}
	if c.GroupInstanceID != "" {
		// The longest member id, <GroupInstanceID>-<last worker>, must fit.
		suffix := len("-") + len(strconv.Itoa(max(c.Workers, 1)-1))
		if reason := kafkaNameProblem(c.GroupInstanceID, maxTopicNameLen-suffix); reason != "" {
			bad("GroupInstanceID", c.GroupInstanceID, "%s: workers join the group as <GroupInstanceID>-<worker>", reason)
		}
	}
	if c.Workers < 0 {
		bad("Workers", c.Workers, "must not be negative; 0 takes the default (%d)", defaultWorkers)
	}
	switch c.Guarantee {
	case AtLeastOnce, ExactlyOnce:
	default:
		bad("Guarantee", int(c.Guarantee), "unknown: use runtime.AtLeastOnce or runtime.ExactlyOnce")
	}
	if c.CommitInterval < 0 {
		bad("CommitInterval", c.CommitInterval, "must not be negative; 0 takes the default (%v, or %v under ExactlyOnce)",
			defaultCommitIntervalALOS, defaultCommitIntervalEOS)
	}
	if c.RepartitionPurgeInterval < 0 {
		bad("RepartitionPurgeInterval", c.RepartitionPurgeInterval, "must not be negative; 0 takes the default (%v)", defaultRepartitionPurgeInterval)
	}
	if c.StandbyReplicas < 0 {
		bad("StandbyReplicas", c.StandbyReplicas, "must not be negative; 0 keeps no standby replicas")
	}
	switch c.OnError {
	case Fail, Skip, DeadLetter:
	default:
		bad("OnError", int(c.OnError), "unknown: use runtime.Fail, runtime.Skip or runtime.DeadLetter")
	}
	handlers := c.DeserializationHandler != nil || c.ProcessingHandler != nil || c.ProductionHandler != nil
	if c.OnError != Fail && c.DeserializationHandler != nil && c.ProcessingHandler != nil && c.ProductionHandler != nil {
		bad("OnError", c.OnError, "set, but DeserializationHandler, ProcessingHandler and ProductionHandler are all set, so the policy applies to no error: "+
			"leave OnError unset, or a handler nil for the errors the policy is to handle")
	}
	if c.DeadLetterTopic != "" {
		if c.OnError != DeadLetter && !handlers {
			bad("DeadLetterTopic", c.DeadLetterTopic, "set, but OnError is %v, which writes no dead letters, and no error handler is set: "+
				"set OnError to runtime.DeadLetter, or leave DeadLetterTopic empty (runtime.DeadLetterHandler takes its topic as argument)", c.OnError)
		} else if reason := kafkaNameProblem(c.DeadLetterTopic, maxTopicNameLen); reason != "" {
			bad("DeadLetterTopic", c.DeadLetterTopic, "%s: it must be a valid topic name", reason)
		}
	}
	for i, o := range c.ClientOptions {
		if o == nil {
			bad(fmt.Sprintf("ClientOptions[%d]", i), o, "nil option: remove it")
		}
	}
	if c.MaxPollRecords < 0 {
		bad("MaxPollRecords", c.MaxPollRecords, "must not be negative; 0 takes the default (%d)", defaultMaxPollRecords)
	}
	if c.CacheMaxBytes < NoCache {
		bad("CacheMaxBytes", c.CacheMaxBytes, "must not be negative except NoCache (-1, no cache); 0 takes the default (%d)", defaultCacheMaxBytes)
	}
	if c.BufferedRecordsPerPartition < 0 {
		bad("BufferedRecordsPerPartition", c.BufferedRecordsPerPartition, "must not be negative; 0 takes the default (%d)", defaultBufferedRecordsPerPartition)
	}
	if c.StateMemoryBytes != 0 && c.StateMemoryBytes < minStateMemoryBytes {
		bad("StateMemoryBytes", c.StateMemoryBytes, "below the minimum of %d (4 MiB); 0 takes the default (%d, 128 MiB)", minStateMemoryBytes, defaultStateMemoryBytes)
	}
	return errors.Join(errs...)
}

// kafkaNameProblem says why name is not a legal Kafka topic name (or group
// instance id, which follows the same rule) of at most maxLen characters,
// or returns "".
func kafkaNameProblem(name string, maxLen int) string {
	if name == "." || name == ".." {
		return `"." and ".." are not allowed`
	}
	if len(name) > maxLen {
		return fmt.Sprintf("%d characters, more than the %d allowed", len(name), maxLen)
	}
	for i := 0; i < len(name); i++ {
		b := name[i]
		if 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || b == '.' || b == '_' || b == '-' {
			continue
		}
		r, _ := utf8.DecodeRuneInString(name[i:])
		return fmt.Sprintf("character %q at byte %d: use ASCII letters, digits, '.', '_' and '-'", r, i)
	}
	return ""
}

// applyDefaults fills zero fields with their defaults, without I/O. The
// InstanceID default is read from the state directory, under its lock:
// see loadInstanceID.
func (c *Config) applyDefaults() {
	if c.Workers == 0 {
		c.Workers = defaultWorkers
	}
	if c.MaxPollRecords == 0 {
		c.MaxPollRecords = defaultMaxPollRecords
	}
	if c.BufferedRecordsPerPartition == 0 {
		c.BufferedRecordsPerPartition = defaultBufferedRecordsPerPartition
	}
	if c.CacheMaxBytes == 0 {
		c.CacheMaxBytes = defaultCacheMaxBytes
	}
	if c.CommitInterval == 0 {
		c.CommitInterval = defaultCommitIntervalALOS
		if c.Guarantee == ExactlyOnce {
			c.CommitInterval = defaultCommitIntervalEOS
		}
	}
	if c.RepartitionPurgeInterval == 0 {
		c.RepartitionPurgeInterval = defaultRepartitionPurgeInterval
	}
	if c.StateDir == "" {
		c.StateDir = filepath.Join(os.TempDir(), "eddy")
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.OnError == DeadLetter && c.DeadLetterTopic == "" {
		c.DeadLetterTopic = c.AppID + "-dlq"
	}
}

// appDir is the application's state directory, <StateDir>/<AppID>, which
// New locks.
func (c *Config) appDir() string { return filepath.Join(c.StateDir, c.AppID) }

// loadInstanceID sets the default InstanceID, if none is configured, from
// the instance-id file in the application's state directory, creating the
// file on first use. The caller must hold the directory's lock
// (internal/dirlock): otherwise two processes starting on one state
// directory could each write an id, and the one that goes on to take the
// lock could run with an id the file no longer holds.
func (c *Config) loadInstanceID() error {
	if c.InstanceID != "" {
		return nil
	}
	id, err := persistentInstanceID(c.appDir())
	if err != nil {
		return err
	}
	c.InstanceID = id
	return nil
}

// transactionalID is worker's transactional id under exactly-once:
// <AppID>-<InstanceID>-<worker>.
func (c *Config) transactionalID(worker int) string {
	return fmt.Sprintf("%s-%s-%d", c.AppID, c.InstanceID, worker)
}

// persistentInstanceID reads the instance id kept in dir, creating a random
// one on first use. Call it only while holding dir's lock (loadInstanceID).
func persistentInstanceID(dir string) (string, error) {
	path := filepath.Join(dir, "instance-id")
	if b, err := os.ReadFile(path); err == nil {
		if id := strings.TrimSpace(string(b)); id != "" {
			return id, nil
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("runtime: state directory %s: %w", dir, err)
	}
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", err
	}
	id := hex.EncodeToString(raw[:])
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(id+"\n"), 0o644); err != nil {
		return "", fmt.Errorf("runtime: write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", fmt.Errorf("runtime: write %s: %w", path, err)
	}
	return id, nil
}
