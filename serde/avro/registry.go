// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	havro "github.com/hamba/avro/v2"
	"github.com/twmb/franz-go/pkg/sr"

	"github.com/eddy-streams/eddy/serde"
)

// Registry returns a serde that writes values of T in the Confluent Schema
// Registry wire format: magic byte 0, the 4-byte big-endian id of the
// writer's schema, then the Avro datum. These are the bytes of Confluent's
// KafkaAvroSerializer, and of Apicurio's AvroKafkaSerializer with
// apicurio.registry.as-confluent=true (and use-id=contentId, so that its ids
// are those of Apicurio's Confluent-compatible API), so Eddy shares topics
// with Java producers and consumers that use them. cl talks to the registry
// (its Confluent-compatible API, such as Apicurio's /apis/ccompat/v7); build
// it with [sr.NewClient] and its options for URLs, TLS and authentication.
//
// schema is the serde's own Avro schema. Serialize writes it under the
// subject that the [SubjectNameStrategy] names for the record's topic
// ([TopicNameStrategy] by default): by default it looks the schema up in
// that subject and fails if it is not registered there; [AutoRegister]
// registers it instead, [UseLatest] writes with the subject's latest version
// and [UseSchemaID] with a fixed id. The schema must be self-contained: a
// schema that uses named types of other subjects (schema references) can be
// read but not written.
//
// Deserialize reads the schema id of each record, fetches that writer
// schema from the registry (resolving its references) and resolves it into
// the serde's schema, so records written with older or newer compatible
// versions decode into T: fields the writer lacks get their defaults and
// fields T's schema lacks are skipped.
//
// Each subject's schema id and each writer schema is fetched once, when a
// record first needs it, and then cached for the life of the serde, so the
// registry sees no call per record. A call blocks for at most the
// [RequestTimeout]; a failed one is retried by the next record that needs
// it. Build one serde per topic role and share it: its caches are safe for
// concurrent use.
//
// An invalid schema or inconsistent options are reported here; nothing
// contacts the registry until the first record. Registry takes [Config],
// [Key], [SubjectStrategy], [AutoRegister], [UseLatest], [UseSchemaID] and
// [RequestTimeout]; [WriterSchema] makes it fail.
func Registry[T any](cl *sr.Client, schema string, opts ...Option) (serde.Serde[T], error) {
	o := collect(opts)
	switch {
	case cl == nil:
		return nil, errors.New("avro.Registry: nil *sr.Client; create one with sr.NewClient(sr.URLs(...))")
	case len(o.newOnly) > 0:
		return nil, fmt.Errorf("avro.Registry: option avro.%s applies only to avro.New: a registry record names its writer schema by id", strings.Join(o.newOnly, ", avro."))
	case o.strategy == nil:
		return nil, errors.New("avro.Registry: nil SubjectNameStrategy; use avro.TopicNameStrategy, avro.RecordNameStrategy or avro.TopicRecordNameStrategy")
	case o.mode == modeSchemaID && o.schemaID <= 0:
		return nil, fmt.Errorf("avro.Registry: UseSchemaID(%d): schema ids are positive", o.schemaID)
	case o.timeout <= 0:
		return nil, fmt.Errorf("avro.Registry: RequestTimeout(%v): want a positive duration", o.timeout)
	}
	reader, err := parse(schema)
	if err != nil {
		return nil, fmt.Errorf("avro.Registry: parse schema: %w", err)
	}
	return &registrySerde[T]{
		cl:       cl,
		text:     schema,
		reader:   reader,
		name:     schemaName(reader),
		key:      o.key,
		strategy: o.strategy,
		mode:     o.mode,
		fixedID:  o.schemaID,
		timeout:  o.timeout,
		codec:    newCodec(o.cfg),
	}, nil
}

type registrySerde[T any] struct {
	cl       *sr.Client
	text     string       // the serde's schema as given
	reader   havro.Schema // parsed text: the reader schema
	name     string       // schemaName(reader), for subject names
	key      bool
	strategy SubjectNameStrategy
	mode     writeMode
	fixedID  int // UseSchemaID
	timeout  time.Duration
	codec    *codec

	targets onceMap[string, *writeTarget] // by topic ("" with UseSchemaID)
	readers onceMap[int, havro.Schema]    // by writer schema id: writer resolved into reader
}

// writeTarget is what Serialize writes for one topic.
type writeTarget struct {
	id     int          // schema id
	header []byte       // magic byte and schema id
	schema havro.Schema // schema the datum is encoded with
}

// confluent encodes and decodes the 5-byte header.
var confluent sr.ConfluentHeader

func (s *registrySerde[T]) Serialize(topic string, v T) ([]byte, error) {
	return s.AppendSerialize(nil, topic, v)
}

// AppendSerialize implements [serde.Appender].
func (s *registrySerde[T]) AppendSerialize(dst []byte, topic string, v T) ([]byte, error) {
	key := topic
	if s.mode == modeSchemaID {
		key = ""
	}
	t, err := s.targets.get(key, func() (*writeTarget, error) { return s.loadTarget(topic) })
	if err != nil {
		return dst, serErr(topic, err)
	}
	start := len(dst)
	out, err := s.codec.appendEncode(append(dst, t.header...), t.schema, v)
	if err != nil {
		return dst[:start], serErr(topic, fmt.Errorf("encode with schema id %d: %w", t.id, err))
	}
	return out, nil
}

