// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

// Package capture reads and writes capture files: records taken from
// topics by "eddy capture", which topologytest replays.
//
// A capture file is text, one record a line, so that it diffs well:
//
//	eddy-capture v1
//	# comment lines start with '#'; blank lines are skipped
//	<topic> <partition> <offset> <timestamp> <key> <value> [<header-key>=<header-value> ...]
//
// Fields are separated by one space. The topic is written as is (Kafka
// topic names have no spaces). The timestamp is RFC 3339 in UTC with
// milliseconds (2024-05-01T12:00:00.000Z). Key, value and header values
// are null (a null key or value, a tombstone) or a double-quoted Go string
// literal: printable UTF-8 as is, other bytes escaped (\n, \x00, \u2028).
// Header keys are quoted too. Records of one partition appear in offset
// order; the file's order is the order to replay them in.
package capture

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/eddy-streams/eddy/record"
)

// Magic is the first line of a capture file.
const Magic = "eddy-capture v1"

// Record is one captured record. A nil Key or Value is null.
type Record struct {
	Topic     string
	Partition int32
	Offset    int64
	Timestamp time.Time
	Key       []byte
	Value     []byte
	Headers   []record.Header
}

const timeLayout = "2006-01-02T15:04:05.000Z07:00"

// Writer writes a capture file.
type Writer struct {
	w       *bufio.Writer
	started bool
}

// NewWriter returns a writer to w; Flush ends the file.
func NewWriter(w io.Writer) *Writer { return &Writer{w: bufio.NewWriter(w)} }

// Comment writes a comment line (a line break in text starts another).
func (w *Writer) Comment(text string) error {
	w.start()
	for line := range strings.SplitSeq(text, "\n") {
		w.w.WriteString("# " + line + "\n")
	}
	return nil
}

func (w *Writer) start() {
	if !w.started {
		w.started = true
		w.w.WriteString(Magic + "\n")
	}
}

// Write writes r.
func (w *Writer) Write(r *Record) error {
	if r.Topic == "" || strings.ContainsAny(r.Topic, " \t\r\n\"") {
		return fmt.Errorf("capture: invalid topic name %q", r.Topic)
	}
	w.start()
	b := make([]byte, 0, 64+len(r.Key)+len(r.Value))
	b = append(b, r.Topic...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(r.Partition), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, r.Offset, 10)
	b = append(b, ' ')
	b = r.Timestamp.UTC().AppendFormat(b, timeLayout)
	b = append(b, ' ')
	b = appendBytes(b, r.Key)
	b = append(b, ' ')
	b = appendBytes(b, r.Value)
	for _, h := range r.Headers {
		b = append(b, ' ')
		b = strconv.AppendQuote(b, h.Key)
		b = append(b, '=')
		b = appendBytes(b, h.Value)
	}
	b = append(b, '\n')
	_, err := w.w.Write(b)
	return err
}

// Flush writes out what is buffered (and the first line of an empty file).
func (w *Writer) Flush() error {
	w.start()
	return w.w.Flush()
}

func appendBytes(b, v []byte) []byte {
	if v == nil {
		return append(b, "null"...)
	}
	return strconv.AppendQuote(b, string(v))
}

// Read returns the records of a capture file in file order. name names the
// file in errors, which give the line.
func Read(r io.Reader, name string) ([]Record, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(nil, 64<<20)
	var out []Record
	line := 0
	for sc.Scan() {
		line++
		text := sc.Text()
		if line == 1 {
			if text != Magic {
				return nil, fmt.Errorf("%s:1: not a capture file: want first line %q", name, Magic)
			}
			continue
		}
		if text == "" || text[0] == '#' {
			continue
		}
		rec, err := parseLine(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		out = append(out, rec)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, line+1, err)
	}
	if line == 0 {
		return nil, fmt.Errorf("%s: empty file, not a capture file", name)
	}
	return out, nil
}

func parseLine(s string) (Record, error) {
	var r Record
	fields := make([]string, 0, 4)
	for range 4 {
		i := strings.IndexByte(s, ' ')
		if i < 0 {
			return r, errors.New("want topic partition offset timestamp key value")
		}
		fields = append(fields, s[:i])
		s = s[i+1:]
	}
	r.Topic = fields[0]
	p, err := strconv.ParseInt(fields[1], 10, 32)
	if err != nil || p < 0 {
		return r, fmt.Errorf("partition %q: want a number >= 0", fields[1])
	}
	r.Partition = int32(p)
	if r.Offset, err = strconv.ParseInt(fields[2], 10, 64); err != nil || r.Offset < 0 {
		return r, fmt.Errorf("offset %q: want a number >= 0", fields[2])
	}
	if r.Timestamp, err = time.Parse(time.RFC3339Nano, fields[3]); err != nil {
		return r, fmt.Errorf("timestamp %q: want RFC 3339, e.g. 2024-05-01T12:00:00.000Z", fields[3])
	}
	if r.Key, s, err = parseBytes(s, "key"); err != nil {
		return r, err
	}
	if s, err = space(s, true); err != nil {
		return r, fmt.Errorf("after the key: %w", err)
	}
	if r.Value, s, err = parseBytes(s, "value"); err != nil {
		return r, err
	}
	for s != "" {
		if s, err = space(s, false); err != nil {
			return r, fmt.Errorf("after the value: %w", err)
		}
		q, err := strconv.QuotedPrefix(s)
		if err != nil {
			return r, fmt.Errorf("header key at %q: want a quoted string", clip(s))
		}
		k, _ := strconv.Unquote(q)
		s = s[len(q):]
		if !strings.HasPrefix(s, "=") {
			return r, fmt.Errorf("header %q: want = after the key", k)
		}
		var v []byte
		if v, s, err = parseBytes(s[1:], "header "+strconv.Quote(k)); err != nil {
			return r, err
		}
		r.Headers = append(r.Headers, record.Header{Key: k, Value: v})
	}
	return r, nil
}

// space consumes the one space before the next field; the end of the line
// is an error if required.
func space(s string, required bool) (string, error) {
	if s == "" && required {
		return s, errors.New("want a value")
	}
	if s[0] != ' ' {
		return s, fmt.Errorf("want a space at %q", clip(s))
	}
	return s[1:], nil
}

// parseBytes reads null or a quoted string at the start of s.
func parseBytes(s, what string) ([]byte, string, error) {
	if strings.HasPrefix(s, "null") && (len(s) == 4 || s[4] == ' ') {
		return nil, s[4:], nil
	}
	q, err := strconv.QuotedPrefix(s)
	if err != nil || q[0] != '"' {
		return nil, s, fmt.Errorf("%s at %q: want null or a double-quoted string", what, clip(s))
	}
	v, err := strconv.Unquote(q)
	if err != nil {
		return nil, s, fmt.Errorf("%s: %w", what, err)
	}
	return append([]byte{}, v...), s[len(q):], nil
}

func clip(s string) string {
	if len(s) > 20 {
		return s[:20] + "…"
	}
	return s
}
