// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package engine

// Changelog records of the stores' writes.
//
// A store logs every write, and the collector owns the record it is sent
// (and its key and value) until the broker acknowledged it, so each needs
// memory of its own: the record itself, and copies of the key and value,
// which are the caller's to reuse once the write returns. A record whose
// key and value are short (most are: words, ids, counts) holds their bytes
// itself, and such records are allocated logSlab at a time, per task
// (logSlabs); longer ones take two allocations, the record and the bytes.
// A slab is collected once the collector let go of all its records.

// inlineLogBytes is how many key and value bytes a changelog record holds
// in its own allocation at most; records of up to smallLogBytes take the
// smaller layout. The whole record is then 128 or 160 bytes, size classes
// of the Go allocator.
const (
	smallLogBytes  = 16
	inlineLogBytes = 48
)

// logSlab is how many short changelog records are allocated at once
// (8 or 10 KiB).
const logSlab = 64

// smallLogRecord and inlineLogRecord are changelog records with room for a
// short key and value.
type (
	smallLogRecord struct {
		rec RawRecord
		buf [smallLogBytes]byte
	}
	inlineLogRecord struct {
		rec RawRecord
		buf [inlineLogBytes]byte
	}
)

// logSlabs hands out a task's changelog records (see above). The zero
// value is ready to use; like the task, it is not safe for concurrent use.
//
// For a collector that copies what it keeps (a KeyValueCopier), reuse is
// set: every record is then the same one, in the same buffer, which the
// next record overwrites.
type logSlabs struct {
	small  []smallLogRecord
	inline []inlineLogRecord
	reuse  bool
	rec    RawRecord
	buf    []byte
}

// KeyValueCopier is a Collector whose Send copies the key and value bytes
// of a record it keeps (the test driver, which drops most records or keeps
// them in its own arena). A task sends such a collector changelog records
// whose record and bytes it reuses once Send returns, instead of memory of
// their own for each, and its sinks send it their serialization buffers,
// not copies.
type KeyValueCopier interface {
	Collector
	CopiesKeyValues()
}

// maxReusedLog bounds the changelog buffer a task keeps for reuse.
const maxReusedLog = 64 << 10

// record returns the changelog record of topic's partition with key ‖
// suffix as its key (window and session stores append the window to the
// store key) and value as its value, both copied; a nil value stays nil (a
// tombstone), and so does a nil key without a suffix.
func (l *logSlabs) record(topic string, partition int32, key, suffix, value []byte, ts int64) *RawRecord {
	kn, vn := len(key)+len(suffix), len(value)
	var r *RawRecord
	var buf []byte
	switch n := kn + vn; {
	case l.reuse:
		if cap(l.buf) < n || cap(l.buf) > maxReusedLog {
			l.buf = make([]byte, 0, max(n, 64))
		}
		r, buf = &l.rec, l.buf[:0:n]
	case n <= smallLogBytes:
		if len(l.small) == 0 {
			l.small = make([]smallLogRecord, logSlab)
		}
		sr := &l.small[0]
		l.small = l.small[1:]
		r, buf = &sr.rec, sr.buf[:0:n]
	case n <= inlineLogBytes:
		if len(l.inline) == 0 {
			l.inline = make([]inlineLogRecord, logSlab)
		}
		ir := &l.inline[0]
		l.inline = l.inline[1:]
		r, buf = &ir.rec, ir.buf[:0:n]
	default:
		r, buf = new(RawRecord), make([]byte, 0, kn+vn)
	}
	buf = append(append(buf, key...), suffix...)
	buf = append(buf, value...)
	out := RawRecord{Topic: topic, Partition: partition, Timestamp: ts}
	if key != nil || len(suffix) > 0 {
		out.Key = buf[:kn:kn]
	}
	if value != nil {
		out.Value = buf[kn : kn+vn : kn+vn]
	}
	r.Assign(out)
	return r
}
