// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/eddy-streams/eddy/internal/engine"
	"github.com/eddy-streams/eddy/internal/partition"
	"github.com/eddy-streams/eddy/record"
)

// Error handlers: Kafka Streams' deserialization, processing (KIP-1033) and
// production exception handlers, with dead-letter records in the response
// (KIP-1034), as user functions.

// ErrorKind says where a record failed, and so which handler of Config
// gets it.
type ErrorKind int

// The kinds of record errors.
const (
	// Deserialization: a source could not deserialize the record's key or
	// value, or the record has an invalid (negative) timestamp and the
	// source has no timestamp extractor. Config.DeserializationHandler.
	Deserialization ErrorKind = iota + 1
	// Processing: an operator or user function returned an error or
	// panicked on the record. Config.ProcessingHandler.
	Processing
	// Production: a record that processing the input record produced could
	// not be written to its topic: a sink could not serialize its key or
	// value, it is larger than the topic accepts (checked before sending),
	// or the broker rejected it (too large, invalid). Config.ProductionHandler.
	Production
)

// String names the kind as the constant does ("Deserialization",
// "Processing", "Production"), or ErrorKind(n) for another value.
func (k ErrorKind) String() string {
	switch k {
	case Deserialization:
		return "Deserialization"
	case Processing:
		return "Processing"
	case Production:
		return "Production"
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// ErrorContext describes a record that failed, for an ErrorHandler.
//
// Topic, Partition, Offset, Key, Value, Timestamp and Headers are the input
// record's, as read from Kafka, also for a Production error, whose output
// record is in Output. The slices are shared with the application: do not
// modify them, and copy them to keep them past the call (DeadLetter does).
// An output record that a record cache flush sends carries the context of
// the input record that last updated its cache entry (as in Kafka
// Streams): Key is then the store key and Value nil.
type ErrorContext struct {
	// Kind is where the record failed.
	Kind ErrorKind
	// Task is the task, as "0_3" (sub-topology 0, partition 3) or
	// "1_global" for a global table.
	Task string
	// Node names the node that failed: the source for a Deserialization
	// error, the sink for a Production error, for a Processing error the
	// node the error names, or, if it names none (a panic, or an error
	// of a user function that the operator does not prefix with its
	// name), the source node that read the record.
	Node string
	// Topic, Partition and Offset locate the input record.
	Topic     string
	Partition int32
	Offset    int64
	// Key and Value are the input record's bytes (nil for null).
	Key, Value []byte
	// Timestamp is the input record's timestamp.
	Timestamp time.Time
	// Headers are the input record's headers.
	Headers []record.Header
	// Output is the record that could not be produced, for a Production
	// error; nil otherwise.
	Output *OutputRecord
	// Err is the cause: a deserialization error, "panic: …" for a panic,
	// an operator's or user function's error, a serialization error, a
	// size check's error or the broker's rejection (errors.Is finds the
	// kerr error, as kerr.MessageTooLarge).
	Err error
}

// OutputRecord is a record that could not be produced (ErrorContext.Output).
type OutputRecord struct {
	// Topic is the topic it was for.
	Topic string
	// Partition is the partition it was for; -1 if none was chosen yet.
	Partition int32
	// Key and Value are its serialized bytes; both nil when the record
	// failed before it was serialized or sent (a serialization error, or
	// a record larger than the topic accepts, found before sending).
	Key, Value []byte
	// Timestamp is its timestamp; zero if Key and Value are nil.
	Timestamp time.Time
	// Headers are its headers.
	Headers []record.Header
}

// ErrorResponse is an ErrorHandler's decision.
type ErrorResponse struct {
	// Continue drops the record, counts it in Metrics.Dropped (reason
	// "deserialization" or "invalid-timestamp" for a Deserialization
	// error, "processing" for the others), logs it at WARN and goes on
	// with the next record. False, the zero value, stops the application
	// with a *RecordError naming the record.
	Continue bool
	// DeadLetters are produced when Continue is set (a failing
	// application writes none): in the task's output stream, so under
	// exactly-once they commit atomically with the input offset, as the
	// DeadLetter policy's. Each is cut to fit its topic if needed (see
	// HeaderErrorTruncated); a dead letter that cannot be sent stops
	// the application rather than lose the record.
	DeadLetters []DeadLetterRecord
}

// DeadLetterRecord is a record an ErrorHandler has produced in place of
// the failed one (ErrorContext.DeadLetter builds the usual one).
type DeadLetterRecord struct {
	// Topic is the topic to write it to; empty: Config.DeadLetterTopic,
	// default "<AppID>-dlq". A missing topic is created with one
	// partition and cleanup.policy=delete, as the DeadLetter policy's.
	Topic string
	// Key, Value, Timestamp and Headers are the record's. A record with
	// a key goes to the partition of the key's murmur2 hash, as Kafka's
	// producer puts Kafka Streams' dead letters; those without one are
	// spread over the topic's partitions round-robin.
	Key, Value []byte
	Timestamp  time.Time
	Headers    []record.Header
}

// ErrorHandler decides what happens to a record that failed: set one per
// kind of error in Config (DeserializationHandler, ProcessingHandler,
// ProductionHandler). It runs on the goroutine processing the record,
// which waits for it: it must not block for long. A panic in it stops the
// application as a Fail response does.
//
// An output record the broker rejects after it was sent (too large for
// its topic, invalid: MESSAGE_TOO_LARGE, RECORD_LIST_TOO_LARGE,
// INVALID_RECORD, CORRUPT_MESSAGE, INVALID_TIMESTAMP) reaches the
// ProductionHandler too, with the input record that produced it: the
// processing since the last commit is rolled back and done again, and
// the record is handed to the handler instead of being sent. Under
// exactly-once the transaction is aborted, so every record is still
// committed once; under at-least-once the input is rewound to the last
// committed offsets and the records sent since are sent again. The
// handler is called once per rejected record.
//
// Failures to write state or a changelog, or a record a punctuation sends
// that the broker rejects, are never handed to a handler: the application
// stops, as skipping them would lose state.
type ErrorHandler func(ErrorContext) ErrorResponse

// FailHandler stops the application with a *RecordError naming the record
// (the Fail policy, the default).
func FailHandler(ErrorContext) ErrorResponse { return ErrorResponse{} }

// SkipHandler logs, counts and drops the record (the Skip policy).
func SkipHandler(ErrorContext) ErrorResponse { return ErrorResponse{Continue: true} }

// DeadLetterHandler writes the record to topic, as ec.DeadLetter(topic)
// builds it, counts it as dropped and logs it at WARN as dead-lettered,
// naming the topic: the DeadLetter policy, for any topic (empty:
// Config.DeadLetterTopic, default "<AppID>-dlq").
func DeadLetterHandler(topic string) ErrorHandler {
	return func(ec ErrorContext) ErrorResponse {
		return ErrorResponse{Continue: true, DeadLetters: []DeadLetterRecord{ec.DeadLetter(topic)}}
	}
}

// DeadLetter returns the dead letter of the failed input record for topic,
// as the DeadLetter policy writes it: the record's key, value, timestamp
// and headers (copies), followed by the DeadLetterHeaders of ec: the
// error's message, the record's topic, partition and offset, the task,
// the node and the kind of error. ParseDeadLetter reads them back.
func (ec ErrorContext) DeadLetter(topic string) DeadLetterRecord {
	msg := ""
	if ec.Err != nil {
		msg = ec.Err.Error()
	}
	hs := appendDeadLetterHeaders(slices.Clone(ec.Headers), DeadLetterHeaders{Message: msg,
		Topic: ec.Topic, Partition: ec.Partition, Offset: ec.Offset, Task: ec.Task, Node: ec.Node, Kind: ec.Kind})
	return DeadLetterRecord{Topic: topic, Key: slices.Clone(ec.Key), Value: slices.Clone(ec.Value), Timestamp: ec.Timestamp, Headers: hs}
}

// handler returns the handler for errors of kind k: Config's, or the
// OnError policy's if that is nil. user reports whether it is Config's.
func (c *Config) handler(k ErrorKind) (h ErrorHandler, user bool) {
	switch k {
	case Deserialization:
		h = c.DeserializationHandler
	case Processing:
		h = c.ProcessingHandler
	case Production:
		h = c.ProductionHandler
	}
	if h != nil {
		return h, true
	}
	switch c.OnError {
	case Skip:
		return SkipHandler, false
	case DeadLetter:
		return DeadLetterHandler(c.DeadLetterTopic), false
	}
	return FailHandler, false
}

// deadLetterTopic is where a dead letter without a topic goes.
func (c *Config) deadLetterTopic() string {
	if c.DeadLetterTopic != "" {
		return c.DeadLetterTopic
	}
	return c.AppID + "-dlq"
}

// errorHandler returns the tasks' error handler: it describes the failed
// record as an ErrorContext, asks the handler of its kind, sends the dead
// letters, logs what it did, and tells the task to fail or to count the
// record as dropped (engine.Diverted: logged here).
func (c *Config) errorHandler() engine.ErrorHandler {
	return c.handleError
}

func (c *Config) handleError(eec engine.ErrorContext, err error) engine.ErrorAction {
	log := eec.Logger
	if log == nil {
		log = c.Logger
	}
	ec := describeError(eec, err)
	h, _ := c.handler(ec.Kind)
	resp, ok := callHandler(h, ec, log)
	if !ok || !resp.Continue {
		if ok && len(resp.DeadLetters) > 0 {
			log.Warn("error handler failed the record and returned dead letters: they are not written", "kind", ec.Kind,
				"node", ec.Node, "topic", ec.Topic, "partition", ec.Partition, "offset", ec.Offset)
		}
		return engine.Fail
	}
	if len(resp.DeadLetters) == 0 {
		// Logged here rather than by the task, which may not know the
		// node.
		attrs := []any{"kind", ec.Kind, "node", ec.Node, "topic", ec.Topic, "partition", ec.Partition, "offset", ec.Offset}
		if o := ec.Output; o != nil {
			attrs = append(attrs, "output_topic", o.Topic, "output_partition", o.Partition, "output_key", keyString(o.Key))
		}
		log.Warn("skipping bad record", append(attrs, "err", err)...)
		return engine.Diverted
	}
	for _, dl := range resp.DeadLetters {
		topic := dl.Topic
		if topic == "" {
			topic = c.deadLetterTopic()
		}
		if err := sendDeadLetter(eec.Collector, topic, dl, log); err != nil {
			log.Error("dead letter not written; stopping rather than losing the record", "dead_letter_topic", topic, "node", ec.Node,
				"topic", ec.Topic, "partition", ec.Partition, "offset", ec.Offset, "err", err)
			return engine.Fail
		}
		log.Warn("dead-lettered bad record", "dead_letter_topic", topic, "node", ec.Node,
			"topic", ec.Topic, "partition", ec.Partition, "offset", ec.Offset, "err", err)
	}
	return engine.Diverted
}

// callHandler runs h, turning a panic into a failure (ok false).
func callHandler(h ErrorHandler, ec ErrorContext, log *slog.Logger) (resp ErrorResponse, ok bool) {
	defer func() {
		if p := recover(); p != nil {
			log.Error("error handler panicked; failing the record", "kind", ec.Kind, "node", ec.Node,
				"topic", ec.Topic, "partition", ec.Partition, "offset", ec.Offset, "panic", fmt.Sprint(p))
			resp, ok = ErrorResponse{}, false
		}
	}()
	return h(ec), true
}

// sendDeadLetter sends dl to topic through coll, creating the topic if it
// is missing, cut to fit it.
func sendDeadLetter(coll engine.Collector, topic string, dl DeadLetterRecord, log *slog.Logger) error {
	if coll == nil {
		return errors.New("no collector")
	}
	if err := ensureDeadLetterTopic(coll, topic); err != nil {
		return err
	}
	r := &engine.RawRecord{Topic: topic, Partition: -1, Key: dl.Key, Value: dl.Value, Headers: dl.Headers}
	if dl.Key != nil {
		// The partition of the key, as Kafka's producer chooses it for
		// Kafka Streams' dead letters (murmur2 of the key bytes).
		n, err := coll.PartitionCount(topic)
		if err != nil {
			return fmt.Errorf("partitions of dead-letter topic %q: %w", topic, err)
		}
		if n > 0 {
			r.Partition = partition.ForKey(dl.Key, n)
		}
	}
	if !dl.Timestamp.IsZero() {
		r.Timestamp = dl.Timestamp.UnixMilli()
	}
	if !fitDeadLetter(coll, r, log) {
		return fmt.Errorf("dead letter does not fit topic %q even without key and value", topic)
	}
	return coll.Send(r)
}

// describeError builds the ErrorContext of a failed record: its kind, the
// node that failed (see ErrorContext.Node) and, for a Production error,
// the output record.
func describeError(eec engine.ErrorContext, err error) ErrorContext {
	return describeErrorIn(nodesOf(eec.Collector, eec.Task.Subtopology), eec, err)
}

func describeErrorIn(nodes *nodeIndex, eec engine.ErrorContext, err error) ErrorContext {
	r := eec.Record
	if r == nil {
		r = &engine.RawRecord{Partition: -1, Offset: -1}
	}
	ec := ErrorContext{Task: eec.Task.String(), Topic: r.Topic, Partition: r.Partition, Offset: r.Offset,
		Key: r.Key, Value: r.Value, Timestamp: msTime(r.Timestamp), Headers: r.Headers, Err: err}
	named := nodes.innermost(err)
	var rj *rejectedError
	var tl *engine.RecordTooLargeError
	switch {
	case errors.As(err, &rj):
		ec.Kind = Production
		out := rj.out
		ec.Output = &out
		ec.Node = nodes.sinkFor(out.Topic, named)
	case errors.As(err, &tl):
		ec.Kind = Production
		ec.Output = &OutputRecord{Topic: tl.Topic, Partition: -1}
		ec.Node = nodes.sinkFor(tl.Topic, named)
	case nodes.serializeFailed(named, err):
		ec.Kind = Production
		ec.Output = &OutputRecord{Topic: nodes.sinkTopic(named), Partition: -1}
		ec.Node = named
	case nodes.isSource(eec.Node):
		ec.Kind = Deserialization
		ec.Node = eec.Node
	default:
		ec.Kind = Processing
		switch {
		case named != "":
			ec.Node = named
		case nodes.has(eec.Node):
			ec.Node = eec.Node
		default:
			ec.Node = nodes.sourceFor(r.Topic)
		}
	}
	if ec.Node == "" {
		ec.Node = eec.Node
	}
	return ec
}

// keyString quotes at most the first 64 bytes of a key for a log or an
// error; "null" for a null key.
func keyString(k []byte) string {
	if k == nil {
		return "null"
	}
	if len(k) > 64 {
		k = k[:64]
	}
	return strconv.Quote(string(k))
}
