package serde

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	"github.com/hamba/avro/v2"
)

// Avro decoding limits used when the [avro.Config] given with [AvroConfig]
// leaves them zero. hamba/avro's own defaults are 1 MiB for strings and
// bytes, too small for some Kafka records, and no practical limit for
// arrays, which lets a corrupt block count allocate without bound.
const (
	// DefaultAvroMaxByteSliceSize is the largest string or bytes value, in
	// bytes, that Avro serdes decode by default.
	DefaultAvroMaxByteSliceSize = 16 << 20
	// DefaultAvroMaxSliceAllocSize is the largest array, in elements, that
	// Avro serdes decode by default.
	DefaultAvroMaxSliceAllocSize = 1 << 22
)

// AvroOption configures a serde built by [Avro].
type AvroOption func(*avroOptions)

type avroOptions struct {
	writer string
	cfg    avro.Config
}

// AvroWriterSchema declares that the topic's data is written with schema
// writer, typically an older version of the schema given to [Avro].
// Deserialize then resolves the writer's bytes into the reader schema, so
// fields the writer lacks get their defaults and fields the reader lacks are
// skipped. Serialize writes with the writer schema too, so a topic always
// holds data of a single schema, which plain Avro binary needs because it
// does not say which schema wrote it. [Avro] fails if the two schemas are
// not compatible.
func AvroWriterSchema(writer string) AvroOption {
	return func(o *avroOptions) { o.writer = writer }
}

// AvroConfig sets the hamba/avro configuration, for example its TagKey,
// union resolution or decoding limits. Zero MaxByteSliceSize and
// MaxSliceAllocSize are replaced by [DefaultAvroMaxByteSliceSize] and
// [DefaultAvroMaxSliceAllocSize]; a negative MaxByteSliceSize disables that
// limit. BlockLength and DisableBlockSizeHeader are ignored: Avro serdes
// always write arrays and maps as Java's BinaryEncoder does.
func AvroConfig(c avro.Config) AvroOption {
	return func(o *avroOptions) { o.cfg = c }
}

// Avro returns a serde that encodes values of T as plain Avro binary with
// the given schema, using github.com/hamba/avro/v2. T is typically a struct
// with `avro:"field"` tags; map[string]any and any work as generic values.
//
// The encoding is the bare Avro datum without the Confluent Schema Registry
// header (registry framing will be a separate option). It matches the bytes
// of Java's GenericDatumWriter with a BinaryEncoder: each non-empty array or
// map is one block with an item count and no byte size. Go maps are
// encoded in their random iteration order, so a value holding a map with
// several entries has no stable encoding and makes a poor key.
//
// The schema is parsed with a private schema cache, never hamba's global
// one, so two versions of the same named record can be used side by side.
// An invalid schema, an invalid writer schema or an incompatible pair is
// reported here, not at the first record. Mismatches between T and the
// schema are reported by Serialize and Deserialize.
//
// Deserialize is strict: data that ends early or has bytes after the datum
// is an error.
func Avro[T any](schema string, opts ...AvroOption) (Serde[T], error) {
	var o avroOptions
	for _, opt := range opts {
		opt(&o)
	}
	reader, err := avro.ParseWithCache(schema, "", &avro.SchemaCache{})
	if err != nil {
		return nil, fmt.Errorf("serde: Avro: parse schema: %w", err)
	}
	s := &avroSerde[T]{write: reader, read: reader}
	if o.writer != "" {
		writer, err := avro.ParseWithCache(o.writer, "", &avro.SchemaCache{})
		if err != nil {
			return nil, fmt.Errorf("serde: Avro: parse writer schema: %w", err)
		}
		resolved, err := avro.NewSchemaCompatibility().Resolve(reader, writer)
		if err != nil {
			return nil, fmt.Errorf("serde: Avro: writer schema cannot be read with schema: %w", err)
		}
		s.write, s.read = writer, resolved
	}
	cfg := o.cfg
	if cfg.MaxByteSliceSize == 0 {
		cfg.MaxByteSliceSize = DefaultAvroMaxByteSliceSize
	}
	if cfg.MaxSliceAllocSize == 0 {
		cfg.MaxSliceAllocSize = DefaultAvroMaxSliceAllocSize
	}
	cfg.BlockLength = math.MaxInt32 // one block per array or map
	cfg.DisableBlockSizeHeader = true
	api := cfg.Freeze()
	s.readers.New = func() any { return avro.NewReader(nil, 0, avro.WithReaderConfig(api)) }
	s.writers.New = func() any { return avro.NewWriter(nil, 512, avro.WithWriterConfig(api)) }
	return s, nil
}

type avroSerde[T any] struct {
	write   avro.Schema // schema of the bytes on the topic
	read    avro.Schema // write resolved into the reader schema, or write itself
	readers sync.Pool   // *avro.Reader
	writers sync.Pool   // *avro.Writer
}

// maxPooledAvro bounds the writer buffers kept for reuse.
const maxPooledAvro = 64 << 10

func (s *avroSerde[T]) Serialize(topic string, v T) ([]byte, error) {
	return s.AppendSerialize(nil, topic, v)
}

func (s *avroSerde[T]) AppendSerialize(dst []byte, topic string, v T) ([]byte, error) {
	w := s.writers.Get().(*avro.Writer)
	w.Reset(nil)
	w.Error = nil
	w.WriteVal(s.write, v)
	if err := w.Error; err != nil {
		s.putWriter(w)
		return dst, serErr("Avro", topic, err)
	}
	out := nonNil(append(dst, w.Buffer()...))
	s.putWriter(w)
	return out, nil
}

func (s *avroSerde[T]) putWriter(w *avro.Writer) {
	if cap(w.Buffer()) <= maxPooledAvro {
		w.Error = nil
		s.writers.Put(w)
	}
}

func (s *avroSerde[T]) Deserialize(topic string, data []byte) (T, error) {
	r := s.readers.Get().(*avro.Reader)
	defer func() {
		r.Reset(nil) // do not retain data
		r.Error = nil
		s.readers.Put(r)
	}()
	r.Reset(data)
	r.Error = nil
	var v T
	r.ReadVal(s.read, &v)
	if err := r.Error; err != nil {
		var zero T
		if errors.Is(err, io.EOF) {
			// hamba reports a datum cut short inside a varint as io.EOF,
			// which its Unmarshal would swallow.
			err = fmt.Errorf("%w: %w", io.ErrUnexpectedEOF, err)
		}
		return zero, deErr("Avro", topic, err)
	}
	if r.Peek(); r.Error == nil {
		var zero T
		return zero, deErr("Avro", topic, errors.New("trailing bytes after the Avro datum"))
	}
	return v, nil
}
