package serde

import (
	"bytes"
	"errors"
	"io"
	"os"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/hamba/avro/v2"
)

const userV1 = `{"type":"record","name":"User","namespace":"ex","fields":[
	{"name":"name","type":"string"},
	{"name":"visits","type":"long"}]}`

const userV2 = `{"type":"record","name":"User","namespace":"ex","fields":[
	{"name":"name","type":"string"},
	{"name":"visits","type":"long"},
	{"name":"email","type":["null","string"],"default":null},
	{"name":"age","type":"int","default":-1}]}`

type userV1T struct {
	Name   string `avro:"name"`
	Visits int64  `avro:"visits"`
}

type userV2T struct {
	Name   string  `avro:"name"`
	Visits int64   `avro:"visits"`
	Email  *string `avro:"email"`
	Age    int32   `avro:"age"`
}

func mustAvro[T any](t testing.TB, schema string, opts ...AvroOption) Serde[T] {
	t.Helper()
	s, err := Avro[T](schema, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestAvroBytes(t *testing.T) {
	s := mustAvro[userV1T](t, userV1)
	// Avro binary: string = zig-zag varint length + UTF-8, long = zig-zag varint.
	want := []byte{0x06, 'a', 'n', 'n', 0x96, 0x01} // "ann", 75
	checkCodec(t, "Avro", s, userV1T{Name: "ann", Visits: 75}, want, equal)
}

func TestAvroEvolution(t *testing.T) {
	v1 := mustAvro[userV1T](t, userV1)
	old, err := v1.Serialize(topic, userV1T{Name: "bob", Visits: 7})
	if err != nil {
		t.Fatal(err)
	}
	v2 := mustAvro[userV2T](t, userV2, AvroWriterSchema(userV1))
	got, err := v2.Deserialize(topic, old)
	if err != nil {
		t.Fatal(err)
	}
	if got.Name != "bob" || got.Visits != 7 || got.Email != nil || got.Age != -1 {
		t.Errorf("v1 bytes read as v2 = %+v; want defaults for email and age", got)
	}
	// Serialize writes with the writer schema, keeping the topic in v1.
	email := "bob@example.com"
	b, err := v2.Serialize(topic, userV2T{Name: "bob", Visits: 7, Email: &email, Age: 40})
	if err != nil || !bytes.Equal(b, old) {
		t.Errorf("Serialize with writer schema = %x, %v; want v1 bytes %x", b, err, old)
	}

	// Without the writer schema the v1 bytes are too short for v2.
	if _, err := mustAvro[userV2T](t, userV2).Deserialize(topic, old); err == nil {
		t.Error("v1 bytes decoded by v2 without writer schema: want error")
	}
}

// Two versions of one named record live side by side: each schema has its
// own cache, so neither overwrites the other.
func TestAvroNoGlobalCache(t *testing.T) {
	v2 := mustAvro[userV2T](t, userV2)
	v1 := mustAvro[userV1T](t, userV1)
	b, err := v2.Serialize(topic, userV2T{Name: "c", Visits: 1, Age: 5})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := v2.Deserialize(topic, b); err != nil || got.Age != 5 {
		t.Errorf("v2 round trip = %+v, %v", got, err)
	}
	if _, err := v1.Deserialize(topic, b); err == nil {
		t.Error("v2 bytes read by v1: want trailing-bytes error")
	}
	if avro.DefaultSchemaCache.Get("ex.User") != nil {
		t.Error("ex.User leaked into hamba's global schema cache")
	}
}

func TestAvroConstructionErrors(t *testing.T) {
	for name, c := range map[string]struct {
		schema string
		opts   []AvroOption
	}{
		"invalid schema":        {`{"type":"record","name":"X"}`, nil},
		"not json":              {`{`, nil},
		"invalid writer schema": {userV2, []AvroOption{AvroWriterSchema(`{"type":"nope"}`)}},
		"incompatible writer": {userV1, []AvroOption{AvroWriterSchema(`{"type":"record","name":"User","namespace":"ex",
			"fields":[{"name":"name","type":"long"},{"name":"visits","type":"long"}]}`)}},
		"missing reader default": {userV2, []AvroOption{AvroWriterSchema(`{"type":"record","name":"User","namespace":"ex",
			"fields":[{"name":"name","type":"string"}]}`)}},
	} {
		if _, err := Avro[userV2T](c.schema, c.opts...); err == nil || !strings.HasPrefix(err.Error(), "serde: Avro: ") {
			t.Errorf("%s: error = %v; want a construction error", name, err)
		}
	}
}

func TestAvroStrictDecode(t *testing.T) {
	s := mustAvro[userV1T](t, userV1)
	good, _ := s.Serialize(topic, userV1T{Name: "ann", Visits: 75})
	for name, in := range map[string][]byte{
		"empty":             {},
		"cut in string":     good[:2],
		"cut before long":   good[:4],
		"cut inside varint": good[:5],
		"trailing byte":     append(bytes.Clone(good), 0),
		"negative length":   {0x01},
	} {
		_, err := s.Deserialize(topic, in)
		var se *Error
		if !errors.As(err, &se) || se.Serde != "Avro" || se.Topic != topic {
			t.Errorf("%s: Deserialize(%x) error = %v; want *Error", name, in, err)
		}
	}
	_, err := s.Deserialize(topic, good[:4])
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("truncated input: error %v does not wrap io.ErrUnexpectedEOF", err)
	}
}

func TestAvroMaxByteSliceSize(t *testing.T) {
	const schema = `"string"`
	big := strings.Repeat("x", 2<<20) // above hamba's 1 MiB default
	def := mustAvro[string](t, schema)
	b, err := def.Serialize(topic, big)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := def.Deserialize(topic, b); err != nil || got != big {
		t.Errorf("2 MiB string with default limit: %v", err)
	}
	small := mustAvro[string](t, schema, AvroConfig(avro.Config{MaxByteSliceSize: 1024}))
	if _, err := small.Deserialize(topic, b); err == nil {
		t.Error("2 MiB string with a 1 KiB limit: want error")
	}
	// A corrupt length must not allocate beyond the limit.
	if _, err := def.Deserialize(topic, []byte{0xfe, 0xff, 0xff, 0xff, 0x0f}); err == nil {
		t.Error("huge string length: want error")
	}
}

func TestAvroGeneric(t *testing.T) {
	s := mustAvro[map[string]any](t, userV1)
	b, err := s.Serialize(topic, map[string]any{"name": "ann", "visits": int64(75)})
	if err != nil {
		t.Fatal(err)
	}
	got, err := s.Deserialize(topic, b)
	if err != nil || got["name"] != "ann" || got["visits"] != int64(75) {
		t.Errorf("generic round trip = %v, %v", got, err)
	}
}

func TestAvroConcurrent(t *testing.T) {
	s := mustAvro[userV2T](t, userV2)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				v := userV2T{Name: strings.Repeat("n", g+i%7), Visits: int64(i), Age: int32(g)}
				b, err := s.Serialize(topic, v)
				if err != nil {
					t.Error(err)
					return
				}
				got, err := s.Deserialize(topic, b)
				if err != nil || got.Name != v.Name || got.Visits != v.Visits || got.Age != v.Age {
					t.Errorf("round trip %+v = %+v, %v", v, got, err)
					return
				}
			}
		})
	}
	wg.Wait()
}

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

// The record of testdata/interop.avsc, as JavaVectors.java builds it.
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

func TestAvroJavaInterop(t *testing.T) {
	schema, err := os.ReadFile("testdata/interop.avsc")
	if err != nil {
		t.Fatal(err)
	}
	s := mustAvro[interop](t, string(schema))
	for _, v := range javaVectors(t, "Avro") {
		checkCodec(t, v.name(), s, interopValue(), v.hex(t, 1), func(a, b interop) bool { return reflect.DeepEqual(a, b) })
	}
}