// loadTarget finds the schema id and writer schema of topic's records.
func (s *registrySerde[T]) loadTarget(topic string) (*writeTarget, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	if s.mode == modeSchemaID {
		sch, err := s.cl.SchemaByID(ctx, s.fixedID)
		if err != nil {
			return nil, fmt.Errorf("fetch schema id %d given with avro.UseSchemaID: %w", s.fixedID, describe(err))
		}
		return s.registeredTarget(ctx, s.fixedID, sch)
	}
	subject := s.strategy(topic, s.key, s.name)
	schema := sr.Schema{Schema: s.text, Type: sr.TypeAvro}
	switch s.mode {
	case modeAutoRegister:
		id, err := s.cl.RegisterSchema(ctx, subject, schema, -1, -1)
		if err != nil {
			return nil, fmt.Errorf("register schema %s under subject %q (avro.AutoRegister): %w; if the subject's compatibility rule rejects it, make the change compatible or register it by hand", s.name, subject, describe(err))
		}
		return s.ownTarget(id)
	case modeLatest:
		ss, err := s.cl.SchemaByVersion(ctx, subject, -1)
		if err != nil {
			if code(err) == 40401 {
				return nil, fmt.Errorf("subject %q has no schema (avro.UseLatest): register one first: %w", subject, describe(err))
			}
			return nil, fmt.Errorf("fetch the latest schema of subject %q (avro.UseLatest): %w", subject, describe(err))
		}
		return s.registeredTarget(ctx, ss.ID, ss.Schema)
	default:
		ss, err := s.cl.LookupSchema(ctx, subject, schema)
		if err != nil {
			if c := code(err); c == 40401 || c == 40403 {
				return nil, fmt.Errorf("schema %s is not registered under subject %q: register it (avro.AutoRegister does so on first use), write with the subject's latest version (avro.UseLatest), or fix the subject name strategy: %w", s.name, subject, describe(err))
			}
			return nil, fmt.Errorf("look up schema %s under subject %q: %w", s.name, subject, describe(err))
		}
		return s.ownTarget(ss.ID)
	}
}

// ownTarget writes the serde's own schema with id.
func (s *registrySerde[T]) ownTarget(id int) (*writeTarget, error) {
	h, err := confluent.AppendEncode(nil, id, nil)
	if err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	return &writeTarget{id: id, header: h, schema: s.reader}, nil
}

// registeredTarget writes with a schema fetched from the registry.
func (s *registrySerde[T]) registeredTarget(ctx context.Context, id int, sch sr.Schema) (*writeTarget, error) {
	if sch.Type != sr.TypeAvro {
		return nil, fmt.Errorf("schema id %d is a %s schema, not Avro", id, sch.Type)
	}
	w, err := parseRegistered(ctx, s.cl, sch)
	if err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	h, err := confluent.AppendEncode(nil, id, nil)
	if err != nil {
		return nil, fmt.Errorf("schema id %d: %w", id, err)
	}
	return &writeTarget{id: id, header: h, schema: w}, nil
}

func (s *registrySerde[T]) Deserialize(topic string, data []byte) (T, error) {
	var zero T
	id, payload, err := splitHeader(data)
	if err != nil {
		return zero, deErr(topic, err)
	}
	schema, err := s.readers.get(id, func() (havro.Schema, error) { return s.loadReader(id) })
	if err != nil {
		return zero, deErr(topic, err)
	}
	var v T
	if err := s.codec.decode(payload, schema, &v); err != nil {
		return zero, deErr(topic, fmt.Errorf("schema id %d: %w", id, err))
	}
	return v, nil
}

// loadReader fetches writer schema id and resolves it into the reader
// schema.
func (s *registrySerde[T]) loadReader(id int) (havro.Schema, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.timeout)
	defer cancel()
	sch, err := s.cl.SchemaByID(ctx, id)
	if err != nil {
		if code(err) == 40403 {
			hint := ""
			if id == 0 {
				hint = " (registries never assign id 0: an Apicurio producer writing 8-byte ids needs apicurio.registry.as-confluent=true)"
			}
			return nil, fmt.Errorf("schema id %d is unknown to the Schema Registry%s: the record was written against another registry, or its schema was deleted; point the serde at the producer's registry, or skip or dead-letter the record with the application's deserialization error handler: %w", id, hint, describe(err))
		}
		return nil, fmt.Errorf("fetch writer schema id %d: %w", id, describe(err))
	}
	if sch.Type != sr.TypeAvro {
		return nil, fmt.Errorf("schema id %d is a %s schema, not Avro: read this topic with a serde of that format", id, sch.Type)
	}
	writer, err := parseRegistered(ctx, s.cl, sch)
	if err != nil {
		return nil, fmt.Errorf("writer schema id %d: %w", id, err)
	}
	if writer.Fingerprint() == s.reader.Fingerprint() {
		return s.reader, nil
	}
	resolved, err := havro.NewSchemaCompatibility().Resolve(s.reader, writer)
	if err != nil {
		return nil, fmt.Errorf("records written with schema id %d cannot be read with the serde's schema %s: %w; make the reader schema compatible (for example give added fields defaults), or read the topic with the writer's schema", id, s.name, err)
	}
	return resolved, nil
}

// splitHeader returns the schema id and the payload of a record in the
// Confluent wire format.
func splitHeader(data []byte) (int, []byte, error) {
	switch {
	case len(data) == 0:
		return 0, nil, errors.New("empty record: the Confluent wire format starts with magic byte 0 and a 4-byte schema id")
	case data[0] != 0:
		return 0, nil, fmt.Errorf("first byte is 0x%02x, not the Confluent magic byte 0: the record was not written by a Schema Registry serializer; read the topic with the serde its producer used (avro.New for plain Avro)", data[0])
	case len(data) < 5:
		return 0, nil, fmt.Errorf("record of %d bytes is shorter than the 5-byte Confluent header (magic byte 0, 4-byte schema id)", len(data))
	}
	return confluent.DecodeID(data)
}
