// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package avro encodes typed values as Apache Avro with
// github.com/hamba/avro/v2, in two framings:
//
//   - [New]: plain Avro binary, the bare datum. Producer and consumer agree
//     on the schema out of band ([WriterSchema] names an older one).
//   - [Registry]: the Confluent Schema Registry wire format (magic byte 0,
//     4-byte big-endian schema id, Avro datum) used by Confluent's and
//     Apicurio's Kafka serializers, with schemas registered in or looked up
//     from a registry through github.com/twmb/franz-go/pkg/sr.
//
// Both return a [serde.Serde] and report failures as [*serde.Error] values
// whose Serde field is "Avro". The package lives apart from package serde so
// that applications without Avro do not link hamba/avro and its
// dependencies.
//
// T is typically a struct with `avro:"field"` tags; map[string]any and any
// work as generic values (records decode to map[string]any). Mismatches
// between T and the schema are reported by Serialize and Deserialize.
package avro
