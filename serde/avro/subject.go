// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import havro "github.com/hamba/avro/v2"

// SubjectNameStrategy names the Schema Registry subject under which a
// [Registry] serde registers or looks up its schema. It receives the
// record's topic, whether the serde is a key serde ([Key]), and the full
// name of the serde's schema: namespace.name for a record, enum or fixed,
// and the type name (such as "string") for any other schema, as Confluent's
// serializers name them. It must be a pure function of its arguments.
type SubjectNameStrategy func(topic string, key bool, recordName string) string

// TopicNameStrategy names the subject "<topic>-key" or "<topic>-value". It
// is the default, as in Confluent's serializers: one schema lineage per
// topic.
func TopicNameStrategy(topic string, key bool, _ string) string {
	if key {
		return topic + "-key"
	}
	return topic + "-value"
}

// RecordNameStrategy names the subject after the record's full name, so a
// record type has one schema lineage across all topics and a topic can hold
// several record types.
func RecordNameStrategy(_ string, _ bool, recordName string) string { return recordName }

// TopicRecordNameStrategy names the subject "<topic>-<record full name>": a
// topic can hold several record types, each with its own lineage per topic.
func TopicRecordNameStrategy(topic string, _ bool, recordName string) string {
	return topic + "-" + recordName
}

// schemaName returns the name Confluent's serializers give schema in subject
// names: the full name of a named type, else the type name.
func schemaName(s havro.Schema) string {
	if n, ok := s.(havro.NamedSchema); ok {
		return n.FullName()
	}
	return string(s.Type())
}
