// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/sr"
)

// The plain Avro vector lives with the other Java vectors of package serde:
// ../testdata/javagen/JavaVectors.java writes the "Avro" row of
// ../testdata/java_vectors.tsv with Apache Avro's GenericDatumWriter from
// the record below and ../testdata/interop.avsc.

type interopKid struct {
	Name string `avro:"name"`
	Age  int32  `avro:"age"`
}

type interop struct {
	ID      string           `avro:"id"`
	N       int64            `avro:"n"`
	I       int32            `avro:"i"`
	F       float64          `avro:"f"`
	G       float32          `avro:"g"`
	OK      bool             `avro:"ok"`
	Raw     []byte           `avro:"raw"`
	Tags    []string         `avro:"tags"`
	None    []int64          `avro:"none"`
	Attrs   map[string]int64 `avro:"attrs"`
	Note    *string          `avro:"note"`
	Missing *string          `avro:"missing"`
	Kind    string           `avro:"kind"`
	Hash    [4]byte          `avro:"hash"`
	Kids    []interopKid     `avro:"kids"`
}

// The record of ../testdata/interop.avsc, as JavaVectors.java builds it.
func interopValue() interop {
	note := "hi"
	v := interop{ID: "id-é", N: -1700000000000, I: 123456, F: 3.141592653589793, G: 0.1, OK: true,
		Raw: []byte{0, 1, 0xff}, None: []int64{}, Attrs: map[string]int64{"k": 9}, Note: &note,
		Kind: "C", Hash: [4]byte{1, 2, 3, 4}, Kids: []interopKid{{"ann", 7}, {"bob", -3}}}
	for i := range 150 { // more than hamba's default block length of 100
		v.Tags = append(v.Tags, "t"+strconv.Itoa(i))
	}
	return v
}

// javaAvroVectors returns the hex bytes of the "Avro" rows of
// ../testdata/java_vectors.tsv; it fails the test if there are none.
func javaAvroVectors(t *testing.T) [][]byte {
	t.Helper()
	f, err := os.Open("../testdata/java_vectors.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out [][]byte
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if cols[0] != "Avro" || len(cols) != 3 {
			continue
		}
		b, err := hex.DecodeString(cols[2])
		if err != nil {
			t.Fatalf("Avro vector: %v", err)
		}
		out = append(out, b)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) == 0 {
		t.Fatal("no Avro vectors in ../testdata/java_vectors.tsv")
	}
	return out
}

func TestPlainJavaInterop(t *testing.T) {
	schema, err := os.ReadFile("../testdata/interop.avsc")
	if err != nil {
		t.Fatal(err)
	}
	s := mustNew[interop](t, string(schema))
	for i, want := range javaAvroVectors(t) {
		checkCodec(t, "Avro#"+strconv.Itoa(i), s, interopValue(), want, func(a, b interop) bool { return reflect.DeepEqual(a, b) })
	}
}

// apicurioVector is a row of testdata/apicurio_vectors.tsv, written by
// testdata/javagen/ApicurioVectors.java with Apicurio Registry's Java
// AvroKafkaSerializer from the record of ../testdata/interop.avsc.
type apicurioVector struct {
	framing string
	id      int
	data    []byte
}

func apicurioVectors(t *testing.T) []apicurioVector {
	t.Helper()
	raw, err := os.ReadFile("testdata/apicurio_vectors.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var out []apicurioVector
	for line := range strings.Lines(string(raw)) {
		line = strings.TrimSuffix(line, "\n")
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 3 {
			t.Fatalf("apicurio_vectors.tsv: %d columns in %q", len(cols), line)
		}
		id, err := strconv.Atoi(cols[1])
		if err != nil {
			t.Fatal(err)
		}
		b, err := hex.DecodeString(cols[2])
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, apicurioVector{cols[0], id, b})
	}
	if len(out) == 0 {
		t.Fatal("no vectors in testdata/apicurio_vectors.tsv")
	}
	return out
}

// Go writes the bytes of Apicurio's Java serializer in Confluent framing
// and reads them back; Apicurio's own 8-byte framing is refused with a hint.
func TestRegistryApicurioJavaInterop(t *testing.T) {
	schema, err := os.ReadFile("../testdata/interop.avsc")
	if err != nil {
		t.Fatal(err)
	}
	plain := javaAvroVectors(t)[0]
	same := func(a, b interop) bool { return reflect.DeepEqual(a, b) }
	var confluentRows int
	for _, v := range apicurioVectors(t) {
		name := v.framing + "@" + strconv.Itoa(v.id)
		f := newFakeRegistry(t)
		f.SeedSchema("interop-value", 1, v.id, sr.Schema{Schema: string(schema)})
		switch v.framing {
		case "confluent":
			confluentRows++
			if want := framed(uint32(v.id), plain); !bytes.Equal(v.data, want) {
				t.Errorf("%s: Java bytes %x; want magic byte, id, then the plain Avro vector", name, v.data)
			}
			checkCodec(t, name, mustRegistry[interop](t, f.cl, string(schema), UseSchemaID(v.id)), interopValue(), v.data, same)
			// A lookup serde finds the same id under the topic's subject.
			got, err := mustRegistry[interop](t, f.cl, string(schema)).Serialize("interop", interopValue())
			if err != nil || !bytes.Equal(got, v.data) {
				t.Errorf("%s: lookup serde Serialize = %x, %v; want the Java bytes", name, got, err)
			}
		case "apicurio-global-id":
			_, err := mustRegistry[interop](t, f.cl, string(schema)).Deserialize(topic, v.data)
			wantSerdeError(t, name, err, "deserialize", topic, "schema id 0 is unknown", "apicurio.registry.as-confluent=true")
		default:
			t.Errorf("%s: unknown framing", name)
		}
	}
	if confluentRows == 0 {
		t.Error("no confluent rows in testdata/apicurio_vectors.tsv")
	}
}
