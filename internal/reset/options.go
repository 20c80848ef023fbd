// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package reset

import (
	"fmt"
	"time"
)

// Position says where a reset moves the consumer group's committed offsets
// on the input topics. The zero value is Earliest.
type Position struct {
	kind   positionKind
	time   time.Time
	offset int64
}

type positionKind int

const (
	earliest positionKind = iota
	latest
	atTime
	atOffset
)

// Earliest moves each input partition to its log start offset, so the
// application reprocesses everything the topic still holds (Kafka's
// --to-earliest). The default.
func Earliest() Position { return Position{kind: earliest} }

// Latest moves each input partition to its end offset, so the application
// skips everything written so far (Kafka's --to-latest).
func Latest() Position { return Position{kind: latest} }

// AtTime moves each input partition to its first record with a timestamp
// at or after t, or to its end if there is none (Kafka's --to-datetime and,
// with t = now - d, --by-duration).
func AtTime(t time.Time) Position { return Position{kind: atTime, time: t} }

// AtOffset moves each input partition to offset o, clamped to the
// partition's log start and end offsets (Kafka's --to-offset).
func AtOffset(o int64) Position { return Position{kind: atOffset, offset: o} }

// String describes the position for a summary, e.g. "earliest" or
// "the first record at or after 2024-05-01T12:00:00Z".
func (p Position) String() string {
	switch p.kind {
	case latest:
		return "latest"
	case atTime:
		// Kafka looks offsets up by millisecond.
		return "the first record at or after " + p.time.Truncate(time.Millisecond).Format(time.RFC3339Nano)
	case atOffset:
		return fmt.Sprintf("offset %d", p.offset)
	}
	return "earliest"
}

// Opt configures Prepare.
type Opt func(*options)

type options struct {
	inputs        []string
	intermediates []string
	position      Position
	stateDir      string
}

// InputTopics are the application's source topics: the group's committed
// offsets on every partition of each are moved to the Position (see To).
// Repeatable; default none, which leaves input offsets unchanged.
func InputTopics(topics ...string) Opt {
	return func(o *options) { o.inputs = append(o.inputs, topics...) }
}

// IntermediateTopics are user topics the application both writes and reads
// (a To followed by a Stream of the same topic): the group's committed
// offsets on them are moved to their end, so the application does not read
// its own earlier output again, as Kafka's reset tool does. Repeatable;
// default none.
func IntermediateTopics(topics ...string) Opt {
	return func(o *options) { o.intermediates = append(o.intermediates, topics...) }
}

// To sets where the input topics' offsets go. Default Earliest().
func To(p Position) Opt {
	return func(o *options) { o.position = p }
}

// StateDir also deletes the application's local state on this machine:
// everything under <dir>/<application id> except its instance-id file
// (see Plan.StateDir). dir is the instances' Config.StateDir. Default "":
// local state is left alone.
func StateDir(dir string) Opt {
	return func(o *options) { o.stateDir = dir }
}
