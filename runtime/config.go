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
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
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

// ErrorPolicy says what happens to a record that cannot be processed
// (undecodable key or value, invalid timestamp).
type ErrorPolicy int

const (
	// Fail stops the application with an error naming topic, partition and
	// offset. Default, as Kafka Streams' LogAndFailExceptionHandler.
	Fail ErrorPolicy = iota
	// Skip logs, counts and drops the record.
	Skip
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
	// instance fences its previous incarnation. Default: host name.
	InstanceID string
	// Workers is the number of processing goroutines, each a group member
	// with its own tasks (Kafka Streams' num.stream.threads). Default 1.
	Workers int
	// Guarantee selects at-least-once (default) or exactly-once.
	Guarantee Guarantee
	// CommitInterval is the commit cadence: default 30 s under
	// at-least-once, 100 ms under exactly-once, as in Kafka Streams.
	CommitInterval time.Duration
	// OnError handles undecodable records. Default Fail.
	OnError ErrorPolicy
	// ClientOptions are passed to every franz-go client the instance
	// creates (group consumer, producer, admin, restore): TLS, SASL, …
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
	if c.Workers < 0 || c.MaxPollRecords < 0 || c.CommitInterval < 0 {
		return errors.New("runtime: Workers, MaxPollRecords and CommitInterval must not be negative")
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
		h, err := os.Hostname()
		if err != nil || h == "" {
			h = "instance"
		}
		c.InstanceID = h
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return nil
}

func (c *Config) errorHandler() engine.ErrorHandler {
	if c.OnError == Skip {
		return engine.SkipOnError
	}
	return engine.FailOnError
}
