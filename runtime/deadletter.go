// Copyright 2026 The Eddy Authors
// SPDX-License-Identifier: Apache-2.0

package runtime

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/eddy-streams/eddy/internal/engine"
)

// DeadLetterHeaders is what the DeadLetter policy records about a failed
// record in the headers of its copy in Config.DeadLetterTopic.
// ParseDeadLetter reads it back.
type DeadLetterHeaders struct {
	// Message is the error (header HeaderErrorMessage).
	Message string
	// Topic, Partition and Offset locate the original record
	// (HeaderErrorTopic, HeaderErrorPartition, HeaderErrorOffset).
	Topic     string
	Partition int32
	Offset    int64
	// Task is the task that failed, as "0_3", or "1_global" for a global
	// table (HeaderErrorTask).
	Task string
	// Node names the processor node that failed (HeaderErrorNode).
	Node string
	// Kind is where the record failed (HeaderErrorKind); 0 if the dead
	// letter does not say (one written before the header existed).
	Kind ErrorKind
	// Truncated says what was cut to fit the dead-letter topic
	// (HeaderErrorTruncated); empty if nothing was.
	Truncated string
}

// ParseDeadLetter reads the DeadLetterHeaders from the headers of a record
// consumed from a dead-letter topic.
//
// A dead letter keeps the original record's headers and adds its own after
// them, HeaderErrorMessage first and HeaderErrorTruncated, if any, last.
// ParseDeadLetter reads the last HeaderErrorMessage header and the headers
// after it, so that eddy.error.* headers the original record already had
// (it was dead-lettered before and fed back in) do not count, and it
// ignores headers it does not know. It returns an error naming the header
// if one is missing (a record that is not a dead letter has none),
// repeated, or, for HeaderErrorPartition and HeaderErrorOffset, not a
// decimal integer of the field's size, or, for HeaderErrorKind, not the
// name of an ErrorKind. HeaderErrorKind may be missing (a dead letter
// written before it existed): Kind is then 0.
func ParseDeadLetter(headers []kgo.RecordHeader) (DeadLetterHeaders, error) {
	start := -1
	for i := len(headers) - 1; i >= 0; i-- {
		if headers[i].Key == HeaderErrorMessage {
			start = i
			break
		}
	}
	if start < 0 {
		return DeadLetterHeaders{}, fmt.Errorf("runtime: not a dead letter: no %s header", HeaderErrorMessage)
	}
	var d DeadLetterHeaders
	var partition, offset, kind string
	seen := map[string]bool{}
	for _, h := range headers[start:] {
		var field *string
		switch h.Key {
		case HeaderErrorMessage:
			field = &d.Message
		case HeaderErrorTopic:
			field = &d.Topic
		case HeaderErrorPartition:
			field = &partition
		case HeaderErrorOffset:
			field = &offset
		case HeaderErrorTask:
			field = &d.Task
		case HeaderErrorNode:
			field = &d.Node
		case HeaderErrorKind:
			field = &kind
		case HeaderErrorTruncated:
			field = &d.Truncated
		default:
			continue
		}
		if seen[h.Key] {
			return DeadLetterHeaders{}, fmt.Errorf("runtime: malformed dead letter: header %s repeated", h.Key)
		}
		seen[h.Key] = true
		*field = string(h.Value)
	}
	var missing []string
	for _, k := range []string{HeaderErrorTopic, HeaderErrorPartition, HeaderErrorOffset, HeaderErrorTask, HeaderErrorNode} {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return DeadLetterHeaders{}, fmt.Errorf("runtime: malformed dead letter: missing %s after %s", strings.Join(missing, ", "), HeaderErrorMessage)
	}
	p, err := strconv.ParseInt(partition, 10, 32)
	if err != nil {
		return DeadLetterHeaders{}, fmt.Errorf("runtime: malformed dead letter: header %s is %s, not a partition number", HeaderErrorPartition, quoteShort(partition))
	}
	o, err := strconv.ParseInt(offset, 10, 64)
	if err != nil {
		return DeadLetterHeaders{}, fmt.Errorf("runtime: malformed dead letter: header %s is %s, not an offset", HeaderErrorOffset, quoteShort(offset))
	}
	if seen[HeaderErrorKind] {
		k, ok := parseErrorKind(kind)
		if !ok {
			return DeadLetterHeaders{}, fmt.Errorf("runtime: malformed dead letter: header %s is %s, not Deserialization, Processing or Production",
				HeaderErrorKind, quoteShort(kind))
		}
		d.Kind = k
	}
	d.Partition, d.Offset = int32(p), o
	return d, nil
}

// parseErrorKind reads an ErrorKind's String.
func parseErrorKind(s string) (ErrorKind, bool) {
	for _, k := range []ErrorKind{Deserialization, Processing, Production} {
		if s == k.String() {
			return k, true
		}
	}
	return 0, false
}

// appendDeadLetterHeaders appends the headers describing d to hs, in the
// order ParseDeadLetter expects: HeaderErrorMessage first, then the
// origin, HeaderErrorKind if d.Kind is set, then HeaderErrorTruncated if
// d.Truncated is set.
func appendDeadLetterHeaders(hs []engine.Header, d DeadLetterHeaders) []engine.Header {
	hs = append(hs,
		engine.Header{Key: HeaderErrorMessage, Value: []byte(d.Message)},
		engine.Header{Key: HeaderErrorTopic, Value: []byte(d.Topic)},
		engine.Header{Key: HeaderErrorPartition, Value: []byte(strconv.FormatInt(int64(d.Partition), 10))},
		engine.Header{Key: HeaderErrorOffset, Value: []byte(strconv.FormatInt(d.Offset, 10))},
		engine.Header{Key: HeaderErrorTask, Value: []byte(d.Task)},
		engine.Header{Key: HeaderErrorNode, Value: []byte(d.Node)},
	)
	if d.Kind != 0 {
		hs = append(hs, engine.Header{Key: HeaderErrorKind, Value: []byte(d.Kind.String())})
	}
	if d.Truncated != "" {
		hs = append(hs, engine.Header{Key: HeaderErrorTruncated, Value: []byte(d.Truncated)})
	}
	return hs
}

// quoteShort quotes s for an error message, cut to a readable length.
func quoteShort(s string) string {
	const limit = 40
	if len(s) > limit {
		return strconv.Quote(s[:limit]) + "..."
	}
	return strconv.Quote(s)
}
