// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"time"

	havro "github.com/hamba/avro/v2"
)

// Decoding limits used when the [havro.Config] given with [Config] leaves
// them zero. hamba/avro's own defaults are 1 MiB for strings and bytes, too
// small for some Kafka records, and no practical limit for arrays, which
// lets a corrupt block count allocate without bound.
const (
	// DefaultMaxByteSliceSize is the largest string or bytes value, in
	// bytes, that the serdes decode by default.
	DefaultMaxByteSliceSize = 16 << 20
	// DefaultMaxSliceAllocSize is the largest array, in elements, that the
	// serdes decode by default.
	DefaultMaxSliceAllocSize = 1 << 22
)

// DefaultRequestTimeout bounds each Schema Registry request of a [Registry]
// serde unless [RequestTimeout] says otherwise.
const DefaultRequestTimeout = 10 * time.Second

// Option configures a serde built by [New] or [Registry]. An option that
// applies to only one of them makes the other constructor fail with an error
// naming the option.
type Option func(*options)

type writeMode int

const (
	modeLookup writeMode = iota
	modeAutoRegister
	modeLatest
	modeSchemaID
)

type options struct {
	cfg     havro.Config
	writer  string // New only
	timeout time.Duration

	// Registry only.
	key      bool
	strategy SubjectNameStrategy
	mode     writeMode
	schemaID int

	newOnly      []string // New-only options given, by name
	registryOnly []string // Registry-only options given, by name
}

func collect(opts []Option) options {
	o := options{strategy: TopicNameStrategy, timeout: DefaultRequestTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// Config sets the hamba/avro configuration, for example its TagKey, union
// resolution or decoding limits. Zero MaxByteSliceSize and MaxSliceAllocSize
// are replaced by [DefaultMaxByteSliceSize] and [DefaultMaxSliceAllocSize];
// a negative MaxByteSliceSize disables that limit. BlockLength and
// DisableBlockSizeHeader are ignored: the serdes always write arrays and
// maps as Java's BinaryEncoder does, one block with an item count and no
// byte size. Applies to [New] and [Registry].
func Config(c havro.Config) Option {
	return func(o *options) { o.cfg = c }
}

// WriterSchema declares that the topic's data is written with schema
// writer, typically an older version of the schema given to [New].
// Deserialize then resolves the writer's bytes into the reader schema, so
// fields the writer lacks get their defaults and fields the reader lacks are
// skipped. Serialize writes with the writer schema too, so a topic always
// holds data of a single schema, which plain Avro binary needs because it
// does not say which schema wrote it. [New] fails if the two schemas are not
// compatible.
//
// Applies to [New] only: with [Registry] every record names its writer
// schema by id.
func WriterSchema(writer string) Option {
	return func(o *options) {
		o.writer = writer
		o.newOnly = append(o.newOnly, "WriterSchema")
	}
}

// Key makes a [Registry] serde a key serde: [TopicNameStrategy] then names
// the subject "<topic>-key" instead of "<topic>-value". Use it for the key
// serde of a stream whose keys are Avro, as Confluent's serializers do with
// isKey=true.
func Key() Option {
	return func(o *options) {
		o.key = true
		o.registryOnly = append(o.registryOnly, "Key")
	}
}

// SubjectStrategy sets how a [Registry] serde names the subject its schema
// is registered under or looked up in. The default is [TopicNameStrategy],
// which is also the default of Confluent's serializers; use
// [RecordNameStrategy] or [TopicRecordNameStrategy] when one topic carries
// several record types.
func SubjectStrategy(s SubjectNameStrategy) Option {
	return func(o *options) {
		o.strategy = s
		o.registryOnly = append(o.registryOnly, "SubjectStrategy")
	}
}

// AutoRegister makes a [Registry] serde register its schema under the
// subject of the first record it serializes for that subject, and write the
// id the registry returns. Registering an already registered schema returns
// its existing id; a schema the subject's compatibility rule rejects makes
// Serialize fail with the registry's message.
//
// By default a Registry serde only looks its schema up, like Confluent's
// serializer with auto.register.schemas=false: production registries often
// refuse registration to applications, and an accidental new version is hard
// to take back. Auto-registration suits development and tests.
//
// AutoRegister, [UseLatest] and [UseSchemaID] choose how Serialize finds its
// schema id; if several are given, the last one applies.
func AutoRegister() Option {
	return func(o *options) {
		o.mode = modeAutoRegister
		o.registryOnly = append(o.registryOnly, "AutoRegister")
	}
}

// UseLatest makes a [Registry] serde write with the latest version of its
// subject, as Confluent's use.latest.version=true does, instead of the
// version equal to its own schema. Values of T are encoded with that
// registered schema, so T must fit it (fields are matched by name); the
// serde's own schema stays the reader schema of Deserialize. The latest
// version is fetched once per subject and then cached for the life of the
// serde: a version registered later is picked up by a new serde (a restart).
func UseLatest() Option {
	return func(o *options) {
		o.mode = modeLatest
		o.registryOnly = append(o.registryOnly, "UseLatest")
	}
}

// UseSchemaID makes a [Registry] serde write every record with schema id,
// fetched from the registry once, whatever the topic; it never looks at a
// subject. It matches Confluent's use.schema.id. Values of T are encoded
// with that registered schema, so T must fit it.
func UseSchemaID(id int) Option {
	return func(o *options) {
		o.mode = modeSchemaID
		o.schemaID = id
		o.registryOnly = append(o.registryOnly, "UseSchemaID")
	}
}

// RequestTimeout bounds each Schema Registry request a [Registry] serde
// makes; the default is [DefaultRequestTimeout]. Requests happen only when
// a subject or schema id is seen for the first time, so the timeout is the
// longest a Serialize or Deserialize call can block on the registry. A
// failed request is not cached: the next record for that subject or id
// tries again.
func RequestTimeout(d time.Duration) Option {
	return func(o *options) {
		o.timeout = d
		o.registryOnly = append(o.registryOnly, "RequestTimeout")
	}
}
