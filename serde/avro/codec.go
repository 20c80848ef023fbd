// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package avro

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"

	havro "github.com/hamba/avro/v2"
)

// maxPooledWriter bounds the writer buffers kept for reuse, so one huge
// value does not pin its buffer for the life of the process.
const maxPooledWriter = 64 << 10

// codec encodes and decodes Avro binary with pooled hamba readers and
// writers configured once. It is safe for concurrent use.
type codec struct {
	readers sync.Pool // *havro.Reader
	writers sync.Pool // *havro.Writer
}

func newCodec(cfg havro.Config) *codec {
	if cfg.MaxByteSliceSize == 0 {
		cfg.MaxByteSliceSize = DefaultMaxByteSliceSize
	}
	if cfg.MaxSliceAllocSize == 0 {
		cfg.MaxSliceAllocSize = DefaultMaxSliceAllocSize
	}
	cfg.BlockLength = math.MaxInt32 // one block per array or map
	cfg.DisableBlockSizeHeader = true
	api := cfg.Freeze()
	c := &codec{}
	c.readers.New = func() any { return havro.NewReader(nil, 0, havro.WithReaderConfig(api)) }
	c.writers.New = func() any { return havro.NewWriter(nil, 512, havro.WithWriterConfig(api)) }
	return c
}

// appendEncode appends the Avro encoding of v with schema to dst.
func (c *codec) appendEncode(dst []byte, schema havro.Schema, v any) ([]byte, error) {
	w := c.writers.Get().(*havro.Writer)
	w.Reset(nil)
	w.Error = nil
	w.WriteVal(schema, v)
	if err := w.Error; err != nil {
		c.putWriter(w)
		return dst, err
	}
	out := append(dst, w.Buffer()...)
	c.putWriter(w)
	if out == nil {
		out = []byte{} // an empty encoding is not a null record
	}
	return out, nil
}

func (c *codec) putWriter(w *havro.Writer) {
	if cap(w.Buffer()) <= maxPooledWriter {
		w.Error = nil
		c.writers.Put(w)
	}
}

// decode decodes data, which must hold exactly one datum of schema, into
// the value ptr points to. It keeps no reference to data.
func (c *codec) decode(data []byte, schema havro.Schema, ptr any) error {
	r := c.readers.Get().(*havro.Reader)
	defer func() {
		r.Reset(nil) // do not retain data
		r.Error = nil
		c.readers.Put(r)
	}()
	r.Reset(data)
	r.Error = nil
	r.ReadVal(schema, ptr)
	if err := r.Error; err != nil {
		if errors.Is(err, io.EOF) {
			// hamba reports a datum cut short inside a varint as io.EOF,
			// which its Unmarshal would swallow.
			err = fmt.Errorf("%w: %w", io.ErrUnexpectedEOF, err)
		}
		return err
	}
	if r.Peek(); r.Error == nil {
		return errors.New("trailing bytes after the Avro datum")
	}
	return nil
}

// parse parses schema with a private cache, never hamba's global one, so
// two versions of the same named record can be used side by side.
func parse(schema string) (havro.Schema, error) {
	return havro.ParseWithCache(schema, "", &havro.SchemaCache{})
}
