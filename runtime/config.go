// Package runtime runs a topology on Kafka: one application instance joins
// the consumer group named by the application id, is assigned tasks
// (sub-topology × partition), keeps their state in Pebble stores backed by
// changelog topics, and commits at-least-once or exactly-once.
//
// With no brokers configured, an instance starts an embedded in-process
// Kafka-protocol broker (franz-go's kfake) and says so in the log: the
// default for examples and first runs.
package runtime

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
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
// undecodable key or value, invalid timestamp, or a processing error (an
// error or panic in an operator or user function). Failures to write state
// or output are never skipped: they stop the application.
type ErrorPolicy int

const (
	// Fail stops the application with an error naming topic, partition and
	// offset. Default, as Kafka Streams' LogAndFailExceptionHandler.
	Fail ErrorPolicy = iota
	// Skip logs, counts and drops the record.
	Skip
	// DeadLetter writes the record's original key, value, timestamp and
	// headers to Config.DeadLetterTopic with the error and the record's
	// origin in headers (see DeadLetterHeaders), then counts it as
	// skipped. Under exactly-once the dead letter commits atomically with
	// the input offset.
	DeadLetter
)

// Headers added to dead-lettered records (see DeadLetterHeaders), after
// the record's own headers.
const (
	HeaderErrorMessage   = "eddy.error.message"
	HeaderErrorTopic     = "eddy.error.topic"
	HeaderErrorPartition = "eddy.error.partition"
	HeaderErrorOffset    = "eddy.error.offset"
	HeaderErrorTask      = "eddy.error.task"
	HeaderErrorNode      = "eddy.error.node"
)

// Config configures an application instance. Zero values take the
// documented defaults; Validate reports invalid combinations up front.
type Config struct {
	// AppID names the application: the consumer group, the prefix of
	// internal topics and of transactional ids. Required.
	AppID string
	// Brokers are the bootstrap servers. Empty starts an embedded
	// in-process broker (logged), for examples and first runs.
	Brokers []string
	// StateDir holds the stores, under <StateDir>/<AppID>/<task>/.
	// Default: <os temp dir>/eddy.
	StateDir string
	// InstanceID identifies this instance across restarts; it keys the
	// transactional ids (<AppID>-<InstanceID>-<worker>) so a restarted
	// instance fences its previous incarnation, and standbys are never
	// placed on the instance running the active task. Two live instances
	// must never share one. Default: a random id generated once and kept
	// in <StateDir>/<AppID>/instance-id (Kafka Streams' processId file).
	InstanceID string
	// Workers is the number of processing goroutines, each a group member
	// with its own tasks (Kafka Streams' num.stream.threads). Default 1.
	Workers int
	// Guarantee selects at-least-once (default) or exactly-once.
	Guarantee Guarantee
	// CommitInterval is the commit cadence: default 30 s under
	// at-least-once, 100 ms under exactly-once, as in Kafka Streams.
	CommitInterval time.Duration
	// StandbyReplicas is how many other instances keep a warm copy of each
	// task's state by tailing its changelog (Kafka Streams'
	// num.standby.replicas). The balancer prefers them when the active
	// owner fails, so failover restores only a short tail. Default 0.
	StandbyReplicas int
	// OnError handles bad records and processing errors. Default Fail.
	OnError ErrorPolicy
	// DeadLetterTopic receives records under the DeadLetter policy. It is
	// created (1 partition) if missing. Default <AppID>-dlq.
	DeadLetterTopic string
	// ClientOptions are passed to every franz-go client the instance
	// creates (group consumer and producer, admin, restore and standby
	// consumers): TLS, SASL, … See the README's Security section for the
	// ACLs the application's principal needs.
	ClientOptions []kgo.Opt
	// Logger receives the instance's logs. Default: slog.Default().
	Logger *slog.Logger
	// StateListener is called on every state change.
	StateListener func(old, new State)
	// MaxPollRecords bounds the records processed per cycle. Default 1000.
	MaxPollRecords int
}

func (c *Config) withDefaults() error {
	if c.AppID == "" {
		return errors.New("runtime: Config.AppID is required")
	}
	if strings.ContainsAny(c.AppID, " /\\") {
		return fmt.Errorf("runtime: Config.AppID %q: use letters, digits, '.', '_' and '-'", c.AppID)
	}
	if c.Workers < 0 || c.MaxPollRecords < 0 || c.CommitInterval < 0 || c.StandbyReplicas < 0 {
		return errors.New("runtime: Workers, MaxPollRecords, CommitInterval and StandbyReplicas must not be negative")
	}
	if c.Workers == 0 {
		c.Workers = 1
	}
	if c.MaxPollRecords == 0 {
		c.MaxPollRecords = 1000
	}
	if c.CommitInterval == 0 {
		c.CommitInterval = 30 * time.Second
		if c.Guarantee == ExactlyOnce {
			c.CommitInterval = 100 * time.Millisecond
		}
	}
	if c.StateDir == "" {
		c.StateDir = filepath.Join(os.TempDir(), "eddy")
	}
	if c.InstanceID == "" {
		id, err := persistentInstanceID(filepath.Join(c.StateDir, c.AppID))
		if err != nil {
			return err
		}
		c.InstanceID = id
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.OnError == DeadLetter && c.DeadLetterTopic == "" {
		c.DeadLetterTopic = c.AppID + "-dlq"
	}
	return nil
}

func (c *Config) errorHandler() engine.ErrorHandler {
	switch c.OnError {
	case Skip:
		return engine.SkipOnError
	case DeadLetter:
		return c.deadLetter
	}
	return engine.FailOnError
}

// deadLetter sends the bad record to the dead-letter topic; if that fails
// the application stops rather than losing the record.
func (c *Config) deadLetter(ec engine.ErrorContext, err error) engine.ErrorAction {
	r := ec.Record
	headers := appendDeadLetterHeaders(slices.Clone(r.Headers), DeadLetterHeaders{Message: err.Error(),
		Topic: r.Topic, Partition: r.Partition, Offset: r.Offset, Task: ec.Task.String(), Node: ec.Node})
	dl := &engine.RawRecord{Topic: c.DeadLetterTopic, Partition: -1, Key: slices.Clone(r.Key), Value: slices.Clone(r.Value),
		Timestamp: r.Timestamp, Headers: headers}
	if ec.Collector == nil || !fitDeadLetter(ec.Collector, dl, c.Logger) || ec.Collector.Send(dl) != nil {
		return engine.Fail
	}
	return engine.Skip
}

// persistentInstanceID reads the instance id kept in dir, creating a random
// one on first use.
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
